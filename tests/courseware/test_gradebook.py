import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from courseware.gradebook import Gradebook
from courseware.models import Assignment, Enrollment, Lesson, LessonProgress
from courseware.services import grade_submission

from ..factories import (
    AssignmentFactory,
    CheckAttemptFactory,
    CohortFactory,
    CourseFactory,
    EnrollmentFactory,
    GradeFactory,
    LessonFactory,
    ModuleFactory,
    QuestionFactory,
    RubricCriterionFactory,
    RubricLevelFactory,
    SubmissionFactory,
    UserFactory,
)


class Example:
    """A small course whose gradebook is worked out by hand in the tests below.

    Weights 60/40; A1 out of 50, A2 out of 100; lessons 1 and 2 have checks, lesson 3 not.
    """

    def __init__(self, grader):
        self.grader = grader
        self.course = CourseFactory(assignments_weight=60, checks_weight=40)
        module = ModuleFactory(course=self.course)
        self.lessons = [LessonFactory(module=module, course=self.course) for _ in range(3)]
        for lesson in self.lessons[:2]:
            QuestionFactory(lesson=lesson)
        self.a1 = self._assignment(50, [50, 45, 40, 20, 0])
        self.a2 = self._assignment(100, [100, 80, 50, 0])
        self.cohort = CohortFactory(course=self.course)
        self.cohort.instructors.add(grader)

    def _assignment(self, points, levels):
        assignment = AssignmentFactory(course=self.course, points_possible=points)
        criterion = RubricCriterionFactory(assignment=assignment)
        for value in levels:
            RubricLevelFactory(criterion=criterion, points=value, title=f"{value} points")
        return assignment

    def learner(self, name, **fields):
        return EnrollmentFactory(
            cohort=self.cohort, learner=UserFactory(display_name=name), **fields
        ).learner

    def submit(self, learner, assignment, *, attempt=1, days_late=0):
        return SubmissionFactory(
            cohort=self.cohort,
            assignment=assignment,
            learner=learner,
            attempt=attempt,
            days_late=days_late,
            penalty_percent=Decimal(10 * days_late),
        )

    def grade(self, learner, assignment, points, *, release=True, **submission):
        submission = self.submit(learner, assignment, **submission)
        criterion = assignment.criteria.get()
        return grade_submission(
            submission=submission,
            grader=self.grader,
            levels={criterion.pk: criterion.levels.get(points=points).pk},
            release=release,
        )

    def checks(self, learner, *percents):
        for lesson, percent in zip(self.lessons, percents, strict=False):
            if percent is not None:
                CheckAttemptFactory(learner=learner, lesson=lesson, percent=percent)

    def rows(self):
        return {row.learner.display_name: row for row in Gradebook.for_cohort(self.cohort).rows()}


@pytest.fixture
def example(instructor):
    return Example(instructor)


@pytest.fixture
def ann(example):
    """A1 40/50 on time; A2 100/100 two days late (−20%), not released; checks 50 then 100, none."""
    ann = example.learner("Ann")
    example.grade(ann, example.a1, 40)
    example.grade(ann, example.a2, 100, days_late=2, release=False)
    example.checks(ann, 50)
    example.checks(ann, 100)
    return ann


# Numbers, worked out by hand


def test_gradebook_weighs_assignments_and_checks_into_the_total(example, ann):
    row = example.rows()["Ann"]
    # Assignments (40 + 80) / 150 = 80.0; checks (100 + 0) / 2 = 50.0; 0.6 × 80 + 0.4 × 50 = 68.0.
    assert (row.assignments_percent, row.checks_percent, row.total) == (
        Decimal("80.0"),
        Decimal("50.0"),
        Decimal("68.0"),
    )


def test_gradebook_uses_the_score_after_the_late_penalty(example, ann):
    assert example.rows()["Ann"].cells[1].percent == Decimal("80.0")


def test_gradebook_counts_unattempted_checks_as_zero(example):
    learner = example.learner("Bo")
    example.checks(learner, 70)
    assert example.rows()["Bo"].checks_percent == Decimal("35.0")


def test_gradebook_counts_the_latest_graded_attempt(example):
    learner = example.learner("Ben")
    example.grade(learner, example.a1, 20, attempt=1)
    example.grade(learner, example.a1, 50, attempt=2)
    assert example.rows()["Ben"].cells[0].percent == Decimal("100.0")


def test_gradebook_letter_is_given_from_its_lowest_percentage(example):
    dee, fay = example.learner("Dee"), example.learner("Fay")
    example.grade(dee, example.a1, 45)
    example.checks(dee, 90, 90)
    example.grade(fay, example.a2, 80)
    example.checks(fay, 80, 80)
    rows = example.rows()
    assert (rows["Dee"].total, rows["Dee"].letter) == (Decimal("90.0"), "A")
    assert (rows["Fay"].total, rows["Fay"].letter) == (Decimal("80.0"), "B")


def test_gradebook_letter_follows_the_courses_scheme(example, ann):
    example.course.letter_scheme = [["Pass", 65], ["Fail", 0]]
    example.course.save()
    assert example.rows()["Ann"].letter == "Pass"


def test_learner_without_grades_is_totalled_on_checks_alone(example):
    example.learner("Cal")
    row = example.rows()["Cal"]
    assert (row.assignments_percent, row.checks_percent, row.total, row.letter) == (
        None,
        Decimal("0.0"),
        Decimal("0.0"),
        "F",
    )


def test_gradebook_marks_grades_not_yet_released(example, ann):
    cells = example.rows()["Ann"].cells
    assert [cell.is_released for cell in cells] == [True, False]
    assert example.rows()["Ann"].unreleased == 1


