"""Hardening a user would notice: deploy checks, headers, password storage, sign-in
throttling, sessions, and a database that goes away."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import OperationalError, connection
from django.urls import reverse

from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent.parent
pytestmark = pytest.mark.django_db


def test_production_settings_pass_check_deploy_without_a_warning():
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SECURE_", "SESSION_", "CSRF_"))
        # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for their own process only.
        and key not in {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    environment.update(
        DEBUG="false", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="course.example.org"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_pages_carry_a_csp_without_inline_scripts_and_the_other_headers(client, course):
    response = client.get(reverse("courseware:course-detail", args=[course.slug]))

    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert directives["frame-ancestors"] == "'none'"  # no LMS registered
    assert directives["object-src"] == "'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_new_passwords_are_hashed_with_argon2(settings, client, course):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    client.post(
        reverse("signup"),
        {
            "email": "new@example.org",
            "display_name": "New Person",
            "password1": "a long enough passphrase 42",
            "password2": "a long enough passphrase 42",
        },
    )
    from django.contrib.auth import get_user_model

    assert get_user_model().objects.get(email="new@example.org").password.startswith("argon2$")


def test_the_production_hasher_list_starts_with_argon2():
    from config import settings as production

    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def sign_in(client, email, password, address="10.0.0.1"):
    return client.post(
        reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=address
    )


def test_sign_in_is_throttled_per_account_with_a_clear_message(client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    user = UserFactory(email="target@example.org")
    user.set_password("the right password 1")
    user.save()
    for attempt in range(3):
        sign_in(client, "target@example.org", "wrong", address=f"10.0.0.{attempt}")

    # Even the right password, from yet another address, is refused during the cool-off.
    response = sign_in(client, "target@example.org", "the right password 1", address="10.9.9.9")

    assert response.status_code == 429
    assert b"Too many sign-in attempts" in response.content
    assert "_auth_user_id" not in client.session


def test_sign_in_is_throttled_per_address_across_accounts(client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    victim = UserFactory(email="victim@example.org")
    victim.set_password("the right password 1")
    victim.save()
    for n in range(3):
        sign_in(client, f"guess{n}@example.org", "wrong", address="10.1.1.1")

    response = sign_in(client, "victim@example.org", "the right password 1", address="10.1.1.1")

    assert response.status_code == 429


def test_a_good_sign_in_before_the_limit_resets_the_count_and_rotates_the_session(client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    user = UserFactory(email="someone@example.org")
    user.set_password("the right password 1")
    user.save()
    sign_in(client, "someone@example.org", "wrong")
    client.get(reverse("login"))
    before = client.cookies.get("sessionid")

    response = sign_in(client, "someone@example.org", "the right password 1")

    assert response.status_code == 302
    after = client.cookies["sessionid"].value
    assert before is None or before.value != after
    from axes.models import AccessAttempt

    assert not AccessAttempt.objects.filter(username="someone@example.org").exists()


@pytest.fixture
def database_gone(monkeypatch):
    """The database stops answering: every query raises OperationalError."""

    def refuse(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    def install():
        monkeypatch.setattr(connection, "cursor", refuse)

    return install


def test_a_page_answers_503_when_the_database_is_gone(client, course, database_gone):
    client.raise_request_exception = False
    database_gone()

    response = client.get(reverse("courseware:course-detail", args=[course.slug]))

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert b"Nothing you sent was saved" in response.content


def test_the_api_answers_problem_json_503_when_the_database_is_gone(client, database_gone):
    client.raise_request_exception = False
    database_gone()

    response = client.get("/api/v1/courses/", HTTP_AUTHORIZATION="Bearer whatever")

    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 503


def test_no_private_key_or_secret_is_committed():
    tracked = subprocess.run(
        ["git", "ls-files", "-z"],  # noqa: S607 - git from PATH, as developers run it
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    markers = (b"PRIVATE KEY-----", b"BEGIN OPENSSH PRIVATE", b"sk_live_", b"AKIA")
    found = []
    for name in filter(None, tracked):
        path = ROOT / name.decode()
        if path.is_file() and path.stat().st_size < 5_000_000:
            content = path.read_bytes()
            found += [name.decode() for marker in markers if marker in content]
    # This file names the markers it looks for.
    assert [name for name in found if not name.endswith("test_hardening.py")] == []
