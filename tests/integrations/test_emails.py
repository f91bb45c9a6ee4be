"""Emails are sent by the task worker, after the change that causes them commits."""

import pytest
from django_tasks_db.models import DBTaskResult

from courseware.models import Enrollment
from courseware.services import enroll_learner, grade_submission, submit_work

from ..factories import (
    AssignmentFactory,
    RubricCriterionFactory,
    RubricLevelFactory,
    UserFactory,
)
from .conftest import free_port

pytestmark = pytest.mark.django_db

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def grader(cohort):
    grader = UserFactory(email="tess@example.org", is_staff=True)
    cohort.instructors.add(grader)
    return grader


@pytest.fixture
def submission(cohort, grader):
    learner = UserFactory(email="ada@example.org")
    enrollment, _ = enroll_learner(learner=learner, course=cohort.course, cohort=cohort)
    assignment = AssignmentFactory(course=cohort.course)
    RubricLevelFactory(criterion=RubricCriterionFactory(assignment=assignment), points=8)
    return submit_work(assignment=assignment, enrollment=enrollment, body="Text.", attempt=1)


def release(submission, grader):
    criterion = submission.assignment.criteria.get()
    return grade_submission(
        submission=submission,
        grader=grader,
        levels={criterion.pk: criterion.levels.get().pk},
        release=True,
    )


def test_a_released_grade_emails_the_learner_through_a_task(
    submission, grader, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        release(submission, grader)
    assert [message.to for message in mailoutbox] == [["ada@example.org"]]


def test_a_submission_emails_the_cohorts_instructors_through_a_task(
    cohort, grader, mailoutbox, django_capture_on_commit_callbacks
):
    enrollment = Enrollment.objects.create(
        learner=UserFactory(), cohort=cohort, course=cohort.course
    )
    assignment = AssignmentFactory(course=cohort.course)
    with django_capture_on_commit_callbacks(execute=True):
        submit_work(assignment=assignment, enrollment=enrollment, body="Text.", attempt=1)
    assert [message.to for message in mailoutbox] == [["tess@example.org"]]


def test_with_the_database_queue_the_email_waits_for_the_worker(
    submission, grader, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_TASKS
    with django_capture_on_commit_callbacks(execute=True):
        grade = release(submission, grader)
    assert mailoutbox == []
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "integrations.tasks.send_grades_released"
    assert queued.args_kwargs == {"args": [], "kwargs": {"grade_ids": [grade.pk]}}

    queued.task.call(*queued.args_kwargs["args"], **queued.args_kwargs["kwargs"])
    assert [message.to for message in mailoutbox] == [["ada@example.org"]]


def test_a_queue_that_is_down_does_not_undo_the_grade(
    submission, grader, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": f"redis://127.0.0.1:{free_port()}/0"}}
    with django_capture_on_commit_callbacks(execute=True):
        grade = release(submission, grader)
    grade.refresh_from_db()
    assert grade.is_released
    assert mailoutbox == []
