"""Backing up with dumpdata and restoring with loaddata gives back the same course, row for row.

A cohort with learners, submissions, released and unreleased grades, a regrade, knowledge
checks and progress is dumped as the README describes, the database is flushed, and the
dump is loaded again: the gradebook, every row and every history row must come back, with
the same ids (LMSs hold our ids), and new rows must still get fresh ids afterwards.
"""

from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.utils import timezone

from accounts import roles
from courseware.gradebook import Gradebook
from courseware.models import (
    AssignmentSchedule,
    CheckAttempt,
    Cohort,
    Enrollment,
    Grade,
    Lesson,
    LessonProgress,
    Submission,
)
from courseware.services import (
    complete_lesson,
    drop_enrollments,
    enroll_learner,
    extend_due_date,
    grade_submission,
    schedule_cohort,
    submit_check,
    submit_work,
)

from .api.conftest import create_api_client
from .factories import CohortFactory, UserFactory

# Transactional like the worker and browser tests: the test flushes the database itself.
pytestmark = pytest.mark.django_db(transaction=True)

# What the backup leaves out: rows every database makes for itself (content types and
# permissions, referred to by natural keys instead), sessions, and django_rq, whose admin
# dashboard is a model without a table (dumpdata fails on it: "no such table").
EXCLUDED = ["contenttypes", "auth.permission", "sessions", "django_rq"]
# Rows compared after the restore: everything the backup holds.
NOT_BACKED_UP = {"contenttypes.ContentType", "auth.Permission", "sessions.Session"}


def dump(path):
    """Write the database as `manage.py dumpdata --natural-foreign --format yaml …` does.

    YAML keeps every value as it was: Django's JSON cuts times to milliseconds, and its XML
    strips the whitespace around text (the newline that ends a lesson's HTML, say).
    """
    call_command(
        "dumpdata", natural_foreign=True, exclude=EXCLUDED, format="yaml", output=str(path)
    )


def stored_models():
    """Every model with a table of its own, many-to-many tables included."""
    return [model for model in apps.get_models(include_auto_created=True) if model._meta.managed]


def counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in stored_models()}


def snapshot() -> dict[str, list[dict]]:
    """Return every backed-up row, by model, in primary-key order.

    Content types and permissions are named by natural key, as the backup names them: the
    database that loads it numbers its own. Many-to-many rows get new ids when loaded, so
    they are compared without them.
    """
    natural = {
        ContentType: {ct.pk: ct.natural_key() for ct in ContentType.objects.all()},
        Permission: {
            p.pk: p.natural_key() for p in Permission.objects.select_related("content_type")
        },
    }
    tables = {}
    for model in stored_models():
        if model._meta.label in NOT_BACKED_UP:
            continue
        named = {
            field.attname: natural[field.related_model]
            for field in model._meta.concrete_fields
            if field.is_relation and field.related_model in natural
        }
        rows = [
            {
                name: named[name].get(value) if name in named else value
                for name, value in row.items()
                if not (model._meta.auto_created and name == "id")
            }
            for row in model._default_manager.order_by("pk").values()
        ]
        tables[model._meta.label] = sorted(rows, key=repr) if model._meta.auto_created else rows
    return tables


def gradebook(cohort_id: int) -> list[tuple]:
    book = Gradebook.for_cohort(Cohort.objects.get(pk=cohort_id))
    return [
        (
            row.learner.pk,
            row.learner.email,
            [
                (cell.score, cell.points_possible, cell.is_released, cell.is_awaiting)
                for cell in row.cells
            ],
            row.assignments_percent,
            row.checks_percent,
            row.total,
            row.letter,
            row.unreleased,
        )
        for row in book.rows()
    ]


def _answers(lesson, *, right: bool):
    """Answer every question of the lesson's check, all right or all wrong."""
    return {
        question.pk: {
            next(choice.pk for choice in question.choices.all() if choice.is_correct == right)
        }
        for question in lesson.questions.prefetch_related("choices")
    }


