"""Every API list and progress read runs a fixed number of queries: the same for 3 rows as
for 30, and the same on a later page as on the first."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .conftest import populate

pytestmark = pytest.mark.django_db

LISTS = [
    "/api/v1/courses/",
    "/api/v1/lessons/",
    "/api/v1/cohorts/",
    "/api/v1/users/",
    "/api/v1/enrollments/",
    "/api/v1/assignments/",
    "/api/v1/submissions/",
    "/api/v1/grades/",
    "/api/v1/check-results/",
]


def add_learners(world, count, offset):
    for n in range(count):
        populate(
            cohort=world.ours.cohort,
            lesson=world.lesson,
            assignment=world.assignment,
            criterion=world.criterion,
            level=world.level,
            grader=world.grader,
            email=f"learner{offset + n}@example.org",
        )


def queries_for(api, url, **params):
    with CaptureQueriesContext(connection) as queries:
        response = api.get(url, params)
    assert response.status_code == 200, response.content
    return len(queries), response


@pytest.mark.parametrize("url", LISTS)
def test_list_queries_do_not_grow_with_rows(lms, world, url):
    queries_for(lms, url)  # warm the caches a first request of a process fills
    add_learners(world, 2, offset=0)
    few, _ = queries_for(lms, url, page_size=100)
    add_learners(world, 25, offset=100)
    many, response = queries_for(lms, url, page_size=100)

    assert many == few
    if url in ("/api/v1/enrollments/", "/api/v1/users/", "/api/v1/grades/"):
        assert len(response.json()["results"]) >= 27


@pytest.mark.parametrize("url", ["/api/v1/enrollments/", "/api/v1/grades/", "/api/v1/users/"])
def test_a_later_page_costs_what_the_first_does(lms, world, url):
    add_learners(world, 30, offset=0)
    first_count, first = queries_for(lms, url, page_size=5)
    cursor_url = first.json()["next"]
    for _ in range(4):
        later_count, later = queries_for(lms, cursor_url)
        cursor_url = later.json()["next"]

    assert later_count == first_count


def test_progress_reads_do_not_grow_with_the_cohort(lms, world):
    enrollment = world.ours.enrollment
    url = f"/api/v1/enrollments/{enrollment.pk}/progress/"
    queries_for(lms, url)
    few, _ = queries_for(lms, url)
    add_learners(world, 20, offset=0)
    many, _ = queries_for(lms, url)
    cohort_url = f"/api/v1/cohorts/{world.ours.cohort.pk}/progress/"
    cohort_few, _ = queries_for(lms, cohort_url)
    add_learners(world, 10, offset=500)
    cohort_many, _ = queries_for(lms, cohort_url)

    assert many == few
    assert cohort_many == cohort_few


# What each request costs, with the course built once (a first request of the process):
# the token with its client; the caller's cohorts (or, for ?cohort=, that cohort) with the
# page; and for a progress read the enrollment, then the learner's completed lessons.
ENROLLMENT_PAGE_BUDGET = 3
PROGRESS_READ_BUDGET = 3


def test_enrollment_pages_and_progress_reads_stay_within_their_budgets(lms, world):
    add_learners(world, 5, offset=0)
    cohort = world.ours.cohort.pk
    progress = f"/api/v1/enrollments/{world.ours.enrollment.pk}/progress/"
    queries_for(lms, progress)

    assert queries_for(lms, "/api/v1/enrollments/")[0] <= ENROLLMENT_PAGE_BUDGET
    assert queries_for(lms, "/api/v1/enrollments/", cohort=cohort)[0] <= ENROLLMENT_PAGE_BUDGET
    assert queries_for(lms, progress)[0] <= PROGRESS_READ_BUDGET


def test_with_the_row_cache_a_page_is_one_query(lms, world, settings):
    settings.ROW_CACHE_SECONDS = 60
    queries_for(lms, "/api/v1/enrollments/")

    with CaptureQueriesContext(connection) as queries:
        assert lms.get("/api/v1/enrollments/").status_code == 200

    assert not [query for query in queries if "oauth2_provider_accesstoken" in query["sql"]]
    assert len(queries) == 1  # the token and the client's cohorts come from the cache
