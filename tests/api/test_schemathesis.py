"""Schemathesis against the served schema, in process: no 5xx and no answer outside the schema."""

import os

import hypothesis
import pytest
import schemathesis
from django.test import override_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from config.wsgi import application
from courseware.api.throttling import ClientRateThrottle

# Loaded when the module is collected: schemathesis's lazy fixture loader does not run on
# pytest 9. Its in-process client sends Host: localhost.
with override_settings(ALLOWED_HOSTS=["localhost"]):
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)


@pytest.fixture(autouse=True)
def _fuzzing_friendly(settings, monkeypatch):
    # Fuzzing outruns the production rate limit.
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    monkeypatch.setattr(ClientRateThrottle, "THROTTLE_RATES", {"client": "1000000/min"})


# Transactional, like the live server: each request commits, and a database error in one
# request cannot poison the next.
@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@hypothesis.settings(
    # Many examples per operation; SCHEMATHESIS_MAX_EXAMPLES raises it for a long fuzz.
    max_examples=int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "50")),
    deadline=None,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_api_answers_without_server_errors_and_within_its_schema(case, lms, world):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {lms.access_token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
