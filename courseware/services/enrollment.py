"""Enrolling learners in cohorts, alone or in bulk, and moving or dropping them."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from simple_history.utils import bulk_create_with_history

from integrations import events

from ..models import Cohort, Course, Enrollment, Submission


@transaction.atomic
def enroll_learner(
    *,
    learner,
    course: Course,
    cohort: Cohort | None = None,
    source: str = Enrollment.Source.SELF,
    join_code: str = "",
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
    if source == Enrollment.Source.SELF:
        _check_self_enrollment(cohort, join_code)
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
    events.record_enrollments(type=events.ENROLLMENT_CREATED, enrollment_ids=[enrollment.pk])
    return enrollment, True


def enroll_learners(
    *, cohort: Cohort, learner_ids: list[int], source: str = Enrollment.Source.API, attempts=3
) -> dict[int, tuple[Enrollment, bool]]:
    """Enroll many learners in the cohort at once; return {learner id: (enrollment, created)}.

    As enroll_learner for each in turn, in a handful of queries: a learner already enrolled
    in the course keeps that enrollment, wherever it is (created False). When the cohort
    fills up, the learners after the last place are left out of the result.
    """
    for attempt in range(attempts):
        try:
            with transaction.atomic():
                return _enroll_learners(cohort, list(dict.fromkeys(learner_ids)), source)
        except IntegrityError:
            # A learner enrolled concurrently: look again with fresh data.
            if attempt == attempts - 1:
                raise
    return {}


def _enroll_learners(cohort, learner_ids, source):
    # Lock the cohort so concurrent bulk calls and last-seat enrollments count the same places.
    Cohort.objects.select_for_update().filter(pk=cohort.pk).first()
    enrolled = {
        enrollment.learner_id: (enrollment, False)
        for enrollment in Enrollment.objects.current().filter(
            course=cohort.course_id, learner__in=learner_ids
        )
    }
    new_ids = [pk for pk in learner_ids if pk not in enrolled]
    if cohort.capacity is not None:
        new_ids = new_ids[: max(cohort.capacity - cohort.enrollments.current().count(), 0)]
    created = bulk_create_with_history(
        [
            Enrollment(learner_id=pk, cohort=cohort, course_id=cohort.course_id, source=source)
            for pk in new_ids
        ],
        Enrollment,
        batch_size=1000,
    )
    events.record_enrollments(
        type=events.ENROLLMENT_CREATED, enrollment_ids=[enrollment.pk for enrollment in created]
    )
    enrolled.update((enrollment.learner_id, (enrollment, True)) for enrollment in created)
    return enrolled


def _check_self_enrollment(cohort: Cohort, join_code: str) -> None:
    if cohort.join_policy == Cohort.JoinPolicy.INSTRUCTORS:
        raise PermissionDenied("Instructors enroll learners in this cohort.")
    if cohort.join_policy == Cohort.JoinPolicy.CODE and not constant_time_compare(
        join_code.strip().casefold(), cohort.join_code.strip().casefold()
    ):
        raise ValidationError({"join_code": "That join code is not right for this cohort."})


@transaction.atomic
def drop_enrollments(*, enrollments) -> int:
    """Drop the enrollments; the learners' work and progress stay."""
    dropped = []
    for enrollment in enrollments.select_for_update().exclude(status=Enrollment.Status.DROPPED):
        enrollment.status = Enrollment.Status.DROPPED
        enrollment.save(update_fields=["status", "updated_at"])
        dropped.append(enrollment.pk)
    events.record_enrollments(
        type=events.ENROLLMENT_UPDATED, enrollment_ids=dropped, change="dropped"
    )
    return len(dropped)


@transaction.atomic
def move_enrollments(*, enrollments, cohort: Cohort) -> int:
    """Move current enrollments to another cohort of the same course."""
    moving = list(enrollments.select_for_update().current().exclude(cohort=cohort))
    if any(enrollment.course_id != cohort.course_id for enrollment in moving):
        raise ValidationError("Learners can only move between cohorts of the same course.")
    if cohort.capacity is not None:
        Cohort.objects.select_for_update().filter(pk=cohort.pk).first()
        if cohort.enrollments.current().count() + len(moving) > cohort.capacity:
            raise ValidationError(f"{cohort.name} has room for {cohort.capacity} learners.")
    moved_from = {enrollment.pk: enrollment.cohort_id for enrollment in moving}
    for enrollment in moving:
        enrollment.cohort = cohort
        enrollment.save(update_fields=["cohort", "course", "updated_at"])
    # The learners' work follows them, so their new cohort's instructors grade it.
    Submission.objects.filter(
        learner__in=[enrollment.learner_id for enrollment in moving],
        assignment__course=cohort.course_id,
    ).update(cohort=cohort, updated_at=timezone.now())
    events.record_enrollments(
        type=events.ENROLLMENT_UPDATED,
        enrollment_ids=list(moved_from),
        change="moved",
        previous_cohorts=moved_from,
    )
    return len(moving)
