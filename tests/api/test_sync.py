"""Incremental sync: stable cursor pages with Link headers, updated_since, and ETags."""

import re
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from courseware import documents
from courseware.assessment_import import import_assignments
from courseware.models import Course, Enrollment, Grade, Submission
from courseware.services import complete_lesson, move_enrollments, release_grades

from ..conftest import ASSIGNMENTS
from ..factories import CohortFactory, CourseFactory, EnrollmentFactory, LessonFactory
from .conftest import ids

ENROLLMENTS = "/api/v1/enrollments/"

LISTS = [
    "/api/v1/courses/",
    "/api/v1/lessons/",
    "/api/v1/cohorts/",
    "/api/v1/assignments/",
    "/api/v1/users/",
    "/api/v1/enrollments/",
    "/api/v1/submissions/",
    "/api/v1/grades/",
    "/api/v1/check-results/",
]


def links(response):
    """Parse an RFC 8288 Link header into {rel: url}."""
    return {
        rel: url for url, rel in re.findall(r'<([^>]*)>;\s*rel="([^"]+)"', response.get("Link", ""))
    }


def walk(api, url, *, between_pages=lambda: None):
    """Follow `next` links from the first page to the last; return every id seen, in order."""
    seen = []
    while url:
        body = api.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
        between_pages()
    return seen


@pytest.fixture
def enrollments(cohort):
    return [EnrollmentFactory(cohort=cohort).pk for _ in range(8)]


def backdate(model):
    """Make every row of the model look untouched for a day; return the moment after."""
    model.objects.update(updated_at=timezone.now() - timedelta(days=1))
    return timezone.now()


# Pagination


def test_walking_pages_while_rows_are_inserted_sees_every_existing_row_once(
    lms, cohort, enrollments
):
    def insert_two():
        EnrollmentFactory.create_batch(2, cohort=cohort)

    seen = walk(lms, f"{ENROLLMENTS}?page_size=3", between_pages=insert_two)
    assert len(seen) == len(set(seen))
    assert set(enrollments) <= set(seen)


def test_rows_inserted_during_a_walk_come_after_the_existing_rows(lms, cohort, enrollments):
    def insert_one():
        EnrollmentFactory(cohort=cohort)

    seen = walk(lms, f"{ENROLLMENTS}?page_size=3", between_pages=insert_one)
    assert seen[: len(enrollments)] == enrollments


def test_link_header_next_equals_the_body_next(lms, enrollments):
    response = lms.get(ENROLLMENTS, {"page_size": 3})
    assert links(response)["next"] == response.json()["next"]


def test_link_header_prev_equals_the_body_previous(lms, enrollments):
    second = lms.get(lms.get(ENROLLMENTS, {"page_size": 3}).json()["next"])
    assert links(second)["prev"] == second.json()["previous"]


def test_last_page_has_no_next_link(lms, enrollments):
    response = lms.get(ENROLLMENTS, {"page_size": 100})
    assert response.json()["next"] is None
    assert "next" not in links(response)


def test_page_size_parameter_sets_the_page_length(lms, enrollments):
    assert len(ids(lms.get(ENROLLMENTS, {"page_size": 5}))) == 5


def test_page_size_is_capped_at_100(lms, db):
    CourseFactory.create_batch(101)
    assert len(ids(lms.get("/api/v1/courses/", {"page_size": 500}))) == 100


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_walking_pages_during_concurrent_inserts_sees_every_existing_row_once(lms, cohort):
    existing = [EnrollmentFactory(cohort=cohort).pk for _ in range(20)]
    stop = threading.Event()

    def insert_until_stopped():
        try:
            while not stop.is_set():
                EnrollmentFactory(cohort=cohort)
        finally:
            connection.close()

    inserter = threading.Thread(target=insert_until_stopped)
    inserter.start()
    try:
        seen = walk(lms, f"{ENROLLMENTS}?page_size=2")
    finally:
        stop.set()
        inserter.join()
    assert len(seen) == len(set(seen))
    assert set(existing) <= set(seen)


# updated_since


