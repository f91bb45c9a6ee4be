"""Delivering webhooks to a real HTTP receiver: signatures, retries with backoff, dispatch."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from courseware.services import enroll_learner
from integrations.models import ClientLearner, Delivery, Event
from integrations.tasks import deliver_webhook, dispatch_due_deliveries

from ..factories import UserFactory
from .conftest import Receiver, free_port, make_endpoint

pytestmark = pytest.mark.django_db

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def enroll(cohort, email="ada@example.org"):
    learner = UserFactory(email=email)
    enrollment, _ = enroll_learner(learner=learner, course=cohort.course, cohort=cohort)
    return enrollment


def time_passes(**delta):
    """Move every pending delivery's due time and lease into the past."""
    past = timezone.now() - timedelta(**delta)
    Delivery.objects.update(next_attempt_at=past, updated_at=past)
    Delivery.objects.exclude(locked_until=None).update(locked_until=past)


def seconds_from_now(moment):
    return (moment - timezone.now()).total_seconds()


def test_an_enrollment_reaches_a_real_receiver_signed(
    endpoint, receiver, cohort, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        enrollment = enroll(cohort)
    event = Event.objects.get()
    assert receiver.rejected == 0
    assert receiver.received == [
        {
            "id": str(event.pk),
            "type": "enrollment.created",
            "occurred_at": event.occurred_at.isoformat(),
            "data": {**event.data, "learner_external_id": None},
        }
    ]
    assert receiver.received[0]["data"]["enrollment_id"] == enrollment.pk
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.DELIVERED
    assert delivery.last_status_code == 200 and delivery.attempts == 1
    assert delivery.delivered_at is not None and delivery.locked_until is None


def test_the_learner_comes_with_the_external_id_the_client_gave(
    endpoint, receiver, cohort, lms, django_capture_on_commit_callbacks
):
    learner = UserFactory(email="ada@example.org")
    ClientLearner.objects.create(client=lms, user=learner, external_id="SIS-42")
    with django_capture_on_commit_callbacks(execute=True):
        enroll_learner(learner=learner, course=cohort.course, cohort=cohort)
    assert receiver.received[0]["data"]["learner_external_id"] == "SIS-42"


def test_a_signature_made_with_another_secret_is_rejected_by_the_receiver(
    endpoint, receiver, cohort, django_capture_on_commit_callbacks
):
    receiver.secret = "not-the-endpoints-secret"
    with django_capture_on_commit_callbacks(execute=True):
        enroll(cohort)
    assert receiver.received == [] and receiver.rejected == 1


def test_a_receiver_answering_500_gets_retries_with_growing_backoff(endpoint, receiver, cohort):
    receiver.status = 500
    enroll(cohort)
    delivery = Delivery.objects.get()

    assert deliver_webhook.call(delivery.pk) == "retrying"
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING and delivery.attempts == 1
    assert delivery.last_status_code == 500 and delivery.last_error.startswith("HTTP 500")
    assert 25 < seconds_from_now(delivery.next_attempt_at) <= 30

    time_passes(seconds=1)
    deliver_webhook.call(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert 55 < seconds_from_now(delivery.next_attempt_at) <= 60


def test_a_delivery_is_not_sent_before_its_retry_is_due(endpoint, receiver, cohort):
    receiver.status = 500
    enroll(cohort)
    delivery = Delivery.objects.get()
    deliver_webhook.call(delivery.pk)
    assert deliver_webhook.call(delivery.pk) == "not due yet"
    assert dispatch_due_deliveries.call() == 0
    assert len(receiver.received) == 1


def test_a_receiver_that_is_down_records_the_connection_error(lms, cohort):
    make_endpoint(lms, url=f"http://127.0.0.1:{free_port()}/hooks")
    enroll(cohort)
    delivery = Delivery.objects.get()
    deliver_webhook.call(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING
    assert delivery.last_status_code is None
    assert "ConnectionError" in delivery.last_error


def test_a_receiver_that_is_down_and_comes_back_gets_every_event(
    lms, cohort, django_capture_on_commit_callbacks
):
    port = free_port()
    make_endpoint(lms, url=f"http://127.0.0.1:{port}/hooks")
    with django_capture_on_commit_callbacks(execute=True):
        for number in range(3):
            enroll(cohort, email=f"learner{number}@example.org")
    assert set(Delivery.objects.values_list("status", "attempts")) == {("pending", 1)}

    receiver = Receiver(port=port)
    try:
        time_passes(minutes=1)
        assert dispatch_due_deliveries.call() == 3
    finally:
        receiver.stop()

    assert sorted(document["data"]["learner_email"] for document in receiver.received) == [
        "learner0@example.org",
        "learner1@example.org",
        "learner2@example.org",
    ]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_after_the_last_attempt_a_delivery_is_marked_failed(endpoint, receiver, cohort, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    receiver.status = 503
    enroll(cohort)
    for _ in range(3):
        time_passes(minutes=1)
        dispatch_due_deliveries.call()
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.attempts == 3 and delivery.last_status_code == 503
    time_passes(hours=2)
    assert dispatch_due_deliveries.call() == 0
    assert len(receiver.received) == 3


def test_a_failed_attempt_queues_its_retry_for_when_it_is_due(
    endpoint, receiver, cohort, settings, django_capture_on_commit_callbacks
):
    receiver.status = 500
    enroll(cohort)
    settings.TASKS = DATABASE_TASKS
    delivery = Delivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        deliver_webhook.call(delivery.pk)
    delivery.refresh_from_db()
    retry = DBTaskResult.objects.get()
    assert retry.task_path == "integrations.tasks.deliver_webhook"
    assert retry.args_kwargs == {"args": [delivery.pk], "kwargs": {}}
    assert retry.run_after == delivery.next_attempt_at


def test_a_redirect_is_not_followed_and_counts_as_a_failure(endpoint, receiver, cohort):
    receiver.status = 302
    enroll(cohort)
    delivery = Delivery.objects.get()
    deliver_webhook.call(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING and delivery.last_status_code == 302


def test_a_leased_delivery_is_left_to_the_worker_holding_it(endpoint, receiver, cohort):
    enroll(cohort)
    lease_end = timezone.now() + timedelta(minutes=2)
    Delivery.objects.update(locked_until=lease_end)
    delivery = Delivery.objects.get()

    assert deliver_webhook.call(delivery.pk) == "leased by another worker"
    assert dispatch_due_deliveries.call() == 0
    assert receiver.received == []

    time_passes(minutes=5)  # the worker died: its lease runs out
    assert dispatch_due_deliveries.call() == 1
    assert len(receiver.received) == 1
    assert Delivery.objects.get().status == Delivery.Status.DELIVERED


def test_dispatch_leaves_a_new_delivery_to_the_task_queued_with_it(
    endpoint, receiver, cohort, settings
):
    settings.WEBHOOK_DISPATCH_GRACE_SECONDS = 300
    enroll(cohort)
    assert dispatch_due_deliveries.call() == 0
    time_passes(minutes=6)
    assert dispatch_due_deliveries.call() == 1


def test_a_delivered_event_is_not_sent_again(endpoint, receiver, cohort):
    enroll(cohort)
    delivery = Delivery.objects.get()
    assert deliver_webhook.call(delivery.pk) == "delivered"
    assert deliver_webhook.call(delivery.pk) == "already delivered"
    assert len(receiver.received) == 1


def test_a_revoked_clients_delivery_fails_without_being_sent(endpoint, receiver, cohort, lms):
    enroll(cohort)
    lms.is_active = False
    lms.save()
    delivery = Delivery.objects.get()
    deliver_webhook.call(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
    assert receiver.received == []


def test_the_dispatch_command_sends_due_deliveries(endpoint, receiver, cohort):
    enroll(cohort)
    call_command("dispatch_webhooks", verbosity=0)
    assert receiver.types() == ["enrollment.created"]
