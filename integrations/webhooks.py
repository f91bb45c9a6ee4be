"""Signing and sending webhook requests.

Each request carries the event as JSON and three headers:

- `Webhook-Id`: the event id, the same on every retry, so receivers can drop duplicates;
- `Webhook-Timestamp`: when this attempt was signed, in Unix seconds;
- `Webhook-Signature`: `t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`, keyed
  with the endpoint's secret, so receivers can check the sender and reject old replays.
"""

import hashlib
import hmac
import json
import time
from dataclasses import dataclass

import requests
import urllib3
from django.conf import settings

from .models import ClientLearner, Delivery

SIGNATURE_HEADER = "Webhook-Signature"
ID_HEADER = "Webhook-Id"
TIMESTAMP_HEADER = "Webhook-Timestamp"
USER_AGENT = "course-webhooks/1"
# Receivers should refuse signatures older than this.
DEFAULT_TOLERANCE = 5 * 60


def sign(secret: str, timestamp: int, body: bytes | str) -> str:
    """Return the signature header value for the body sent at this Unix timestamp."""
    if isinstance(body, str):
        body = body.encode()
    message = str(int(timestamp)).encode() + b"." + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"t={int(timestamp)},v1={digest}"


def verify(
    secret: str, header: str, body: bytes, *, tolerance: int = DEFAULT_TOLERANCE, now=None
) -> bool:
    """Return whether the signature header fits the body and is recent enough."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).partition(",v1=")[2]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def payload(delivery: Delivery) -> dict:
    """Return the JSON document sent for the delivery.

    Learners get the external id the endpoint's client gave them, when it gave one.
    """
    event = delivery.event
    data = dict(event.data)
    if "learner_id" in data:
        data["learner_external_id"] = (
            ClientLearner.objects.filter(
                client=delivery.endpoint.client_id, user=data["learner_id"]
            )
            .exclude(external_id="")
            .values_list("external_id", flat=True)
            .first()
        )
    return {
        "id": str(event.pk),
        "type": event.type,
        "occurred_at": event.occurred_at.isoformat(),
        "data": data,
    }


@dataclass(frozen=True)
class Outcome:
    """What one attempt got back: a status code, or the error that stopped it."""

    status_code: int | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def send(delivery: Delivery) -> Outcome:
    """POST the delivery's event to its endpoint once, signed; never raise for network trouble."""
    body = json.dumps(payload(delivery), separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        ID_HEADER: str(delivery.event_id),
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(delivery.endpoint.secret, timestamp, body),
    }
    timeout = getattr(settings, "WEBHOOK_TIMEOUT_SECONDS", 10)
    try:
        # No redirects: a receiver that moved must be updated in the admin, and a redirect
        # must not carry a signed event somewhere nobody registered.
        response = requests.post(
            delivery.endpoint.url,
            data=body,
            headers=headers,
            timeout=timeout,
            allow_redirects=False,
            # Streamed, so a receiver cannot make the worker read a huge answer.
            stream=True,
        )
    except requests.RequestException as error:
        return Outcome(error=f"{type(error).__name__}: {error}"[:500])
    with response:
        if 200 <= response.status_code < 300:
            return Outcome(status_code=response.status_code)
        try:
            start = response.raw.read(200, decode_content=True).decode(errors="replace")
        except (urllib3.exceptions.HTTPError, OSError):
            start = ""
    return Outcome(
        status_code=response.status_code, error=f"HTTP {response.status_code}: {start}"[:500]
    )