@pytest.mark.parametrize("path", LISTS)
def test_every_list_honours_updated_since(lms, world, path):
    tomorrow = timezone.now() + timedelta(days=1)
    response = lms.get(path, {"updated_since": tomorrow.isoformat()})
    assert (response.status_code, response.json()["results"]) == (200, [])


def test_updated_since_lists_only_enrollments_changed_since(lms, enrollments):
    since = backdate(Enrollment)
    lms.delete(f"{ENROLLMENTS}{enrollments[2]}/")
    assert ids(lms.get(ENROLLMENTS, {"updated_since": since.isoformat()})) == [enrollments[2]]


def test_completing_the_course_shows_the_enrollment_in_updated_since(lms, world):
    since = backdate(Enrollment)
    ours = world.ours
    complete_lesson(learner=ours.learner, lesson=world.lesson, enrollment=ours.enrollment)
    assert ids(lms.get(ENROLLMENTS, {"updated_since": since.isoformat()})) == [ours.enrollment.pk]


def test_releasing_a_grade_shows_it_in_updated_since(lms, unreleased_grade, grader):
    since = backdate(Grade)
    release_grades(grades=Grade.objects.filter(pk=unreleased_grade.pk), released_by=grader)
    response = lms.get("/api/v1/grades/", {"updated_since": since.isoformat()})
    assert ids(response) == [unreleased_grade.pk]


def test_grades_released_before_updated_since_are_left_out(lms, world):
    since = backdate(Grade)
    assert ids(lms.get("/api/v1/grades/", {"updated_since": since.isoformat()})) == []


def test_moving_a_learner_shows_their_submission_in_updated_since(lms, world):
    later = CohortFactory(course=world.course, slug="later", is_default=False)
    lms.api_client.cohorts.add(later)
    since = backdate(Submission)
    move_enrollments(
        enrollments=Enrollment.objects.filter(pk=world.ours.enrollment.pk), cohort=later
    )
    response = lms.get("/api/v1/submissions/", {"updated_since": since.isoformat()})
    assert ids(response) == [world.ours.submission.pk]


def test_changing_a_courses_assignments_shows_the_course_in_updated_since(lms, course):
    since = backdate(Course)
    text = documents.read_file(ASSIGNMENTS).replace("Case Study:", "Case study:", 1)
    import_assignments(course=course, text=text)
    response = lms.get("/api/v1/courses/", {"updated_since": since.isoformat()})
    assert ids(response) == [course.pk]


def test_cohort_progress_updated_since_lists_learners_whose_progress_changed(lms, world):
    other = EnrollmentFactory(cohort=world.ours.cohort)
    since = backdate(Enrollment)
    LessonFactory(module=world.lesson.module)  # so one lesson leaves the course unfinished
    complete_lesson(learner=other.learner, lesson=world.lesson, enrollment=other)
    response = lms.get(
        f"/api/v1/cohorts/{world.ours.cohort.pk}/progress/", {"updated_since": since.isoformat()}
    )
    assert response.status_code == 200
    assert [row["learner"] for row in response.json()["results"]] == [other.learner.pk]


# ETags


def test_read_carries_an_etag(lms, enrollments):
    assert lms.get(ENROLLMENTS)["ETag"]


def test_read_with_a_matching_if_none_match_is_304(lms, enrollments):
    etag = lms.get(ENROLLMENTS)["ETag"]
    response = lms.get(ENROLLMENTS, HTTP_IF_NONE_MATCH=etag)
    assert (response.status_code, response.content) == (304, b"")


def test_read_after_a_change_is_200_with_a_new_etag(lms, enrollments):
    etag = lms.get(ENROLLMENTS)["ETag"]
    lms.delete(f"{ENROLLMENTS}{enrollments[0]}/")
    response = lms.get(ENROLLMENTS, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag


def test_detail_read_with_a_matching_if_none_match_is_304(lms, enrollments):
    url = f"{ENROLLMENTS}{enrollments[0]}/"
    etag = lms.get(url)["ETag"]
    assert lms.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
