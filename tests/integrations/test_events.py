"""The event outbox: which changes record which events, for whom, in which transaction."""

import pytest
from django.db import transaction

from courseware.models import Enrollment, Grade
from courseware.services import (
    complete_lesson,
    drop_enrollments,
    enroll_learner,
    grade_submission,
    move_enrollments,
    release_grades,
    submit_work,
)
from courseware.services.roster import enroll_roster, read_roster
from integrations import events
from integrations.models import Delivery, Event, WebhookEndpoint

from ..factories import (
    AssignmentFactory,
    CohortFactory,
    LessonFactory,
    ModuleFactory,
    RubricCriterionFactory,
    RubricLevelFactory,
    UserFactory,
)
from .conftest import make_client, make_endpoint

pytestmark = pytest.mark.django_db


def event_types():
    return list(Event.objects.order_by("occurred_at", "type").values_list("type", flat=True))


@pytest.fixture
def subscribed(lms):
    """An endpoint of the cohort's client for every event type (never called: no commit)."""
    return make_endpoint(lms)


@pytest.fixture
def learner(db):
    return UserFactory(email="ada@example.org")


@pytest.fixture
def enrollment(subscribed, learner, cohort):
    enrollment, _ = enroll_learner(learner=learner, course=cohort.course, cohort=cohort)
    Event.objects.all().delete()
    return enrollment


def test_deliveries_go_only_to_subscribed_endpoints_of_active_clients_with_the_cohort(cohort):
    client = make_client(cohorts=[cohort])
    wanted = make_endpoint(client, events=["enrollment.created"])
    make_endpoint(client, url="https://lms.example.org/grades", events=["grade.released"])
    make_endpoint(client, url="https://lms.example.org/off", is_active=False)
    make_endpoint(make_client(name="Revoked", cohorts=[cohort], is_active=False))
    make_endpoint(make_client(name="Elsewhere", cohorts=[CohortFactory()]))

    event = events.record_event(type="enrollment.created", data={"enrollment_id": 1}, cohort=cohort)

    assert [delivery.endpoint for delivery in event.deliveries.all()] == [wanted]
    delivery = event.deliveries.get()
    assert delivery.status == Delivery.Status.PENDING and delivery.attempts == 0


def test_an_event_nobody_subscribed_to_is_not_written(cohort, lms):
    make_endpoint(lms, events=["grade.released"])
    assert events.record_event(type="lesson.completed", data={}, cohort=cohort) is None
    assert not Event.objects.exists()


def test_enrolling_records_enrollment_created_with_the_learner(subscribed, learner, cohort):
    enrollment, _ = enroll_learner(learner=learner, course=cohort.course, cohort=cohort)
    event = Event.objects.get()
    assert event.type == "enrollment.created"
    assert event.cohort == cohort
    assert event.data | {"created_at": None} == {
        "enrollment_id": enrollment.pk,
        "status": "active",
        "source": "self",
        "learner_id": learner.pk,
        "learner_email": "ada@example.org",
        "cohort_id": cohort.pk,
        "course": cohort.course.slug,
        "created_at": None,
        "completed_at": None,
    }
    assert event.deliveries.get().endpoint == subscribed


def test_enrolling_again_records_nothing_new(enrollment, learner, cohort):
    enroll_learner(learner=learner, course=cohort.course, cohort=cohort)
    assert not Event.objects.exists()


