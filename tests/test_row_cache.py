"""With ROW_CACHE_SECONDS (on with Redis), the rows every request reads come from the cache,
and a change to one of them shows on the very next request."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courseware.models import Course, Lesson

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def row_cache(settings):
    settings.ROW_CACHE_SECONDS = 60


@pytest.fixture
def reader(client, enrolled_learner, course):
    client.force_login(enrolled_learner)
    lesson = Lesson.objects.current().filter(course=course).in_order().first()
    url = reverse("courseware:lesson-detail", args=[course.slug, lesson.slug])
    assert client.get(url).status_code == 200  # reads and keeps the user and the course
    client.lesson, client.url = lesson, url
    return client


def tables_read(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return " ".join(query["sql"] for query in queries)


def test_a_lesson_page_reads_neither_the_user_nor_the_course_again(reader):
    sql = tables_read(reader, reader.url)

    assert '"accounts_user"' not in sql
    assert '"courseware_course"' not in sql


def test_a_deactivated_learner_is_signed_out_on_their_next_request(reader, enrolled_learner):
    enrolled_learner.is_active = False
    enrolled_learner.save()

    response = reader.get(reverse("courseware:dashboard"))

    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_a_changed_password_ends_other_sessions_at_once(reader, enrolled_learner):
    enrolled_learner.set_password("a-new-password-2026")
    enrolled_learner.save()

    response = reader.get(reverse("courseware:dashboard"))

    assert response.status_code == 302


def test_an_unpublished_course_is_gone_on_the_next_request(reader, course):
    course.is_published = False
    course.save()

    assert reader.get(reader.url).status_code == 404


def test_an_edited_lesson_shows_on_the_next_request(reader, course, admin_client):
    lesson = reader.lesson
    response = admin_client.post(
        reverse("admin:courseware_lesson_change", args=[lesson.pk]),
        {
            "title": "A retitled lesson",
            "slug": lesson.slug,
            "module": lesson.module_id,
            "course": course.pk,
            "position": lesson.position,
            "body_source": lesson.body_source,
            "objectives": "",
            "key_terms": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]

    assert "A retitled lesson" in reader.get(reader.url).content.decode()
    assert Course.objects.get(pk=course.pk).version > course.version


def test_a_cohort_withdrawn_from_an_api_client_is_hidden_at_once(db):
    from tests.api.conftest import connect_new
    from tests.factories import CohortFactory, EnrollmentFactory

    cohort = CohortFactory()
    EnrollmentFactory(cohort=cohort)
    lms = connect_new(cohorts=[cohort])
    url = f"/api/v1/enrollments/?cohort={cohort.pk}"
    assert len(lms.get(url).json()["results"]) == 1
    assert len(lms.get("/api/v1/enrollments/").json()["results"]) == 1

    lms.api_client.cohorts.remove(cohort)

    assert lms.get(url).json()["results"] == []
    assert lms.get("/api/v1/enrollments/").json()["results"] == []

    lms.api_client.cohorts.add(cohort)  # granted again
    assert len(lms.get(url).json()["results"]) == 1
