"""Writes: idempotent enrollment, bulk, dropping, find-or-create users, Idempotency-Key."""

import threading

import pytest
from django.db import connection
from rest_framework.renderers import JSONRenderer

from accounts.models import User
from courseware.api.serializers import EnrollmentSerializer
from courseware.models import Enrollment, LessonProgress, Submission
from courseware.services import complete_lesson
from integrations.models import ClientLearner

from ..factories import CohortFactory, LessonFactory, SubmissionFactory, UserFactory
from .conftest import PROBLEM, bearer, ids

USERS = "/api/v1/users/"
ENROLLMENTS = "/api/v1/enrollments/"
BULK = "/api/v1/enrollments/bulk/"


def create_user(api, **data):
    return api.post(USERS, data, format="json")


def enroll(api, cohort, user_id, **headers):
    return api.post(ENROLLMENTS, {"cohort": cohort.pk, "user": user_id}, format="json", **headers)


@pytest.fixture
def newcomer(lms):
    """A learner the client has just created, enrolled nowhere yet."""
    return create_user(lms, email="newcomer@example.org", display_name="Nia Newcomer").json()["id"]


@pytest.fixture
def later_cohort(lms, cohort):
    """A second cohort of the same course, also granted to the client."""
    later = CohortFactory(course=cohort.course, name="Later", slug="later", is_default=False)
    lms.api_client.cohorts.add(later)
    return later


# Enrolling one learner


def test_enrolling_a_learner_answers_201_with_the_enrollment(lms, cohort, newcomer):
    response = enroll(lms, cohort, newcomer)
    body = response.json()
    assert response.status_code == 201
    assert (body["learner"], body["cohort"], body["status"], body["source"]) == (
        newcomer, cohort.pk, "active", "api",
    )  # fmt: skip


def test_enrolling_again_answers_200_with_the_same_enrollment(lms, cohort, newcomer):
    first = enroll(lms, cohort, newcomer)
    second = enroll(lms, cohort, newcomer)
    assert (second.status_code, second.json()["id"]) == (200, first.json()["id"])
    assert Enrollment.objects.filter(learner=newcomer).count() == 1


def test_enrolling_a_learner_of_another_cohort_of_the_course_conflicts(
    lms, cohort, later_cohort, newcomer
):
    enroll(lms, cohort, newcomer)
    response = enroll(lms, later_cohort, newcomer)
    assert (response.status_code, response["Content-Type"]) == (409, PROBLEM)
    assert Enrollment.objects.get(learner=newcomer).cohort == cohort


def test_enrolling_into_another_clients_cohort_answers_as_for_an_unknown_cohort(
    lms, rival_cohort, newcomer
):
    theirs = lms.post(ENROLLMENTS, {"cohort": rival_cohort.pk, "user": newcomer}, format="json")
    unknown = lms.post(ENROLLMENTS, {"cohort": 987654321, "user": newcomer}, format="json")
    assert theirs.status_code == unknown.status_code == 400
    assert theirs.json()["errors"] == unknown.json()["errors"]


def test_enrolling_another_clients_learner_is_refused(lms, rival, cohort):
    theirs = create_user(rival, email="theirs@example.org").json()["id"]
    response = enroll(lms, cohort, theirs)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"user"}
    assert not Enrollment.objects.filter(learner=theirs).exists()


def test_enrolling_after_a_drop_makes_a_new_enrollment(lms, cohort, newcomer):
    dropped = enroll(lms, cohort, newcomer).json()["id"]
    lms.delete(f"{ENROLLMENTS}{dropped}/")
    response = enroll(lms, cohort, newcomer)
    assert response.status_code == 201
    assert response.json()["id"] != dropped


# Bulk


def test_bulk_answers_each_item_on_its_own(lms, cohort, later_cohort, newcomer):
    settled = create_user(lms, email="settled@example.org").json()["id"]
    enroll(lms, later_cohort, settled)
    items = [
        {"cohort": cohort.pk, "user": newcomer},
        {"cohort": cohort.pk, "user": newcomer},
        {"cohort": 987654321, "user": newcomer},
        {"cohort": cohort.pk, "user": settled},
    ]
    response = lms.post(BULK, {"items": items}, format="json")
    results = response.json()["results"]
    assert response.status_code == 200
    assert [(result["index"], result["status"]) for result in results] == [
        (0, 201), (1, 200), (2, 400), (3, 409),
    ]  # fmt: skip
    assert results[0]["enrollment"] == results[1]["enrollment"]
    assert set(results[2]["errors"]) == {"cohort"}


