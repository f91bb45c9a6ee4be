"""Learners' submissions to assignments, and the grades instructors give them."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from ..storage import private_storage
from .assignments import Assignment
from .enrollment import Cohort


def attachment_path(submission, filename):
    # Stored under a generated name: the learner's file name is kept in attachment_name.
    folder = f"submissions/{submission.assignment_id}/{submission.learner_id}"
    return f"{folder}/{submission.attempt}-{filename}"


class SubmissionQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Submissions the user may open: their own, or those of cohorts they teach."""
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            # A draft is the learner's own until submitted, even to their instructors.
            return self.filter(
                Q(learner=user)
                | (
                    Q(cohort__in=Cohort.objects.taught_by(user))
                    & ~Q(status=Submission.Status.DRAFT)
                )
            )
        return self.filter(learner=user)

    def taught_by(self, user):
        return self.filter(cohort__in=Cohort.objects.taught_by(user))

    def handed_in(self):
        return self.exclude(status=Submission.Status.DRAFT)

    def awaiting_grade(self):
        return self.filter(status=Submission.Status.SUBMITTED)


class Submission(models.Model):
    """One attempt at an assignment: a draft until the learner submits it."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        GRADED = "graded", "Graded"

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="submissions")
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions"
    )
    cohort = models.ForeignKey(Cohort, on_delete=models.PROTECT, related_name="submissions")
    attempt = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    body = models.TextField(blank=True)
    word_count = models.PositiveIntegerField(default=0)
    attachment = models.FileField(storage=private_storage, upload_to=attachment_path, blank=True)
    attachment_name = models.CharField(max_length=255, blank=True)
    attachment_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    submitted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # The deadline and penalty in force when it was submitted, so later changes cannot move them.
    due_at = models.DateTimeField(null=True, blank=True)
    days_late = models.PositiveSmallIntegerField(default=0)
    penalty_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal(0))

    objects = SubmissionQuerySet.as_manager()

    class Meta:
        ordering = ["submitted_at", "pk"]
        indexes = [
            # The grading queue: one cohort's handed-in work, oldest first. Without it the
            # queue walks every cohort's submissions by date to find one cohort's first page.
            models.Index(
                fields=["cohort", "submitted_at", "id"],
                condition=~Q(status="draft"),
                name="submission_queue",
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "learner", "attempt"], name="one_submission_per_attempt"
            ),
            models.UniqueConstraint(
                fields=["assignment", "learner"],
                condition=Q(status="draft"),
                name="one_draft_per_assignment",
            ),
        ]

    def __str__(self):
        return f"{self.learner} — {self.assignment} (attempt {self.attempt})"

    @property
    def is_late(self) -> bool:
        return self.days_late > 0


class GradeQuerySet(models.QuerySet):
    def released(self):
        return self.filter(released_at__isnull=False)


class Grade(models.Model):
    """An instructor's grade of a submission. Learners see it only once released."""

    submission = models.OneToOneField(Submission, on_delete=models.CASCADE, related_name="grade")
    grader = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A snapshot of the rubric as graded: [{criterion_id, criterion, level_id, level, points,
    # max_points, comment}], so a later rubric edit never changes a grade already given.
    rubric = models.JSONField(default=list)
    feedback = models.TextField(blank=True)
    raw_score = models.DecimalField(max_digits=7, decimal_places=2)
    penalty_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal(0))
    score = models.DecimalField(max_digits=7, decimal_places=2)
    points_possible = models.DecimalField(max_digits=7, decimal_places=2)
    released_at = models.DateTimeField(null=True, blank=True)
    # Optimistic locking: a save based on an older version is refused.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = GradeQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self):
        return f"{self.score}/{self.points_possible} for {self.submission}"

    @property
    def is_released(self) -> bool:
        return self.released_at is not None

    @property
    def percent(self):
        if not self.points_possible:
            return Decimal(0)
        return (100 * self.score / self.points_possible).quantize(Decimal("0.1"))
