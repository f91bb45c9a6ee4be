"""Background work run by the task worker: webhook deliveries and emails.

Deliveries are at least once. A worker leases a delivery before sending it; one that dies
mid-send leaves the lease to run out, and `dispatch_due_deliveries` (run in a loop by
`manage.py dispatch_webhooks --loop`) queues the delivery again, as it does any whose
queued task was lost.
"""

import logging
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from courseware.services import notifications

from . import webhooks
from .models import Delivery

logger = logging.getLogger(__name__)

# More deliveries than this from one change are queued by a task, not by the request.
FAN_OUT_AFTER = 20
DISPATCH_BATCH = 1000
EARLY_TOLERANCE = timedelta(seconds=5)


def _setting(name: str, default: int) -> int:
    return getattr(settings, name, default)


def max_attempts() -> int:
    return _setting("WEBHOOK_MAX_ATTEMPTS", 8)


def backoff(attempts: int) -> timedelta:
    """Return the wait after `attempts` failed attempts: 30 s, 1 min, 2 min, … up to an hour."""
    base = _setting("WEBHOOK_BACKOFF_SECONDS", 30)
    cap = _setting("WEBHOOK_BACKOFF_MAX_SECONDS", 60 * 60)
    return timedelta(seconds=min(cap, base * 2 ** max(attempts - 1, 0)))


def enqueue_deliveries(delivery_ids: list[int]) -> None:
    """Queue a delivery task for each delivery; a long list is queued by a task instead."""
    if len(delivery_ids) > FAN_OUT_AFTER:
        queue_deliveries.enqueue(delivery_ids)
        return
    for delivery_id in delivery_ids:
        deliver_webhook.enqueue(delivery_id)


@task()
def queue_deliveries(delivery_ids: list[int]) -> int:
    """Queue a delivery task for each delivery."""
    for delivery_id in delivery_ids:
        deliver_webhook.enqueue(delivery_id)
    return len(delivery_ids)


@task()
def deliver_webhook(delivery_id: int) -> str:
    """Send the delivery once if it is due and not leased; record the outcome, retry later.

    Return what happened, for the task result: "delivered", "retrying", "failed", or why
    nothing was sent.
    """
    delivery, reason = _claim(delivery_id)
    if delivery is None:
        return reason
    outcome = webhooks.send(delivery)
    return _record_outcome(delivery, outcome)


def _claim(delivery_id: int) -> tuple[Delivery | None, str]:
    """Lease the delivery for one attempt, counting the attempt; or say why not."""
    now = timezone.now()
    lease = timedelta(seconds=_setting("WEBHOOK_LEASE_SECONDS", 120))
    with transaction.atomic():
        rows = Delivery.objects.filter(pk=delivery_id).select_related("event", "endpoint__client")
        if connection.features.has_select_for_update_skip_locked:
            # A delivery another worker is claiming right now is that worker's.
            rows = rows.select_for_update(skip_locked=True, of=("self",))
        delivery = rows.first()
        if delivery is None:
            return None, "locked or gone"
        if delivery.status != Delivery.Status.PENDING:
            return None, f"already {delivery.status}"
        # A little early is fine: RQ's scheduler counts whole seconds, rounding down.
        if delivery.next_attempt_at > now + EARLY_TOLERANCE:
            return None, "not due yet"
        if delivery.locked_until and delivery.locked_until > now:
            return None, "leased by another worker"
        endpoint = delivery.endpoint
        if not (endpoint.is_active and endpoint.client.is_active):
            _finish(delivery, Delivery.Status.FAILED, error="The endpoint or its client is off.")
            return None, "failed"
        if delivery.attempts >= max_attempts():
            # The last attempt's worker stopped before recording it.
            _finish(delivery, Delivery.Status.FAILED, error="The last attempt never finished.")
            return None, "failed"
        delivery.attempts += 1
        delivery.locked_until = now + lease
        delivery.save(update_fields=["attempts", "locked_until", "updated_at"])
    return delivery, ""


