"""Import a course's knowledge checks and case-study assignments from their TOML files.

Both are matched to what is there (questions by lesson, assignments by slug) and only
what changed is written, so importing the same files again changes nothing.
"""

import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.text import slugify

from .documents import DocumentError
from .models import Assignment, Choice, Course, Lesson, Question, RubricCriterion, RubricLevel
from .services.schedules import schedule_cohort


@dataclass
class AssessmentReport:
    lessons_with_new_questions: int = 0
    questions: int = 0
    assignments_created: int = 0
    assignments_updated: int = 0
    assignments_unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(
            self.lessons_with_new_questions or self.assignments_created or self.assignments_updated
        )

    def __str__(self):
        return (
            f"Knowledge checks: {self.questions} questions, {self.lessons_with_new_questions} "
            f"lessons changed. Assignments: {self.assignments_created} created, "
            f"{self.assignments_updated} updated, {self.assignments_unchanged} unchanged."
        )


def _load(text: str, name: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DocumentError(f"The {name} file is not valid TOML: {exc}.") from None


def _lessons_by_title(course: Course) -> dict[str, Lesson]:
    return {
        " ".join(lesson.title.split()).casefold(): lesson
        for lesson in Lesson.objects.current().filter(course=course)
    }


def _lesson(lessons: dict[str, Lesson], title: str, where: str) -> Lesson:
    lesson = lessons.get(" ".join(str(title).split()).casefold())
    if lesson is None:
        raise DocumentError(f"{where} names a lesson the course does not have: {title!r}.")
    return lesson


@transaction.atomic
def import_checks(
    *, course: Course, text: str, report: AssessmentReport | None = None
) -> AssessmentReport:
    """Make each lesson's questions match the checks file."""
    report = report or AssessmentReport()
    lessons = _lessons_by_title(course)
    for entry in _load(text, "checks").get("lesson", []):
        lesson = _lesson(lessons, entry.get("section", ""), "The checks file")
        wanted = [_question_spec(q, lesson.title) for q in entry.get("question", [])]
        report.questions += len(wanted)
        existing = [
            (
                q.kind,
                q.prompt,
                q.explanation,
                q.source,
                [(c.text, c.is_correct) for c in q.choices.all()],
            )
            for q in lesson.questions.prefetch_related("choices")
        ]
        if existing == wanted:
            continue
        lesson.questions.all().delete()
        for position, (kind, prompt, explanation, source, choices) in enumerate(wanted, start=1):
            question = Question.objects.create(
                lesson=lesson,
                position=position,
                kind=kind,
                prompt=prompt,
                explanation=explanation,
                source=source,
            )
            Choice.objects.bulk_create(
                Choice(question=question, position=n, text=choice_text, is_correct=correct)
                for n, (choice_text, correct) in enumerate(choices, start=1)
            )
        report.lessons_with_new_questions += 1
    _bump_version_if_changed(course, report)
    return report


def _question_spec(data: dict, lesson_title: str):
    prompt = str(data.get("prompt", "")).strip()
    where = f"A question in {lesson_title!r}"
    kind = data.get("kind", "single")
    if kind not in Question.Kind.values:
        raise DocumentError(f"{where} has kind {kind!r}; use 'single' or 'multiple'.")
    if not prompt or not str(data.get("explanation", "")).strip():
        raise DocumentError(f"{where} needs a prompt and an explanation.")
    choices = [
        (str(c.get("text", "")).strip(), bool(c.get("correct", False)))
        for c in data.get("choices", [])
    ]
    correct = sum(is_correct for _, is_correct in choices)
    if len(choices) < 2 or any(not choice_text for choice_text, _ in choices):
        raise DocumentError(
            f"{where} ({prompt[:40]!r}) needs at least two choices, each with text."
        )
    if correct == 0 or (kind == "single" and correct != 1) or correct == len(choices):
        raise DocumentError(
            f"{where} ({prompt[:40]!r}) has {correct} correct choices; "
            f"that cannot be a {kind}-choice question."
        )
    return (
        kind,
        prompt,
        str(data["explanation"]).strip(),
        str(data.get("source", "")).strip(),
        choices,
    )


@transaction.atomic
def import_assignments(
    *, course: Course, text: str, report: AssessmentReport | None = None
) -> AssessmentReport:
    """Create or update the course's assignments and rubrics from the assignments file."""
    report = report or AssessmentReport()
    lessons = _lessons_by_title(course)
    existing = {
        a.slug: a for a in course.assignments.prefetch_related("lessons", "criteria__levels")
    }
    for position, data in enumerate(_load(text, "assignments").get("assignment", []), start=1):
        fields, lesson_objs, rubric = _assignment_spec(data, lessons)
        fields["position"] = position
        assignment = existing.get(fields["slug"])
        created = assignment is None
        if created:
            assignment = Assignment(course=course)
        changed = created
        for name, value in fields.items():
            if getattr(assignment, name) != value:
                setattr(assignment, name, value)
                changed = True
        if changed:
            assignment.save()
        if created or {lesson.pk for lesson in assignment.lessons.all()} != {
            lesson.pk for lesson in lesson_objs
        }:
            assignment.lessons.set(lesson_objs)
            changed = True
        current_rubric = (
            [
                (
                    c.title,
                    c.description,
                    [(lv.title, lv.description, lv.points) for lv in c.levels.all()],
                )
                for c in assignment.criteria.all()
            ]
            if not created
            else None
        )
        if current_rubric != rubric:
            assignment.criteria.all().delete()
            for n, (title, description, levels) in enumerate(rubric, start=1):
                criterion = RubricCriterion.objects.create(
                    assignment=assignment, position=n, title=title, description=description
                )
                RubricLevel.objects.bulk_create(
                    RubricLevel(
                        criterion=criterion, position=m, title=lt, description=ld, points=lp
                    )
                    for m, (lt, ld, lp) in enumerate(levels, start=1)
                )
            changed = True
        if created:
            report.assignments_created += 1
        elif changed:
            report.assignments_updated += 1
        else:
            report.assignments_unchanged += 1
    if report.assignments_created:
        # Only a new assignment lacks schedules: two queries a cohort, so not on every import.
        for cohort in course.cohorts.all():
            schedule_cohort(cohort=cohort)
    _bump_version_if_changed(course, report)
    return report


def _bump_version_if_changed(course: Course, report: AssessmentReport) -> None:
    # Cached lesson material keys on the course version.
    if report.changed:
        Course.objects.filter(pk=course.pk).bump_version()
        course.refresh_from_db(fields=["version"])


def _decimal(value, where) -> Decimal:
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise DocumentError(f"{where} is not a number: {value!r}.") from None


def _assignment_spec(data: dict, lessons):
    title = str(data.get("title", "")).strip()
    slug = slugify(data.get("slug") or title)[:80]
    if not title or not slug:
        raise DocumentError("Every assignment needs a title.")
    where = f"Assignment {slug!r}"
    if not str(data.get("prompt", "")).strip():
        raise DocumentError(f"{where} has no prompt.")
    lesson_objs = [_lesson(lessons, name, where) for name in data.get("lessons", [])]
    rubric = []
    for criterion in data.get("criterion", []):
        levels = [
            (str(level.get("title", "")).strip(), str(level.get("description", "")).strip(),
             _decimal(level.get("points"), f"{where}: a level's points"))
            for level in criterion.get("levels", [])
        ]  # fmt: skip
        if len(levels) < 2:
            raise DocumentError(
                f"{where}: criterion {criterion.get('title')!r} needs at least two levels."
            )
        rubric.append(
            (
                str(criterion.get("title", "")).strip(),
                str(criterion.get("description", "")).strip(),
                levels,
            )
        )
    if len(rubric) < 1:
        raise DocumentError(f"{where} has no rubric criteria.")
    points = _decimal(data.get("points"), f"{where}: points")
    top = sum(max(points for _, _, points in levels) for _, _, levels in rubric)
    if top != points:
        raise DocumentError(
            f"{where}: the rubric's top levels add up to {top}, not the {points} points possible."
        )
    cutoff = data.get("hard_cutoff_days")
    fields = {
        "slug": slug,
        "title": title,
        "prompt_source": str(data["prompt"]).strip(),
        "points_possible": points,
        "max_attempts": int(data.get("max_attempts", 1)),
        "late_percent_per_day": _decimal(
            data.get("late_percent_per_day", 0), f"{where}: late_percent_per_day"
        ),
        "late_cap_percent": _decimal(
            data.get("late_cap_percent", 100), f"{where}: late_cap_percent"
        ),
        "hard_cutoff_days": int(cutoff) if cutoff is not None else None,
        "due_days_after_start": int(data["due_days_after_start"])
        if "due_days_after_start" in data
        else None,
    }
    return fields, lesson_objs, rubric