@pytest.fixture
def cohort(course, instructor):
    """A running cohort: four learners, graded and regraded work, checks and progress."""
    instructors = Group.objects.get(name=roles.INSTRUCTORS)
    instructors.permissions.add(*Permission.objects.filter(codename__in=["view_grade"]))
    cohort = CohortFactory(
        course=course,
        is_default=False,
        name="Spring run",
        slug="spring-run",
        timezone="Europe/Brussels",
        starts_on=timezone.localdate() - timedelta(days=30),
    )
    cohort.instructors.add(instructor)
    create_api_client(name="Campus LMS", cohorts=[cohort])
    schedule_cohort(cohort=cohort)
    assignments = list(course.assignments.published()[:3])
    # The first case study fell due two days ago (late work), the others are still open.
    AssignmentSchedule.objects.filter(cohort=cohort).update(
        due_at=timezone.now() + timedelta(days=10)
    )
    AssignmentSchedule.objects.filter(cohort=cohort, assignment=assignments[0]).update(
        due_at=timezone.now() - timedelta(days=2)
    )
    lessons = list(
        Lesson.objects.current()
        .filter(course=course, questions__isnull=False)
        .distinct()
        .in_order()[:3]
    )
    learners = [UserFactory(display_name=f"Learner {n}") for n in range(4)]
    extend_due_date(
        assignment=assignments[0],
        learners=learners[:1],
        due_at=timezone.now() + timedelta(days=3),
        granted_by=instructor,
        reason="Illness",
    )
    for number, learner in enumerate(learners):
        enrollment, _ = enroll_learner(learner=learner, course=course, cohort=cohort)
        for index, assignment in enumerate(assignments[: number + 1]):
            submission = submit_work(
                assignment=assignment,
                enrollment=enrollment,
                body=f"Answer {number}.{index} about soft power.",
                attempt=1,
            )
            if index == 2:
                continue  # still waiting for a grade
            criteria = assignment.criteria.prefetch_related("levels")
            levels = {c.pk: list(c.levels.all())[(number + index) % 2].pk for c in criteria}
            grade = grade_submission(
                submission=submission,
                grader=instructor,
                levels=levels,
                comments={c.pk: f"Comment {number}" for c in criteria},
                feedback=f"Feedback for learner {number}.",
                release=index == 0,
            )
            if number == 1:
                levels = {c.pk: list(c.levels.all())[0].pk for c in criteria}
                grade_submission(
                    submission=submission,
                    grader=instructor,
                    levels=levels,
                    feedback="Regraded.",
                    expected_version=grade.version,
                )
        for lesson_number, lesson in enumerate(lessons[: number + 1]):
            submit_check(learner=learner, lesson=lesson, answers=_answers(lesson, right=False))
            right = (number + lesson_number) % 2 == 0
            submit_check(learner=learner, lesson=lesson, answers=_answers(lesson, right=right))
            complete_lesson(learner=learner, lesson=lesson, enrollment=enrollment)
    drop_enrollments(enrollments=Enrollment.objects.filter(learner=learners[3]))
    LogEntry.objects.create(
        user=instructor,
        content_type=ContentType.objects.get_for_model(Cohort),
        object_id=str(cohort.pk),
        object_repr=str(cohort),
        action_flag=CHANGE,
        change_message="Enrolled 4 learners.",
    )
    return cohort


def back_up_and_restore(tmp_path):
    """Dump to a file, flush the database, check it is empty, and load the file again."""
    backup = tmp_path / "backup.yaml"
    dump(backup)
    call_command("flush", interactive=False, verbosity=0)
    left = {label: n for label, n in counts().items() if n}
    assert set(left) <= NOT_BACKED_UP, left
    call_command("loaddata", str(backup), verbosity=0)


def test_a_restore_gives_back_the_same_gradebook(cohort, tmp_path):
    book = gradebook(cohort.pk)
    assert len(book) == 3  # the dropped learner is not in it
    assert {row[6] for row in book} - {""}, "the gradebook has letters to compare"
    assert any(row[7] for row in book), "and unreleased grades"

    back_up_and_restore(tmp_path)

    assert gradebook(cohort.pk) == book


def test_a_restore_gives_back_every_row_and_no_more_history(cohort, tmp_path):
    before = counts()
    for model in (Submission, Grade, Grade.history.model, CheckAttempt, LessonProgress):
        assert before[model._meta.label], f"nothing to restore in {model._meta.label}"
    assert before[Enrollment.history.model._meta.label] > before[Enrollment._meta.label]

    rows = snapshot()

    back_up_and_restore(tmp_path)

    after = counts()
    changed = {
        label: f"{before[label]} → {after[label]}"
        for label in before
        if before[label] != after[label]
    }
    assert not changed, f"rows before → after the restore: {changed}"
    restored = snapshot()
    for label, expected in rows.items():
        differing = [
            (old, new) for old, new in zip(expected, restored[label], strict=True) if old != new
        ]
        assert not differing, f"{label} changed in the restore: {differing[0]}"


def test_after_a_restore_new_rows_get_fresh_ids(cohort, tmp_path):
    highest = {
        model: model.objects.order_by("-pk").values_list("pk", flat=True).first()
        for model in (Submission, Grade, Enrollment)
    }
    back_up_and_restore(tmp_path)

    course = Cohort.objects.get(pk=cohort.pk).course
    learner = UserFactory()
    enrollment, _ = enroll_learner(learner=learner, course=course, cohort=cohort)
    assignment = course.assignments.published().first()
    submission = submit_work(
        assignment=assignment, enrollment=enrollment, body="A new answer.", attempt=1
    )
    criteria = assignment.criteria.prefetch_related("levels")
    grade = grade_submission(
        submission=submission,
        grader=cohort.instructors.get(),
        levels={c.pk: c.levels.first().pk for c in criteria},
        release=True,
    )
    assert enrollment.pk > highest[Enrollment]
    assert submission.pk > highest[Submission]
    assert grade.pk > highest[Grade]
