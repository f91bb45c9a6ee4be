"""Scoring a learner's answers to a lesson's knowledge check."""

from django.core.exceptions import ValidationError
from django.db import transaction

from ..lti import scores as lti_scores
from ..models import CheckAttempt, Lesson, Question


@transaction.atomic
def submit_check(*, learner, lesson: Lesson, answers: dict[int, set[int]]) -> CheckAttempt:
    """Score the answers (question id -> chosen choice ids) and store the attempt.

    A question scores only when exactly its correct choices are chosen. Every question
    must be answered.
    """
    questions = list(Question.objects.filter(lesson=lesson).prefetch_related("choices"))
    if not questions:
        raise ValidationError("This lesson has no knowledge check.")
    errors = {}
    score = 0
    stored = {}
    for question in questions:
        chosen = set(answers.get(question.pk, set()))
        valid_ids = {choice.pk for choice in question.choices.all()}
        if not chosen:
            errors[f"question_{question.pk}"] = "Choose an answer."
            continue
        if not chosen <= valid_ids or (question.kind == Question.Kind.SINGLE and len(chosen) > 1):
            errors[f"question_{question.pk}"] = "That answer is not one of the choices."
            continue
        correct = {choice.pk for choice in question.choices.all() if choice.is_correct}
        score += chosen == correct
        stored[str(question.pk)] = sorted(chosen)
    if errors:
        raise ValidationError(errors)
    earlier = CheckAttempt.objects.filter(learner=learner, lesson=lesson)
    earlier_best = max(earlier.values_list("percent", flat=True), default=None)
    attempt = CheckAttempt.objects.create(
        learner=learner,
        lesson=lesson,
        answers=stored,
        score=score,
        max_score=len(questions),
        percent=round(100 * score / len(questions)),
    )
    if earlier_best is None or attempt.percent > earlier_best:
        lti_scores.record_check_score(learner=learner, lesson=lesson)
    return attempt
