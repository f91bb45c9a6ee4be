"""The event outbox: events written in the transaction of the change that causes them.

Services call the `record_*` functions inside their transaction. Each event gets a pending
delivery for every active endpoint, of an active client granted the event's cohort, that
asked for the event type; the deliveries are queued for the worker once the transaction
commits, and `dispatch_webhooks` queues any whose task went missing. An event nobody
subscribed to is not written.
"""

from collections import defaultdict
from collections.abc import Iterable
from functools import partial

from django.db import transaction
from django.utils import timezone

from courseware.models import Enrollment, Grade, Submission

from .models import Delivery, Event, WebhookEndpoint

ENROLLMENT_CREATED = WebhookEndpoint.EventType.ENROLLMENT_CREATED
ENROLLMENT_UPDATED = WebhookEndpoint.EventType.ENROLLMENT_UPDATED
LESSON_COMPLETED = WebhookEndpoint.EventType.LESSON_COMPLETED
COURSE_COMPLETED = WebhookEndpoint.EventType.COURSE_COMPLETED
SUBMISSION_SUBMITTED = WebhookEndpoint.EventType.SUBMISSION_SUBMITTED
GRADE_RELEASED = WebhookEndpoint.EventType.GRADE_RELEASED


def subscribers(*, type: str, cohort_ids: Iterable[int]) -> list[WebhookEndpoint]:
    """Return the active endpoints of active clients granted these cohorts that want the type."""
    endpoints = WebhookEndpoint.objects.filter(
        is_active=True, client__is_active=True, client__cohorts__in=list(cohort_ids)
    ).distinct()
    # Filtered here: JSON containment lookups do not work on SQLite, and the list is short.
    return [endpoint for endpoint in endpoints if type in endpoint.events]


def record_event(*, type: str, data: dict, cohort, also_for_cohorts=()) -> Event | None:
    """Write the event and its pending deliveries in the caller's transaction.

    `also_for_cohorts` reaches endpoints of clients granted those cohorts too (a learner
    moved out of one of them). Return None when no endpoint wants the event.
    """
    cohort_id = getattr(cohort, "pk", cohort)
    return _record(type, [(cohort_id, data)], also_for_cohorts=also_for_cohorts)[0]


def _record(type, items, also_for_cohorts=()) -> list[Event | None]:
    """Record (cohort id, data) items of one type; return each item's event or None."""
    by_cohort: dict[int, list[WebhookEndpoint]] = {}
    now = timezone.now()
    events, deliveries, written = [], [], []
    for cohort_id, data in items:
        if cohort_id not in by_cohort:
            cohorts = {cohort_id, *(getattr(c, "pk", c) for c in also_for_cohorts)} - {None}
            by_cohort[cohort_id] = subscribers(type=type, cohort_ids=cohorts) if cohorts else []
        endpoints = by_cohort[cohort_id]
        if not endpoints:
            written.append(None)
            continue
        event = Event(type=type, occurred_at=now, cohort_id=cohort_id, data=data)
        events.append(event)
        written.append(event)
        deliveries += [Delivery(event=event, endpoint=e, next_attempt_at=now) for e in endpoints]
    if events:
        Event.objects.bulk_create(events)
        Delivery.objects.bulk_create(deliveries)
        from .tasks import enqueue_deliveries

        # robust: a queue that is down must not fail the change; dispatch_webhooks
        # queues the deliveries later.
        transaction.on_commit(
            partial(enqueue_deliveries, [delivery.pk for delivery in deliveries]), robust=True
        )
    return written


# Payloads: small dicts of ids and the few values a receiver needs to act without a lookup.


def _learner(user) -> dict:
    return {"learner_id": user.pk, "learner_email": user.email}


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def enrollment_data(enrollment) -> dict:
    return {
        "enrollment_id": enrollment.pk,
        "status": enrollment.status,
        "source": enrollment.source,
        **_learner(enrollment.learner),
        "cohort_id": enrollment.cohort_id,
        "course": enrollment.cohort.course.slug,
        "created_at": _iso(enrollment.created_at),
        "completed_at": _iso(enrollment.completed_at),
    }