def _finish(delivery: Delivery, status: str, *, error: str) -> None:
    delivery.status = status
    delivery.last_error = error
    delivery.locked_until = None
    delivery.save(update_fields=["status", "last_error", "locked_until", "updated_at"])


def _record_outcome(delivery: Delivery, outcome: webhooks.Outcome) -> str:
    now = timezone.now()
    result = {
        "last_status_code": outcome.status_code,
        "last_error": outcome.error,
        "locked_until": None,
        "updated_at": now,
    }
    pending = Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.PENDING)
    if outcome.ok:
        pending.update(status=Delivery.Status.DELIVERED, delivered_at=now, **result)
        return "delivered"
    # Only this attempt's record: if the lease ran out and another worker has made a later
    # attempt, that attempt's outcome stands.
    mine = pending.filter(attempts=delivery.attempts)
    if delivery.attempts >= max_attempts():
        mine.update(status=Delivery.Status.FAILED, **result)
        return "failed"
    retry_at = now + backoff(delivery.attempts)
    if mine.update(next_attempt_at=retry_at, **result):
        transaction.on_commit(partial(_schedule_retry, delivery.pk, retry_at))
    return "retrying"


def _schedule_retry(delivery_id: int, retry_at) -> None:
    if not deliver_webhook.get_backend().supports_defer:
        return  # The immediate backend cannot wait: dispatch_webhooks retries instead.
    try:
        deliver_webhook.using(run_after=retry_at).enqueue(delivery_id)
    except Exception:
        # The delivery stays pending: dispatch_webhooks queues it when it is due.
        logger.exception("Could not queue the retry of delivery %s", delivery_id)


def due_for_dispatch(now=None):
    """Return pending deliveries that are due, unleased, and untouched for the grace period.

    The grace period leaves time for the task queued with each delivery (or its retry) to
    run first, so only lost tasks and stopped workers are picked up.
    """
    now = now or timezone.now()
    settled = now - timedelta(seconds=_setting("WEBHOOK_DISPATCH_GRACE_SECONDS", 300))
    return Delivery.objects.filter(
        Q(locked_until__isnull=True) | Q(locked_until__lte=now),
        status=Delivery.Status.PENDING,
        next_attempt_at__lte=settled,
        updated_at__lte=settled,
    )


@task()
def dispatch_due_deliveries() -> int:
    """Queue a delivery task for each delivery that is due and has none; return how many."""
    now = timezone.now()
    with transaction.atomic():
        rows = due_for_dispatch(now).order_by("next_attempt_at")
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        ids = list(rows.values_list("pk", flat=True)[:DISPATCH_BATCH])
        # Touched, so the next pass leaves them to the tasks queued now.
        Delivery.objects.filter(pk__in=ids).update(updated_at=now)
    for delivery_id in ids:
        deliver_webhook.enqueue(delivery_id)
    return len(ids)


def retry_deliveries(deliveries) -> int:
    """Send the deliveries again, failed or delivered, with a fresh set of attempts.

    Receivers drop repeats by the Webhook-Id header, so sending a delivered event again
    is safe.
    """
    now = timezone.now()
    with transaction.atomic():
        ids = list(deliveries.values_list("pk", flat=True))
        Delivery.objects.filter(pk__in=ids).update(
            status=Delivery.Status.PENDING,
            attempts=0,
            delivered_at=None,
            next_attempt_at=now,
            locked_until=None,
            updated_at=now,
        )
        transaction.on_commit(partial(enqueue_deliveries, ids), robust=True)
    return len(ids)


@task()
def send_submission_received(submission_id: int) -> None:
    """Email the cohort's instructors about a new submission."""
    notifications.submission_received(submission_id=submission_id)


@task()
def send_grades_released(grade_ids: list[int]) -> None:
    """Email each learner that their grade is released."""
    notifications.grades_released(grade_ids=grade_ids)
