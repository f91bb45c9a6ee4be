"""An in-process LTI 1.3 Advantage *platform* simulator, for tests only.

It plays the part Canvas or Moodle play in production, so the tool's test suite can drive it
end to end over real HTTP:

* OpenID configuration and LTI Dynamic Registration 1.0 (``/.well-known/openid-configuration``,
  ``POST /register`` guarded by a registration token);
* LTI 1.3 Core id_tokens (resource link launches) and Deep Linking 2.0 requests, signed RS256 with
  the platform key published at ``/jwks`` -- or deliberately broken (``alg="none"``, HS256 key
  confusion, other keys, missing or overridden claims);
* the OAuth 2.0 client-credentials token endpoint with ``private_key_jwt`` client assertions
  (RFC 7523) verified against the tool's JWKS;
* Assignment and Grade Services 2.0 (line items, scores, results) and Names and Role Provisioning
  Services 2.0 (paged memberships with an opaque, mixed-case page token and a ``Link`` header).

The browser side (OIDC ``/auth``) is not simulated: tests mint id_tokens and post them themselves.
State is kept in plain attributes so tests can inspect and change it. Nothing is logged.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import secrets
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto import jwk as jwcrypto_jwk
from jwcrypto import jws as jwcrypto_jws

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"

SCOPE_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCOPE_LINEITEM_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
SCOPE_RESULT_READONLY = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
SCOPE_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
SCOPE_NRPS = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
SERVICE_SCOPES = (
    SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY, SCOPE_RESULT_READONLY, SCOPE_SCORE, SCOPE_NRPS,
)

ROLE_LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
ROLE_INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

MT_LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
MT_LINEITEMS = "application/vnd.ims.lis.v2.lineitemcontainer+json"
MT_SCORE = "application/vnd.ims.lis.v1.score+json"
MT_RESULTS = "application/vnd.ims.lis.v2.resultcontainer+json"
MT_MEMBERSHIPS = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"

ACTIVITY_PROGRESS = {"Initialized", "Started", "InProgress", "Submitted", "Completed"}
GRADING_PROGRESS = {"FullyGraded", "Pending", "PendingManual", "Failed", "NotReady"}

CONTEXT_ID = "course-101"
CONTEXT = {"id": CONTEXT_ID, "label": "MD101", "title": "Military Diplomacy"}
DEFAULT_MEMBERS = [
    {"user_id": "learner-1", "roles": [ROLE_LEARNER], "status": "Active", "name": "Ada Learner",
     "given_name": "Ada", "family_name": "Learner", "email": "learner-1@platform.example"},
    {"user_id": "teacher-1", "roles": [ROLE_INSTRUCTOR], "status": "Active", "name": "Tom Teacher",
     "given_name": "Tom", "family_name": "Teacher", "email": "teacher-1@platform.example"},
]


class HttpError(Exception):
    """Turned into a JSON error response by the request handler."""

    def __init__(self, status: int, error: str, description: str = "", headers=None) -> None:
        super().__init__(description or error)
        self.status, self.error, self.description = status, error, description
        self.headers = headers or {}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class Platform:
    """An LTI 1.3 platform served on 127.0.0.1 from a daemon thread. See the module docstring."""

    def __init__(self, *, product_family_code: str = "simulator", page_size: int = 50) -> None:
        self.product_family_code = product_family_code
        self.page_size = page_size
        self.registration_token = secrets.token_urlsafe(24)
        self.deployment_id = "dep-" + secrets.token_hex(8)
        self.client_id: str | None = None
        self.registrations: list[dict] = []
        self.tool_jwks: dict | None = None
        self._registered_scopes: set[str] | None = None  # None: configured by hand, no limit
        self.issuer = ""
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.key_id = "sim-" + secrets.token_hex(8)
        self.private_key_pem: bytes = private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        public_key = private_key.public_key()
        self._public_jwk = jwt.algorithms.RSAAlgorithm.to_jwk(public_key, as_dict=True)
        self._public_jwk.pop("key_ops", None)  # RFC 7517: do not use together with "use"
        self._public_jwk.update({"kid": self.key_id, "alg": "RS256", "use": "sig"})
        self.reset_services()

    # ----------------------------------------------------------------- lifecycle and URLs
    def start(self) -> Platform:
        handler = type("BoundHandler", (_Handler,), {"platform": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self.issuer = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def url(self, path: str) -> str:
        return self.issuer + path

    openid_configuration_url = property(lambda self: self.url("/.well-known/openid-configuration"))
    auth_url = property(lambda self: self.url("/auth"))
    token_url = property(lambda self: self.url("/token"))
    jwks_url = property(lambda self: self.url("/jwks"))
    registration_url = property(lambda self: self.url("/register"))

    def register_manually(self, client_id: str) -> Platform:
        """Skip dynamic registration: the tool was configured by hand with this client id."""
        self.client_id = client_id
        self._registered_scopes = None
        return self

    def reset_services(self) -> None:
        """Forget line items, scores, tokens and roster changes; restore the default members."""
        with self._lock:
            self.members: list[dict] = copy.deepcopy(DEFAULT_MEMBERS)
            self.line_items: dict[str, dict] = {}
            self.scores: list[dict] = []
            self.token_requests: list[dict] = []
            self.requests_log: list[dict] = []  # method, path, headers of every request served
            self.fail_next_score_posts = 0
            self._tokens: dict[str, tuple[list[str], float]] = {}
            self._used_jtis: set[str] = set()
            self._page_tokens: dict[str, int] = {}
            self._next_line_item = 1

    # ----------------------------------------------------------------- keys and messages
    def public_jwks(self) -> dict:
        return {"keys": [dict(self._public_jwk)]}

    def id_token(
        self, *, nonce: str, message_type: str = "LtiResourceLinkRequest", sub: str = "learner-1",
        roles=(ROLE_LEARNER,), context_id: str = CONTEXT_ID, resource_link_id: str = "rl-1",
        target_link_uri: str | None = None, overrides: dict | None = None, remove=(),
        headers: dict | None = None, key=None, alg: str = "RS256", lifetime: int = 300,
        issued_at: int | None = None,
    ) -> str:
        """An LTI 1.3 id_token for the registered client, signed with the platform key.

        The user's name and email come from ``members`` when ``sub`` is one of them. ``overrides``
        is merged over the top-level claims (a value of None deletes the claim), ``remove`` deletes
        claims, ``headers`` is merged into the JWT header (None deletes, e.g. ``{"kid": None}``).
        ``key``/``alg`` sign differently: another RSA key, ``alg="none"`` (unsigned), or
        ``alg="HS256"`` with ``key=<bytes>`` (even the platform's public PEM: key confusion).
        """
        if self.client_id is None:
            raise RuntimeError("no client_id yet: register the tool first (or register_manually)")
        iat = int(time.time()) if issued_at is None else int(issued_at)
        person = {"name": "Ada Learner", "given_name": "Ada", "family_name": "Learner",
                  "email": f"{sub}@platform.example"}
        for member in self.members:
            if member.get("user_id") == sub:
                person.update({k: member[k] for k in person if member.get(k) is not None})
        payload: dict[str, Any] = {
            "iss": self.issuer, "aud": self.client_id, "azp": self.client_id, "sub": sub,
            "exp": iat + lifetime, "iat": iat, "nonce": nonce,
            **person,
            LTI + "message_type": message_type,
            LTI + "version": "1.3.0",
            LTI + "deployment_id": self.deployment_id,
            LTI + "roles": list(roles),
            LTI + "context": {**CONTEXT, "id": context_id, "type": [
                "http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"]},
            LTI + "launch_presentation": {"document_target": "iframe",
                                          "return_url": self.url("/return")},
            LTI + "tool_platform": {"guid": "sim-guid",
                                    "product_family_code": self.product_family_code},
            LTI + "custom": {},
            NRPS_CLAIM: {"context_memberships_url": self.url(f"/contexts/{context_id}/memberships"),
                         "service_versions": ["2.0"]},
        }
        if target_link_uri is not None:
            payload[LTI + "target_link_uri"] = target_link_uri
        ags = {"scope": [SCOPE_LINEITEM, SCOPE_RESULT_READONLY, SCOPE_SCORE],
               "lineitems": self.url(f"/contexts/{context_id}/lineitems")}
        if message_type == "LtiResourceLinkRequest":
            payload[LTI + "resource_link"] = {"id": resource_link_id, "title": "Lesson 1"}
            with self._lock:
                for url, item in self.line_items.items():
                    if (item.get("resourceLinkId") == resource_link_id
                            and url.startswith(ags["lineitems"] + "/")):
                        ags["lineitem"] = url
                        break
        payload[AGS_CLAIM] = ags
        for name, value in (overrides or {}).items():
            if value is None:
                payload.pop(name, None)
            else:
                payload[name] = value
        for name in remove:
            payload.pop(name, None)
        return self._sign(payload, headers=headers, key=key, alg=alg)

    def deep_link_id_token(self, *, nonce: str, sub: str = "teacher-1",
                           data: str = "opaque-data-123", overrides: dict | None = None,
                           **kwargs: Any) -> str:
        """An LtiDeepLinkingRequest; extra keyword arguments go to :meth:`id_token`."""
        settings = {
            "deep_link_return_url": self.url("/deep_link_return"),
            "accept_types": ["ltiResourceLink"],
            "accept_presentation_document_targets": ["iframe", "window"],
            "accept_multiple": True, "auto_create": True, "data": data,
        }
        kwargs.setdefault("roles", (ROLE_INSTRUCTOR,))
        return self.id_token(nonce=nonce, sub=sub, message_type="LtiDeepLinkingRequest",
                             overrides={DL_SETTINGS: settings, **(overrides or {})}, **kwargs)

    def _sign(self, payload: dict, *, headers: dict | None, key, alg: str) -> str:
        header = {"kid": self.key_id, **(headers or {})}
        header = {name: value for name, value in header.items() if value is not None}
        if alg == "none":
            return jwt.encode(payload, None, algorithm="none", headers=header)
        if alg.startswith("HS"):
            secret = key.encode() if isinstance(key, str) else key
            try:
                return jwt.encode(payload, secret, algorithm=alg, headers=header)
            except jwt.InvalidKeyError:
                # PyJWT refuses PEM keys as HMAC secrets; the key-confusion test needs exactly that.
                oct_key = jwcrypto_jwk.JWK(
                    kty="oct", k=base64.urlsafe_b64encode(secret).rstrip(b"=").decode())
                token = jwcrypto_jws.JWS(json.dumps(payload).encode())
                token.add_signature(oct_key, alg=alg,
                                    protected=json.dumps({"typ": "JWT", **header, "alg": alg}))
                return token.serialize(compact=True)
        return jwt.encode(payload, key if key is not None else self.private_key_pem,
                          algorithm=alg, headers=header)

    def verify_tool_jwt(self, token: str, *, audience: str | list[str] | None = None,
                        require: tuple[str, ...] = ()) -> dict:
        """Verify a JWT the tool signed (RS256, key chosen by kid from ``tool_jwks``)."""
        if not self.tool_jwks:
            raise jwt.InvalidTokenError("tool_jwks is not set")
        header = jwt.get_unverified_header(token)
        if header.get("alg") != "RS256":
            raise jwt.InvalidAlgorithmError(f"alg {header.get('alg')!r} is not RS256")
        matches = [k for k in self.tool_jwks.get("keys", []) if k.get("kid") == header.get("kid")]
        if not header.get("kid") or len(matches) != 1:
            raise jwt.InvalidTokenError(f"no single tool key with kid {header.get('kid')!r}")
        public_key = jwt.PyJWK({**matches[0], "alg": "RS256"}).key
        return jwt.decode(token, public_key, algorithms=["RS256"], audience=audience,
                          options={"verify_aud": audience is not None, "require": list(require)})

    # ----------------------------------------------------------------- endpoint logic
    def openid_configuration(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": self.auth_url,
            "token_endpoint": self.token_url,
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
            "jwks_uri": self.jwks_url,
            "registration_endpoint": self.registration_url,
            "scopes_supported": ["openid", *SERVICE_SCOPES],
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public", "pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": ["iss", "aud", "sub", "iat", "exp", "nonce", "name",
                                 "given_name", "family_name", "email"],
            PLATFORM_CONFIGURATION: {
                "product_family_code": self.product_family_code, "version": "1.0",
                "messages_supported": [{"type": "LtiResourceLinkRequest"},
                                       {"type": "LtiDeepLinkingRequest"}],
                "variables": [],
            },
        }

    def _register(self, authorization: str, content_type: str, raw: bytes) -> dict:
        if authorization != f"Bearer {self.registration_token}":
            raise HttpError(401, "invalid_token", "missing or wrong registration token")

        def bad(description: str) -> HttpError:
            return HttpError(400, "invalid_client_metadata", description)

        if content_type.split(";")[0].strip().lower() != "application/json":
            raise bad("Content-Type must be application/json")
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise bad("body is not JSON") from exc
        if not isinstance(body, dict):
            raise bad("body must be a JSON object")
        if body.get("application_type") != "web":
            raise bad("application_type must be 'web'")
        if "id_token" not in (body.get("response_types") or []):
            raise bad("response_types must include 'id_token'")
        if not {"implicit", "client_credentials"} <= set(body.get("grant_types") or []):
            raise bad("grant_types must include 'implicit' and 'client_credentials'")
        for field in ("initiate_login_uri", "client_name", "jwks_uri"):
            if not isinstance(body.get(field), str) or not body[field]:
                raise bad(f"{field} is required")
        uris = body.get("redirect_uris")
        if not isinstance(uris, list) or not uris or not all(isinstance(u, str) for u in uris):
            raise bad("redirect_uris must be a non-empty list of URIs")
        if body.get("token_endpoint_auth_method") != "private_key_jwt":
            raise bad("token_endpoint_auth_method must be 'private_key_jwt'")
        if not isinstance(body.get("scope"), str):
            raise bad("scope must be a space-separated string")
        config = body.get(TOOL_CONFIGURATION)
        if not isinstance(config, dict):
            raise bad(f"{TOOL_CONFIGURATION} is required")
        for field in ("domain", "target_link_uri"):
            if not isinstance(config.get(field), str) or not config[field]:
                raise bad(f"tool configuration {field} is required")
        messages = config.get("messages")
        if not isinstance(messages, list) or not all(
                isinstance(m, dict) and isinstance(m.get("type"), str) for m in messages):
            raise bad("tool configuration messages must be a list of {type, ...}")
        if not isinstance(config.get("claims"), list):
            raise bad("tool configuration claims must be a list")
        with self._lock:
            self.client_id = secrets.token_urlsafe(12)
            self.registrations.append(body)
            self._registered_scopes = set(body["scope"].split())
        return {**body, "client_id": self.client_id,
                TOOL_CONFIGURATION: {**config, "deployment_id": self.deployment_id}}

    def _token(self, content_type: str, raw: bytes) -> dict:
        form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
        record: dict[str, Any] = {**form, "claims": None, "error": None}
        with self._lock:
            self.token_requests.append(record)
        try:
            if content_type.split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
                raise HttpError(400, "invalid_request", "form-encoded body required")
            if form.get("grant_type") != "client_credentials":
                raise HttpError(400, "unsupported_grant_type",
                                "grant_type must be client_credentials")
            if form.get("client_assertion_type") != CLIENT_ASSERTION_TYPE:
                raise HttpError(401, "invalid_client", "client_assertion_type must be jwt-bearer")
            record["claims"] = claims = self._verify_assertion(form.get("client_assertion", ""))
            scopes = form.get("scope", "").split()
            allowed = set(SERVICE_SCOPES)
            if self._registered_scopes is not None:
                allowed &= self._registered_scopes
            if not scopes or not set(scopes) <= allowed:
                raise HttpError(400, "invalid_scope",
                                f"scope must be a subset of {sorted(allowed)}")
            with self._lock:
                if claims["jti"] in self._used_jtis:
                    raise HttpError(401, "invalid_client", "client_assertion jti was already used")
                self._used_jtis.add(claims["jti"])
                access_token = secrets.token_urlsafe(24)
                self._tokens[access_token] = (scopes, time.time() + 3600)
        except HttpError as exc:
            record["error"] = exc.error
            raise
        return {"access_token": access_token, "token_type": "Bearer", "expires_in": 3600,
                "scope": " ".join(scopes)}

    def _verify_assertion(self, assertion: str) -> dict:
        try:
            claims = self.verify_tool_jwt(assertion, audience=self.token_url,
                                          require=("iss", "sub", "aud", "exp", "jti"))
        except jwt.PyJWTError as exc:
            raise HttpError(401, "invalid_client", f"client_assertion rejected: {exc}") from exc
        if self.client_id is None or not claims["iss"] == claims["sub"] == self.client_id:
            raise HttpError(401, "invalid_client", "iss and sub must both be the client_id")
        return claims

    def _authorize(self, authorization: str, *accepted_scopes: str) -> list[str]:
        token = authorization[7:] if authorization.startswith("Bearer ") else ""
        with self._lock:
            scopes, expires = self._tokens.get(token, ([], 0.0))
        if expires < time.time():
            raise HttpError(401, "invalid_token", "missing, unknown or expired access token",
                            {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        if not set(accepted_scopes) & set(scopes):
            raise HttpError(403, "insufficient_scope", f"needs one of {list(accepted_scopes)}",
                            {"WWW-Authenticate": 'Bearer error="insufficient_scope"'})
        return scopes

    def _memberships(self, context_id: str, query: dict, path: str) -> tuple[dict, dict]:
        if context_id != CONTEXT_ID:
            raise HttpError(404, "not_found", f"unknown context {context_id}")
        with self._lock:
            members = copy.deepcopy(self.members)
            offset = 0
            if "page" in query:
                if query["page"] not in self._page_tokens:
                    raise HttpError(400, "invalid_request", "unknown page token")
                offset = self._page_tokens[query["page"]]
        if "role" in query:
            members = [m for m in members if query["role"] in m.get("roles", [])]
        size = self.page_size
        if query.get("limit", "").isdigit() and int(query["limit"]) > 0:
            size = int(query["limit"])
        headers = {}
        if offset + size < len(members):
            # Opaque and mixed-case on purpose: a client that rewrites the URL breaks.
            token = "Pg" + base64.urlsafe_b64encode(
                f"Offset={offset + size};{secrets.token_hex(4)}".encode()).decode().rstrip("=")
            with self._lock:
                self._page_tokens[token] = offset + size
            next_url = self.url(path) + "?" + urlencode({**query, "page": token})
            headers["Link"] = f'<{next_url}>; rel="next"'
        body = {"id": "", "context": dict(CONTEXT), "members": members[offset:offset + size]}
        return body, headers

    def _create_line_item(self, context_id: str, content_type: str, raw: bytes) -> dict:
        if content_type.split(";")[0].strip() != MT_LINEITEM:
            raise HttpError(415, "unsupported_media_type", f"Content-Type must be {MT_LINEITEM}")
        item = _json_object(raw)
        if not isinstance(item.get("label"), str) or not item["label"].strip():
            raise HttpError(400, "invalid_request", "label is required")
        if not _is_number(item.get("scoreMaximum")) or item["scoreMaximum"] <= 0:
            raise HttpError(400, "invalid_request", "scoreMaximum must be a number > 0")
        with self._lock:
            item["id"] = self.url(f"/contexts/{context_id}/lineitems/{self._next_line_item}")
            self._next_line_item += 1
            self.line_items[item["id"]] = item
        return item

    def _post_score(self, line_item_url: str, scopes: list[str], content_type: str,
                    raw: bytes) -> None:
        with self._lock:
            if self.fail_next_score_posts > 0:
                self.fail_next_score_posts -= 1
                raise HttpError(503, "temporarily_unavailable", "simulated outage")
            if line_item_url not in self.line_items:
                raise HttpError(404, "not_found", "unknown line item")
        if content_type.split(";")[0].strip() != MT_SCORE:
            raise HttpError(415, "unsupported_media_type", f"Content-Type must be {MT_SCORE}")
        score = _json_object(raw)
        if not isinstance(score.get("userId"), str) or not score["userId"]:
            raise HttpError(400, "invalid_request", "userId is required")
        try:
            timestamp = datetime.fromisoformat(score["timestamp"])
        except (KeyError, TypeError, ValueError) as exc:
            raise HttpError(400, "invalid_request", "timestamp must be ISO 8601") from exc
        if timestamp.tzinfo is None:
            raise HttpError(400, "invalid_request", "timestamp must carry a timezone")
        if score.get("activityProgress") not in ACTIVITY_PROGRESS:
            raise HttpError(400, "invalid_request", "activityProgress is missing or invalid")
        if score.get("gradingProgress") not in GRADING_PROGRESS:
            raise HttpError(400, "invalid_request", "gradingProgress is missing or invalid")
        if "scoreGiven" in score:
            if not _is_number(score["scoreGiven"]) or score["scoreGiven"] < 0:
                raise HttpError(400, "invalid_request", "scoreGiven must be a number >= 0")
            if not _is_number(score.get("scoreMaximum")) or score["scoreMaximum"] <= 0:
                raise HttpError(400, "invalid_request", "scoreMaximum must be a number > 0")
        with self._lock:
            for earlier in self.scores:
                if (earlier["line_item"] == line_item_url
                        and earlier["body"]["userId"] == score["userId"]
                        and datetime.fromisoformat(earlier["body"]["timestamp"]) >= timestamp):
                    raise HttpError(409, "conflict", "timestamp not later than the last score")
            self.scores.append({"line_item": line_item_url, "body": score,
                                "token_scopes": list(scopes), "content_type": content_type})

    def _results(self, line_item_url: str, user_id: str | None) -> list[dict]:
        latest: dict[str, dict] = {}
        with self._lock:
            for entry in self.scores:
                if entry["line_item"] == line_item_url:
                    latest[entry["body"]["userId"]] = entry["body"]
        return [{"id": f"{line_item_url}/results/{uid}", "scoreOf": line_item_url, "userId": uid,
                 "resultScore": body.get("scoreGiven"), "resultMaximum": body.get("scoreMaximum"),
                 "comment": body.get("comment")}
                for uid, body in latest.items() if user_id in (None, uid)]


def _json_object(raw: bytes) -> dict:
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise HttpError(400, "invalid_request", "body is not JSON") from exc
    if not isinstance(body, dict):
        raise HttpError(400, "invalid_request", "body must be a JSON object")
    return body


ROUTES = re.compile(
    r"^/contexts/(?P<ctx>[^/]+)/(?:(?P<memberships>memberships)"
    r"|lineitems(?:/(?P<n>\d+)(?:/(?P<sub>scores|results))?)?)$")


class _Handler(BaseHTTPRequestHandler):
    platform: Platform  # set on the subclass made by Platform.start()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _send(self, status: int, body: Any = None, content_type: str = "application/json",
              headers: dict | None = None) -> None:
        data = b""
        if body is not None:
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if status != 204:
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if status != 204:
            self.wfile.write(data)

    def _dispatch(self, method: str) -> None:
        p = self.platform
        parts = urlsplit(self.path)
        path, query = parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        auth, ctype = self.headers.get("Authorization", ""), self.headers.get("Content-Type", "")
        with p._lock:
            p.requests_log.append({"method": method, "path": self.path,
                                   "headers": dict(self.headers.items())})
        try:
            route = (method, path)
            if route == ("GET", "/.well-known/openid-configuration"):
                return self._send(200, p.openid_configuration())
            if route == ("GET", "/jwks"):
                return self._send(200, p.public_jwks(), "application/jwk-set+json")
            if route == ("POST", "/register"):
                return self._send(200, p._register(auth, ctype, raw))
            if route == ("POST", "/token"):
                return self._send(200, p._token(ctype, raw))
            if route == ("GET", "/auth"):
                raise HttpError(400, "invalid_request", "the simulator has no browser login")
            if route == ("GET", "/return"):
                return self._send(200, "returned", "text/plain; charset=utf-8")
            match = ROUTES.match(path)
            if not match:
                raise HttpError(404, "not_found", path)
            ctx, n, sub = match["ctx"], match["n"], match["sub"]
            if match["memberships"] and method == "GET":
                p._authorize(auth, SCOPE_NRPS)
                body, headers = p._memberships(ctx, query, path)
                body["id"] = p.url(self.path)
                return self._send(200, body, MT_MEMBERSHIPS, headers)
            read_scopes = (SCOPE_LINEITEM, SCOPE_LINEITEM_READONLY)
            if n is None and method == "GET":
                p._authorize(auth, *read_scopes)
                with p._lock:
                    items = [copy.deepcopy(item) for url, item in p.line_items.items()
                             if url.startswith(p.url(f"/contexts/{ctx}/lineitems/"))]
                for field, key in (("resource_link_id", "resourceLinkId"),
                                   ("resource_id", "resourceId"), ("tag", "tag")):
                    if field in query:
                        items = [item for item in items if item.get(key) == query[field]]
                return self._send(200, items, MT_LINEITEMS)
            if n is None and method == "POST":
                p._authorize(auth, SCOPE_LINEITEM)
                item = p._create_line_item(ctx, ctype, raw)
                return self._send(201, item, MT_LINEITEM, {"Location": item["id"]})
            item_url = p.url(f"/contexts/{ctx}/lineitems/{n}")
            if sub is None and method == "GET":
                p._authorize(auth, *read_scopes)
                with p._lock:
                    item = copy.deepcopy(p.line_items.get(item_url))
                if item is None:
                    raise HttpError(404, "not_found", "unknown line item")
                return self._send(200, item, MT_LINEITEM)
            if sub == "scores" and method == "POST":
                scopes = p._authorize(auth, SCOPE_SCORE)
                p._post_score(item_url, scopes, ctype, raw)
                return self._send(204)
            if sub == "results" and method == "GET":
                p._authorize(auth, SCOPE_RESULT_READONLY)
                if item_url not in p.line_items:
                    raise HttpError(404, "not_found", "unknown line item")
                return self._send(200, p._results(item_url, query.get("user_id")), MT_RESULTS)
            raise HttpError(405, "method_not_allowed", f"{method} {path}")
        except HttpError as exc:
            body = {"error": exc.error}
            if exc.description:
                body["error_description"] = exc.description
            self._send(exc.status, body, headers=exc.headers)