def test_bulk_answers_an_item_for_a_full_cohort_on_its_own(lms, cohort, newcomer):
    cohort.capacity = 1
    cohort.save()
    second = create_user(lms, email="second@example.org").json()["id"]
    items = [{"cohort": cohort.pk, "user": newcomer}, {"cohort": cohort.pk, "user": second}]
    response = lms.post(BULK, {"items": items}, format="json")
    assert response.status_code == 200
    assert [result["status"] for result in response.json()["results"]] == [201, 400]


def test_bulk_takes_1000_items(lms, cohort, newcomer):
    items = [{"cohort": cohort.pk, "user": newcomer}] * 1000
    response = lms.post(BULK, {"items": items}, format="json")
    assert (response.status_code, len(response.json()["results"])) == (200, 1000)


def test_bulk_over_1000_items_is_a_400_problem(lms, cohort, newcomer):
    items = [{"cohort": cohort.pk, "user": newcomer}] * 1001
    response = lms.post(BULK, {"items": items}, format="json")
    assert (response.status_code, response["Content-Type"]) == (400, PROBLEM)
    assert set(response.json()["errors"]) == {"items"}
    assert not Enrollment.objects.exists()


def test_bulk_without_items_is_a_400_problem(lms):
    response = lms.post(BULK, {"items": []}, format="json")
    assert (response.status_code, set(response.json()["errors"])) == (400, {"items"})


# Dropping


@pytest.fixture
def enrolled(lms, cohort, newcomer):
    return Enrollment.objects.get(pk=enroll(lms, cohort, newcomer).json()["id"])


def test_deleting_an_enrollment_drops_it(lms, enrolled):
    response = lms.delete(f"{ENROLLMENTS}{enrolled.pk}/")
    assert response.status_code == 204
    assert lms.get(f"{ENROLLMENTS}{enrolled.pk}/").json()["status"] == "dropped"


def test_deleting_an_enrollment_keeps_the_learners_submissions(lms, enrolled):
    submission = SubmissionFactory(
        assignment__course=enrolled.course, learner=enrolled.learner, cohort=enrolled.cohort
    )
    lms.delete(f"{ENROLLMENTS}{enrolled.pk}/")
    assert Submission.objects.filter(pk=submission.pk).exists()
    assert submission.pk in ids(lms.get("/api/v1/submissions/"))


def test_deleting_an_enrollment_keeps_the_learners_progress(lms, enrolled):
    lesson = LessonFactory(module__course=enrolled.course)
    complete_lesson(learner=enrolled.learner, lesson=lesson, enrollment=enrolled)
    lms.delete(f"{ENROLLMENTS}{enrolled.pk}/")
    assert LessonProgress.objects.filter(learner=enrolled.learner, lesson=lesson).exists()
    progress = lms.get(f"{ENROLLMENTS}{enrolled.pk}/progress/").json()
    assert progress["lessons_completed"] == 1


def test_deleting_a_dropped_enrollment_again_succeeds(lms, enrolled):
    lms.delete(f"{ENROLLMENTS}{enrolled.pk}/")
    assert lms.delete(f"{ENROLLMENTS}{enrolled.pk}/").status_code == 204


# Users: find or create


def test_creating_a_user_with_a_new_email_answers_201_with_a_learner(lms):
    response = create_user(lms, email="Fresh@Example.org", display_name="Fay Fresh")
    user = User.objects.get(pk=response.json()["id"])
    assert response.status_code == 201
    assert (user.display_name, user.has_usable_password()) == ("Fay Fresh", False)


def test_creating_a_user_with_a_known_email_answers_200_with_that_user(lms):
    known = UserFactory(email="known@example.org")
    response = create_user(lms, email="KNOWN@example.org")
    assert (response.status_code, response.json()["id"]) == (200, known.pk)


