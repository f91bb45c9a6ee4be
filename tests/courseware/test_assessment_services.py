"""Knowledge checks, drafts, submitting, grading and releasing, through the services."""

import threading
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from accounts.services import ensure_user
from courseware.grading import Deadline
from courseware.models import (
    Assignment,
    AssignmentSchedule,
    CheckAttempt,
    Enrollment,
    Grade,
    Lesson,
    Question,
    RubricCriterion,
    RubricLevel,
    Submission,
)
from courseware.services import (
    GradeConflict,
    assignment_state,
    enroll_learner,
    extend_due_date,
    grade_submission,
    release_grades,
    save_draft,
    submit_check,
    submit_work,
)
from courseware.services.schedules import default_due_at

from ..factories import CohortFactory, LessonFactory, ModuleFactory, UserFactory

# Two attempts, 10% off per day late capped at 50%, closed 7 days after the due date.
CASE_STUDY = "us-south-korea-partnership"
# The introduction's check: two single-choice questions, then one multiple-choice question.
INTRODUCTION = "introduction"


@pytest.fixture
def assignment(course):
    return Assignment.objects.get(course=course, slug=CASE_STUDY)


@pytest.fixture
def enrollment(enrolled_learner):
    return Enrollment.objects.get(learner=enrolled_learner)


@pytest.fixture
def lesson(course):
    return Lesson.objects.get(course=course, slug=INTRODUCTION)


@pytest.fixture
def grader(instructor, enrollment):
    enrollment.cohort.instructors.add(instructor)
    return instructor


@pytest.fixture
def second_grader(enrollment):
    user, _ = ensure_user(
        email="second@example.org", password="pw", display_name="Sam Second", role=roles.INSTRUCTORS
    )
    enrollment.cohort.instructors.add(user)
    return user


def set_due(assignment, cohort, due_at):
    AssignmentSchedule.objects.update_or_create(
        assignment=assignment, cohort=cohort, defaults={"due_at": due_at}
    )


def questions_of(lesson):
    return list(Question.objects.filter(lesson=lesson).prefetch_related("choices"))


def right_answers(lesson):
    return {
        question.pk: {choice.pk for choice in question.choices.all() if choice.is_correct}
        for question in questions_of(lesson)
    }


def wrong_answers(lesson):
    return {
        question.pk: {next(c.pk for c in question.choices.all() if not c.is_correct)}
        for question in questions_of(lesson)
    }


def levels_titled(assignment, title):
    """Return {criterion id: id of the level with this title} for every criterion."""
    return {
        criterion.pk: criterion.levels.get(title=title).pk
        for criterion in RubricCriterion.objects.filter(assignment=assignment)
    }


def submitted(assignment, enrollment, body="My analysis of the alliance.", attempt=1):
    """Submit as the assignment page does: the text, and the attempt the page was showing."""
    return submit_work(assignment=assignment, enrollment=enrollment, body=body, attempt=attempt)


# Knowledge checks


def test_all_right_answers_score_full_marks(enrolled_learner, lesson):
    attempt = submit_check(learner=enrolled_learner, lesson=lesson, answers=right_answers(lesson))
    assert (attempt.score, attempt.max_score, attempt.percent) == (3, 3, 100)


def test_all_wrong_answers_score_nothing(enrolled_learner, lesson):
    attempt = submit_check(learner=enrolled_learner, lesson=lesson, answers=wrong_answers(lesson))
    assert (attempt.score, attempt.percent) == (0, 0)


def test_a_multiple_choice_answer_missing_a_right_choice_scores_nothing(enrolled_learner, lesson):
    answers = right_answers(lesson)
    multiple = next(q for q in questions_of(lesson) if q.kind == Question.Kind.MULTIPLE)
    answers[multiple.pk] = set(sorted(answers[multiple.pk])[:1])
    attempt = submit_check(learner=enrolled_learner, lesson=lesson, answers=answers)
    assert (attempt.score, attempt.percent) == (2, 67)


def test_a_multiple_choice_answer_with_an_extra_wrong_choice_scores_nothing(
    enrolled_learner, lesson
):
    answers = right_answers(lesson)
    multiple = next(q for q in questions_of(lesson) if q.kind == Question.Kind.MULTIPLE)
    answers[multiple.pk] |= {next(c.pk for c in multiple.choices.all() if not c.is_correct)}
    attempt = submit_check(learner=enrolled_learner, lesson=lesson, answers=answers)
    assert attempt.score == 2


