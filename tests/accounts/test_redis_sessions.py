"""With REDIS_URL set, sessions are read through Redis and still end at sign-out."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

pytestmark = pytest.mark.django_db

REDIS = "redis://127.0.0.1:6379/13"
ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def redis_sessions(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS,
            "KEY_PREFIX": "test-sessions",
        }
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    yield
    caches["default"].clear()


def test_redis_url_reads_sessions_through_the_cache():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; from django.conf import settings; django.setup();"
            "print(settings.SESSION_ENGINE)",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "true",
             "REDIS_URL": REDIS},
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert result.stdout.split() == ["django.contrib.sessions.backends.cached_db"]


def test_a_signed_in_page_reads_no_session_row(redis_sessions, client, learner):
    client.force_login(learner)
    client.get(reverse("courseware:dashboard"))

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("courseware:dashboard"))

    assert response.status_code == 200
    assert response.context["user"] == learner
    assert not [query for query in queries if "django_session" in query["sql"]]


def test_signing_out_ends_the_session_everywhere(redis_sessions, client, learner):
    client.force_login(learner)
    cookie = client.cookies["sessionid"].value
    assert client.get(reverse("courseware:dashboard")).status_code == 200

    client.post(reverse("logout"))
    client.cookies["sessionid"] = cookie  # a copy of the old cookie, replayed

    response = client.get(reverse("courseware:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
