"""Tasks through real queues: a `db_worker` process on PostgreSQL, and RQ on Redis."""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import django_rq
import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.utils import timezone
from django_tasks_rq import Job
from rq import SimpleWorker

from courseware.services import enroll_learner, submit_work
from integrations.models import Delivery, Event
from integrations.tasks import deliver_webhook

from ..factories import AssignmentFactory, UserFactory
from .conftest import Receiver, free_port, make_endpoint

BASE_DIR = Path(__file__).resolve().parents[2]
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
REDIS = "redis://127.0.0.1:6379/0"


def worker_environment(**extra):
    """The environment for a worker process that shares the test database."""
    db = django_settings.DATABASES["default"]
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    url = f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    environment = {**os.environ, "DATABASE_URL": url, **extra}
    environment.pop("REDIS_URL", None)  # the database queue, as on a machine without Redis
    return environment


def db_worker(*options, **extra_environment):
    return subprocess.Popen(  # noqa: S603 - our own manage.py, with fixed arguments
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--no-startup-delay",
            "--no-reload",
            "--interval",
            "0.1",
            *options,
        ],
        cwd=BASE_DIR,
        env=worker_environment(**extra_environment),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def run_worker_until_idle(**extra_environment) -> str:
    worker = db_worker("--batch", **extra_environment)
    output, _ = worker.communicate(timeout=60)
    assert worker.returncode == 0, output
    return output


def enroll(cohort):
    learner = UserFactory(email="ada@example.org")
    enroll_learner(learner=learner, course=cohort.course, cohort=cohort)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_database_worker_process_delivers_the_webhook(endpoint, receiver, cohort, settings):
    settings.TASKS = DATABASE_TASKS
    enroll(cohort)  # commits, and queues the delivery in the database
    assert Delivery.objects.get().status == Delivery.Status.PENDING

    run_worker_until_idle()

    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.DELIVERED and delivery.last_status_code == 200
    assert receiver.types() == ["enrollment.created"] and receiver.rejected == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_database_worker_process_sends_the_queued_email(cohort, settings):
    settings.TASKS = DATABASE_TASKS
    cohort.instructors.add(UserFactory(email="tess@example.org", is_staff=True))
    learner = UserFactory(email="ada@example.org")
    enrollment, _ = enroll_learner(learner=learner, course=cohort.course, cohort=cohort)
    assignment = AssignmentFactory(course=cohort.course, title="Soft power in practice")
    submit_work(assignment=assignment, enrollment=enrollment, body="Text.", attempt=1)

    output = run_worker_until_idle(EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend")

    assert "Subject: New submission: Soft power in practice" in output
    assert "To: tess@example.org" in output


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_delivery_loses_nothing(endpoint, receiver, cohort, settings):
    settings.TASKS = DATABASE_TASKS
    receiver.hold = threading.Event()  # the receiver takes its time answering
    enroll(cohort)

    worker = db_worker()
    try:
        assert receiver.arrived.wait(30), "the worker never sent the webhook"
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    receiver.hold.set()
    receiver.hold = None

    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.PENDING and delivery.attempts == 1
    assert delivery.locked_until > timezone.now()  # leased by the dead worker

    # Nothing is sent again while the lease holds; once it runs out, dispatch requeues it.
    call_command("dispatch_webhooks", verbosity=0)
    run_worker_until_idle()
    assert len(receiver.received) == 1
    Delivery.objects.update(locked_until=timezone.now())
    call_command("dispatch_webhooks", verbosity=0)
    run_worker_until_idle()

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED and delivery.attempts == 2
    event = Event.objects.get()
    assert [document["id"] for document in receiver.received] == [str(event.pk)] * 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_receiver_that_was_down_gets_every_event_from_the_running_processes(
    lms, cohort, settings
):
    settings.TASKS = DATABASE_TASKS
    port = free_port()
    make_endpoint(lms, url=f"http://127.0.0.1:{port}/hooks")
    for number in range(3):
        learner = UserFactory(email=f"learner{number}@example.org")
        enroll_learner(learner=learner, course=cohort.course, cohort=cohort)
    run_worker_until_idle()  # every attempt finds the receiver down
    assert set(Delivery.objects.values_list("status", "attempts")) == {("pending", 1)}

    receiver = Receiver(port=port)
    past = timezone.now() - timedelta(minutes=10)  # the retries and the grace period are due
    Delivery.objects.update(next_attempt_at=past, updated_at=past)
    dispatcher = subprocess.Popen(  # noqa: S603 - our own manage.py, with fixed arguments
        [sys.executable, "manage.py", "dispatch_webhooks", "--loop", "--interval", "0.2"],
        cwd=BASE_DIR,
        env=worker_environment(),
    )
    worker = db_worker()
    try:
        deadline = time.monotonic() + 30
        while Delivery.objects.exclude(status="delivered").exists():
            assert time.monotonic() < deadline, "the deliveries were not sent"
            time.sleep(0.2)
    finally:
        for process in (dispatcher, worker):
            process.terminate()
        codes = [process.wait(10) for process in (dispatcher, worker)]
        receiver.stop()

    assert codes == [0, 0]  # both stop cleanly on SIGTERM
    assert sorted(document["data"]["learner_email"] for document in receiver.received) == [
        "learner0@example.org",
        "learner1@example.org",
        "learner2@example.org",
    ]


@pytest.fixture
def rq_queue(settings):
    """A queue of its own on the local Redis, emptied afterwards."""
    name = f"test-{uuid.uuid4().hex}"
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default", name]}
    }
    settings.RQ_QUEUES = {"default": {"URL": REDIS}, name: {"URL": REDIS}}
    queue = django_rq.get_queue(name, job_class=Job)
    yield queue
    redis = queue.connection
    job_ids = set(queue.get_job_ids())
    for registry in (queue.finished_job_registry, queue.failed_job_registry):
        job_ids.update(registry.get_job_ids())
    for job_id in job_ids:
        redis.delete(f"rq:job:{job_id}", f"rq:results:{job_id}")
    redis.srem("rq:queues", queue.key)
    redis.srem("rq:workers", f"rq:worker:{name}")
    redis.delete(*(key for key in redis.scan_iter(f"rq:*{name}*")))


def run_rq_worker(queue):
    handlers = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        worker = SimpleWorker([queue], name=queue.name, connection=queue.connection, job_class=Job)
        worker.work(burst=True)
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)


@pytest.mark.django_db
def test_the_redis_queue_delivers_the_webhook(endpoint, receiver, cohort, rq_queue):
    enroll(cohort)  # not committed: the test queues the delivery itself, on its own queue
    delivery = Delivery.objects.get()
    deliver_webhook.using(queue_name=rq_queue.name).enqueue(delivery.pk)
    assert rq_queue.count == 1

    run_rq_worker(rq_queue)

    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED
    assert receiver.types() == ["enrollment.created"]
    assert rq_queue.count == 0
