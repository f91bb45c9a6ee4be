"""Fixtures for the LTI tests: a platform simulator on 127.0.0.1, registered with the tool,
and a lms (Django's test client) that plays the OIDC login and launch."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from .platform import Platform


@pytest.fixture(autouse=True)
def _loopback_platforms_allowed(settings):
    settings.LTI_ALLOW_LOOPBACK_HTTP = True


@pytest.fixture
def platform():
    simulator = Platform().start()
    yield simulator
    simulator.stop()


def register_dynamically(client, platform):
    query = {
        "openid_configuration": platform.openid_configuration_url,
        "registration_token": platform.registration_token,
    }
    page = client.get(reverse("lti:register"), query)
    assert page.status_code == 200, page.content
    return client.post(reverse("lti:register"), query)


@pytest.fixture
def registered(client, platform, course):
    """The course registered with the platform by dynamic registration."""
    response = register_dynamically(client, platform)
    assert response.status_code == 200, response.content
    platform.tool_jwks = client.get(reverse("lti:jwks")).json()
    client.cookies.clear()
    return platform


def lesson_url(course, slug=None):
    slug = slug or course.lessons.current().in_order().first().slug
    return "http://testserver" + reverse(
        "courseware:lesson-detail", kwargs={"course_slug": course.slug, "lesson_slug": slug}
    )


def assignment_url(course, slug):
    return "http://testserver" + reverse(
        "courseware:assignment-detail", kwargs={"course_slug": course.slug, "assignment_slug": slug}
    )


class Browser:
    """Plays what the lms does between the platform and the tool during a launch."""

    def __init__(self, client, platform):
        self.client = client
        self.platform = platform

    def login(self, target_link_uri, *, login_hint="hint-1"):
        response = self.client.get(
            reverse("lti:login"),
            {
                "iss": self.platform.issuer,
                "login_hint": login_hint,
                "target_link_uri": target_link_uri,
                "client_id": self.platform.client_id,
                "lti_deployment_id": self.platform.deployment_id,
            },
        )
        assert response.status_code == 302, response.content
        location = urlsplit(response["Location"])
        assert f"{location.scheme}://{location.netloc}{location.path}" == self.platform.auth_url
        return {key: values[0] for key, values in parse_qs(location.query).items()}

    def post_launch(self, auth, id_token, *, state=None):
        return self.client.post(
            urlsplit(auth["redirect_uri"]).path,
            {"id_token": id_token, "state": state or auth["state"]},
        )

    def launch(self, target_link_uri, *, deep_link=False, **token_kwargs):
        auth = self.login(target_link_uri)
        if deep_link:
            token = self.platform.deep_link_id_token(nonce=auth["nonce"], **token_kwargs)
        else:
            token = self.platform.id_token(
                nonce=auth["nonce"], target_link_uri=target_link_uri, **token_kwargs
            )
        return self.post_launch(auth, token)


@pytest.fixture
def lms(client, registered):
    return Browser(client, registered)
