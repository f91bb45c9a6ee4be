"""Values every page template uses."""

from functools import cache

from django.urls import get_script_prefix, reverse

# The header's links: the name each template uses, and the URL pattern it reverses.
SITE_URLS = {
    "catalog": "courseware:catalog",
    "dashboard": "courseware:dashboard",
    "admin": "admin:index",
    "profile": "profile",
    "logout": "logout",
    "login": "login",
    "signup": "signup",
}


def site_urls(request):
    """The header's links, reversed once per process (and script prefix), not on every page."""
    return {"site_urls": _site_urls(get_script_prefix())}


@cache
def _site_urls(prefix: str) -> dict[str, str]:
    return {key: reverse(name) for key, name in SITE_URLS.items()}
