"""Queue webhook deliveries that are due but have no task: lost queue entries, stopped workers."""

import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from courseware.lti.tasks import queue_due_work as queue_due_lti_work
from integrations.tasks import DISPATCH_BATCH, dispatch_due_deliveries


class Command(BaseCommand):
    help = (
        "Queue a delivery task for each pending webhook delivery that is due and that no "
        "worker holds. Run it with --loop beside the task worker."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop", action="store_true", help="Keep running, checking every --interval seconds."
        )
        parser.add_argument(
            "--interval", type=float, default=30, help="Seconds between checks (default: 30)."
        )

    def handle(self, *, loop, interval, verbosity, **options):
        self.running = True
        if loop:
            signal.signal(signal.SIGTERM, self._stop)
            signal.signal(signal.SIGINT, self._stop)
        while True:
            queued = dispatch_due_deliveries.call()
            # LTI score posts whose task was lost, and LMS rosters due for a sync.
            lti_queued = queue_due_lti_work()
            if lti_queued and verbosity:
                self.stdout.write(f"Queued {lti_queued} LTI task(s).")
            if queued and verbosity:
                plural = "ies" if queued != 1 else "y"
                self.stdout.write(f"Queued {queued} webhook deliver{plural}.")
            if not (loop and self.running):
                return
            # A full batch means more are waiting: go again at once.
            if queued < DISPATCH_BATCH:
                self._sleep(interval)
            if not self.running:
                return
            # A long-running process drops connections the database closed or that aged out.
            close_old_connections()

    def _stop(self, signum, frame):
        self.running = False

    def _sleep(self, seconds):
        deadline = time.monotonic() + seconds
        while self.running and time.monotonic() < deadline:
            time.sleep(min(1, deadline - time.monotonic()))
