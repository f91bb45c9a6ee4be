import zoneinfo

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from accounts import roles

from .course import Course, Lesson


class CohortQuerySet(models.QuerySet):
    def taught_by(self, user):
        """Cohorts the user may run: all for course staff, else those they teach."""
        if roles.sees_every_cohort(user):
            return self.all()
        if not (user.is_authenticated and user.is_staff):
            return self.none()
        return self.filter(instructors=user)


class Cohort(models.Model):
    """One run of a course, with its own dates, instructors and learners."""

    class JoinPolicy(models.TextChoices):
        OPEN = "open", "Open: anyone may enroll"
        CODE = "code", "With a join code"
        INSTRUCTORS = "instructors", "By instructors only"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="cohorts")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")
    instructors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="taught_cohorts"
    )
    capacity = models.PositiveIntegerField(
        null=True, blank=True, help_text="Most active learners; empty for no limit."
    )
    join_policy = models.CharField(
        max_length=16, choices=JoinPolicy.choices, default=JoinPolicy.OPEN
    )
    join_code = models.CharField(max_length=32, blank=True)
    is_default = models.BooleanField(
        default=False, help_text="Self-enrollment from the course page joins this cohort."
    )
    # The LMS course this cohort runs in, for cohorts made by an LTI launch.
    lti_context = models.OneToOneField(
        "lti_tool.LtiContext",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cohort",
        verbose_name="LTI context",
    )
    roster_synced_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When the LMS roster was last read."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CohortQuerySet.as_manager()
    # Who gave whom an instructor's rights over the cohort, and when.
    history = HistoricalRecords(
        m2m_fields=["instructors"], excluded_fields=["roster_synced_at", "updated_at"]
    )

    class Meta:
        ordering = ["course", "-is_default", "name"]
        constraints = [
            models.UniqueConstraint(fields=["course", "slug"], name="cohort_slug_unique_in_course"),
            models.UniqueConstraint(
                fields=["course"],
                condition=Q(is_default=True),
                name="one_default_cohort_per_course",
            ),
        ]

    def __str__(self):
        return f"{self.course} — {self.name}"

    @property
    def zoneinfo(self):
        return zoneinfo.ZoneInfo(self.timezone)


class EnrollmentQuerySet(models.QuerySet):
    def taught_by(self, user):
        return self.filter(cohort__in=Cohort.objects.taught_by(user))

    def current(self):
        """Enrollments that give access: active or completed, not dropped."""
        return self.exclude(status=Enrollment.Status.DROPPED)


class Enrollment(models.Model):
    """A learner's place in a cohort. Dropping keeps the learner's work."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        DROPPED = "dropped", "Dropped"

    class Source(models.TextChoices):
        SELF = "self", "Self-enrolled"
        ADMIN = "admin", "Admin"
        CSV = "csv", "CSV upload"
        API = "api", "API"
        LTI = "lti", "LTI launch"

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    cohort = models.ForeignKey(Cohort, on_delete=models.PROTECT, related_name="enrollments")
    # Copied from the cohort so the database itself can allow one current enrollment a course.
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="enrollments", editable=False
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.SELF)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = EnrollmentQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "course"],
                condition=~Q(status="dropped"),
                name="one_current_enrollment_per_course",
            )
        ]

    def __str__(self):
        return f"{self.learner} in {self.cohort}"

    def save(self, *args, **kwargs):
        self.course_id = self.cohort.course_id
        super().save(*args, **kwargs)

    @property
    def percent_complete(self):
        """Whole percent of current lessons completed; needs outline.annotate_progress()."""
        if not self.lessons_total:
            return 0
        return round(100 * self.lessons_completed / self.lessons_total)


class LessonProgressQuerySet(models.QuerySet):
    def for_course(self, *, learner, course):
        return self.filter(learner=learner, lesson__course=course)

    def completed(self):
        return self.filter(completed_at__isnull=False)


class LessonProgress(models.Model):
    """A learner's progress through one lesson: started when opened, then completed."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lesson_progress"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="progress")
    started_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = LessonProgressQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "lesson progress"
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "lesson"], name="one_progress_per_learner_and_lesson"
            )
        ]

    def __str__(self):
        state = "completed" if self.completed_at else "started"
        return f"{self.learner}: {self.lesson} ({state})"
