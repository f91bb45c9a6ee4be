"""Who may call the API: OAuth 2.0 client credentials with scopes, or staff signed in."""

from datetime import timedelta

import pytest
from django.utils import timezone
from oauth2_provider.models import AccessToken
from rest_framework.test import APIClient

from courseware.api.throttling import ClientRateThrottle

from ..factories import UserFactory
from .conftest import PROBLEM, bearer, connect, create_api_client, request_token

COHORTS = "/api/v1/cohorts/"


def test_token_endpoint_issues_a_bearer_token_for_the_requested_scopes(db):
    credentials = create_api_client(scopes=["courses:read", "enrollments:write"])
    response = request_token(credentials, scope="courses:read")
    body = response.json()
    assert response.status_code == 200
    assert (body["token_type"], body["scope"]) == ("Bearer", "courses:read")
    assert body["expires_in"] > 0


def test_token_request_without_scope_gets_every_granted_scope(db):
    credentials = create_api_client(scopes=["grades:read", "courses:read"])
    response = request_token(credentials)
    assert set(response.json()["scope"].split()) == {"courses:read", "grades:read"}


def test_token_request_for_a_scope_not_granted_is_refused(db):
    credentials = create_api_client(scopes=["courses:read"])
    response = request_token(credentials, scope="courses:read grades:read")
    assert (response.status_code, response.json()["error"]) == (400, "invalid_scope")


def test_token_request_with_a_wrong_secret_is_refused(db):
    credentials = create_api_client()
    response = request_token(credentials, secret="not-the-secret")
    assert (response.status_code, response.json()["error"]) == (401, "invalid_client")


def test_inactive_client_gets_no_token(db):
    credentials = create_api_client(is_active=False)
    response = request_token(credentials)
    assert (response.status_code, response.json()["error"]) == (401, "invalid_client")


def test_client_granted_no_scopes_gets_no_token(db):
    credentials = create_api_client(scopes=[])
    assert request_token(credentials).status_code == 401


def test_token_issued_before_deactivation_stops_working(cohort):
    credentials = create_api_client(cohorts=[cohort])
    api = connect(credentials)
    credentials.api_client.is_active = False
    credentials.api_client.save()
    response = api.get(COHORTS)
    assert (response.status_code, response["Content-Type"]) == (403, PROBLEM)


def test_token_with_the_scope_reads_the_resource(cohort):
    api = connect(create_api_client(scopes=["courses:read"], cohorts=[cohort]))
    assert api.get(COHORTS).status_code == 200


def test_token_without_the_scope_is_forbidden_even_if_the_client_was_granted_it(cohort):
    credentials = create_api_client(scopes=["courses:read", "grades:read"], cohorts=[cohort])
    api = connect(credentials, scope="grades:read")
    response = api.get(COHORTS)
    assert response.status_code == 403
    assert "courses:read" in response.json()["detail"]


def test_request_without_credentials_is_unauthorized_with_a_bearer_challenge(db):
    response = APIClient().get(COHORTS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_unknown_token_is_unauthorized(db):
    response = bearer("no-such-token").get(COHORTS)
    assert (response.status_code, response["Content-Type"]) == (401, PROBLEM)


def test_expired_token_is_unauthorized(cohort):
    api = connect(create_api_client(cohorts=[cohort]))
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    assert api.get(COHORTS).status_code == 401


def test_staff_session_reads_the_api(client, cohort):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    response = client.get(COHORTS, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [cohort.pk]


def test_staff_session_gets_the_browsable_api(client, cohort):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get(COHORTS, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


def test_instructor_session_sees_only_the_cohorts_they_teach(client, cohort, rival_cohort):
    instructor = UserFactory(is_staff=True)
    cohort.instructors.add(instructor)
    client.force_login(instructor)
    response = client.get(COHORTS, HTTP_ACCEPT="application/json")
    assert [row["id"] for row in response.json()["results"]] == [cohort.pk]


def test_learner_session_is_forbidden(client, cohort):
    client.force_login(UserFactory())
    response = client.get(COHORTS, HTTP_ACCEPT="application/json")
    assert (response.status_code, response["Content-Type"]) == (403, PROBLEM)


@pytest.fixture
def two_requests_a_minute(monkeypatch):
    # DRF reads the rates into the throttle class when it is imported, so a settings
    # override would not reach it.
    monkeypatch.setattr(ClientRateThrottle, "THROTTLE_RATES", {"client": "2/min"})


def test_client_over_its_rate_gets_429_with_retry_after(lms, two_requests_a_minute):
    lms.get(COHORTS)
    lms.get(COHORTS)
    response = lms.get(COHORTS)
    assert (response.status_code, response["Content-Type"]) == (429, PROBLEM)
    assert 0 < int(response["Retry-After"]) <= 60


def test_rate_limit_is_counted_per_client(lms, rival, two_requests_a_minute):
    lms.get(COHORTS)
    lms.get(COHORTS)
    assert rival.get(COHORTS).status_code == 200
