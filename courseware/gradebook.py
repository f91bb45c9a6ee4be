"""The per-cohort gradebook: each learner's assignment marks, knowledge checks and total.

Every function reads a fixed number of queries per chunk of learners, so the cost of a
page or an export grows with the data read, never with one query per learner.
"""

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from itertools import islice

from django.db.models import Count

from . import grading
from .models import (
    Assignment,
    CheckAttempt,
    Cohort,
    Enrollment,
    Lesson,
    LessonProgress,
    Submission,
)

CHUNK_SIZE = 500
TENTH = Decimal("0.1")
# Ten bins of ten points; the last also holds 100.
HISTOGRAM_BINS = [(low, low + 9 if low < 90 else 100) for low in range(0, 100, 10)]


def _percent(part, whole) -> Decimal | None:
    """Return part of whole in percent, unrounded, or None when there is no whole."""
    if not whole:
        return None
    return Decimal(100) * Decimal(part) / Decimal(whole)


def _tenths(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(TENTH, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Cell:
    """One learner's mark on one assignment: the grade of their latest graded attempt."""

    score: Decimal | None = None
    points_possible: Decimal | None = None
    is_released: bool = False
    # A handed-in attempt still waits for a grade (it may be newer than the graded one).
    is_awaiting: bool = False

    @property
    def is_graded(self) -> bool:
        return self.score is not None

    @property
    def percent(self) -> Decimal | None:
        return _tenths(_percent(self.score, self.points_possible)) if self.is_graded else None


EMPTY = Cell()


@dataclass(frozen=True)
class Row:
    learner: object
    cells: list[Cell]
    assignments_percent: Decimal | None
    checks_percent: Decimal | None
    total: Decimal | None
    letter: str

    @property
    def unreleased(self) -> int:
        return sum(1 for cell in self.cells if cell.is_graded and not cell.is_released)


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    percent: int  # of the largest bar (histograms) or of the cohort (completion)

    @property
    def rest(self) -> int:
        """Return the empty part of a 100-unit bar, so SVG can draw it from the bottom."""
        return 100 - self.percent


@dataclass(frozen=True)
class AssignmentSummary:
    assignment: Assignment
    bars: list[Bar]
    graded: int
    unreleased: int


@dataclass(frozen=True)
class Gradebook:
    cohort: Cohort
    assignments: list[Assignment]
    check_lesson_ids: list[int]

    @classmethod
    def for_cohort(cls, cohort: Cohort) -> "Gradebook":
        """Return the gradebook's columns for the cohort, in two queries."""
        assignments = list(Assignment.objects.published().filter(course=cohort.course_id))
        check_lessons = (
            Lesson.objects.current()
            .filter(course=cohort.course_id, questions__isnull=False)
            .distinct()
            .values_list("pk", flat=True)
        )
        return cls(cohort=cohort, assignments=assignments, check_lesson_ids=list(check_lessons))

    @property
    def course(self):
        return self.cohort.course

    def enrollments(self):
        return (
            Enrollment.objects.current()
            .filter(cohort=self.cohort)
            .select_related("learner")
            .order_by("learner__display_name", "learner__email", "pk")
        )

    def rows(self, *, chunk_size: int = CHUNK_SIZE) -> Iterator[Row]:
        """Yield a row per current learner, reading marks a chunk of learners at a time."""
        enrollments = self.enrollments().iterator(chunk_size=chunk_size)
        while chunk := list(islice(enrollments, chunk_size)):
            yield from self._rows([enrollment.learner for enrollment in chunk])

    def rows_for(self, learners) -> list[Row]:
        """Return the rows of these learners only: one page of the gradebook."""
        return list(self._rows(list(learners)))

    def _rows(self, learners) -> Iterator[Row]:
        learner_ids = [learner.pk for learner in learners]
        marks = self._marks(learner_ids)
        best = (
            CheckAttempt.objects.filter(
                learner__in=learner_ids, lesson__in=self.check_lesson_ids
            ).best_percent_by_lesson()
            if self.check_lesson_ids
            else {}
        )
        for learner in learners:
            cells = [marks.get((learner.pk, a.pk), EMPTY) for a in self.assignments]
            graded = [cell for cell in cells if cell.is_graded]
            assignments_percent = _percent(
                sum(cell.score for cell in graded), sum(cell.points_possible for cell in graded)
            )
            # Unattempted checks count as 0: the category measures the whole course.
            checks_percent = _percent(
                sum(best.get((learner.pk, lesson_id), 0) for lesson_id in self.check_lesson_ids),
                100 * len(self.check_lesson_ids),
            )
            total = grading.weighted_total(
                assignments_percent=assignments_percent,
                checks_percent=checks_percent,
                assignments_weight=self.course.assignments_weight,
                checks_weight=self.course.checks_weight,
            )
            # The total comes from the unrounded categories, as the learner's own page does.
            yield Row(
                learner=learner,
                cells=cells,
                assignments_percent=_tenths(assignments_percent),
                checks_percent=_tenths(checks_percent),
                total=total,
                letter=self.course.letter_for(total) if total is not None else "",
            )

    def _marks(self, learner_ids) -> dict[tuple[int, int], Cell]:
        """Return {(learner id, assignment id): cell} for these learners, in one query."""
        handed_in = (
            Submission.objects.handed_in()
            .filter(learner__in=learner_ids, assignment__in=[a.pk for a in self.assignments])
            .order_by("attempt", "pk")
            .values_list(
                "learner_id",
                "assignment_id",
                "grade__score",
                "grade__points_possible",
                "grade__released_at",
            )
        )
        marks: dict[tuple[int, int], Cell] = {}
        for learner_id, assignment_id, score, points_possible, released_at in handed_in:
            key = (learner_id, assignment_id)
            before = marks.get(key, EMPTY)
            if score is None:
                marks[key] = Cell(
                    score=before.score,
                    points_possible=before.points_possible,
                    is_released=before.is_released,
                    is_awaiting=True,
                )
            else:
                # Attempts come in order, so a later graded attempt replaces an earlier one.
                marks[key] = Cell(
                    score=score,
                    points_possible=points_possible,
                    is_released=released_at is not None,
                    is_awaiting=before.is_awaiting,
                )
        return marks

    def summaries(self, rows: list[Row] | None = None) -> list[AssignmentSummary]:
        """Return, per assignment, a histogram of marks in ten-point bins and release counts.

        Without rows, read the cohort's marks alone, a chunk of learners at a time: no
        knowledge checks or totals, which a page of charts does not show.
        """
        if rows is None:
            rows = self._mark_rows()
        summaries = []
        for index, assignment in enumerate(self.assignments):
            cells = [row.cells[index] for row in rows if row.cells[index].is_graded]
            counts = [0] * len(HISTOGRAM_BINS)
            for cell in cells:
                counts[min(int(cell.percent // 10), len(HISTOGRAM_BINS) - 1)] += 1
            tallest = max(counts) or 1
            bars = [
                Bar(label=f"{low}–{high}", count=count, percent=round(100 * count / tallest))
                for (low, high), count in zip(HISTOGRAM_BINS, counts, strict=True)
            ]
            summaries.append(
                AssignmentSummary(
                    assignment=assignment,
                    bars=bars,
                    graded=len(cells),
                    unreleased=sum(1 for cell in cells if not cell.is_released),
                )
            )
        return summaries

    def _mark_rows(self, *, chunk_size: int = CHUNK_SIZE) -> list[Row]:
        """Return a row of cells (marks only) per current learner, for the charts."""
        learner_ids = list(self.enrollments().values_list("learner_id", flat=True))
        rows = []
        for start in range(0, len(learner_ids), chunk_size):
            chunk = learner_ids[start : start + chunk_size]
            marks = self._marks(chunk)
            rows += [
                Row(
                    learner=None,
                    cells=[marks.get((pk, a.pk), EMPTY) for a in self.assignments],
                    assignments_percent=None,
                    checks_percent=None,
                    total=None,
                    letter="",
                )
                for pk in chunk
            ]
        return rows

    def lesson_completion(self) -> list[Bar]:
        """Return, per current lesson, the share of the cohort's learners who completed it."""
        learners = Enrollment.objects.current().filter(cohort=self.cohort).values("learner_id")
        learner_count = Enrollment.objects.current().filter(cohort=self.cohort).count()
        lessons = list(
            Lesson.objects.current().filter(course=self.cohort.course_id).in_order().only("title")
        )
        # Count the cohort's learners' progress, not every learner's progress per lesson:
        # the cost follows the cohort, not the course. Lesson ids, not a join to lessons,
        # or PostgreSQL expects one lesson and loops over each lesson's progress rows.
        completed = dict(
            LessonProgress.objects.filter(
                learner__in=learners,
                lesson__in=[lesson.pk for lesson in lessons],
                completed_at__isnull=False,
            )
            .values("lesson_id")
            .annotate(n=Count("pk"))
            .values_list("lesson_id", "n")
        )
        return [
            Bar(
                label=lesson.title,
                count=completed.get(lesson.pk, 0),
                percent=(
                    round(100 * completed.get(lesson.pk, 0) / learner_count) if learner_count else 0
                ),
            )
            for lesson in lessons
        ]


class _Echo:
    """A file-like object whose write() returns the line, for csv.writer in a generator."""

    def write(self, value):
        return value


def _spreadsheet_safe(text: str) -> str:
    # A learner-chosen name starting with = or + would run as a formula in a spreadsheet.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _number(value) -> str:
    return "" if value is None else str(value)


# Lines go out in pieces of about this many characters: one write per line would cost the
# server a system call and a chunk header for every learner.
CSV_PIECE = 64 * 1024


def csv_lines(book: Gradebook) -> Iterator[str]:
    """Yield the gradebook as CSV, the header first, then lines in pieces of about 64 KB."""
    writer = csv.writer(_Echo())
    yield writer.writerow(
        ["Email", "Name"]
        + [f"{assignment.title} (%)" for assignment in book.assignments]
        + ["Assignments (%)", "Knowledge checks (%)", "Total (%)", "Letter", "Unreleased grades"]
    )
    piece, size = [], 0
    for row in book.rows():
        line = writer.writerow(
            [
                _spreadsheet_safe(row.learner.email),
                _spreadsheet_safe(row.learner.display_name),
            ]
            + [_number(cell.percent) for cell in row.cells]
            + [
                _number(row.assignments_percent),
                _number(row.checks_percent),
                _number(row.total),
                row.letter,
                row.unreleased,
            ]
        )
        piece.append(line)
        size += len(line)
        if size >= CSV_PIECE:
            yield "".join(piece)
            piece, size = [], 0
    if piece:
        yield "".join(piece)
