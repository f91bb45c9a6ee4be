"""Validating an LTI launch completely, before anything is written.

pylti1p3 checks the id_token's format, signature, registration, deployment and message
claims. It is not enough on its own (and django-lti's launch view uses it as is): it
accepts a used nonce again for a day, creates a deployment for any deployment id it is
sent, stores launch data in the session before the launch is known to be good, and
raises exceptions that become 500s. So we drive its checks ourselves, check the state
and nonce against our own store (`LtiLogin`), and raise `LaunchError` for every refusal.
"""

import hashlib
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.core.cache import cache
from lti_tool.models import LtiDeployment, LtiRegistration
from lti_tool.utils import DjangoToolConfig
from pylti1p3.contrib.django import DjangoMessageLaunch
from pylti1p3.deployment import Deployment
from pylti1p3.exception import LtiException

from ..models import LtiLogin
from . import claims
from .http import PlatformError, check_url, get_json

STATE_COOKIE_PREFIX = "lti-state-"
JWKS_CACHE_SECONDS = 60 * 60


class LaunchError(Exception):
    """A launch we refuse, with the message shown to the person launching."""

    status = 400

    def __init__(self, message: str, *, return_url: str = ""):
        super().__init__(message)
        self.message = message
        self.return_url = return_url


class CookiesBlocked(LaunchError):
    """The launch is good but the browser did not send our state cookie: the LMS's frame
    blocks third-party cookies. The login can start again in a new window."""

    status = 403

    def __init__(self, login: LtiLogin):
        super().__init__("Your browser blocked this tool's cookies inside the course frame.")
        self.login = login


@dataclass
class Launch:
    """A launch that passed every check; nothing about it has been written yet."""

    login: LtiLogin
    registration: LtiRegistration
    deployment: LtiDeployment
    data: dict = field(repr=False)

    def claim(self, name, default=None):
        return claims.get(self.data, name, default)

    @property
    def message_type(self) -> str:
        return self.claim("message_type")


class _ToolConfig(DjangoToolConfig):
    """django-lti's configuration, except that unknown or inactive deployments are refused
    rather than created."""

    def find_deployment(self, iss, deployment_id):
        return self._active_deployment(deployment_id)

    def find_deployment_by_params(self, iss, deployment_id, client_id, *args, **kwargs):
        return self._active_deployment(deployment_id)

    def _active_deployment(self, deployment_id):
        if self.registration is None:
            return None
        self.deployment = LtiDeployment.objects.filter(
            registration=self.registration, deployment_id=deployment_id, is_active=True
        ).first()
        if self.deployment is None:
            return None
        return Deployment().set_deployment_id(self.deployment.deployment_id)


class _MessageLaunch(DjangoMessageLaunch):
    """pylti1p3's launch with its checks in our order, and platform keys fetched safely."""

    def validate(self):
        self._validated = True
        try:
            return (
                self.validate_jwt_format()
                .validate_registration()
                .validate_jwt_signature()
                .validate_deployment()
                .validate_message()
            )
        except Exception:
            self._validated = False
            raise

    def fetch_public_key(self, key_set_url):
        return platform_keys(key_set_url)

    def get_public_key(self):
        try:
            return super().get_public_key()
        except LtiException:
            # The platform may have rotated its keys since we cached them: fetch once more.
            key_set_url = self._registration.get_key_set_url()
            cache.delete(_jwks_cache_key(key_set_url))
            self._registration.set_key_set(None)
            return super().get_public_key()


def _jwks_cache_key(url: str) -> str:
    return "lti:jwks:" + hashlib.sha256(url.encode()).hexdigest()


def platform_keys(url: str) -> dict:
    """Return the platform's public key set, cached for an hour."""
    key = _jwks_cache_key(url)
    keys = cache.get(key)
    if keys is None:
        try:
            keys = get_json(check_url(url, what="key set URL"))
        except PlatformError as error:
            raise LtiException(str(error)) from error
        if not isinstance(keys.get("keys"), list):
            raise LtiException("The platform's key set has no keys.")
        cache.set(key, keys, JWKS_CACHE_SECONDS)
    return keys


def validate_launch(request) -> Launch:
    """Check everything about the launch POSTed in the request; raise LaunchError if bad."""
    state = request.POST.get("state", "")
    id_token = request.POST.get("id_token", "")
    if not state or not id_token:
        raise LaunchError("This launch is missing its id_token or state.")
    login = (
        LtiLogin.objects.unused().select_related("registration").filter(state=state[:64]).first()
    )
    if login is None or login.state != state:
        raise LaunchError(
            "This launch has expired or was already used. Open the activity again from your course."
        )
    message = _MessageLaunch(request, _ToolConfig(registration_uuid=login.registration.uuid))
    message.set_jwt_verify_options({"verify_aud": False, "require": ["exp", "iat", "aud"]})
    try:
        message.validate()
    except LtiException as error:
        raise LaunchError(f"The platform's launch was refused: {error}") from error
    except PlatformError as error:
        raise LaunchError(f"The platform's keys could not be read: {error}") from error
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        # pylti1p3 assumes well-formed JSON objects; anything else is a malformed token.
        raise LaunchError("The platform's launch is malformed.") from error
    data = message.get_launch_data()
    registration = message.get_tool_conf().registration
    deployment = message.get_tool_conf().deployment
    return_url = _return_url(data)
    _check_audience(data, registration.client_id, return_url)
    if data.get("nonce") != login.nonce:
        raise LaunchError("The launch's nonce does not match its login.", return_url=return_url)
    if claims.get(data, "message_type") == claims.RESOURCE_LINK_REQUEST and not claims.get(
        data, "target_link_uri"
    ):
        raise LaunchError("The launch has no target_link_uri.", return_url=return_url)
    if not check_state_cookie(request, state):
        raise CookiesBlocked(login)
    return Launch(login=login, registration=registration, deployment=deployment, data=data)


def _check_audience(data: dict, client_id: str, return_url: str) -> None:
    """The token must be meant for us (OIDC Core 3.1.3.7, LTI 1.3 §5.1.3)."""
    audience = data.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if client_id not in audiences:
        raise LaunchError("The launch was meant for another tool.", return_url=return_url)
    if (len(audiences) > 1 or "azp" in data) and data.get("azp") != client_id:
        raise LaunchError("The launch's authorized party is not this tool.", return_url=return_url)


def _return_url(data: dict) -> str:
    url = (claims.get(data, "launch_presentation") or {}).get("return_url") or ""
    return url if urlsplit(url).scheme in ("http", "https") else ""


def check_state_cookie(request, state: str) -> bool:
    return request.COOKIES.get(state_cookie_name(state)) == state


def state_cookie_name(state: str) -> str:
    return STATE_COOKIE_PREFIX + state[:16]
