"""Knowledge checks: auto-graded questions on a lesson, and learners' attempts at them."""

from django.conf import settings
from django.db import models
from django.db.models import Max

from .course import Lesson


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", "Single choice"
        MULTIPLE = "multiple", "Multiple choice"

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.SINGLE)
    prompt = models.TextField()
    explanation = models.TextField(
        help_text="Shown after answering: why the right answer is right."
    )
    source = models.TextField(
        blank=True, help_text="The sentence of the lesson the answer rests on."
    )

    class Meta:
        ordering = ["lesson", "position", "pk"]

    def __str__(self):
        return self.prompt[:80]


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveIntegerField(default=0)
    text = models.CharField(max_length=500)
    is_correct = models.BooleanField(default=False)

    class Meta:
        ordering = ["question", "position", "pk"]

    def __str__(self):
        return self.text


class CheckAttemptQuerySet(models.QuerySet):
    def best_percent_by_lesson(self):
        """Return {(learner_id, lesson_id): best percent} over these attempts, in one query."""
        rows = self.values("learner_id", "lesson_id").annotate(best=Max("percent"))
        return {(row["learner_id"], row["lesson_id"]): row["best"] for row in rows}


class CheckAttempt(models.Model):
    """One submission of a lesson's knowledge check, scored when it was made."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="check_attempts"
    )
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="check_attempts")
    answers = models.JSONField(help_text="The chosen choice ids, by question id.")
    score = models.PositiveIntegerField(help_text="Questions answered fully right.")
    max_score = models.PositiveIntegerField()
    percent = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = CheckAttemptQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["learner", "lesson"], name="check_attempt_learner_lesson")]

    def __str__(self):
        return f"{self.learner} on {self.lesson}: {self.score}/{self.max_score}"
