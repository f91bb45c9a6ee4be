"""Recording a learner's progress through the lessons."""

from django.db import transaction
from django.utils import timezone

from integrations import events

from ..models import Enrollment, Lesson, LessonProgress


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
    newly_completed = LessonProgress.objects.filter(
        learner=learner, lesson=lesson, completed_at__isnull=True
    ).update(completed_at=now, updated_at=now)
    if newly_completed:
        events.record_lesson_completed(enrollment=enrollment, lesson=lesson, completed_at=now)
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
    if updated:
        events.record_course_completed(enrollment=enrollment)
    return bool(updated)
