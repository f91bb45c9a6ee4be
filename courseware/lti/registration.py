"""LTI Dynamic Registration 1.0: a platform registers the tool by itself.

The platform opens /lti/register/?openid_configuration=…&registration_token=…; we read its
configuration, show what will be registered, and on confirmation post our registration
to its registration endpoint, store the answer and keep its deployment active.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.db import transaction
from django.urls import reverse
from lti_tool.models import LtiDeployment, LtiRegistration

from ..models import Course, FrameAncestor
from . import claims
from .http import PlatformError, PlatformSession, check_url, get_json
from .services import origin_of

TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
SCOPES = [
    claims.AGS_LINEITEM,
    claims.AGS_LINEITEM_READONLY,
    claims.AGS_RESULT_READONLY,
    claims.AGS_SCORE,
    claims.NRPS_READONLY,
]


class RegistrationError(Exception):
    """The platform's configuration or its answer cannot be used."""


@dataclass
class PlatformConfiguration:
    url: str
    data: dict

    @property
    def issuer(self) -> str:
        return self.data["issuer"]

    @property
    def name(self) -> str:
        platform = self.data.get(PLATFORM_CONFIGURATION) or {}
        return str(platform.get("product_family_code") or urlsplit(self.issuer).hostname)


def read_platform_configuration(url: str) -> PlatformConfiguration:
    """Fetch and check the platform's OpenID configuration."""
    try:
        data = get_json(check_url(url, what="openid_configuration"))
    except PlatformError as error:
        raise RegistrationError(str(error)) from error
    required = (
        "issuer",
        "authorization_endpoint",
        "token_endpoint",
        "jwks_uri",
        "registration_endpoint",
    )
    missing = [name for name in required if not isinstance(data.get(name), str)]
    if missing:
        raise RegistrationError("The platform's configuration lacks " + ", ".join(missing) + ".")
    try:
        for name in required:
            check_url(data[name], what=name)
    except PlatformError as error:
        raise RegistrationError(str(error)) from error
    if not _same_site(data["issuer"], url):
        raise RegistrationError(
            "The platform's issuer is not on the site its configuration came from."
        )
    if "RS256" not in (data.get("id_token_signing_alg_values_supported") or ["RS256"]):
        raise RegistrationError("The platform does not sign with RS256.")
    return PlatformConfiguration(url=url, data=data)


def _same_site(issuer: str, configuration_url: str) -> bool:
    """Whether the issuer belongs to the configuration's site.

    The spec asks for the issuer's host; Canvas's issuer (canvas.instructure.com) differs
    from the school's host (school.instructure.com) that serves the configuration, so a
    shared parent domain is accepted too.
    """
    issuer_host = (urlsplit(issuer).hostname or "").lower()
    config_host = (urlsplit(configuration_url).hostname or "").lower()
    if not issuer_host or not config_host:
        return False
    if issuer_host == config_host:
        return True
    return issuer_host.split(".")[-2:] == config_host.split(".")[-2:] and "." in issuer_host


def tool_registration(request) -> dict:
    """Our client metadata and LTI tool configuration, with absolute URLs on this host."""

    def url(name):
        return request.build_absolute_uri(reverse(name))

    course = Course.objects.order_by("pk").first()
    title = course.title if course else "Course"
    launch_url = url("lti:launch")
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": url("lti:login"),
        "redirect_uris": [launch_url],
        "client_name": title,
        "jwks_uri": url("lti:jwks"),
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(SCOPES),
        TOOL_CONFIGURATION: {
            "domain": request.get_host(),
            "description": f"Lessons, knowledge checks and case studies of {title}.",
            "target_link_uri": launch_url,
            "claims": ["iss", "sub", "name", "given_name", "family_name", "email"],
            "messages": [
                {
                    "type": claims.DEEP_LINKING_REQUEST,
                    "target_link_uri": launch_url,
                    "label": f"Add from {title}",
                    "placements": ["ContentArea"],
                    "supported_types": ["ltiResourceLink"],
                },
                {"type": claims.RESOURCE_LINK_REQUEST, "target_link_uri": launch_url},
            ],
        },
    }


def register(request, *, configuration: PlatformConfiguration, registration_token: str):
    """Post our registration to the platform and store what it answers."""
    body = tool_registration(request)
    headers = {"Accept": "application/json"}
    if registration_token:
        headers["Authorization"] = f"Bearer {registration_token}"
    endpoint = configuration.data["registration_endpoint"]
    try:
        response = PlatformSession().post(endpoint, json=body, headers=headers)
    except (requests.RequestException, PlatformError) as error:
        raise RegistrationError(f"Could not reach the platform: {error}") from error
    if not response.ok:
        raise RegistrationError(
            f"The platform refused the registration ({response.status_code}): {response.text[:300]}"
        )
    try:
        answer = response.json()
        client_id = str(answer["client_id"])
    except (ValueError, KeyError, TypeError) as error:
        raise RegistrationError("The platform's answer has no client_id.") from error
    deployment_id = str((answer.get(TOOL_CONFIGURATION) or {}).get("deployment_id") or "")
    return save_registration(
        configuration=configuration, client_id=client_id, deployment_id=deployment_id
    )


@transaction.atomic
def save_registration(*, configuration: PlatformConfiguration, client_id: str, deployment_id: str):
    data = configuration.data
    registration, _ = LtiRegistration.objects.update_or_create(
        issuer=configuration.issuer,
        client_id=client_id,
        defaults={
            "name": f"{configuration.name} ({urlsplit(configuration.url).hostname})"[:255],
            "auth_url": data["authorization_endpoint"],
            "token_url": data["token_endpoint"],
            "keyset_url": data["jwks_uri"],
            "audience": str(data.get("authorization_server") or "")[:255],
            "is_active": True,
        },
    )
    if deployment_id:
        LtiDeployment.objects.update_or_create(
            registration=registration,
            deployment_id=deployment_id,
            defaults={"is_active": True},
        )
    for url in (configuration.url, configuration.issuer):
        origin = origin_of(url)
        if origin:
            FrameAncestor.objects.get_or_create(registration=registration, origin=origin)
    return registration
