from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F
from django.db.models.functions import Now
from django.urls import reverse

from config.rowcache import forget

from .. import rendering


def course_cache_key(slug: str) -> str:
    return f"courseware:course:{slug}"


def default_letter_scheme():
    return [["A", 90], ["B", 80], ["C", 70], ["D", 60], ["F", 0]]


class CourseQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)

    def bump_version(self) -> None:
        """Move these courses to a new version: what was built from the old one is not used.

        Cached outlines and pages key on the version, so every content edit calls this.
        """
        slugs = list(self.values_list("slug", flat=True))
        self.update(version=F("version") + 1, updated_at=Now())
        forget(course_cache_key(slug) for slug in slugs)


class Course(models.Model):
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    summary = models.TextField(blank=True)
    is_published = models.BooleanField(default=True)
    # Bumped whenever content changes, so cached outlines and pages can key on it.
    version = models.PositiveIntegerField(default=1, editable=False)
    # How the gradebook weighs its two categories, and turns a percentage into a letter.
    assignments_weight = models.PositiveSmallIntegerField(
        default=80, help_text="Percent of the total from case-study assignments."
    )
    checks_weight = models.PositiveSmallIntegerField(
        default=20, help_text="Percent of the total from knowledge checks."
    )
    letter_scheme = models.JSONField(
        default=default_letter_scheme,
        help_text='Lowest percentage for each letter, highest first: [["A", 90], ["B", 80], …].',
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CourseQuerySet.as_manager()

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title

    def clean(self):
        if self.assignments_weight + self.checks_weight != 100:
            raise ValidationError({"checks_weight": "The two weights must add up to 100."})
        try:
            thresholds = [float(minimum) for _, minimum in self.letter_scheme]
        except (TypeError, ValueError):
            raise ValidationError(
                {"letter_scheme": "Write a list of [letter, lowest percentage] pairs."}
            ) from None
        if thresholds != sorted(thresholds, reverse=True) or not thresholds or thresholds[-1] != 0:
            raise ValidationError(
                {"letter_scheme": "List letters from highest to lowest, ending at 0."}
            )

    def get_absolute_url(self):
        return reverse("courseware:course-detail", kwargs={"course_slug": self.slug})

    def letter_for(self, percent) -> str:
        """Return the letter the scheme gives a percentage."""
        for letter, minimum in self.letter_scheme:
            if percent >= minimum:
                return letter
        return self.letter_scheme[-1][0] if self.letter_scheme else ""


class Module(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="modules")
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80)
    summary = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    # Archived rather than deleted when a re-import drops it, so nothing that points here breaks.
    is_archived = models.BooleanField(default=False)

    class Meta:
        ordering = ["course", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["course", "slug"], name="module_slug_unique_in_course")
        ]

    def __str__(self):
        return self.title


class LessonQuerySet(models.QuerySet):
    def current(self):
        """Lessons the course shows now: not archived by a later import."""
        return self.filter(is_archived=False, module__is_archived=False)

    def in_order(self):
        return self.order_by("module__position", "position", "pk")


class Lesson(models.Model):
    """One lesson: a headed section of the course document, rendered once on save."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    module = models.ForeignKey(Module, on_delete=models.CASCADE, related_name="lessons")
    title = models.CharField(max_length=200)
    # Unique in the course (and so in its module): lesson URLs name only the course and lesson.
    slug = models.SlugField(max_length=80)
    position = models.PositiveIntegerField(default=0)
    is_preview = models.BooleanField(
        default=False, help_text="Open to visitors who have not enrolled, such as the introduction."
    )
    body_source = models.TextField(
        "body (Markdown)", help_text="The lesson text from the course document, in Markdown."
    )
    body_html = models.TextField(editable=False, default="")
    search_text = models.TextField(editable=False, default="")
    word_count = models.PositiveIntegerField(editable=False, default=0)

    # Editorial extras: written for the course, not part of the source document.
    objectives = models.TextField(
        "learning objectives", blank=True, help_text="Editorial: one objective per line."
    )
    key_terms = models.TextField(blank=True, help_text="Editorial: one term per line.")
    reading_minutes = models.PositiveIntegerField(
        editable=False, default=1, help_text="Editorial: estimated from the word count."
    )

    is_archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LessonQuerySet.as_manager()

    class Meta:
        ordering = ["module__position", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["course", "slug"], name="lesson_slug_unique_in_course")
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.render()
        if kwargs.get("update_fields") is not None and "body_source" in kwargs["update_fields"]:
            kwargs["update_fields"] = {
                *kwargs["update_fields"],
                "body_html",
                "search_text",
                "word_count",
                "reading_minutes",
            }
        super().save(*args, **kwargs)

    def render(self):
        """Derive the stored HTML, search text and reading time from the Markdown source."""
        self.body_html = rendering.render_markdown(self.body_source)
        self.search_text = rendering.html_to_text(self.body_html)
        self.word_count = len(self.search_text.split())
        self.reading_minutes = rendering.reading_minutes(self.search_text)

    def get_absolute_url(self):
        return reverse(
            "courseware:lesson-detail",
            kwargs={"course_slug": self.course.slug, "lesson_slug": self.slug},
        )

    @property
    def objective_list(self):
        return [line.strip() for line in self.objectives.splitlines() if line.strip()]

    @property
    def key_term_list(self):
        return [line.strip() for line in self.key_terms.splitlines() if line.strip()]
