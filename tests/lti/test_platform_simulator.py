"""Tests for the LTI 1.3 platform simulator itself: plain pytest and HTTP, no Django."""

import base64
import time
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .platform import (
    AGS_CLAIM,
    CLIENT_ASSERTION_TYPE,
    DL_SETTINGS,
    LTI,
    MT_LINEITEM,
    MT_MEMBERSHIPS,
    MT_SCORE,
    NRPS_CLAIM,
    PLATFORM_CONFIGURATION,
    ROLE_INSTRUCTOR,
    ROLE_LEARNER,
    SCOPE_LINEITEM,
    SCOPE_LINEITEM_READONLY,
    SCOPE_NRPS,
    SCOPE_RESULT_READONLY,
    SCOPE_SCORE,
    TOOL_CONFIGURATION,
    Platform,
)

TOOL = "https://tool.example"
ALL_SCOPES = " ".join([SCOPE_LINEITEM, SCOPE_RESULT_READONLY, SCOPE_SCORE, SCOPE_NRPS])


def _rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@pytest.fixture(scope="module")
def tool_key():
    key = _rsa_key()
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    jwk.update({"kid": "tool-key-1", "alg": "RS256", "use": "sig"})
    return {"pem": _pem(key), "kid": "tool-key-1", "jwks": {"keys": [jwk]}}


@pytest.fixture
def platform(tool_key):
    sim = Platform(page_size=2).start()
    sim.register_manually("client-abc")
    sim.tool_jwks = tool_key["jwks"]
    yield sim
    sim.stop()


def registration_body(**changes):
    body = {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": f"{TOOL}/lti/login/",
        "redirect_uris": [f"{TOOL}/lti/launch/"],
        "client_name": "Test Tool",
        "jwks_uri": f"{TOOL}/lti/jwks/",
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": ALL_SCOPES,
        TOOL_CONFIGURATION: {
            "domain": "tool.example",
            "target_link_uri": f"{TOOL}/lti/launch/",
            "messages": [{"type": "LtiDeepLinkingRequest"}],
            "claims": ["iss", "sub", "name"],
        },
    }
    for name, value in changes.items():
        if value is None:
            body.pop(name)
        else:
            body[name] = value
    return body


def assertion(platform, tool_key, **overrides):
    now = int(time.time())
    claims = {
        "iss": platform.client_id,
        "sub": platform.client_id,
        "aud": platform.token_url,
        "iat": now,
        "exp": now + 60,
        "jti": uuid.uuid4().hex,
        **overrides,
    }
    claims = {k: v for k, v in claims.items() if v is not None}
    key = overrides.pop("_key", None) or tool_key["pem"]
    claims.pop("_key", None)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": tool_key["kid"]})


def token_request(platform, tool_key, scope=ALL_SCOPES, **assertion_overrides):
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": CLIENT_ASSERTION_TYPE,
        "client_assertion": assertion(platform, tool_key, **assertion_overrides),
        "scope": scope,
    }
    return requests.post(platform.token_url, data=form, timeout=5)


def bearer(platform, tool_key, scope=ALL_SCOPES):
    response = token_request(platform, tool_key, scope)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def create_line_item(platform, headers, **fields):
    body = {"label": "Lesson 1", "scoreMaximum": 10, "resourceLinkId": "rl-1", **fields}
    return requests.post(
        platform.url("/contexts/course-101/lineitems"),
        json=body,
        timeout=5,
        headers={**headers, "Content-Type": MT_LINEITEM},
    )


