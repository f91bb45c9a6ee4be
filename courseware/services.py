"""Learner-facing writes: enrolling and recording progress."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Cohort, Course, Enrollment, Lesson, LessonProgress


@transaction.atomic
def enroll_learner(
    *,
    learner,
    course: Course,
    cohort: Cohort | None = None,
    source: str = Enrollment.Source.SELF,
) -> tuple[Enrollment, bool]:
    """Enroll the learner in a cohort of the course, or return the current enrollment.

    Idempotent: a second call, or a concurrent one, returns the enrollment the first made.
    """
    existing = Enrollment.objects.current().filter(learner=learner, course=course).first()
    if existing:
        return existing, False
    if cohort is None:
        cohort = course.cohorts.filter(is_default=True).first()
        if cohort is None:
            raise ValidationError("This course has no open cohort to join yet.")
    if cohort.course_id != course.pk:
        raise ValidationError("That cohort belongs to another course.")
    if source == Enrollment.Source.SELF and cohort.join_policy != Cohort.JoinPolicy.OPEN:
        raise PermissionDenied("This cohort is not open for self-enrollment.")
    if cohort.capacity is not None:
        # Lock the cohort so two last-seat enrollments cannot both pass the check.
        Cohort.objects.select_for_update().filter(pk=cohort.pk).first()
        if cohort.enrollments.current().count() >= cohort.capacity:
            raise ValidationError("This cohort is full.")
    try:
        with transaction.atomic():
            enrollment = Enrollment.objects.create(
                learner=learner, cohort=cohort, course=course, source=source
            )
    except IntegrityError:
        # A concurrent request enrolled the learner first: theirs is the enrollment.
        return Enrollment.objects.current().get(learner=learner, course=course), False
    return enrollment, True


def record_lesson_visit(*, learner, lesson: Lesson) -> None:
    """Mark the lesson started for the learner; opening it again changes nothing."""
    LessonProgress.objects.bulk_create(
        [LessonProgress(learner=learner, lesson=lesson, started_at=timezone.now())],
        ignore_conflicts=True,
    )


@transaction.atomic
def complete_lesson(*, learner, lesson: Lesson, enrollment: Enrollment) -> bool:
    """Mark the lesson completed; return whether that completed the whole course.

    Safe to repeat and to race: the unique (learner, lesson) row absorbs double clicks.
    """
    now = timezone.now()
    record_lesson_visit(learner=learner, lesson=lesson)
    LessonProgress.objects.filter(learner=learner, lesson=lesson, completed_at__isnull=True).update(
        completed_at=now, updated_at=now
    )
    remaining = (
        Lesson.objects.current()
        .filter(course=lesson.course_id)
        .exclude(
            pk__in=LessonProgress.objects.filter(
                learner=learner, completed_at__isnull=False
            ).values("lesson_id")
        )
        .exists()
    )
    if remaining or enrollment.status != Enrollment.Status.ACTIVE:
        return False
    updated = Enrollment.objects.filter(pk=enrollment.pk, status=Enrollment.Status.ACTIVE).update(
        status=Enrollment.Status.COMPLETED, completed_at=now, updated_at=now
    )
    return bool(updated)
