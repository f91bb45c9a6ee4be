"""Letting registered LMSs frame the course, and keeping our cookies inside their frames."""

import time
from http.cookies import Morsel

from django.core.cache import cache

from config.processcache import ProcessCache

FRAME_ANCESTORS_CACHE_KEY = "lti:frame-ancestors"
# Every page asks for the list; each process keeps it this long before asking the cache
# again. A platform registered (or removed) in another process takes effect within it.
FRAME_ANCESTORS_PROCESS_SECONDS = 5
_recent = ProcessCache(size=1)


class _PartitionedMorsel(Morsel):
    """A cookie with the Partitioned attribute (CHIPS), which Python 3.11 does not know."""

    _reserved = {**Morsel._reserved, "partitioned": "Partitioned"}
    _flags = Morsel._flags | {"partitioned"}


def _partitioned(morsel: Morsel) -> Morsel:
    cookie = _PartitionedMorsel()
    cookie.set(morsel.key, morsel.value, morsel.coded_value)
    for attribute, value in morsel.items():
        cookie[attribute] = value
    cookie["samesite"] = "None"
    cookie["secure"] = True
    cookie["partitioned"] = True
    return cookie


class FrameCookiesMiddleware:
    """On HTTPS, send every cookie as SameSite=None; Secure; Partitioned.

    Inside an LMS's iframe our site is a third party: browsers drop SameSite=Lax cookies
    there, and Chrome keeps third-party cookies only when partitioned. Partitioned cookies
    are keyed by the top-level site, so the course opened directly keeps its own session.
    CSRF protection does not rest on SameSite: Django's token and Origin checks stay on.
    Over plain HTTP (local development) cookies are left as they are.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.is_secure():
            for name, morsel in list(response.cookies.items()):
                response.cookies[name] = _partitioned(morsel)
        return response


def frame_ancestors() -> list[str]:
    """Origins of registered platforms, cached until a registration's origins change."""
    recent = _recent.get(FRAME_ANCESTORS_CACHE_KEY)
    if recent and time.monotonic() - recent[0] < FRAME_ANCESTORS_PROCESS_SECONDS:
        return recent[1]
    origins = cache.get(FRAME_ANCESTORS_CACHE_KEY)
    if origins is None:
        from ..models import FrameAncestor

        origins = sorted(
            set(
                FrameAncestor.objects.filter(registration__is_active=True).values_list(
                    "origin", flat=True
                )
            )
        )
        cache.set(FRAME_ANCESTORS_CACHE_KEY, origins, 60 * 60)
    _recent.set(FRAME_ANCESTORS_CACHE_KEY, (time.monotonic(), origins))
    return origins


def forget_frame_ancestors() -> None:
    """Drop the list here and in the shared cache: the next page reads the registrations."""
    _recent.clear()
    cache.delete(FRAME_ANCESTORS_CACHE_KEY)


class FrameAncestorsMiddleware:
    """Allow framing by registered LMSs only (CSP frame-ancestors), nobody else.

    Views that any platform may frame (LTI login, launch and registration, marked
    `xframe_options_exempt`) get no frame-ancestors limit.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(response, "xframe_options_exempt", False):
            return response
        if response.status_code != 200 or not response.get("Content-Type", "").startswith(
            "text/html"
        ):
            return response  # Only pages are framed; X-Frame-Options still guards the rest.
        origins = frame_ancestors()
        if origins:
            directive = "frame-ancestors 'self' " + " ".join(origins)
            # X-Frame-Options cannot name several sites; the CSP header does instead.
            response.xframe_options_exempt = True
            if "X-Frame-Options" in response:
                del response["X-Frame-Options"]
        else:
            directive = "frame-ancestors 'none'"
        existing = response.get("Content-Security-Policy")
        response["Content-Security-Policy"] = f"{existing}; {directive}" if existing else directive
        return response
