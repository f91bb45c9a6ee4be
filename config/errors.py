"""Error pages: HTML for people, problem+json for API clients.

A database that has gone away (restart, failover, network) answers 503 with Retry-After,
not 500: the request wrote nothing (every write path is one transaction), and trying
again shortly is the right thing for a person or an LMS to do.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader
from django.views import defaults

from courseware.api.errors import problem_response

RETRY_AFTER_SECONDS = 30


def _is_api(request) -> bool:
    return request.path.startswith(("/api/", "/o/"))


def not_found(request, exception=None):
    if _is_api(request):
        return problem_response(request, 404, "There is no resource at this address.")
    return defaults.page_not_found(request, exception)


# OperationalErrors that are bugs, not an unreachable database (SQLite reports these so).
PROGRAMMING_ERRORS = ("no such table", "no such column", "has no column", "syntax error")


def _database_unavailable(error) -> bool:
    """Whether the error means the database cannot be reached (gone, restarting, locked)."""
    if isinstance(error, InterfaceError):
        return True
    if not isinstance(error, OperationalError):
        return False
    message = str(error).lower()
    return not any(marker in message for marker in PROGRAMMING_ERRORS)


def server_error(request):
    if _database_unavailable(sys.exc_info()[1]):
        return service_unavailable(request)
    if _is_api(request):
        return problem_response(request, 500, "The server failed to answer; the error is logged.")
    return defaults.server_error(request)


def service_unavailable(request):
    if _is_api(request):
        response = problem_response(
            request, 503, "The service is briefly unavailable; nothing was saved. Try again."
        )
    else:
        # A static template: rendering must not need the database that is down.
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
