"""Managing API clients, webhooks and deliveries in the admin."""

import base64
import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from oauth2_provider.models import AccessToken

from accounts import roles
from integrations.models import ApiClient, Delivery, Event, WebhookEndpoint

from ..factories import UserFactory
from .conftest import make_endpoint

pytestmark = pytest.mark.django_db

ADD = "admin:integrations_apiclient_add"
CHANGELIST = "admin:integrations_apiclient_changelist"
DELIVERIES = "admin:integrations_delivery_changelist"
NO_WEBHOOKS = {
    "webhooks-TOTAL_FORMS": "0",
    "webhooks-INITIAL_FORMS": "0",
    "webhooks-MIN_NUM_FORMS": "0",
    "webhooks-MAX_NUM_FORMS": "1000",
}


@pytest.fixture(params=[0, 60], ids=["tokens read each time", "tokens cached"])
def token_cache(request, settings):
    """Run token-ending tests with and without ROW_CACHE_SECONDS."""
    settings.ROW_CACHE_SECONDS = request.param


@pytest.fixture
def admin_user(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def shown_secret(response) -> str:
    return re.search(r'<code class="client-secret">([^<]+)</code>', response.content.decode())[1]


def add_client(admin_client, cohort, **fields):
    data = {
        "name": "Campus LMS",
        "scopes": ["courses:read", "enrollments:read"],
        "cohorts": [cohort.pk],
        "is_active": "on",
        **NO_WEBHOOKS,
        **fields,
    }
    response = admin_client.post(reverse(ADD), data)
    assert response.status_code == 200, response.content
    client = ApiClient.objects.select_related("application").get(name=data["name"])
    return client, shown_secret(response), response


def request_token(client_id, secret):
    credentials = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return Client().post(
        "/o/token/",
        {"grant_type": "client_credentials"},
        HTTP_AUTHORIZATION=f"Basic {credentials}",
    )


def call_api(access_token):
    return Client().get("/api/v1/courses/", HTTP_AUTHORIZATION=f"Bearer {access_token}")


def run_action(admin_client, action, clients, **extra):
    return admin_client.post(
        reverse(CHANGELIST),
        {"action": action, ACTION_CHECKBOX_NAME: [client.pk for client in clients], **extra},
    )


def test_adding_a_client_shows_its_secret_once_and_the_secret_gets_a_token(admin_client, cohort):
    client, secret, response = add_client(admin_client, cohort)

    assert client.application.client_id in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert client.application.client_secret != secret  # only the hash is stored
    assert client.application.client_type == "confidential"
    assert client.application.authorization_grant_type == "client-credentials"
    assert client.scopes == ["courses:read", "enrollments:read"]
    assert list(client.cohorts.all()) == [cohort]
    change_page = admin_client.get(reverse("admin:integrations_apiclient_change", args=[client.pk]))
    assert secret not in change_page.content.decode()

    token = request_token(client.application.client_id, secret)
    assert token.status_code == 200
    assert set(token.json()["scope"].split()) == {"courses:read", "enrollments:read"}
    assert call_api(token.json()["access_token"]).status_code == 200


def test_a_client_needs_a_scope(admin_client, cohort):
    response = admin_client.post(reverse(ADD), {"name": "No scopes", **NO_WEBHOOKS})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["scopes"]
    assert not ApiClient.objects.exists()


def test_rotating_asks_for_confirmation_first(admin_client, cohort):
    client, secret, _ = add_client(admin_client, cohort)
    response = run_action(admin_client, "rotate_secret", [client])
    assert b"Yes, rotate 1 secret" in response.content
    assert request_token(client.application.client_id, secret).status_code == 200


def test_rotating_shows_a_new_secret_and_the_old_one_stops_working(
    admin_client, cohort, token_cache
):
    client, old_secret, _ = add_client(admin_client, cohort)
    old_token = request_token(client.application.client_id, old_secret).json()["access_token"]

    response = run_action(admin_client, "rotate_secret", [client], confirmed="yes")
    new_secret = shown_secret(response)

    assert new_secret != old_secret
    assert request_token(client.application.client_id, old_secret).status_code == 401
    assert call_api(old_token).status_code == 401
    new_token = request_token(client.application.client_id, new_secret)
    assert call_api(new_token.json()["access_token"]).status_code == 200


def test_revoking_ends_the_clients_tokens_and_refuses_new_ones(admin_client, cohort, token_cache):
    client, secret, _ = add_client(admin_client, cohort)
    token = request_token(client.application.client_id, secret).json()["access_token"]
    assert call_api(token).status_code == 200

    run_action(admin_client, "revoke", [client])

    client.refresh_from_db()
    assert not client.is_active
    assert not AccessToken.objects.exists()
    assert call_api(token).status_code == 401
    assert request_token(client.application.client_id, secret).status_code == 401


def test_switching_a_client_off_in_its_form_ends_its_tokens(admin_client, cohort, token_cache):
    client, secret, _ = add_client(admin_client, cohort)
    token = request_token(client.application.client_id, secret).json()["access_token"]
    admin_client.post(
        reverse("admin:integrations_apiclient_change", args=[client.pk]),
        {"name": client.name, "scopes": client.scopes, "cohorts": [cohort.pk], **NO_WEBHOOKS},
    )
    assert call_api(token).status_code == 401


def test_client_changes_are_kept_with_who_made_them(admin_client, admin_user, cohort):
    client, _, _ = add_client(admin_client, cohort)
    run_action(admin_client, "revoke", [client])
    latest = client.history.latest("history_date")
    assert latest.history_user == admin_user
    assert latest.history_change_reason == "Revoked"
    assert not latest.is_active
    assert client.history.earliest("history_date").history_type == "+"


def test_the_history_page_lists_client_changes(admin_client, cohort):
    client, _, _ = add_client(admin_client, cohort)
    run_action(admin_client, "revoke", [client])
    page = admin_client.get(reverse("admin:integrations_apiclient_history", args=[client.pk]))
    assert page.status_code == 200 and "Revoked" in page.content.decode()


def test_deleting_a_client_deletes_its_oauth_application(admin_client, cohort):
    client, secret, _ = add_client(admin_client, cohort)
    admin_client.post(
        reverse("admin:integrations_apiclient_delete", args=[client.pk]), {"post": "yes"}
    )
    assert not ApiClient.objects.exists()
    assert request_token(client.application.client_id, secret).status_code == 401


def test_an_endpoint_is_added_inline_with_the_events_it_wants(admin_client, cohort):
    client, _, _ = add_client(admin_client, cohort)
    response = admin_client.post(
        reverse("admin:integrations_apiclient_change", args=[client.pk]),
        {
            "name": client.name,
            "scopes": client.scopes,
            "cohorts": [cohort.pk],
            "is_active": "on",
            **NO_WEBHOOKS,
            "webhooks-TOTAL_FORMS": "1",
            "webhooks-0-url": "https://lms.example.org/hooks",
            "webhooks-0-events": ["enrollment.created", "grade.released"],
            "webhooks-0-is_active": "on",
        },
    )
    assert response.status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["enrollment.created", "grade.released"]
    assert len(endpoint.secret) > 30
    page = admin_client.get(reverse("admin:integrations_apiclient_change", args=[client.pk]))
    assert endpoint.secret in page.content.decode()


def test_a_plain_http_endpoint_is_refused_in_production(admin_client, cohort):
    client, _, _ = add_client(admin_client, cohort)
    response = admin_client.post(
        reverse("admin:integrations_apiclient_change", args=[client.pk]),
        {
            "name": client.name,
            "scopes": client.scopes,
            "is_active": "on",
            **NO_WEBHOOKS,
            "webhooks-TOTAL_FORMS": "1",
            "webhooks-0-url": "http://lms.example.org/hooks",
            "webhooks-0-events": ["enrollment.created"],
        },
    )
    assert response.status_code == 200
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("url", [CHANGELIST, DELIVERIES])
def test_instructors_cannot_manage_clients_or_deliveries(client, instructor, url):
    client.force_login(instructor)
    assert client.get(reverse(url)).status_code == 403


@pytest.mark.parametrize("url", [CHANGELIST, DELIVERIES])
def test_course_staff_manage_clients_and_deliveries(client, url):
    staff = UserFactory(is_staff=True)
    staff.groups.add(Group.objects.get_or_create(name=roles.STAFF)[0])
    client.force_login(staff)
    assert client.get(reverse(url)).status_code == 200


@pytest.fixture
def failed_delivery(endpoint, cohort):
    event = Event.objects.create(
        type="enrollment.created", occurred_at="2026-01-05T10:00:00Z", cohort=cohort, data={}
    )
    return Delivery.objects.create(
        event=event,
        endpoint=endpoint,
        status=Delivery.Status.FAILED,
        attempts=8,
        last_status_code=503,
        last_error="HTTP 503: down for maintenance",
        next_attempt_at="2026-01-05T12:00:00Z",
    )


def test_the_delivery_list_shows_status_attempts_and_response_code(admin_client, failed_delivery):
    response = admin_client.get(reverse(DELIVERIES), {"status__exact": "failed"})
    page = response.content.decode()
    assert "enrollment.created" in page and failed_delivery.endpoint.url in page
    assert "503" in page
    assert list(response.context["cl"].result_list) == [failed_delivery]


def test_retrying_a_failed_delivery_sends_it_again(
    admin_client, failed_delivery, receiver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse(DELIVERIES),
            {"action": "retry", ACTION_CHECKBOX_NAME: [failed_delivery.pk]},
        )
    assert response.status_code == 302
    failed_delivery.refresh_from_db()
    assert failed_delivery.status == Delivery.Status.DELIVERED
    assert failed_delivery.attempts == 1 and failed_delivery.last_status_code == 200
    assert receiver.types() == ["enrollment.created"]


def test_a_delivery_page_shows_the_event_data(admin_client, lms, cohort):
    endpoint = make_endpoint(lms)
    event = Event.objects.create(
        type="grade.released",
        occurred_at="2026-01-05T10:00:00Z",
        cohort=cohort,
        data={"grade_id": 7},
    )
    delivery = Delivery.objects.create(
        event=event, endpoint=endpoint, next_attempt_at="2026-01-05T10:00:00Z"
    )
    page = admin_client.get(reverse("admin:integrations_delivery_change", args=[delivery.pk]))
    assert "&quot;grade_id&quot;: 7" in page.content.decode()
