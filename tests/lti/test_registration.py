"""LTI Dynamic Registration, manual registration's checks, and the tool's keys."""

import pytest
from django.core.management import call_command
from django.urls import reverse
from lti_tool.models import Key, LtiDeployment, LtiRegistration

from .conftest import register_dynamically
from .platform import SCOPE_NRPS, SCOPE_SCORE, TOOL_CONFIGURATION

pytestmark = pytest.mark.django_db


def test_dynamic_registration_stores_the_platform_and_activates_its_deployment(
    client, platform, course
):
    response = register_dynamically(client, platform)

    assert response.status_code == 200
    assert b"/static/js/lti-close." in response.content
    registration = LtiRegistration.objects.get(issuer=platform.issuer)
    assert registration.client_id == platform.client_id
    assert registration.auth_url == platform.auth_url
    assert registration.token_url == platform.token_url
    assert registration.keyset_url == platform.jwks_url
    assert LtiDeployment.objects.get(registration=registration).deployment_id == (
        platform.deployment_id
    )
    assert LtiDeployment.objects.get(registration=registration).is_active


def test_registration_posts_our_urls_messages_and_service_scopes(client, platform, course):
    register_dynamically(client, platform)

    sent = platform.registrations[0]
    assert sent["initiate_login_uri"] == "http://testserver/lti/login/"
    assert sent["redirect_uris"] == ["http://testserver/lti/launch/"]
    assert sent["jwks_uri"] == "http://testserver/lti/jwks/"
    assert {SCOPE_SCORE, SCOPE_NRPS} <= set(sent["scope"].split())
    messages = {message["type"] for message in sent[TOOL_CONFIGURATION]["messages"]}
    assert messages == {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}


def test_registration_page_is_a_plain_form_naming_the_platform(client, platform, course):
    page = client.get(
        reverse("lti:register"),
        {"openid_configuration": platform.openid_configuration_url, "registration_token": "t"},
    )

    assert page.status_code == 200
    assert b'<form method="post">' in page.content
    assert platform.issuer.encode() in page.content
    assert not LtiRegistration.objects.exists()


def test_registration_with_a_wrong_token_is_refused_and_stores_nothing(client, platform, course):
    query = {"openid_configuration": platform.openid_configuration_url, "registration_token": "x"}
    response = client.post(reverse("lti:register"), query)

    assert response.status_code == 400
    assert b"refused the registration" in response.content
    assert not LtiRegistration.objects.exists()


def test_plain_http_platforms_are_refused_unless_loopback_is_allowed(
    client, platform, course, settings
):
    settings.LTI_ALLOW_LOOPBACK_HTTP = False

    response = register_dynamically_expecting_error(client, platform)

    assert response.status_code == 400
    assert b"https://" in response.content
    assert not LtiRegistration.objects.exists()


def register_dynamically_expecting_error(client, platform):
    return client.get(
        reverse("lti:register"),
        {"openid_configuration": platform.openid_configuration_url, "registration_token": "t"},
    )


def test_registration_without_openid_configuration_explains_where_to_start(client, db):
    response = client.get(reverse("lti:register"))

    assert response.status_code == 400
    assert b"registration screen" in response.content


def test_jwks_publishes_the_signing_key(client, db):
    keys = client.get(reverse("lti:jwks")).json()["keys"]

    assert len(keys) == 1
    assert keys[0]["alg"] == "RS256" and keys[0]["use"] == "sig"
    assert "d" not in keys[0]  # never the private part


def test_rotation_keeps_the_old_key_published_until_it_expires(client, db):
    old_kid = client.get(reverse("lti:jwks")).json()["keys"][0]["kid"]

    call_command("rotate_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115

    kids = [key["kid"] for key in client.get(reverse("lti:jwks")).json()["keys"]]
    assert old_kid in kids and len(kids) == 2
    Key.objects.update(datetime_created=Key.objects.earliest().datetime_created.replace(year=2000))
    call_command("rotate_keys", "--deactivate-after", "7", stdout=open("/dev/null", "w"))  # noqa: SIM115
    kids = [key["kid"] for key in client.get(reverse("lti:jwks")).json()["keys"]]
    assert old_kid not in kids


def test_a_registration_key_when_set_is_required(client, platform, course, settings):
    settings.LTI_REGISTRATION_KEY = "k3y-for-our-institutions"

    refused = register_dynamically_expecting_error(client, platform)
    query = {
        "openid_configuration": platform.openid_configuration_url,
        "registration_token": platform.registration_token,
        "key": "k3y-for-our-institutions",
    }
    page = client.get(reverse("lti:register"), query)
    registered = client.post(reverse("lti:register"), query)

    assert refused.status_code == 403
    assert page.status_code == 200 and b'name="key"' in page.content
    assert registered.status_code == 200
    assert LtiRegistration.objects.count() == 1


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/.well-known/openid-configuration",
        "https://10.0.0.8/.well-known/openid-configuration",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/config",
        "https://localhost/config",
    ],
)
def test_registration_never_reaches_inside_our_network(client, db, settings, url):
    settings.LTI_ALLOW_LOOPBACK_HTTP = False

    response = client.get(
        reverse("lti:register"), {"openid_configuration": url, "registration_token": "t"}
    )

    assert response.status_code == 400
    assert b"inside our network" in response.content
    assert not LtiRegistration.objects.exists()
