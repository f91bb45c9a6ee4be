"""Assignment and Grade Services: released grades and check scores reach the platform."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import LtiIdentity
from courseware.lti import scores
from courseware.models import Enrollment, ScorePost
from courseware.services.checks import submit_check
from courseware.services.grading import grade_submission, release_grades
from tests.factories import SubmissionFactory

from .conftest import assignment_url, lesson_url
from .platform import MT_SCORE, SCOPE_SCORE

pytestmark = pytest.mark.django_db


@pytest.fixture
def launched(lms, course):
    """The learner launched into the first case study from the LMS."""
    assignment = course.assignments.first()
    assert lms.launch(assignment_url(course, assignment.slug)).status_code == 302
    learner = LtiIdentity.objects.get(subject="learner-1").user
    enrollment = Enrollment.objects.get(learner=learner)
    return assignment, enrollment


def handed_in(assignment, enrollment, *, submitted_at=None):
    return SubmissionFactory(
        assignment=assignment,
        learner=enrollment.learner,
        cohort=enrollment.cohort,
        submitted_at=submitted_at or timezone.now(),
    )


def grade(submission, grader, *, release, level=-1):
    levels = {
        criterion.pk: list(criterion.levels.order_by("points"))[level].pk
        for criterion in submission.assignment.criteria.all()
    }
    return grade_submission(
        submission=submission,
        grader=grader,
        levels=levels,
        feedback="Well argued.",
        release=release,
    )


def test_released_grade_arrives_at_the_platform_with_the_real_submission_time(
    launched, instructor, lms, django_capture_on_commit_callbacks
):
    assignment, enrollment = launched
    submitted_at = timezone.now() - timedelta(days=3)
    submission = handed_in(assignment, enrollment, submitted_at=submitted_at)

    with django_capture_on_commit_callbacks(execute=True):
        saved = grade(submission, instructor, release=True)

    [score] = lms.platform.scores
    body = score["body"]
    assert score["content_type"] == MT_SCORE
    assert SCOPE_SCORE in score["token_scopes"]
    assert body["userId"] == "learner-1"
    assert body["scoreGiven"] == float(saved.score)
    assert body["scoreMaximum"] == float(saved.points_possible)
    assert body["activityProgress"] == "Completed"
    assert body["gradingProgress"] == "FullyGraded"
    assert body["comment"] == "Well argued."
    assert body["submission"]["submittedAt"] == submitted_at.isoformat()
    assert body["https://canvas.instructure.com/lti/submission"]["submitted_at"] == (
        submitted_at.isoformat()
    )
    [line_item] = lms.platform.line_items.values()
    assert line_item["resourceId"] == f"assignment:{assignment.slug}"
    assert line_item["resourceLinkId"] == "rl-1"
    assert line_item["scoreMaximum"] == float(assignment.points_possible)
    assert ScorePost.objects.get().status == ScorePost.Status.SENT


def test_unreleased_grades_are_never_sent(
    launched, instructor, lms, django_capture_on_commit_callbacks
):
    assignment, enrollment = launched

    with django_capture_on_commit_callbacks(execute=True):
        grade(handed_in(assignment, enrollment), instructor, release=False)

    assert lms.platform.scores == []
    assert not ScorePost.objects.exists()


def test_releasing_later_sends_the_grade_then(
    launched, instructor, lms, django_capture_on_commit_callbacks
):
    assignment, enrollment = launched
    saved = grade(handed_in(assignment, enrollment), instructor, release=False)

    with django_capture_on_commit_callbacks(execute=True):
        release_grades(grades=type(saved).objects.filter(pk=saved.pk), released_by=instructor)

    assert len(lms.platform.scores) == 1


def test_a_regrade_sends_the_new_score_to_the_same_line_item(
    launched, instructor, lms, django_capture_on_commit_callbacks
):
    assignment, enrollment = launched
    submission = handed_in(assignment, enrollment)
    with django_capture_on_commit_callbacks(execute=True):
        first = grade(submission, instructor, release=True)
    with django_capture_on_commit_callbacks(execute=True):
        grade_submission(
            submission=submission,
            grader=instructor,
            expected_version=first.version,
            levels={
                c.pk: c.levels.order_by("points").first().pk for c in assignment.criteria.all()
            },
        )

    assert len(lms.platform.scores) == 2
    assert len(lms.platform.line_items) == 1
    assert (
        lms.platform.scores[1]["body"]["scoreGiven"] < lms.platform.scores[0]["body"]["scoreGiven"]
    )


def test_a_platform_failure_is_retried_and_visible_until_sent(
    launched, instructor, lms, django_capture_on_commit_callbacks
):
    assignment, enrollment = launched
    lms.platform.fail_next_score_posts = 1

    with django_capture_on_commit_callbacks(execute=True):
        grade(handed_in(assignment, enrollment), instructor, release=True)

    post = ScorePost.objects.get()
    assert post.status == ScorePost.Status.PENDING
    assert post.attempts == 1 and "503" in post.last_error
    assert post.next_attempt_at > timezone.now()
    ScorePost.objects.update(next_attempt_at=timezone.now())

    assert scores.send(post.pk) == "sent"
    assert len(lms.platform.scores) == 1
    assert ScorePost.objects.get().status == ScorePost.Status.SENT


def test_after_the_last_attempt_the_post_fails_and_admin_can_send_it_again(
    launched, instructor, lms, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    assignment, enrollment = launched
    lms.platform.fail_next_score_posts = 1
    with django_capture_on_commit_callbacks(execute=True):
        grade(handed_in(assignment, enrollment), instructor, release=True)
    assert ScorePost.objects.get().status == ScorePost.Status.FAILED

    with django_capture_on_commit_callbacks(execute=True):
        scores.retry(ScorePost.objects.all())

    assert ScorePost.objects.get().status == ScorePost.Status.SENT
    assert len(lms.platform.scores) == 1


def test_a_platform_that_is_down_loses_no_score(
    launched, instructor, lms, django_capture_on_commit_callbacks
):
    assignment, enrollment = launched
    lms.platform.stop()

    with django_capture_on_commit_callbacks(execute=True):
        grade(handed_in(assignment, enrollment), instructor, release=True)

    post = ScorePost.objects.get()
    assert post.status == ScorePost.Status.PENDING and "Could not" in post.last_error


def test_check_score_goes_to_a_graded_lesson_link(lms, course, django_capture_on_commit_callbacks):
    lesson = course.lessons.current().in_order().first()
    line_items = lms.platform.url("/contexts/course-101/lineitems")
    lms.platform.line_items[line_items + "/99"] = {
        "id": line_items + "/99",
        "scoreMaximum": 100,
        "label": "Check",
        "resourceLinkId": "rl-1",
    }
    lms.launch(lesson_url(course, lesson.slug))
    learner = LtiIdentity.objects.get(subject="learner-1").user
    right = {
        question.pk: {choice.pk for choice in question.choices.all() if choice.is_correct}
        for question in lesson.questions.all()
    }

    with django_capture_on_commit_callbacks(execute=True):
        submit_check(learner=learner, lesson=lesson, answers=right)

    [score] = lms.platform.scores
    assert score["line_item"] == line_items + "/99"
    assert score["body"]["scoreGiven"] == 100.0 and score["body"]["scoreMaximum"] == 100.0


def test_check_scores_for_ungraded_lesson_links_are_not_sent(
    lms, course, django_capture_on_commit_callbacks
):
    lesson = course.lessons.current().in_order().first()
    lms.launch(lesson_url(course, lesson.slug))
    learner = LtiIdentity.objects.get(subject="learner-1").user
    answers = {q.pk: {q.choices.first().pk} for q in lesson.questions.all()}

    with django_capture_on_commit_callbacks(execute=True):
        submit_check(learner=learner, lesson=lesson, answers=answers)

    assert lms.platform.scores == []


def test_score_url_keeps_the_line_items_query():
    assert scores._scores_url("https://moodle.example/lineitems/5/lineitem?type_id=1") == (
        "https://moodle.example/lineitems/5/lineitem/scores?type_id=1"
    )


def test_a_score_whose_worker_died_is_sent_once_the_lease_runs_out(
    launched, instructor, lms, django_capture_on_commit_callbacks
):
    from courseware.lti import tasks

    assignment, enrollment = launched
    grade(handed_in(assignment, enrollment), instructor, release=True)  # queued, never sent
    # A worker claimed it and was killed: attempts counted, lease taken, nothing sent.
    stale = timezone.now() - timedelta(minutes=10)
    ScorePost.objects.update(attempts=1, locked_until=stale, updated_at=stale)

    tasks.queue_due_work()

    assert len(lms.platform.scores) == 1
    assert ScorePost.objects.get().status == ScorePost.Status.SENT
