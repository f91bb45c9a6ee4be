"""Grading submissions with a rubric, and releasing grades to learners."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from integrations import events, tasks

from .. import grading
from ..lti import scores as lti_scores
from ..models import Grade, RubricCriterion, Submission


class GradeConflict(ValidationError):
    """Someone else saved the grade after this grader opened it."""


@transaction.atomic
def grade_submission(
    *,
    submission: Submission,
    grader,
    levels: dict[int, int],
    comments: dict[int, str] | None = None,
    feedback: str = "",
    expected_version: int = 0,
    release: bool = False,
) -> Grade:
    """Grade the submission: one rubric level per criterion, the late penalty applied.

    `expected_version` is the grade version the grader saw (0 when there was none);
    if the grade has moved on since, the save is refused rather than overwriting it.
    """
    submission = Submission.objects.select_for_update().get(pk=submission.pk)
    if submission.status == Submission.Status.DRAFT:
        raise ValidationError("A draft cannot be graded: the learner has not submitted it.")
    comments = comments or {}
    criteria = list(
        RubricCriterion.objects.filter(assignment=submission.assignment_id).prefetch_related(
            "levels"
        )
    )
    errors, rubric, raw = {}, [], Decimal(0)
    for criterion in criteria:
        chosen = next(
            (level for level in criterion.levels.all() if level.pk == levels.get(criterion.pk)),
            None,
        )
        if chosen is None:
            errors[f"criterion_{criterion.pk}"] = f"Choose a level for “{criterion.title}”."
            continue
        raw += chosen.points
        rubric.append(
            {
                "criterion_id": criterion.pk,
                "criterion": criterion.title,
                "level_id": chosen.pk,
                "level": chosen.title,
                "points": str(chosen.points),
                "max_points": str(max(level.points for level in criterion.levels.all())),
                "comment": comments.get(criterion.pk, "").strip(),
            }
        )
    if errors:
        raise ValidationError(errors)

    grade = Grade.objects.select_for_update().filter(submission=submission).first()
    current_version = grade.version if grade else 0
    if current_version != expected_version:
        who = grade.grader if grade and grade.grader else "another instructor"
        raise GradeConflict(
            f"{who} saved this grade while you were grading (version {current_version}). "
            "Your changes were not saved: reload the page to see theirs, then grade again."
        )
    if grade is None:
        grade = Grade(submission=submission)
    grade.grader = grader
    grade.rubric = rubric
    grade.feedback = feedback.strip()
    grade.raw_score = raw
    grade.penalty_percent = submission.penalty_percent
    grade.score = grading.apply_penalty(raw, submission.penalty_percent)
    grade.points_possible = submission.assignment.points_possible
    grade.version = current_version + 1
    newly_released = release and grade.released_at is None
    # A learner who can already see the grade hears about a regrade too.
    notify = newly_released or grade.released_at is not None
    if newly_released:
        grade.released_at = timezone.now()
    grade._history_user = grader
    grade.full_clean(exclude=["submission"])
    grade.save()
    if submission.status != Submission.Status.GRADED:
        submission.status = Submission.Status.GRADED
        submission.save(update_fields=["status", "updated_at"])
    if newly_released:
        events.record_grades_released(grade_ids=[grade.pk])
    if grade.released_at is not None:
        # A regrade of a released grade goes to the LMS too.
        lti_scores.record_released_grades(grade_ids=[grade.pk])
    if notify:
        # robust: a queue being down must not turn a saved grade into an error page.
        transaction.on_commit(
            lambda: tasks.send_grades_released.enqueue(grade_ids=[grade.pk]), robust=True
        )
    return grade


@transaction.atomic
def release_grades(*, grades, released_by) -> int:
    """Release the unreleased grades among these to their learners; return how many."""
    now = timezone.now()
    released = []
    for grade in grades.select_for_update(of=("self",)).filter(released_at__isnull=True):
        grade.released_at = now
        grade._history_user = released_by
        grade.save(update_fields=["released_at", "updated_at"])
        released.append(grade.pk)
    if released:
        events.record_grades_released(grade_ids=released)
        lti_scores.record_released_grades(grade_ids=released)
        transaction.on_commit(
            lambda: tasks.send_grades_released.enqueue(grade_ids=released), robust=True
        )
    return len(released)
