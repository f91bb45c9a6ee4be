"""Calls to LTI platforms: HTTPS only (loopback HTTP when a setting allows, for tests)."""

import ipaddress
import socket
from urllib.parse import urlsplit

import requests
from django.conf import settings

TIMEOUT = (5, 20)  # connect, read: a slow platform must not hold a web or worker process.
USER_AGENT = "military-diplomacy-course LTI tool"


class PlatformError(Exception):
    """The platform could not be reached, or answered with an error."""

    def __init__(self, message: str, *, status_code: int | None = None):
        super().__init__(message)
        self.status_code = status_code


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _private_address(host: str) -> str | None:
    """Return a non-public address the host resolves to, if any (SSRF guard)."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return None  # Unresolvable: the request fails on its own.
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if not address.is_global:
            return str(address)
    return None


def check_url(url: str, *, what: str = "URL") -> str:
    """Return the URL if we may call it: https to a public address, or http to a loopback
    host when allowed (tests). Addresses inside our own network are refused unless
    LTI_ALLOW_PRIVATE_ADDRESSES is on: anyone can start a registration, and its URLs
    must not reach our internal services."""
    parts = urlsplit(url or "")
    if parts.scheme == "https" and parts.hostname:
        private = None if settings.LTI_ALLOW_PRIVATE_ADDRESSES else _private_address(parts.hostname)
        if private and not (settings.LTI_ALLOW_LOOPBACK_HTTP and is_loopback(private)):
            raise PlatformError(f"The platform's {what} points inside our network ({private}).")
        return url
    if (
        parts.scheme == "http"
        and parts.hostname
        and is_loopback(parts.hostname)
        and settings.LTI_ALLOW_LOOPBACK_HTTP
    ):
        return url
    raise PlatformError(f"The platform's {what} must be an https:// address: {url!r}.")


class PlatformSession(requests.Session):
    """A requests session that refuses plain-HTTP platforms and never waits forever."""

    def __init__(self):
        super().__init__()
        self.headers["User-Agent"] = USER_AGENT

    def request(self, method, url, *args, **kwargs):
        check_url(url)
        kwargs.setdefault("timeout", TIMEOUT)
        # A platform redirecting elsewhere is not followed: its URLs are registered.
        kwargs.setdefault("allow_redirects", False)
        return super().request(method, url, *args, **kwargs)


def get_json(url: str, **kwargs) -> dict:
    try:
        response = PlatformSession().get(url, **kwargs)
    except requests.RequestException as error:
        raise PlatformError(f"Could not reach {url}: {error}") from error
    if not response.ok:
        raise PlatformError(
            f"{url} answered {response.status_code}.", status_code=response.status_code
        )
    try:
        data = response.json()
    except ValueError as error:
        raise PlatformError(f"{url} did not answer with JSON.") from error
    if not isinstance(data, dict):
        raise PlatformError(f"{url} did not answer with a JSON object.")
    return data