def record_enrollments(
    *, type: str, enrollment_ids: list[int], change: str = "", previous_cohorts=None
) -> None:
    """Record one event per enrollment: enrollment.created, or enrollment.updated with `change`.

    `previous_cohorts` maps enrollment id to the cohort it was moved out of.
    """
    if not enrollment_ids:
        return
    previous_cohorts = previous_cohorts or {}
    cohort_ids = set(
        Enrollment.objects.filter(pk__in=enrollment_ids)
        .values_list("cohort_id", flat=True)
        .distinct()
    )
    # Building 10,000 payloads nobody subscribed to costs seconds: ask first.
    if not subscribers(type=type, cohort_ids=cohort_ids | set(previous_cohorts.values())):
        return
    enrollments = Enrollment.objects.filter(pk__in=enrollment_ids).select_related(
        "learner", "cohort__course"
    )
    groups = defaultdict(list)
    for enrollment in enrollments.order_by("pk"):
        data = enrollment_data(enrollment)
        if change:
            data["change"] = change
        previous = previous_cohorts.get(enrollment.pk)
        if previous:
            data["previous_cohort_id"] = previous
        groups[previous].append((enrollment.cohort_id, data))
    for previous, items in groups.items():
        _record(type, items, also_for_cohorts=[previous] if previous else ())


def record_lesson_completed(*, enrollment, lesson, completed_at) -> None:
    """Record lesson.completed for the learner in the enrollment's cohort."""
    enrollment = _fresh_enrollment(enrollment)
    record_event(
        type=LESSON_COMPLETED,
        cohort=enrollment.cohort_id,
        data={
            **_learner(enrollment.learner),
            "enrollment_id": enrollment.pk,
            "cohort_id": enrollment.cohort_id,
            "course": enrollment.cohort.course.slug,
            "lesson_id": lesson.pk,
            "lesson": lesson.slug,
            "completed_at": _iso(completed_at),
        },
    )


def record_course_completed(*, enrollment) -> None:
    """Record course.completed, and enrollment.updated for the enrollment's new status."""
    enrollment = _fresh_enrollment(enrollment)
    data = enrollment_data(enrollment)
    record_event(type=COURSE_COMPLETED, cohort=enrollment.cohort_id, data=data)
    record_event(
        type=ENROLLMENT_UPDATED, cohort=enrollment.cohort_id, data={**data, "change": "completed"}
    )


def _fresh_enrollment(enrollment):
    return Enrollment.objects.select_related("learner", "cohort__course").get(pk=enrollment.pk)


def submission_data(submission) -> dict:
    return {
        "submission_id": submission.pk,
        "attempt": submission.attempt,
        "status": submission.status,
        "submitted_at": _iso(submission.submitted_at),
        "days_late": submission.days_late,
        "assignment_id": submission.assignment_id,
        "assignment": submission.assignment.slug,
        **_learner(submission.learner),
        "cohort_id": submission.cohort_id,
        "course": submission.cohort.course.slug,
    }


def record_submission(*, submission) -> None:
    """Record submission.submitted for a handed-in attempt."""
    submission = Submission.objects.select_related("assignment", "learner", "cohort__course").get(
        pk=submission.pk
    )
    record_event(
        type=SUBMISSION_SUBMITTED, cohort=submission.cohort_id, data=submission_data(submission)
    )


def record_grades_released(*, grade_ids: list[int]) -> None:
    """Record grade.released for each grade, in its submission's cohort."""
    if not grade_ids:
        return
    grades = Grade.objects.filter(pk__in=grade_ids).select_related(
        "submission__assignment", "submission__learner", "submission__cohort__course"
    )
    items = [
        (
            grade.submission.cohort_id,
            {
                "grade_id": grade.pk,
                "score": str(grade.score),
                "points_possible": str(grade.points_possible),
                "released_at": _iso(grade.released_at),
                **submission_data(grade.submission),
            },
        )
        for grade in grades.order_by("pk")
    ]
    _record(GRADE_RELEASED, items)
