"""The learner's state in a course, read in one query, is what the database holds."""

import pytest
from django.contrib.auth.models import AnonymousUser

from courseware.access import read_course_cards, read_course_state
from courseware.models import Cohort, Enrollment, Lesson
from courseware.services import (
    complete_lesson,
    drop_enrollments,
    enroll_learner,
    record_lesson_visit,
)

from ..factories import CheckAttemptFactory, CohortFactory

pytestmark = pytest.mark.django_db


def current_lessons(course):
    return list(Lesson.objects.current().filter(course=course).in_order())


@pytest.fixture
def second_cohort(course):
    # A cohort other than the default, so that cohort and course ids differ.
    return CohortFactory(
        course=course, slug="second", is_default=False, join_policy=Cohort.JoinPolicy.OPEN
    )


def test_state_holds_the_enrollment_progress_and_check_summary(learner, course, second_cohort):
    enrollment, _ = enroll_learner(learner=learner, course=course, cohort=second_cohort)
    lessons = current_lessons(course)
    for lesson in lessons[:3]:
        complete_lesson(learner=learner, lesson=lesson, enrollment=enrollment)
    record_lesson_visit(learner=learner, lesson=lessons[3])
    CheckAttemptFactory(learner=learner, lesson=lessons[1], score=1, max_score=3, percent=33)
    CheckAttemptFactory(learner=learner, lesson=lessons[1], score=3, max_score=3, percent=100)

    access, progress = read_course_state(
        learner, course, lesson_ids=[lesson.pk for lesson in lessons], check_lesson_id=lessons[1].pk
    )

    row = Enrollment.objects.get(pk=enrollment.pk)
    loaded = access.enrollment
    assert (loaded.pk, loaded.cohort_id, loaded.course_id, loaded.learner_id, loaded.status) == (
        row.pk, row.cohort_id, row.course_id, row.learner_id, row.status
    )  # fmt: skip
    assert loaded.cohort_id != loaded.course_id
    assert loaded.created_at == row.created_at  # deferred fields load when used
    assert progress.completed == {lesson.pk for lesson in lessons[:3]}
    assert progress.opened == {lesson.pk for lesson in lessons[:4]}
    assert (progress.check_best, progress.check_attempts) == (100, 2)


def test_a_dropped_learner_has_no_access_and_no_progress(learner, course):
    enrollment, _ = enroll_learner(learner=learner, course=course)
    lessons = current_lessons(course)
    complete_lesson(learner=learner, lesson=lessons[0], enrollment=enrollment)
    drop_enrollments(enrollments=Enrollment.objects.filter(pk=enrollment.pk))

    access, progress = read_course_state(learner, course, lesson_ids=[lessons[0].pk])

    assert not access.is_enrolled
    assert progress.completed == set() and progress.opened == set()


def test_a_visitor_has_no_state(course):
    access, progress = read_course_state(AnonymousUser(), course, lesson_ids=[])
    assert (access.is_enrolled, access.is_previewer, progress.completed) == (False, False, set())


def test_course_cards_count_only_current_lessons_of_current_enrollments(learner, course):
    enrollment, _ = enroll_learner(learner=learner, course=course)
    lessons = current_lessons(course)
    for lesson in lessons[:2]:
        complete_lesson(learner=learner, lesson=lesson, enrollment=enrollment)

    [card] = read_course_cards(learner)

    assert (card.enrollment_id, card.course.pk, card.cohort_name) == (
        enrollment.pk, course.pk, enrollment.cohort.name
    )  # fmt: skip
    assert (card.lessons_completed, card.lessons_total) == (2, len(lessons))
    assert card.resume_url == lessons[2].get_absolute_url()

    drop_enrollments(enrollments=Enrollment.objects.filter(pk=enrollment.pk))
    assert read_course_cards(learner) == []
