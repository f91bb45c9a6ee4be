"""Honour the Idempotency-Key header on POSTs: the same key and body get the same response."""

import functools
import hashlib
import json

from django.db import IntegrityError, transaction
from rest_framework.response import Response

from integrations.models import IdempotencyKey

from .errors import Conflict
from .permissions import api_client


def idempotent(view_method):
    """Wrap a POST handler: a retried request replays the first response, not acting twice."""

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get("Idempotency-Key", "").strip()
        client = api_client(request)
        if not key or client is None:
            return view_method(self, request, *args, **kwargs)
        fingerprint = hashlib.sha256(
            f"{request.method} {request.path}\n".encode()
            + json.dumps(request.data, sort_keys=True, default=str).encode()
        ).hexdigest()
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(
                    client=client, key=key[:255], fingerprint=fingerprint
                )
        except IntegrityError:
            record = IdempotencyKey.objects.get(client=client, key=key[:255])
            if record.fingerprint != fingerprint:
                raise Conflict("This Idempotency-Key was used with a different request.") from None
            if record.status_code is None:
                raise Conflict(
                    "A request with this Idempotency-Key is still being processed."
                ) from None
            response = Response(record.response_body, status=record.status_code)
            response["Idempotent-Replayed"] = "true"
            return response
        try:
            response = view_method(self, request, *args, **kwargs)
        except Exception:
            record.delete()  # a failed attempt may be retried with the same key
            raise
        if response.status_code >= 500:
            record.delete()
        else:
            record.status_code = response.status_code
            record.response_body = response.data
            record.save(update_fields=["status_code", "response_body"])
        return response

    return wrapper