def test_gradebook_marks_work_awaiting_a_grade(example):
    learner = example.learner("Gus")
    example.submit(learner, example.a1)
    cell = example.rows()["Gus"].cells[0]
    assert cell.is_awaiting and not cell.is_graded


def test_gradebook_leaves_out_dropped_learners_and_other_cohorts(example, ann):
    example.learner("Hal", status=Enrollment.Status.DROPPED)
    elsewhere = CohortFactory(course=example.course, is_default=False)
    EnrollmentFactory(cohort=elsewhere, learner=UserFactory(display_name="Ida"))
    assert list(example.rows()) == ["Ann"]


def test_gradebook_reads_learners_in_chunks_with_the_same_result(example, ann):
    example.learner("Cal")
    example.learner("Bo")
    book = Gradebook.for_cohort(example.cohort)
    assert list(book.rows(chunk_size=1)) == list(book.rows())


def test_histogram_counts_marks_per_ten_point_bin(example, ann):
    learner = example.learner("Dee")
    example.grade(learner, example.a1, 45)
    book = Gradebook.for_cohort(example.cohort)
    a1 = book.summaries(list(book.rows()))[0]
    assert {bar.label: bar.count for bar in a1.bars if bar.count} == {"80–89": 1, "90–100": 1}
    assert (a1.graded, a1.unreleased) == (2, 0)


def test_lesson_completion_counts_the_cohorts_learners(example, ann):
    example.learner("Cal")
    outsider = UserFactory()
    now = timezone.now()
    for learner in (ann, outsider):
        LessonProgress.objects.create(
            learner=learner, lesson=example.lessons[0], started_at=now, completed_at=now
        )
    bars = Gradebook.for_cohort(example.cohort).lesson_completion()
    assert [(bar.count, bar.percent) for bar in bars] == [(1, 50), (0, 0), (0, 0)]


# The pages


def test_gradebook_page_lists_learners_with_totals_and_letters(client, instructor, example, ann):
    client.force_login(instructor)
    response = client.get(reverse("admin:courseware_gradebook", args=[example.cohort.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert '<th scope="row">Ann</th>' in page
    assert "<strong>68.0</strong>" in page
    assert "80.0*" in page  # not released yet


def test_gradebook_page_offers_to_release_an_assignments_unreleased_grades(
    client, instructor, example, ann
):
    client.force_login(instructor)
    page = client.get(reverse("admin:courseware_gradebook", args=[example.cohort.pk]))
    release = reverse("admin:courseware_grades_release", args=[example.cohort.pk, example.a2.pk])
    assert release in page.content.decode()


@pytest.mark.parametrize("name", ["admin:courseware_gradebook", "admin:courseware_gradebook_csv"])
def test_gradebook_of_a_cohort_not_taught_is_404(client, instructor, course, name):
    elsewhere = CohortFactory(course=course, is_default=False)
    client.force_login(instructor)
    assert client.get(reverse(name, args=[elsewhere.pk])).status_code == 404


def test_csv_export_is_streamed(client, instructor, example, ann):
    client.force_login(instructor)
    response = client.get(reverse("admin:courseware_gradebook_csv", args=[example.cohort.pk]))
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="gradebook-')


def _csv(client, cohort):
    response = client.get(reverse("admin:courseware_gradebook_csv", args=[cohort.pk]))
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_csv_export_has_a_row_per_learner_with_marks_totals_and_letter(
    client, instructor, example, ann
):
    client.force_login(instructor)
    header, *rows = _csv(client, example.cohort)
    assert header == [
        "Email",
        "Name",
        f"{example.a1.title} (%)",
        f"{example.a2.title} (%)",
        "Assignments (%)",
        "Knowledge checks (%)",
        "Total (%)",
        "Letter",
        "Unreleased grades",
    ]
    assert rows == [[ann.email, "Ann", "80.0", "80.0", "80.0", "50.0", "68.0", "D", "1"]]


def test_csv_export_keeps_names_from_running_as_formulas(client, instructor, example):
    example.learner("=HYPERLINK(1)")
    client.force_login(instructor)
    _, row = _csv(client, example.cohort)
    assert row[1] == "'=HYPERLINK(1)"


# Query budgets


def _add_learners(cohort, count):
    """Enroll learners with a graded assignment, a check attempt and a completed lesson."""
    assignment = Assignment.objects.filter(course=cohort.course_id).first()
    lesson = Lesson.objects.filter(course=cohort.course_id, questions__isnull=False).first()
    now = timezone.now()
    for _ in range(count):
        learner = EnrollmentFactory(cohort=cohort).learner
        submission = SubmissionFactory(
            cohort=cohort, assignment=assignment, learner=learner, status="graded"
        )
        GradeFactory(submission=submission)
        CheckAttemptFactory(learner=learner, lesson=lesson, percent=60)
        LessonProgress.objects.create(
            learner=learner, lesson=lesson, started_at=now, completed_at=now
        )


def _query_count(client, url):
    def fetch():
        response = client.get(url)
        assert response.status_code == 200
        if response.streaming:
            b"".join(response.streaming_content)

    fetch()  # Warm per-process caches such as content types.
    with CaptureQueriesContext(connection) as queries:
        fetch()
    return len(queries)


@pytest.mark.parametrize("name", ["admin:courseware_gradebook", "admin:courseware_gradebook_csv"])
def test_gradebook_query_count_does_not_grow_with_the_number_of_learners(
    client, instructor, course, name
):
    cohort = course.cohorts.get(is_default=True)
    cohort.instructors.add(instructor)
    client.force_login(instructor)
    url = reverse(name, args=[cohort.pk])
    _add_learners(cohort, 5)
    with_five = _query_count(client, url)
    _add_learners(cohort, 25)
    assert _query_count(client, url) == with_five