def test_created_user_becomes_visible_to_the_client(lms):
    user_id = create_user(lms, email="fresh@example.org").json()["id"]
    assert lms.get(f"{USERS}{user_id}/").status_code == 200


def test_user_is_found_by_the_clients_external_id(lms):
    created = create_user(lms, email="ext@example.org", external_id="lms-42").json()
    response = create_user(lms, external_id="lms-42")
    assert (response.status_code, response.json()) == (200, created)


def test_user_list_filters_by_external_id(lms):
    user_id = create_user(lms, email="ext@example.org", external_id="lms-42").json()["id"]
    create_user(lms, email="other@example.org", external_id="lms-43")
    assert ids(lms.get(USERS, {"external_id": "lms-42"})) == [user_id]


def test_unknown_external_id_without_an_email_is_a_400(lms):
    response = create_user(lms, external_id="lms-404")
    assert (response.status_code, set(response.json()["errors"])) == (400, {"email"})


def test_external_id_already_naming_another_email_conflicts(lms):
    create_user(lms, email="first@example.org", external_id="lms-42")
    response = create_user(lms, email="second@example.org", external_id="lms-42")
    assert (response.status_code, response["Content-Type"]) == (409, PROBLEM)
    assert set(response.json()["errors"]) == {"external_id"}
    assert not User.objects.filter(email="second@example.org").exists()


def test_second_external_id_for_the_same_learner_conflicts(lms):
    create_user(lms, email="first@example.org", external_id="lms-42")
    response = create_user(lms, email="first@example.org", external_id="lms-43")
    assert response.status_code == 409


def test_the_same_external_id_at_two_clients_names_two_learners(lms, rival):
    ours = create_user(lms, email="ours@example.org", external_id="shared-1")
    theirs = create_user(rival, email="theirs@example.org", external_id="shared-1")
    assert (ours.status_code, theirs.status_code) == (201, 201)
    assert ours.json()["id"] != theirs.json()["id"]


def test_another_clients_external_id_does_not_find_their_learner(lms, rival):
    create_user(rival, email="theirs@example.org", external_id="shared-1")
    response = create_user(lms, external_id="shared-1")
    assert response.status_code == 400
    assert not ClientLearner.objects.filter(client=lms.api_client).exists()


# Idempotency-Key


def test_replaying_an_idempotency_key_returns_the_first_answer_marked_replayed(
    lms, cohort, newcomer
):
    first = enroll(lms, cohort, newcomer, HTTP_IDEMPOTENCY_KEY="enroll-1")
    replay = enroll(lms, cohort, newcomer, HTTP_IDEMPOTENCY_KEY="enroll-1")
    assert (replay.status_code, replay.json()) == (first.status_code, first.json())
    assert replay["Idempotent-Replayed"] == "true"


def test_first_answer_to_an_idempotency_key_is_not_marked_replayed(lms, cohort, newcomer):
    response = enroll(lms, cohort, newcomer, HTTP_IDEMPOTENCY_KEY="enroll-1")
    assert "Idempotent-Replayed" not in response


def test_replaying_a_user_create_creates_one_user(lms):
    headers = {"HTTP_IDEMPOTENCY_KEY": "user-1"}
    first = lms.post(USERS, {"email": "once@example.org"}, format="json", **headers)
    replay = lms.post(USERS, {"email": "once@example.org"}, format="json", **headers)
    assert (first.status_code, replay.status_code) == (201, 201)
    assert User.objects.filter(email="once@example.org").count() == 1


def test_replaying_a_bulk_request_returns_the_first_results(lms, cohort, newcomer):
    body = {"items": [{"cohort": cohort.pk, "user": newcomer}]}
    first = lms.post(BULK, body, format="json", HTTP_IDEMPOTENCY_KEY="bulk-1")
    replay = lms.post(BULK, body, format="json", HTTP_IDEMPOTENCY_KEY="bulk-1")
    assert replay.json() == first.json()
    assert replay.json()["results"][0]["status"] == 201