def test_two_choices_for_a_single_choice_question_are_refused(enrolled_learner, lesson):
    answers = right_answers(lesson)
    single = next(q for q in questions_of(lesson) if q.kind == Question.Kind.SINGLE)
    answers[single.pk] = {choice.pk for choice in single.choices.all()[:2]}
    with pytest.raises(ValidationError) as caught:
        submit_check(learner=enrolled_learner, lesson=lesson, answers=answers)
    assert caught.value.message_dict == {
        f"question_{single.pk}": ["That answer is not one of the choices."]
    }


def test_an_unanswered_question_is_refused_and_nothing_is_stored(enrolled_learner, lesson):
    answers = right_answers(lesson)
    skipped = questions_of(lesson)[1]
    del answers[skipped.pk]
    with pytest.raises(ValidationError) as caught:
        submit_check(learner=enrolled_learner, lesson=lesson, answers=answers)
    assert caught.value.message_dict == {f"question_{skipped.pk}": ["Choose an answer."]}
    assert not CheckAttempt.objects.exists()


def test_a_choice_from_another_question_is_refused(enrolled_learner, lesson):
    first, second, _ = questions_of(lesson)
    answers = right_answers(lesson)
    answers[first.pk] = {second.choices.all()[0].pk}
    with pytest.raises(ValidationError) as caught:
        submit_check(learner=enrolled_learner, lesson=lesson, answers=answers)
    assert list(caught.value.message_dict) == [f"question_{first.pk}"]
    assert not CheckAttempt.objects.exists()


def test_a_lesson_without_questions_has_no_check_to_submit(enrolled_learner, course):
    lesson = LessonFactory(module=ModuleFactory(course=course))
    with pytest.raises(ValidationError, match="no knowledge check"):
        submit_check(learner=enrolled_learner, lesson=lesson, answers={})


def test_an_attempt_stores_the_chosen_choices_by_question(enrolled_learner, lesson):
    answers = right_answers(lesson)
    attempt = submit_check(learner=enrolled_learner, lesson=lesson, answers=answers)
    attempt.refresh_from_db()
    assert attempt.answers == {str(pk): sorted(chosen) for pk, chosen in answers.items()}


def test_every_attempt_is_kept(enrolled_learner, lesson):
    submit_check(learner=enrolled_learner, lesson=lesson, answers=wrong_answers(lesson))
    submit_check(learner=enrolled_learner, lesson=lesson, answers=right_answers(lesson))
    assert CheckAttempt.objects.filter(learner=enrolled_learner, lesson=lesson).count() == 2


def test_best_percent_is_the_highest_attempt_per_learner_and_lesson(
    enrolled_learner, other_learner, course, lesson
):
    enroll_learner(learner=other_learner, course=course)
    later_lesson = Lesson.objects.get(course=course, slug="understanding-military-diplomacy")
    submit_check(learner=enrolled_learner, lesson=lesson, answers=right_answers(lesson))
    submit_check(learner=enrolled_learner, lesson=lesson, answers=wrong_answers(lesson))
    submit_check(learner=other_learner, lesson=lesson, answers=wrong_answers(lesson))
    submit_check(learner=enrolled_learner, lesson=later_lesson, answers=wrong_answers(later_lesson))
    assert CheckAttempt.objects.best_percent_by_lesson() == {
        (enrolled_learner.pk, lesson.pk): 100,
        (other_learner.pk, lesson.pk): 0,
        (enrolled_learner.pk, later_lesson.pk): 0,
    }


# Drafts


def test_saving_a_draft_twice_keeps_one_draft_with_the_latest_text(assignment, enrollment):
    first = save_draft(assignment=assignment, enrollment=enrollment, body="First thoughts.")
    second = save_draft(assignment=assignment, enrollment=enrollment, body="Second thoughts.")
    assert second.pk == first.pk
    assert list(Submission.objects.values_list("body", "status", "attempt")) == [
        ("Second thoughts.", Submission.Status.DRAFT, 1)
    ]


def test_a_draft_counts_its_words(assignment, enrollment):
    draft = save_draft(
        assignment=assignment, enrollment=enrollment, body="  Joint  exercises\nbuild trust. "
    )
    assert draft.word_count == 4


