"""Every invalid launch is refused with a 4xx (or sent back to the platform with
lti_errormsg), never a 500, with no session and nothing written to the database."""

import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lti_tool.models import LtiContext, LtiDeployment, LtiResourceLink

from accounts.models import LtiIdentity
from courseware.models import Cohort, Enrollment, FrameAncestor, LtiLogin

from .conftest import lesson_url
from .platform import LTI

pytestmark = pytest.mark.django_db


def snapshot():
    return {
        "users": get_user_model().objects.count(),
        "identities": LtiIdentity.objects.count(),
        "cohorts": Cohort.objects.count(),
        "enrollments": Enrollment.objects.count(),
        "contexts": LtiContext.objects.count(),
        "links": LtiResourceLink.objects.count(),
        "deployments": LtiDeployment.objects.count(),
        "frame_ancestors": FrameAncestor.objects.count(),
        "used_logins": LtiLogin.objects.filter(used_at__isnull=False).count(),
    }


def assert_refused(response, before):
    if response.status_code == 302:
        assert "lti_errormsg=" in response["Location"], response["Location"]
    else:
        assert 400 <= response.status_code < 500, response.status_code
    assert django_settings.SESSION_COOKIE_NAME not in response.cookies
    assert snapshot() == before


def other_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_pem(platform):
    private = serialization.load_pem_private_key(platform.private_key_pem, password=None)
    return private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


INVALID_TOKENS = {
    "bad signature": lambda p: {"key": other_key()},
    "alg none": lambda p: {"alg": "none"},
    "HS256 with the public key": lambda p: {"alg": "HS256", "key": public_pem(p)},
    "unknown kid": lambda p: {"headers": {"kid": "someone-else"}},
    "expired": lambda p: {"issued_at": int(time.time()) - 3600, "lifetime": 60},
    "issued in the future": lambda p: {"issued_at": int(time.time()) + 3600},
    "wrong audience": lambda p: {"overrides": {"aud": "another-tool", "azp": "another-tool"}},
    "other authorized party": lambda p: {"overrides": {"aud": [p.client_id, "x"], "azp": "x"}},
    "unknown issuer": lambda p: {"overrides": {"iss": "https://unknown.example"}},
    "unknown deployment": lambda p: {"overrides": {LTI + "deployment_id": "not-registered"}},
    "no sub": lambda p: {"remove": ["sub"]},
    "no roles": lambda p: {"remove": [LTI + "roles"]},
    "no version": lambda p: {"remove": [LTI + "version"]},
    "wrong version": lambda p: {"overrides": {LTI + "version": "1.1"}},
    "no deployment id": lambda p: {"remove": [LTI + "deployment_id"]},
    "no message type": lambda p: {"remove": [LTI + "message_type"]},
    "unknown message type": lambda p: {"overrides": {LTI + "message_type": "LtiSomething"}},
    "no resource link": lambda p: {"remove": [LTI + "resource_link"]},
    "no target link uri": lambda p: {"remove": [LTI + "target_link_uri"]},
    "no exp": lambda p: {"remove": ["exp"]},
    "no iat": lambda p: {"remove": ["iat"]},
    "no nonce": lambda p: {"remove": ["nonce"]},
    "another nonce": lambda p: {"overrides": {"nonce": "not-the-login-nonce"}},
}


@pytest.mark.parametrize("case", INVALID_TOKENS)
def test_invalid_id_token_is_refused_without_writing(lms, course, case):
    auth = lms.login(lesson_url(course))
    before = snapshot()
    token = lms.platform.id_token(
        nonce=auth["nonce"],
        target_link_uri=lesson_url(course),
        **INVALID_TOKENS[case](lms.platform),
    )

    assert_refused(lms.post_launch(auth, token), before)


def test_unknown_state_is_refused(lms, course):
    auth = lms.login(lesson_url(course))
    token = lms.platform.id_token(nonce=auth["nonce"], target_link_uri=lesson_url(course))
    before = snapshot()

    assert_refused(lms.post_launch(auth, token, state="made-up-state"), before)


def test_replayed_id_token_and_state_are_refused(lms, course):
    auth = lms.login(lesson_url(course))
    token = lms.platform.id_token(nonce=auth["nonce"], target_link_uri=lesson_url(course))
    assert lms.post_launch(auth, token).status_code == 302
    lms.client.logout()
    before = snapshot()

    assert_refused(lms.post_launch(auth, token), before)


def test_replayed_nonce_with_a_fresh_login_is_refused(lms, course):
    first = lms.login(lesson_url(course))
    token = lms.platform.id_token(nonce=first["nonce"], target_link_uri=lesson_url(course))
    assert lms.post_launch(first, token).status_code == 302
    lms.client.logout()
    second = lms.login(lesson_url(course))
    before = snapshot()

    assert_refused(lms.post_launch(second, token), before)


def test_expired_login_is_refused(lms, course):
    auth = lms.login(lesson_url(course))
    LtiLogin.objects.update(created_at=LtiLogin.objects.get().created_at.replace(year=2000))
    token = lms.platform.id_token(nonce=auth["nonce"], target_link_uri=lesson_url(course))
    before = snapshot()

    assert_refused(lms.post_launch(auth, token), before)


def test_launch_for_an_inactive_deployment_is_refused(lms, course):
    LtiDeployment.objects.update(is_active=False)
    auth = lms.login(lesson_url(course))
    token = lms.platform.id_token(nonce=auth["nonce"], target_link_uri=lesson_url(course))
    before = snapshot()

    assert_refused(lms.post_launch(auth, token), before)


def test_missing_id_token_is_refused(lms, course):
    auth = lms.login(lesson_url(course))
    before = snapshot()

    response = lms.client.post("/lti/launch/", {"state": auth["state"]})

    assert_refused(response, before)


def test_garbage_id_token_is_refused(lms, course):
    auth = lms.login(lesson_url(course))
    before = snapshot()

    assert_refused(lms.post_launch(auth, "not.a.jwt"), before)
    assert_refused(lms.post_launch(auth, "%%%"), before)


def test_get_on_the_launch_url_is_refused(client, db):
    assert client.get("/lti/launch/").status_code == 405


def test_launch_without_the_state_cookie_offers_a_new_window(lms, course):
    auth = lms.login(lesson_url(course))
    token = lms.platform.id_token(nonce=auth["nonce"], target_link_uri=lesson_url(course))
    lms.client.cookies.clear()  # the LMS frame's lms dropped our cookie
    before = snapshot()

    response = lms.post_launch(auth, token)

    assert_refused(response, before)
    assert response.status_code == 403
    assert b'target="_blank"' in response.content
    assert b"/lti/login/?iss=" in response.content


def _b64(value) -> str:
    import base64
    import json

    raw = json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(header=json_values, body=json_values, signature=st.text(max_size=20))
def test_any_malformed_token_is_refused_never_a_server_error(lms, course, header, body, signature):
    auth = lms.login(lesson_url(course))
    before = snapshot()
    token = f"{_b64(header)}.{_b64(body)}.{signature}"

    assert_refused(lms.post_launch(auth, token), before)