def test_idempotency_key_reused_with_another_body_conflicts(lms, cohort, later_cohort, newcomer):
    enroll(lms, cohort, newcomer, HTTP_IDEMPOTENCY_KEY="enroll-1")
    response = enroll(lms, later_cohort, newcomer, HTTP_IDEMPOTENCY_KEY="enroll-1")
    assert (response.status_code, response["Content-Type"]) == (409, PROBLEM)
    assert "Idempotency-Key" in response.json()["detail"]


def test_idempotency_keys_of_two_clients_do_not_collide(lms, rival, cohort, newcomer):
    enroll(lms, cohort, newcomer, HTTP_IDEMPOTENCY_KEY="same-key")
    response = create_user(rival, email="theirs@example.org", HTTP_IDEMPOTENCY_KEY="same-key")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response


def test_failed_request_frees_its_idempotency_key(lms, cohort, newcomer):
    enroll(lms, cohort, 987654321, HTTP_IDEMPOTENCY_KEY="enroll-1")
    response = enroll(lms, cohort, newcomer, HTTP_IDEMPOTENCY_KEY="enroll-1")
    assert response.status_code == 201


# Races (PostgreSQL: real parallel connections)


def race(count, request):
    """Run `request` in `count` threads at once; return their responses."""
    barrier = threading.Barrier(count)
    responses = [None] * count

    def run(index):
        try:
            barrier.wait()
            responses[index] = request()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=[index]) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_enrollments_make_one_enrollment(lms, cohort):
    learner = UserFactory()
    ClientLearner.objects.create(client=lms.api_client, user=learner)

    def request():
        api = bearer(lms.access_token, raise_request_exception=False)
        return enroll(api, cohort, learner.pk)

    responses = race(4, request)
    assert sorted(response.status_code for response in responses) == [200, 200, 200, 201]
    assert len({response.json()["id"] for response in responses}) == 1
    assert Enrollment.objects.filter(learner=learner, course=cohort.course).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_user_creates_make_one_user(lms):
    def request():
        api = bearer(lms.access_token, raise_request_exception=False)
        return create_user(api, email="racer@example.org", external_id="lms-7")

    responses = race(4, request)
    assert sorted(response.status_code for response in responses) == [200, 200, 200, 201]
    assert User.objects.filter(email="racer@example.org").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_idempotency_key_enroll_once(lms, cohort, newcomer):
    def request():
        api = bearer(lms.access_token, raise_request_exception=False)
        return enroll(api, cohort, newcomer, HTTP_IDEMPOTENCY_KEY="enroll-1")

    responses = race(4, request)
    assert all(response.status_code in {201, 409} for response in responses)
    assert Enrollment.objects.filter(learner=newcomer).count() == 1


# Listing


def test_the_enrollment_list_answers_what_the_enrollment_serializer_shows(
    lms, cohort, later_cohort
):
    learners = [create_user(lms, email=f"row{n}@example.org").json()["id"] for n in range(3)]
    for learner in learners[:2]:
        assert enroll(lms, cohort, learner).status_code == 201
    assert enroll(lms, later_cohort, learners[2]).status_code == 201
    lms.delete(f"{ENROLLMENTS}{Enrollment.objects.get(learner=learners[1]).pk}/")  # dropped
    Enrollment.objects.filter(learner=learners[0]).update(
        status=Enrollment.Status.COMPLETED, completed_at="2026-03-01T12:30:00.123456Z"
    )

    for query in ("", f"?cohort={cohort.pk}", f"?cohort={later_cohort.pk}&status=active"):
        rows = lms.get(ENROLLMENTS + query).json()["results"]
        expected = Enrollment.objects.filter(pk__in=[row["id"] for row in rows]).order_by("pk")
        shown = JSONRenderer().render(EnrollmentSerializer(expected, many=True).data)
        assert rows and JSONRenderer().render(rows) == shown, query


def test_listing_a_cohort_of_another_client_shows_nothing(lms, rival, cohort, newcomer):
    enroll(lms, cohort, newcomer)

    response = rival.get(f"{ENROLLMENTS}?cohort={cohort.pk}")

    assert (response.status_code, ids(response)) == (200, [])
    assert ids(lms.get(f"{ENROLLMENTS}?cohort={cohort.pk}")) != []