def test_an_enrollment_rolled_back_leaves_no_event_and_queues_nothing(
    subscribed, learner, cohort, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            enroll_learner(learner=learner, course=cohort.course, cohort=cohort)
            assert Event.objects.filter(type="enrollment.created").exists()
            raise RuntimeError("the request failed after enrolling")
    assert not Enrollment.objects.exists()
    assert not Event.objects.exists() and not Delivery.objects.exists()
    assert callbacks == []


def test_an_enrollment_queues_its_delivery_only_on_commit(
    subscribed, learner, cohort, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        enroll_learner(learner=learner, course=cohort.course, cohort=cohort)
    assert len(callbacks) == 1


def test_dropping_records_enrollment_updated(enrollment):
    drop_enrollments(enrollments=Enrollment.objects.filter(pk=enrollment.pk))
    event = Event.objects.get()
    assert event.type == "enrollment.updated"
    assert event.data["change"] == "dropped" and event.data["status"] == "dropped"


def test_moving_tells_clients_of_the_old_and_the_new_cohort(enrollment, cohort, subscribed):
    new_cohort = CohortFactory(course=cohort.course, is_default=False)
    newcomer = make_endpoint(make_client(name="New cohort's LMS", cohorts=[new_cohort]))

    move_enrollments(enrollments=Enrollment.objects.filter(pk=enrollment.pk), cohort=new_cohort)

    event = Event.objects.get()
    assert event.type == "enrollment.updated" and event.cohort == new_cohort
    assert event.data["change"] == "moved"
    assert event.data["cohort_id"] == new_cohort.pk
    assert event.data["previous_cohort_id"] == cohort.pk
    assert {delivery.endpoint for delivery in event.deliveries.all()} == {subscribed, newcomer}


@pytest.fixture
def two_lessons(cohort):
    module = ModuleFactory(course=cohort.course)
    return [LessonFactory(module=module), LessonFactory(module=module)]


def test_completing_a_lesson_records_lesson_completed_once(enrollment, learner, two_lessons):
    lesson = two_lessons[0]
    complete_lesson(learner=learner, lesson=lesson, enrollment=enrollment)
    complete_lesson(learner=learner, lesson=lesson, enrollment=enrollment)
    event = Event.objects.get()
    assert event.type == "lesson.completed"
    assert event.data["lesson_id"] == lesson.pk and event.data["lesson"] == lesson.slug
    assert event.data["enrollment_id"] == enrollment.pk


def test_completing_the_last_lesson_records_course_completed(enrollment, learner, two_lessons):
    for lesson in two_lessons:
        complete_lesson(learner=learner, lesson=lesson, enrollment=enrollment)
    assert event_types() == [
        "lesson.completed",
        "lesson.completed",
        "course.completed",
        "enrollment.updated",
    ]
    updated = Event.objects.get(type="enrollment.updated")
    assert updated.data["change"] == "completed" and updated.data["status"] == "completed"
    assert Event.objects.get(type="course.completed").data["completed_at"]


@pytest.fixture
def assignment(cohort):
    assignment = AssignmentFactory(course=cohort.course)
    RubricLevelFactory(criterion=RubricCriterionFactory(assignment=assignment), points=8)
    return assignment


def test_submitting_records_submission_submitted(enrollment, assignment):
    submission = submit_work(
        assignment=assignment, enrollment=enrollment, body="Soft power works.", attempt=1
    )
    event = Event.objects.get()
    assert event.type == "submission.submitted"
    assert event.data["submission_id"] == submission.pk
    assert event.data["attempt"] == 1
    assert event.data["submitted_at"] == submission.submitted_at.isoformat()
    assert event.data["assignment"] == assignment.slug


def grade(assignment, enrollment, *, release):
    submission = submit_work(assignment=assignment, enrollment=enrollment, body="Text.", attempt=1)
    criterion = assignment.criteria.get()
    Event.objects.all().delete()
    return grade_submission(
        submission=submission,
        grader=UserFactory(is_staff=True),
        levels={criterion.pk: criterion.levels.get().pk},
        release=release,
    )


def test_grading_with_release_records_grade_released(enrollment, assignment):
    released = grade(assignment, enrollment, release=True)
    event = Event.objects.get()
    assert event.type == "grade.released"
    assert event.data["grade_id"] == released.pk
    assert event.data["score"] == "8.00" and event.data["points_possible"] == "100.00"
    assert event.data["released_at"] == released.released_at.isoformat()
    assert event.data["learner_email"] == "ada@example.org"


def test_grading_without_release_records_nothing(enrollment, assignment):
    grade(assignment, enrollment, release=False)
    assert not Event.objects.exists()


def test_releasing_grades_records_grade_released_once(enrollment, assignment):
    grade(assignment, enrollment, release=False)
    release_grades(grades=Grade.objects.all(), released_by=enrollment.learner)
    release_grades(grades=Grade.objects.all(), released_by=enrollment.learner)
    assert event_types() == ["grade.released"]


def test_a_roster_records_one_enrollment_created_per_learner(subscribed, cohort):
    rows = read_roster(b"email,name\nann@example.org,Ann\nbob@example.org,Bob\n")
    enroll_roster(cohort=cohort, rows=rows)
    created = Event.objects.filter(type="enrollment.created")
    assert sorted(event.data["learner_email"] for event in created) == [
        "ann@example.org",
        "bob@example.org",
    ]
    assert Delivery.objects.filter(endpoint=subscribed).count() == 2


def test_the_event_types_are_the_ones_endpoints_can_choose():
    assert set(WebhookEndpoint.EventType.values) == {
        events.ENROLLMENT_CREATED,
        events.ENROLLMENT_UPDATED,
        events.LESSON_COMPLETED,
        events.COURSE_COMPLETED,
        events.SUBMISSION_SUBMITTED,
        events.GRADE_RELEASED,
    }
