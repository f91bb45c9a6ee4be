"""What the LTI integration keeps beside django-lti's registrations, contexts and links."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from lti_tool.models import LtiDeployment, LtiRegistration
from simple_history import register

from .assignments import Assignment
from .course import Lesson

# A platform answers a login initiation within seconds; this leaves room for a slow sign-in.
LOGIN_LIFETIME = timedelta(minutes=10)


class LtiLoginQuerySet(models.QuerySet):
    def unused(self):
        return self.filter(used_at__isnull=True, created_at__gt=timezone.now() - LOGIN_LIFETIME)


class LtiLogin(models.Model):
    """One OIDC login initiation: the state and nonce we sent, used by at most one launch.

    Kept after use as the store of used nonces, so a replayed id_token or state is refused.
    """

    state = models.CharField(max_length=64, unique=True)
    nonce = models.CharField(max_length=64, unique=True)
    registration = models.ForeignKey("lti_tool.LtiRegistration", on_delete=models.CASCADE)
    # What the platform sent, to start the login again in a new window if the frame
    # refuses our cookies.
    params = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    objects = LtiLoginQuerySet.as_manager()

    class Meta:
        verbose_name = "LTI login"

    def __str__(self):
        return f"Login {self.state[:8]}…"


class LinkedResource(models.Model):
    """What a platform's resource link opens: a lesson or an assignment of our course."""

    resource_link = models.OneToOneField(
        "lti_tool.LtiResourceLink", on_delete=models.CASCADE, related_name="course_target"
    )
    lesson = models.ForeignKey(Lesson, null=True, blank=True, on_delete=models.CASCADE)
    assignment = models.ForeignKey(Assignment, null=True, blank=True, on_delete=models.CASCADE)
    # The platform's line item for this link, when the launch named one (AGS `lineitem`).
    line_item_url = models.URLField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(lesson__isnull=True) ^ Q(assignment__isnull=True),
                name="resource_opens_a_lesson_or_an_assignment",
            )
        ]

    def __str__(self):
        return str(self.assignment or self.lesson)


class FrameAncestor(models.Model):
    """An origin allowed to show our pages in a frame: a registered platform's site."""

    registration = models.ForeignKey(
        "lti_tool.LtiRegistration", on_delete=models.CASCADE, related_name="frame_ancestors"
    )
    origin = models.CharField(
        max_length=255, help_text="Scheme and host, e.g. https://lms.example.edu"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["registration", "origin"], name="frame_origin_once")
        ]

    def __str__(self):
        return self.origin


class ScorePostQuerySet(models.QuerySet):
    def due(self, now=None):
        now = now or timezone.now()
        return self.filter(
            Q(locked_until__isnull=True) | Q(locked_until__lte=now),
            status=ScorePost.Status.PENDING,
            next_attempt_at__lte=now,
        )


class ScorePost(models.Model):
    """The newest score to send to a platform's line item for one learner (AGS).

    One row per (context, resource, learner), updated in place: a platform keeps only the
    newest score, so a queued older one is replaced rather than sent too. `revision` goes
    up with each new score; a send records success only for the revision it sent.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    context = models.ForeignKey("lti_tool.LtiContext", on_delete=models.CASCADE)
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    # "assignment:<slug>" or "lesson:<slug>": the AGS resourceId of the line item.
    resource_id = models.CharField(max_length=120)
    label = models.CharField(max_length=255)
    resource_link = models.ForeignKey(
        "lti_tool.LtiResourceLink", null=True, blank=True, on_delete=models.SET_NULL
    )
    lti_user_id = models.CharField("LTI user id", max_length=255)
    score_given = models.DecimalField(max_digits=7, decimal_places=2)
    score_maximum = models.DecimalField(max_digits=7, decimal_places=2)
    comment = models.TextField(blank=True)
    activity_progress = models.CharField(max_length=20, default="Completed")
    grading_progress = models.CharField(max_length=20, default="FullyGraded")
    scored_at = models.DateTimeField(help_text="When the score changed here: the AGS timestamp.")
    submitted_at = models.DateTimeField(null=True, blank=True)
    revision = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScorePostQuerySet.as_manager()

    class Meta:
        verbose_name = "LTI score post"
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["context", "resource_id", "learner"], name="one_score_post_per_resource"
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return f"{self.label} for {self.learner}"


# Audit trail of platform registrations and deployments (who, when, what), kept here
# because django-lti's models have none.
register(LtiRegistration, app="courseware", excluded_fields=["private_key"])
register(LtiDeployment, app="courseware")
