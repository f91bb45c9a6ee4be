"""Error pages: HTML for people, problem+json for API clients."""

from django.views import defaults

from courseware.api.errors import problem_response


def _is_api(request) -> bool:
    return request.path.startswith(("/api/", "/o/"))


def not_found(request, exception=None):
    if _is_api(request):
        return problem_response(request, 404, "There is no resource at this address.")
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        return problem_response(request, 500, "The server failed to answer; the error is logged.")
    return defaults.server_error(request)