# ---------------------------------------------------------------- discovery and keys
def test_openid_configuration_describes_the_platform(platform):
    config = requests.get(platform.openid_configuration_url, timeout=5).json()
    assert config["issuer"] == platform.issuer and not platform.issuer.endswith("/")
    assert config["token_endpoint"] == platform.url("/token") == platform.token_url
    assert config["jwks_uri"] == platform.jwks_url
    assert config["registration_endpoint"] == platform.registration_url
    assert config["authorization_endpoint"] == platform.auth_url
    assert config["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
    assert config["id_token_signing_alg_values_supported"] == ["RS256"]
    assert {"openid", SCOPE_SCORE, SCOPE_NRPS} <= set(config["scopes_supported"])
    lti = config[PLATFORM_CONFIGURATION]
    assert lti["product_family_code"] == "simulator"
    assert {"type": "LtiDeepLinkingRequest"} in lti["messages_supported"]


def test_id_token_verifies_against_served_jwks(platform):
    jwks = requests.get(platform.jwks_url, timeout=5).json()
    (jwk,) = jwks["keys"]
    assert jwk["kid"] == platform.key_id and jwk["alg"] == "RS256" and jwk["use"] == "sig"
    assert "d" not in jwk
    token = platform.id_token(nonce="n-1", target_link_uri=f"{TOOL}/lti/launch/")
    assert jwt.get_unverified_header(token)["kid"] == platform.key_id
    claims = jwt.decode(
        token,
        jwt.PyJWK(jwk).key,
        algorithms=["RS256"],
        audience="client-abc",
        issuer=platform.issuer,
    )
    assert claims["nonce"] == "n-1" and claims["azp"] == "client-abc"
    assert claims["sub"] == "learner-1" and claims["name"] == "Ada Learner"
    assert claims["email"] == "learner-1@platform.example"
    assert claims["exp"] - claims["iat"] == 300
    assert claims[LTI + "message_type"] == "LtiResourceLinkRequest"
    assert claims[LTI + "version"] == "1.3.0"
    assert claims[LTI + "deployment_id"] == platform.deployment_id
    assert claims[LTI + "target_link_uri"] == f"{TOOL}/lti/launch/"
    assert claims[LTI + "resource_link"]["id"] == "rl-1"
    assert claims[LTI + "roles"] == [ROLE_LEARNER]
    assert claims[LTI + "context"]["title"] == "Military Diplomacy"
    assert claims[LTI + "launch_presentation"]["return_url"] == platform.url("/return")
    ags = claims[AGS_CLAIM]
    assert ags["lineitems"] == platform.url("/contexts/course-101/lineitems")
    assert "lineitem" not in ags
    assert claims[NRPS_CLAIM]["context_memberships_url"] == platform.url(
        "/contexts/course-101/memberships"
    )


def test_id_token_overrides_removals_and_bad_signatures(platform):
    token = platform.id_token(
        nonce="n",
        overrides={"sub": "other", LTI + "custom": None},
        remove=[LTI + "deployment_id"],
        headers={"kid": None},
        issued_at=1000,
        lifetime=10,
    )
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert "kid" not in header
    assert claims["sub"] == "other" and claims["iat"] == 1000 and claims["exp"] == 1010
    assert LTI + "custom" not in claims and LTI + "deployment_id" not in claims

    unsigned = platform.id_token(nonce="n", alg="none")
    assert jwt.get_unverified_header(unsigned)["alg"] == "none" and unsigned.endswith(".")

    public_pem = serialization.load_pem_private_key(platform.private_key_pem, None).public_key()
    public_pem = public_pem.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    confused = platform.id_token(nonce="n", alg="HS256", key=public_pem)
    assert jwt.get_unverified_header(confused)["alg"] == "HS256"
    signing_input, _, signature = confused.rpartition(".")
    expected = jwt.algorithms.HMACAlgorithm(jwt.algorithms.HMACAlgorithm.SHA256).sign(
        signing_input.encode(), public_pem
    )
    assert base64.urlsafe_b64decode(signature + "==") == expected

    stranger = platform.id_token(nonce="n", key=_pem(_rsa_key()))
    jwk = platform.public_jwks()["keys"][0]
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(stranger, jwt.PyJWK(jwk).key, algorithms=["RS256"], audience="client-abc")


def test_deep_link_id_token(platform):
    token = platform.deep_link_id_token(nonce="n-2", data="xyz")
    claims = jwt.decode(
        token,
        jwt.PyJWK(platform.public_jwks()["keys"][0]).key,
        algorithms=["RS256"],
        audience="client-abc",
    )
    assert claims[LTI + "message_type"] == "LtiDeepLinkingRequest"
    assert LTI + "resource_link" not in claims
    assert claims[LTI + "roles"] == [ROLE_INSTRUCTOR] and claims["sub"] == "teacher-1"
    assert claims["name"] == "Tom Teacher"  # identity taken from the roster
    settings = claims[DL_SETTINGS]
    assert settings["deep_link_return_url"] == platform.url("/deep_link_return")
    assert settings["data"] == "xyz" and settings["accept_types"] == ["ltiResourceLink"]


def test_id_token_needs_a_client_id():
    with pytest.raises(RuntimeError):
        Platform().id_token(nonce="n")


def test_verify_tool_jwt(platform, tool_key):
    token = jwt.encode(
        {"iss": "client-abc", "aud": platform.issuer},
        tool_key["pem"],
        algorithm="RS256",
        headers={"kid": tool_key["kid"]},
    )
    assert platform.verify_tool_jwt(token, audience=platform.issuer)["iss"] == "client-abc"
    with pytest.raises(jwt.InvalidAudienceError):
        platform.verify_tool_jwt(token, audience="someone-else")
    wrong_kid = jwt.encode({"a": 1}, tool_key["pem"], algorithm="RS256", headers={"kid": "nope"})
    with pytest.raises(jwt.InvalidTokenError):
        platform.verify_tool_jwt(wrong_kid)
    hmac = jwt.encode({"a": 1}, "s" * 32, algorithm="HS256", headers={"kid": tool_key["kid"]})
    with pytest.raises(jwt.InvalidAlgorithmError):
        platform.verify_tool_jwt(hmac)


# ---------------------------------------------------------------- dynamic registration
def test_registration_requires_the_registration_token(platform):
    response = requests.post(platform.registration_url, json=registration_body(), timeout=5)
    assert response.status_code == 401
    response = requests.post(
        platform.registration_url,
        json=registration_body(),
        timeout=5,
        headers={"Authorization": "Bearer wrong"},
    )
    assert response.status_code == 401 and platform.registrations == []


def test_registration_succeeds(platform):
    platform.client_id = None
    body = registration_body()
    response = requests.post(
        platform.registration_url,
        json=body,
        timeout=5,
        headers={"Authorization": f"Bearer {platform.registration_token}"},
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["client_id"] == platform.client_id and platform.client_id
    assert answer[TOOL_CONFIGURATION]["deployment_id"] == platform.deployment_id
    assert answer["client_name"] == "Test Tool"
    assert platform.registrations == [body]


@pytest.mark.parametrize(
    "changes",
    [
        {"application_type": "native"},
        {"response_types": ["code"]},
        {"grant_types": ["client_credentials"]},
        {"initiate_login_uri": None},
        {"redirect_uris": []},
        {"client_name": None},
        {"jwks_uri": None},
        {"token_endpoint_auth_method": "client_secret_basic"},
        {"scope": [SCOPE_SCORE]},
        {TOOL_CONFIGURATION: None},
        {TOOL_CONFIGURATION: {"domain": "tool.example", "target_link_uri": TOOL, "claims": []}},
        {TOOL_CONFIGURATION: {"target_link_uri": TOOL, "messages": [], "claims": []}},
        {
            TOOL_CONFIGURATION: {
                "domain": "t",
                "target_link_uri": TOOL,
                "messages": [{}],
                "claims": [],
            }
        },
    ],
)
def test_registration_rejects_bad_metadata(platform, changes):
    response = requests.post(
        platform.registration_url,
        json=registration_body(**changes),
        timeout=5,
        headers={"Authorization": f"Bearer {platform.registration_token}"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client_metadata"
    assert response.json()["error_description"]
    assert platform.registrations == [] and platform.client_id == "client-abc"


# ---------------------------------------------------------------- token endpoint
def test_token_endpoint_accepts_a_good_assertion(platform, tool_key):
    response = token_request(platform, tool_key, scope=f"{SCOPE_SCORE} {SCOPE_NRPS}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["access_token"]
    assert body["scope"] == f"{SCOPE_SCORE} {SCOPE_NRPS}"
    (record,) = platform.token_requests
    assert record["grant_type"] == "client_credentials" and record["error"] is None
    assert record["claims"]["iss"] == "client-abc"


def test_token_endpoint_accepts_a_list_audience(platform, tool_key):
    response = token_request(platform, tool_key, aud=[platform.token_url, "other"])
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "overrides",
    [
        {"_key": "stranger"},
        {"iss": "someone-else"},
        {"sub": "someone-else"},
        {"aud": "https://elsewhere.example/token"},
        {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 4000},
        {"jti": None},
    ],
)
def test_token_endpoint_rejects_bad_assertions(platform, tool_key, overrides):
    if overrides.get("_key") == "stranger":
        overrides = {"_key": _pem(_rsa_key())}
    response = token_request(platform, tool_key, **overrides)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert platform.token_requests[-1]["error"] == "invalid_client"


def test_token_endpoint_rejects_a_reused_jti(platform, tool_key):
    assert token_request(platform, tool_key, jti="same").status_code == 200
    response = token_request(platform, tool_key, jti="same")
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_token_endpoint_rejects_bad_grants_and_scopes(platform, tool_key):
    form = {
        "grant_type": "password",
        "client_assertion_type": CLIENT_ASSERTION_TYPE,
        "client_assertion": assertion(platform, tool_key),
        "scope": SCOPE_SCORE,
    }
    response = requests.post(platform.token_url, data=form, timeout=5)
    assert response.status_code == 400 and response.json()["error"] == "unsupported_grant_type"
    response = token_request(platform, tool_key, scope="https://example.com/scope/everything")
    assert response.status_code == 400 and response.json()["error"] == "invalid_scope"


def test_token_scopes_are_limited_to_registered_ones(platform, tool_key):
    requests.post(
        platform.registration_url,
        json=registration_body(scope=SCOPE_SCORE),
        timeout=5,
        headers={"Authorization": f"Bearer {platform.registration_token}"},
    )
    assert token_request(platform, tool_key, scope=SCOPE_SCORE).status_code == 200
    assert token_request(platform, tool_key, scope=SCOPE_NRPS).status_code == 400


# ---------------------------------------------------------------- NRPS
def test_memberships_are_paged_with_an_opaque_mixed_case_token(platform, tool_key):
    platform.members += [
        {"user_id": f"learner-{n}", "roles": [ROLE_LEARNER], "status": "Active"}
        for n in range(2, 5)
    ]
    headers = bearer(platform, tool_key, SCOPE_NRPS)
    url, seen = platform.url("/contexts/course-101/memberships"), []
    first = requests.get(url, headers=headers, timeout=5)
    assert first.headers["Content-Type"] == MT_MEMBERSHIPS
    assert first.json()["id"] == url
    assert first.json()["context"] == {
        "id": "course-101",
        "label": "MD101",
        "title": "Military Diplomacy",
    }
    next_url = first.links["next"]["url"]
    token = next_url.split("page=")[1]
    assert token != token.lower() and token != token.upper()
    assert (
        requests.get(
            next_url.lower().replace(platform.issuer.lower(), platform.issuer),
            headers=headers,
            timeout=5,
        ).status_code
        == 400
    )
    response = first
    while True:
        seen += [m["user_id"] for m in response.json()["members"]]
        if "next" not in response.links:
            break
        response = requests.get(response.links["next"]["url"], headers=headers, timeout=5)
        assert response.json()["id"] == response.url
    assert seen == ["learner-1", "teacher-1", "learner-2", "learner-3", "learner-4"]


def test_memberships_need_the_nrps_scope(platform, tool_key):
    url = platform.url("/contexts/course-101/memberships")
    assert requests.get(url, timeout=5).status_code == 401
    headers = bearer(platform, tool_key, SCOPE_SCORE)
    assert requests.get(url, headers=headers, timeout=5).status_code == 403
    headers = bearer(platform, tool_key, SCOPE_NRPS)
    assert requests.get(url + "?page=Bogus", headers=headers, timeout=5).status_code == 400


# ---------------------------------------------------------------- AGS
def test_line_items_can_be_created_listed_and_read(platform, tool_key):
    headers = bearer(platform, tool_key)
    response = create_line_item(platform, headers, tag="grade")
    assert response.status_code == 201, response.text
    item = response.json()
    assert item["id"] == platform.url("/contexts/course-101/lineitems/1")
    assert platform.line_items[item["id"]]["label"] == "Lesson 1"
    assert requests.get(item["id"], headers=headers, timeout=5).json() == item
    listing = platform.url("/contexts/course-101/lineitems")
    assert requests.get(listing, headers=headers, timeout=5).json() == [item]
    for query in ("?resource_link_id=rl-2", "?tag=other", "?resource_id=x"):
        assert requests.get(listing + query, headers=headers, timeout=5).json() == []
    assert requests.get(listing + "?resource_link_id=rl-1", headers=headers, timeout=5).json() == [
        item
    ]
    claims = jwt.decode(platform.id_token(nonce="n"), options={"verify_signature": False})
    assert claims[AGS_CLAIM]["lineitem"] == item["id"]


def test_line_item_validation_and_scopes(platform, tool_key):
    headers = bearer(platform, tool_key)
    assert create_line_item(platform, headers, label="").status_code == 400
    assert create_line_item(platform, headers, scoreMaximum=0).status_code == 400
    wrong_type = requests.post(
        platform.url("/contexts/course-101/lineitems"),
        timeout=5,
        json={"label": "x", "scoreMaximum": 1},
        headers=headers,
    )
    assert wrong_type.status_code == 415
    readonly = bearer(platform, tool_key, SCOPE_LINEITEM_READONLY)
    assert create_line_item(platform, readonly).status_code == 403
    listing = platform.url("/contexts/course-101/lineitems")
    assert requests.get(listing, headers=readonly, timeout=5).status_code == 200
    assert requests.get(listing + "/99", headers=readonly, timeout=5).status_code == 404


def post_score(platform, headers, line_item, content_type=MT_SCORE, **fields):
    body = {
        "userId": "learner-1",
        "timestamp": datetime.now(UTC).isoformat(),
        "scoreGiven": 7,
        "scoreMaximum": 10,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        **fields,
    }
    body = {k: v for k, v in body.items() if v is not None}
    return requests.post(
        f"{line_item}/scores",
        json=body,
        timeout=5,
        headers={**headers, "Content-Type": content_type},
    )


def test_scores_are_accepted_and_recorded(platform, tool_key):
    headers = bearer(platform, tool_key)
    line_item = create_line_item(platform, headers).json()["id"]
    response = post_score(platform, headers, line_item, comment="Well done")
    assert response.status_code == 204 and response.content == b""
    (score,) = platform.scores
    assert score["line_item"] == line_item and score["content_type"] == MT_SCORE
    assert score["body"]["scoreGiven"] == 7 and SCOPE_SCORE in score["token_scopes"]
    results = requests.get(f"{line_item}/results", headers=headers, timeout=5).json()
    assert results[0]["userId"] == "learner-1" and results[0]["resultScore"] == 7


@pytest.mark.parametrize(
    "fields",
    [
        {"userId": None},
        {"timestamp": None},
        {"timestamp": "yesterday"},
        {"timestamp": "2024-01-01T10:00:00"},
        {"activityProgress": "Done"},
        {"gradingProgress": None},
        {"scoreMaximum": None},
        {"scoreMaximum": 0},
        {"scoreGiven": -1},
        {"scoreGiven": "7"},
    ],
)
def test_score_validation(platform, tool_key, fields):
    headers = bearer(platform, tool_key)
    line_item = create_line_item(platform, headers).json()["id"]
    response = post_score(platform, headers, line_item, **fields)
    assert response.status_code == 400 and response.json()["error"]
    assert platform.scores == []


def test_score_without_a_grade_needs_no_maximum(platform, tool_key):
    headers = bearer(platform, tool_key)
    line_item = create_line_item(platform, headers).json()["id"]
    response = post_score(
        platform,
        headers,
        line_item,
        scoreGiven=None,
        scoreMaximum=None,
        activityProgress="Started",
        gradingProgress="NotReady",
    )
    assert response.status_code == 204


def test_score_content_type_scope_outage_and_ordering(platform, tool_key):
    headers = bearer(platform, tool_key)
    line_item = create_line_item(platform, headers).json()["id"]
    assert post_score(platform, headers, line_item, "application/json").status_code == 415
    no_score_scope = bearer(platform, tool_key, SCOPE_LINEITEM)
    assert post_score(platform, no_score_scope, line_item).status_code == 403
    assert post_score(platform, {}, line_item).status_code == 401
    assert (
        post_score(
            platform,
            headers,
            platform.url("/contexts/course-101/lineitems/9"),
        ).status_code
        == 404
    )
    platform.fail_next_score_posts = 2
    assert post_score(platform, headers, line_item).status_code == 503
    assert post_score(platform, headers, line_item).status_code == 503
    later = datetime.now(UTC)
    assert post_score(platform, headers, line_item, timestamp=later.isoformat()).status_code == 204
    earlier = (later - timedelta(minutes=1)).isoformat()
    assert post_score(platform, headers, line_item, timestamp=earlier).status_code == 409
    assert platform.fail_next_score_posts == 0 and len(platform.scores) == 1


# ---------------------------------------------------------------- misc
def test_other_endpoints(platform):
    assert requests.get(platform.url("/return"), timeout=5).text == "returned"
    assert requests.get(platform.auth_url, timeout=5).status_code == 400
    assert requests.get(platform.url("/nowhere"), timeout=5).status_code == 404
    assert (
        requests.get(platform.url("/contexts/course-101/lineitems/1/scores"), timeout=5).status_code
        == 405
    )


def test_reset_services(platform, tool_key):
    headers = bearer(platform, tool_key)
    create_line_item(platform, headers)
    platform.members.clear()
    platform.fail_next_score_posts = 3
    platform.reset_services()
    assert platform.line_items == {} and platform.scores == [] and platform.token_requests == []
    assert [m["user_id"] for m in platform.members] == ["learner-1", "teacher-1"]
    assert platform.fail_next_score_posts == 0
    assert (
        requests.get(
            platform.url("/contexts/course-101/lineitems"), headers=headers, timeout=5
        ).status_code
        == 401
    )
