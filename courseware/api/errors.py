"""Every API error as RFC 9457 problem details (application/problem+json)."""

from http import HTTPStatus

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

PROBLEM_CONTENT_TYPE = "application/problem+json"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


def problem(status_code: int, detail: str = "", **extra) -> dict:
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status_code).phrase,
        "status": status_code,
    }
    if detail:
        body["detail"] = detail
    body.update(extra)
    return body


def problem_exception_handler(exc, context):
    """Turn DRF's and Django's exceptions into problem details, with field errors on 400s."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    request = context.get("request")
    instance = request.get_full_path() if request else None
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        # One shape for clients: every field maps to a list of messages.
        errors = {
            field: messages if isinstance(messages, (list, dict)) else [messages]
            for field, messages in errors.items()
        }
        body = problem(
            response.status_code,
            "The request has invalid fields.",
            errors=errors,
            instance=instance,
        )
    else:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        body = problem(response.status_code, detail, instance=instance)
    return Response(
        body,
        status=response.status_code,
        headers={
            k: v for k, v in response.items() if k in {"WWW-Authenticate", "Retry-After", "Allow"}
        },
        content_type=PROBLEM_CONTENT_TYPE,
    )


def problem_response(request, status_code: int, detail: str) -> JsonResponse:
    """A problem-details response for errors raised outside DRF (unknown URLs, server errors)."""
    return JsonResponse(
        problem(status_code, detail, instance=request.get_full_path()),
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
    )
