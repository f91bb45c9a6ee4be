"""Machine clients of the API, their learners' external ids, webhooks and the event outbox."""

import secrets
import uuid

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from config.rowcache import read_through

from .scopes import SCOPES


def granted_cohorts_cache_key(client_id) -> str:
    return f"integrations:client-cohorts:{client_id}"


class ApiClientQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class ApiClient(models.Model):
    """An LMS or SIS that calls the API with OAuth 2.0 client credentials."""

    application = models.OneToOneField(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL,
        on_delete=models.CASCADE,
        related_name="api_client",
    )
    name = models.CharField(max_length=200)
    scopes = models.JSONField(default=list, help_text="Scopes this client may ask for.")
    cohorts = models.ManyToManyField(
        "courseware.Cohort",
        blank=True,
        related_name="api_clients",
        help_text="The cohorts whose learners and work this client may see and change.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ApiClientQuerySet.as_manager()
    # Audit: who changed a client's scopes, cohorts or status, and when.
    history = HistoricalRecords(m2m_fields=[cohorts])

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def granted_cohort_ids(self) -> list[int]:
        """Ids of the cohorts granted to the client, read through the cache (config.rowcache).

        Every API request checks them; a grant or a withdrawal drops them from the cache
        (integrations.signals).
        """
        return read_through(
            granted_cohorts_cache_key(self.pk),
            lambda: list(self.cohorts.values_list("pk", flat=True)),
        )

    def clean(self):
        from django.core.exceptions import ValidationError

        unknown = set(self.scopes) - set(SCOPES)
        if unknown:
            raise ValidationError({"scopes": f"Unknown scopes: {', '.join(sorted(unknown))}."})


class ClientLearner(models.Model):
    """A learner a client has found or created, with the LMS's own id for them if it gave one."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="learners")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="client_links"
    )
    external_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "external_id"],
                condition=~models.Q(external_id=""),
                name="external_id_unique_per_client",
            ),
            models.UniqueConstraint(fields=["client", "user"], name="one_link_per_client_and_user"),
        ]

    def __str__(self):
        return f"{self.client}: {self.external_id or self.user}"


class IdempotencyKey(models.Model):
    """A POST's Idempotency-Key and the response it got, replayed if the key comes again."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path and body.")
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "key"], name="idempotency_key_unique")
        ]

    def __str__(self):
        return f"{self.key} ({self.status_code or 'in progress'})"


def new_webhook_secret():
    return secrets.token_urlsafe(32)


class WebhookEndpoint(models.Model):
    """Where to POST events for a client, and which events it wants."""

    class EventType(models.TextChoices):
        ENROLLMENT_CREATED = "enrollment.created"
        ENROLLMENT_UPDATED = "enrollment.updated"
        LESSON_COMPLETED = "lesson.completed"
        COURSE_COMPLETED = "course.completed"
        SUBMISSION_SUBMITTED = "submission.submitted"
        GRADE_RELEASED = "grade.released"

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list, help_text="Event types to send.")
    secret = models.CharField(max_length=100, default=new_webhook_secret)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords(excluded_fields=["secret"])

    class Meta:
        ordering = ["client", "url"]

    def __str__(self):
        return self.url


class Event(models.Model):
    """Something a client may want to hear about, written with the change that caused it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=40, choices=WebhookEndpoint.EventType.choices)
    occurred_at = models.DateTimeField(db_index=True)
    cohort = models.ForeignKey(
        "courseware.Cohort", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    data = models.JSONField()

    class Meta:
        ordering = ["occurred_at"]

    def __str__(self):
        return f"{self.type} at {self.occurred_at:%Y-%m-%d %H:%M:%S}"


class Delivery(models.Model):
    """One event on its way to one endpoint: retried with backoff until delivered or failed."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    # A worker's lease on the delivery while it sends: one that dies mid-send leaves the
    # delivery to be picked up again once the lease runs out.
    locked_until = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-next_attempt_at"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="one_delivery_per_endpoint")
        ]

    def __str__(self):
        return f"{self.event.type} → {self.endpoint.url} ({self.status})"
