"""Fixtures for the integration tests: API clients, webhook endpoints and a real receiver."""

import hashlib
import hmac
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from oauth2_provider.models import Application

from integrations.models import ApiClient, WebhookEndpoint

from ..factories import CohortFactory

CLIENT_SECRET = "client-secret-for-tests"
WEBHOOK_SECRET = "whsec_for_tests"
ALL_EVENTS = list(WebhookEndpoint.EventType.values)


def make_client(*, name="Campus LMS", cohorts=(), is_active=True, scopes=("courses:read",)):
    application = Application.objects.create(
        name=name,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=CLIENT_SECRET,
        hash_client_secret=True,
    )
    client = ApiClient.objects.create(
        application=application, name=name, scopes=list(scopes), is_active=is_active
    )
    client.cohorts.set(cohorts)
    return client


def make_endpoint(client, url="https://lms.example.org/hooks", events=ALL_EVENTS, **fields):
    return WebhookEndpoint.objects.create(
        client=client, url=url, events=list(events), secret=WEBHOOK_SECRET, **fields
    )


def signature_is_valid(secret: str, headers, body: bytes) -> bool:
    """Check a request the way the README tells receivers to."""
    fields = dict(part.split("=", 1) for part in headers["Webhook-Signature"].split(","))
    expected = hmac.new(
        secret.encode(), fields["t"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    fresh = abs(time.time() - int(fields["t"])) < 300
    return fresh and hmac.compare_digest(expected, fields["v1"])


class Receiver:
    """A real HTTP server on 127.0.0.1 that checks each webhook's signature and keeps it."""

    def __init__(self, port=0, secret=WEBHOOK_SECRET):
        self.secret = secret
        self.status = 200
        self.received = []  # the JSON bodies whose signatures held, in arrival order
        self.rejected = 0
        self.arrived = threading.Event()
        self.hold = None  # a threading.Event to wait for before answering
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                document = json.loads(body)
                if (
                    signature_is_valid(receiver.secret, self.headers, body)
                    and document["id"] == self.headers["Webhook-Id"]
                ):
                    receiver.received.append(document)
                else:
                    receiver.rejected += 1
                receiver.arrived.set()
                if receiver.hold is not None:
                    receiver.hold.wait(60)
                self.send_response(receiver.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def types(self):
        return [document["type"] for document in self.received]

    def stop(self):
        if self.hold is not None:
            self.hold.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.stop()


def free_port() -> int:
    """Return a port nothing listens on (a receiver that is down)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def cohort(db):
    return CohortFactory()


@pytest.fixture
def lms(cohort):
    """An active API client granted the cohort."""
    return make_client(cohorts=[cohort])


@pytest.fixture
def endpoint(lms, receiver):
    """The client's endpoint for every event type, at the running receiver."""
    return make_endpoint(lms, url=receiver.url)


@pytest.fixture(autouse=True)
def _webhook_timing(settings):
    # Fast tests: no grace period before dispatch, short timeouts.
    settings.WEBHOOK_DISPATCH_GRACE_SECONDS = 0
    settings.WEBHOOK_TIMEOUT_SECONDS = 5
