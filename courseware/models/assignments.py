"""Case-study assignments: prompt, rubric, per-cohort dates and per-learner extensions."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from .. import rendering
from .course import Course, Lesson
from .enrollment import Cohort

PERCENT = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]


class AssignmentQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)


class Assignment(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="assignments")
    slug = models.SlugField(max_length=80)
    title = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0)
    lessons = models.ManyToManyField(Lesson, blank=True, related_name="assignments")
    prompt_source = models.TextField("prompt (Markdown)")
    prompt_html = models.TextField(editable=False, default="")
    points_possible = models.DecimalField(max_digits=6, decimal_places=2)
    max_attempts = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1)], help_text="Submissions a learner may make."
    )
    late_percent_per_day = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal(10), validators=PERCENT
    )
    late_cap_percent = models.DecimalField(
        "late penalty cap (percent)",
        max_digits=5,
        decimal_places=2,
        default=Decimal(50),
        validators=PERCENT,
    )
    hard_cutoff_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Days after the due date when submissions close; empty: never.",
    )
    due_days_after_start = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Default due date for new cohorts, counted from their start.",
    )
    is_published = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["course", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "slug"], name="assignment_slug_unique_in_course"
            )
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.prompt_html = rendering.render_markdown(self.prompt_source)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse(
            "courseware:assignment-detail",
            kwargs={"course_slug": self.course.slug, "assignment_slug": self.slug},
        )


class RubricCriterion(models.Model):
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="criteria")
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["assignment", "position", "pk"]
        verbose_name_plural = "rubric criteria"

    def __str__(self):
        return self.title


class RubricLevel(models.Model):
    criterion = models.ForeignKey(RubricCriterion, on_delete=models.CASCADE, related_name="levels")
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    points = models.DecimalField(max_digits=6, decimal_places=2, validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["criterion", "position", "pk"]

    def __str__(self):
        return f"{self.title} ({self.points})"


class AssignmentScheduleQuerySet(models.QuerySet):
    def taught_by(self, user):
        return self.filter(cohort__in=Cohort.objects.taught_by(user))


class AssignmentSchedule(models.Model):
    """When an assignment opens and falls due for one cohort."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="schedules")
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="schedules")
    available_at = models.DateTimeField(null=True, blank=True, help_text="Empty: open now.")
    due_at = models.DateTimeField(null=True, blank=True, help_text="Empty: no due date.")
    updated_at = models.DateTimeField(auto_now=True)

    objects = AssignmentScheduleQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assignment", "cohort"], name="one_schedule_per_cohort")
        ]

    def __str__(self):
        return f"{self.assignment} for {self.cohort.name}"


class Extension(models.Model):
    """A later due date for one learner on one assignment."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="extensions")
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="extensions"
    )
    due_at = models.DateTimeField()
    reason = models.CharField(max_length=300, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "learner"], name="one_extension_per_learner"
            )
        ]

    def __str__(self):
        return f"{self.learner}: {self.assignment} due {self.due_at:%Y-%m-%d %H:%M}"