def test_a_draft_is_not_handed_in(assignment, enrollment):
    save_draft(assignment=assignment, enrollment=enrollment, body="Still writing.")
    draft = Submission.objects.get()
    assert draft.submitted_at is None
    assert not Submission.objects.handed_in().exists()


def test_a_refused_attachment_saves_nothing(assignment, enrollment, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    png = SimpleUploadedFile("essay.pdf", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(ValidationError) as caught:
        save_draft(assignment=assignment, enrollment=enrollment, body="See file.", attachment=png)
    assert list(caught.value.message_dict) == ["attachment"]
    assert not Submission.objects.exists()


# Submitting


def test_submitting_marks_the_work_submitted_at_the_time(assignment, enrollment):
    before = timezone.now()
    submission = submitted(assignment, enrollment)
    submission.refresh_from_db()
    assert submission.status == Submission.Status.SUBMITTED
    assert before <= submission.submitted_at <= timezone.now()


def test_submitting_on_time_records_the_due_date_and_no_penalty(assignment, enrollment):
    due = timezone.now() + timedelta(days=2)
    set_due(assignment, enrollment.cohort, due)
    submission = submitted(assignment, enrollment)
    submission.refresh_from_db()
    assert (submission.due_at, submission.days_late, submission.penalty_percent) == (
        due,
        0,
        Decimal(0),
    )


def test_submitting_late_records_days_late_and_penalty_from_the_cohort_schedule(
    assignment, enrollment
):
    due = timezone.now() - timedelta(hours=30)
    set_due(assignment, enrollment.cohort, due)
    submission = submitted(assignment, enrollment)
    submission.refresh_from_db()
    assert (submission.due_at, submission.days_late, submission.penalty_percent) == (
        due,
        2,
        Decimal("20.00"),
    )


def test_the_penalty_for_late_work_stops_at_the_cap(assignment, enrollment):
    set_due(assignment, enrollment.cohort, timezone.now() - timedelta(days=6, hours=12))
    submission = submitted(assignment, enrollment)
    assert (submission.days_late, submission.penalty_percent) == (7, Decimal("50.00"))


def test_without_a_due_date_work_is_never_late(assignment, enrollment):
    set_due(assignment, enrollment.cohort, None)
    submission = submitted(assignment, enrollment)
    assert (submission.due_at, submission.days_late) == (None, 0)


def test_a_double_submit_makes_one_submission_and_returns_it(assignment, enrollment):
    """Two identical submit requests (a double click) hand in one attempt, not two."""
    first = submitted(assignment, enrollment, body="Final answer.")
    second = submitted(assignment, enrollment, body="Final answer.")
    assert second.pk == first.pk
    assert Submission.objects.count() == 1


def test_submitting_a_saved_draft_twice_returns_the_first_submission(assignment, enrollment):
    save_draft(assignment=assignment, enrollment=enrollment, body="Final answer.")
    first = submit_work(assignment=assignment, enrollment=enrollment, attempt=1)
    second = submit_work(assignment=assignment, enrollment=enrollment, attempt=1)
    assert second.pk == first.pk
    assert Submission.objects.count() == 1


def test_submitting_other_text_for_an_attempt_already_handed_in_is_refused(assignment, enrollment):
    """A stale tab's submit must not report success while its new text is thrown away."""
    submitted(assignment, enrollment, body="Submitted from the laptop.")
    with pytest.raises(ValidationError, match="already submitted"):
        submitted(assignment, enrollment, body="Rewritten in a tab left open on the phone.")
    assert list(Submission.objects.values_list("body", flat=True)) == ["Submitted from the laptop."]


def test_saving_a_draft_for_an_attempt_already_handed_in_is_refused(assignment, enrollment):
    submitted(assignment, enrollment, body="Submitted.")
    with pytest.raises(ValidationError, match="already submitted; reload the page"):
        save_draft(assignment=assignment, enrollment=enrollment, body="Stale tab.", attempt=1)
    assert Submission.objects.count() == 1


def test_submitting_with_nothing_saved_is_refused(assignment, enrollment):
    with pytest.raises(ValidationError, match="nothing to submit"):
        submit_work(assignment=assignment, enrollment=enrollment, attempt=1)


def test_an_empty_answer_is_refused_and_nothing_is_handed_in(assignment, enrollment):
    with pytest.raises(ValidationError) as caught:
        submitted(assignment, enrollment, body="  \n\t ")
    assert list(caught.value.message_dict) == ["body"]
    assert not Submission.objects.exists()


def test_an_attachment_alone_can_be_submitted(assignment, enrollment, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    pdf = SimpleUploadedFile("essay.pdf", b"%PDF-1.7\n% essay\n")
    submission = submit_work(
        assignment=assignment, enrollment=enrollment, body="", attachment=pdf, attempt=1
    )
    assert submission.status == Submission.Status.SUBMITTED
    assert submission.attachment_name == "essay.pdf"


def test_submitting_after_the_hard_cutoff_is_refused_and_leaves_the_draft_unchanged(
    assignment, enrollment
):
    set_due(assignment, enrollment.cohort, timezone.now() + timedelta(days=1))
    save_draft(assignment=assignment, enrollment=enrollment, body="First thoughts.")
    set_due(assignment, enrollment.cohort, timezone.now() - timedelta(days=8))
    with pytest.raises(ValidationError, match="closed at the hard cutoff; nothing was saved"):
        submitted(assignment, enrollment, body="Rewritten at the last minute.")
    assert list(Submission.objects.values_list("body", "status")) == [
        ("First thoughts.", Submission.Status.DRAFT)
    ]


def test_saving_a_draft_after_the_hard_cutoff_is_refused(assignment, enrollment):
    set_due(assignment, enrollment.cohort, timezone.now() - timedelta(days=7, minutes=1))
    with pytest.raises(ValidationError, match="closed at the hard cutoff"):
        save_draft(assignment=assignment, enrollment=enrollment, body="Too late.")
    assert not Submission.objects.exists()


def test_submitting_just_before_the_hard_cutoff_is_accepted(assignment, enrollment):
    set_due(
        assignment, enrollment.cohort, timezone.now() - timedelta(days=7) + timedelta(minutes=5)
    )
    submission = submitted(assignment, enrollment)
    assert submission.status == Submission.Status.SUBMITTED


def test_a_resubmission_is_attempt_two_and_keeps_attempt_one(assignment, enrollment):
    first = submitted(assignment, enrollment, body="First version.")
    save_draft(assignment=assignment, enrollment=enrollment, body="Revised version.")
    second = submitted(assignment, enrollment, body="Revised version.", attempt=2)
    assert second.attempt == 2
    assert list(Submission.objects.order_by("attempt").values_list("pk", "body", "status")) == [
        (first.pk, "First version.", Submission.Status.SUBMITTED),
        (second.pk, "Revised version.", Submission.Status.SUBMITTED),
    ]


def test_submitting_beyond_the_allowed_attempts_is_refused(assignment, enrollment):
    for number in (1, 2):
        save_draft(assignment=assignment, enrollment=enrollment, body=f"Version {number}.")
        submit_work(assignment=assignment, enrollment=enrollment, attempt=number)
    with pytest.raises(ValidationError, match="used every attempt"):
        submitted(assignment, enrollment, body="Version 3.", attempt=3)
    assert Submission.objects.count() == 2


def test_a_dropped_learner_cannot_submit(assignment, enrollment):
    Enrollment.objects.filter(pk=enrollment.pk).update(status=Enrollment.Status.DROPPED)
    enrollment.refresh_from_db()
    with pytest.raises(ValidationError, match="not active"):
        submitted(assignment, enrollment)
    assert not Submission.objects.exists()


def test_assignment_state_reports_the_cohort_due_date_and_cutoff(assignment, enrollment):
    due = timezone.now() + timedelta(days=3)
    set_due(assignment, enrollment.cohort, due)
    state = assignment_state(assignment=assignment, enrollment=enrollment)
    assert state.deadline == Deadline(due_at=due, cutoff_at=due + timedelta(days=7))


def test_an_extension_moves_the_due_date_and_the_cutoff(assignment, enrollment, instructor):
    set_due(assignment, enrollment.cohort, timezone.now() - timedelta(days=1))
    extended = timezone.now() + timedelta(days=4)
    extend_due_date(
        assignment=assignment,
        learners=[enrollment.learner],
        due_at=extended,
        granted_by=instructor,
    )
    state = assignment_state(assignment=assignment, enrollment=enrollment)
    assert state.deadline == Deadline(due_at=extended, cutoff_at=extended + timedelta(days=7))


def test_an_extension_reopens_a_closed_assignment_without_a_penalty(
    assignment, enrollment, instructor
):
    set_due(assignment, enrollment.cohort, timezone.now() - timedelta(days=10))
    extended = timezone.now() + timedelta(days=1)
    extend_due_date(
        assignment=assignment, learners=[enrollment.learner], due_at=extended, granted_by=instructor
    )
    submission = submitted(assignment, enrollment)
    assert (submission.due_at, submission.days_late, submission.penalty_percent) == (
        extended,
        0,
        Decimal(0),
    )


def test_an_extension_applies_only_to_the_learners_given(
    assignment, enrollment, other_learner, course, instructor
):
    other, _ = enroll_learner(learner=other_learner, course=course)
    due = timezone.now() + timedelta(days=1)
    set_due(assignment, enrollment.cohort, due)
    extend_due_date(
        assignment=assignment,
        learners=[enrollment.learner],
        due_at=due + timedelta(days=5),
        granted_by=instructor,
    )
    assert assignment_state(assignment=assignment, enrollment=other).deadline.due_at == due


def test_an_extension_needs_a_date(assignment, enrollment, instructor):
    with pytest.raises(ValidationError):
        extend_due_date(
            assignment=assignment, learners=[enrollment.learner], due_at=None, granted_by=instructor
        )


def test_the_default_due_time_is_2359_in_the_cohorts_zone_across_a_clock_change(course):
    cohort = CohortFactory.build(
        course=course, starts_on=date(2025, 3, 1), timezone="America/New_York"
    )
    assignment = Assignment(course=course, due_days_after_start=14)
    # 1 March is in winter time, 15 March in summer time: still 23:59 on the wall clock.
    assert default_due_at(cohort=cohort, assignment=assignment) == datetime(
        2025, 3, 15, 23, 59, tzinfo=ZoneInfo("America/New_York")
    )


# Emails on submitting


def test_a_submission_emails_the_cohorts_instructors_a_grading_link(
    assignment, enrollment, grader, course, mailoutbox, django_capture_on_commit_callbacks
):
    elsewhere = CohortFactory(course=course, is_default=False)
    elsewhere.instructors.add(UserFactory(email="elsewhere@example.org", is_staff=True))
    with django_capture_on_commit_callbacks(execute=True):
        submission = submitted(assignment, enrollment)
    link = reverse("admin:courseware_submission_grade", args=[submission.pk])
    assert [message.to for message in mailoutbox] == [[grader.email]]
    assert link in mailoutbox[0].body
    assert assignment.title in mailoutbox[0].subject


def test_saving_a_draft_emails_nobody(
    assignment, enrollment, grader, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        save_draft(assignment=assignment, enrollment=enrollment, body="Still writing.")
    assert mailoutbox == []


# Grading


def test_grading_needs_a_level_for_every_criterion(assignment, enrollment, grader):
    submission = submitted(assignment, enrollment)
    levels = levels_titled(assignment, "Exemplary")
    skipped = list(levels)[-1]
    del levels[skipped]
    with pytest.raises(ValidationError) as caught:
        grade_submission(submission=submission, grader=grader, levels=levels)
    assert list(caught.value.message_dict) == [f"criterion_{skipped}"]
    assert not Grade.objects.exists()


def test_a_level_of_another_criterion_does_not_count(assignment, enrollment, grader):
    submission = submitted(assignment, enrollment)
    levels = levels_titled(assignment, "Exemplary")
    first, second = list(levels)[:2]
    levels[first], levels[second] = levels[second], levels[first]
    with pytest.raises(ValidationError) as caught:
        grade_submission(submission=submission, grader=grader, levels=levels)
    assert sorted(caught.value.message_dict) == sorted(
        [f"criterion_{first}", f"criterion_{second}"]
    )


def test_a_draft_cannot_be_graded(assignment, enrollment, grader):
    draft = save_draft(assignment=assignment, enrollment=enrollment, body="Still writing.")
    with pytest.raises(ValidationError, match="draft cannot be graded"):
        grade_submission(
            submission=draft, grader=grader, levels=levels_titled(assignment, "Exemplary")
        )


def test_grading_adds_up_the_chosen_levels(assignment, enrollment, grader):
    submission = submitted(assignment, enrollment)
    grade = grade_submission(
        submission=submission, grader=grader, levels=levels_titled(assignment, "Proficient")
    )
    # 19 + 22 + 22 + 11.
    assert (grade.raw_score, grade.score, grade.points_possible) == (
        Decimal(74),
        Decimal("74.00"),
        Decimal(100),
    )


def test_grading_applies_the_submissions_late_penalty(assignment, enrollment, grader):
    set_due(assignment, enrollment.cohort, timezone.now() - timedelta(hours=30))
    submission = submitted(assignment, enrollment)
    grade = grade_submission(
        submission=submission, grader=grader, levels=levels_titled(assignment, "Proficient")
    )
    assert (grade.raw_score, grade.penalty_percent, grade.score) == (
        Decimal(74),
        Decimal("20.00"),
        Decimal("59.20"),
    )


def test_grading_marks_the_submission_graded(assignment, enrollment, grader):
    submission = submitted(assignment, enrollment)
    grade_submission(
        submission=submission, grader=grader, levels=levels_titled(assignment, "Exemplary")
    )
    submission.refresh_from_db()
    assert submission.status == Submission.Status.GRADED


def test_a_new_grade_is_not_released(assignment, enrollment, grader):
    submission = submitted(assignment, enrollment)
    grade = grade_submission(
        submission=submission, grader=grader, levels=levels_titled(assignment, "Exemplary")
    )
    assert not grade.is_released


def test_the_grade_keeps_a_snapshot_of_the_rubric_as_graded(assignment, enrollment, grader):
    submission = submitted(assignment, enrollment)
    criterion = RubricCriterion.objects.filter(assignment=assignment).first()
    level = criterion.levels.get(title="Proficient")
    levels = levels_titled(assignment, "Exemplary") | {criterion.pk: level.pk}
    grade = grade_submission(
        submission=submission,
        grader=grader,
        levels=levels,
        comments={criterion.pk: "  Define soft power earlier.  "},
    )
    criterion.title = "Renamed later"
    criterion.save()
    RubricLevel.objects.filter(pk=level.pk).update(title="Changed", points=1)
    grade.refresh_from_db()
    assert grade.rubric[0] == {
        "criterion_id": criterion.pk,
        "criterion": "Conceptual grounding",
        "level_id": level.pk,
        "level": "Proficient",
        "points": "19.00",
        "max_points": "25.00",
        "comment": "Define soft power earlier.",
    }


def test_a_grade_from_an_older_version_is_refused_and_the_first_grade_stands(
    assignment, enrollment, grader, second_grader
):
    submission = submitted(assignment, enrollment)
    grade_submission(
        submission=submission,
        grader=grader,
        levels=levels_titled(assignment, "Exemplary"),
        expected_version=0,
    )
    with pytest.raises(GradeConflict, match="Tess Teacher saved this grade"):
        grade_submission(
            submission=submission,
            grader=second_grader,
            levels=levels_titled(assignment, "Beginning"),
            expected_version=0,
        )
    grade = Grade.objects.get()
    assert (grade.score, grade.grader, grade.version) == (Decimal("100.00"), grader, 1)


def test_regrading_from_the_current_version_saves_the_next_version(
    assignment, enrollment, grader, second_grader
):
    submission = submitted(assignment, enrollment)
    first = grade_submission(
        submission=submission, grader=grader, levels=levels_titled(assignment, "Exemplary")
    )
    second = grade_submission(
        submission=submission,
        grader=second_grader,
        levels=levels_titled(assignment, "Developing"),
        expected_version=first.version,
    )
    assert (second.pk, second.version, second.score, second.grader) == (
        first.pk,
        2,
        Decimal("40.00"),
        second_grader,
    )


def test_grading_records_history_with_the_grader(assignment, enrollment, grader, second_grader):
    submission = submitted(assignment, enrollment)
    grade = grade_submission(
        submission=submission, grader=grader, levels=levels_titled(assignment, "Exemplary")
    )
    grade_submission(
        submission=submission,
        grader=second_grader,
        levels=levels_titled(assignment, "Developing"),
        expected_version=1,
    )
    history = grade.history.order_by("history_date")
    assert [(row.history_user, row.version, row.score) for row in history] == [
        (grader, 1, Decimal("100.00")),
        (second_grader, 2, Decimal("40.00")),
    ]


# Releasing


@pytest.fixture
def two_grades(assignment, enrollment, other_learner, course, grader):
    """A released grade for the learner and an unreleased one for another learner."""
    other, _ = enroll_learner(learner=other_learner, course=course)
    released = grade_submission(
        submission=submitted(assignment, enrollment),
        grader=grader,
        levels=levels_titled(assignment, "Exemplary"),
        release=True,
    )
    unreleased = grade_submission(
        submission=submitted(assignment, other),
        grader=grader,
        levels=levels_titled(assignment, "Proficient"),
    )
    return released, unreleased


def test_releasing_releases_only_unreleased_grades(two_grades, grader):
    released, unreleased = two_grades
    count = release_grades(grades=Grade.objects.all(), released_by=grader)
    assert count == 1
    assert Grade.objects.get(pk=released.pk).released_at == released.released_at
    assert Grade.objects.get(pk=unreleased.pk).is_released


def test_releasing_emails_each_newly_released_learner_once(
    two_grades, grader, other_learner, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        release_grades(grades=Grade.objects.all(), released_by=grader)
        release_grades(grades=Grade.objects.all(), released_by=grader)
    assert [message.to for message in mailoutbox] == [[other_learner.email]]


def test_the_release_email_links_to_the_assignment(
    two_grades, grader, assignment, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        release_grades(grades=Grade.objects.all(), released_by=grader)
    assert assignment.get_absolute_url() in mailoutbox[0].body


def test_releasing_records_who_released(two_grades, grader, second_grader):
    _, unreleased = two_grades
    release_grades(grades=Grade.objects.all(), released_by=second_grader)
    assert unreleased.history.latest("history_date").history_user == second_grader


def test_grading_without_release_emails_nobody(
    assignment, enrollment, grader, mailoutbox, django_capture_on_commit_callbacks
):
    submission = submitted(assignment, enrollment)
    with django_capture_on_commit_callbacks(execute=True):
        grade_submission(
            submission=submission, grader=grader, levels=levels_titled(assignment, "Exemplary")
        )
    assert mailoutbox == []


def test_grading_with_release_emails_the_learner(
    assignment, enrollment, grader, mailoutbox, django_capture_on_commit_callbacks
):
    submission = submitted(assignment, enrollment)
    with django_capture_on_commit_callbacks(execute=True):
        grade_submission(
            submission=submission,
            grader=grader,
            levels=levels_titled(assignment, "Exemplary"),
            release=True,
        )
    assert [message.to for message in mailoutbox] == [[enrollment.learner.email]]


# Concurrency: real parallel transactions, so PostgreSQL only.


def run_together(count, action):
    """Run `action` in `count` threads released at once; return (results, errors)."""
    results, errors, barrier = [], [], threading.Barrier(count)

    def run():
        try:
            barrier.wait()
            results.append(action())
        except Exception as error:  # noqa: BLE001 - the errors are part of the outcome.
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_submits_of_one_draft_make_one_submission_and_no_error(course):
    learner = UserFactory()
    enrollment, _ = enroll_learner(learner=learner, course=course)
    assignment = Assignment.objects.get(course=course, slug=CASE_STUDY)
    save_draft(assignment=assignment, enrollment=enrollment, body="Final answer.")

    # As the page submits: the text again, and the attempt it was showing.
    results, errors = run_together(
        2,
        lambda: (
            submit_work(
                assignment=assignment, enrollment=enrollment, body="Final answer.", attempt=1
            ).pk
        ),
    )

    assert errors == []
    assert len(set(results)) == 1
    assert Submission.objects.filter(learner=learner).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_grades_from_the_same_version_let_exactly_one_through(course):
    learner = UserFactory()
    enrollment, _ = enroll_learner(learner=learner, course=course)
    assignment = Assignment.objects.get(course=course, slug=CASE_STUDY)
    submission = submitted(assignment, enrollment, body="Final answer.")
    graders = iter([UserFactory(is_staff=True), UserFactory(is_staff=True)])
    levels = levels_titled(assignment, "Exemplary")

    results, errors = run_together(
        2,
        lambda: (
            grade_submission(
                submission=submission, grader=next(graders), levels=levels, expected_version=0
            ).pk
        ),
    )

    assert len(results) == 1
    assert [type(error) for error in errors] == [GradeConflict]
    assert Grade.objects.get().version == 1
