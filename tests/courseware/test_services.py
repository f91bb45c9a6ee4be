import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from courseware.models import Cohort, Enrollment, Lesson, LessonProgress
from courseware.outline import annotate_progress
from courseware.services import complete_lesson, enroll_learner, record_lesson_visit

from ..factories import CohortFactory, UserFactory


def test_enrolling_joins_the_default_cohort(course, learner):
    enrollment, created = enroll_learner(learner=learner, course=course)
    assert created
    assert enrollment.cohort.is_default
    assert enrollment.status == Enrollment.Status.ACTIVE
    assert enrollment.source == Enrollment.Source.SELF


def test_enrolling_twice_returns_the_same_enrollment(course, learner):
    first, _ = enroll_learner(learner=learner, course=course)
    second, created = enroll_learner(learner=learner, course=course)
    assert second.pk == first.pk and not created
    assert Enrollment.objects.filter(learner=learner).count() == 1


def test_self_enrollment_is_refused_in_a_cohort_closed_to_it(course, learner):
    cohort = CohortFactory(
        course=course, is_default=False, join_policy=Cohort.JoinPolicy.INSTRUCTORS
    )
    with pytest.raises(PermissionDenied):
        enroll_learner(learner=learner, course=course, cohort=cohort)
    assert not Enrollment.objects.exists()


def test_a_full_cohort_refuses_another_learner(course, learner, other_learner):
    cohort = CohortFactory(course=course, is_default=False, capacity=1)
    enroll_learner(learner=learner, course=course, cohort=cohort)
    with pytest.raises(ValidationError, match="full"):
        enroll_learner(learner=other_learner, course=course, cohort=cohort)


def test_a_dropped_learner_can_enroll_again_and_keeps_progress(course, learner):
    enrollment, _ = enroll_learner(learner=learner, course=course)
    lesson = Lesson.objects.get(course=course, slug="introduction")
    complete_lesson(learner=learner, lesson=lesson, enrollment=enrollment)
    Enrollment.objects.filter(pk=enrollment.pk).update(status=Enrollment.Status.DROPPED)
    again, created = enroll_learner(learner=learner, course=course)
    assert created and again.pk != enrollment.pk
    assert LessonProgress.objects.filter(learner=learner, completed_at__isnull=False).count() == 1


def test_visiting_twice_records_one_start(enrolled_learner, course):
    lesson = Lesson.objects.get(course=course, slug="introduction")
    record_lesson_visit(learner=enrolled_learner, lesson=lesson)
    first = LessonProgress.objects.get(learner=enrolled_learner, lesson=lesson).started_at
    record_lesson_visit(learner=enrolled_learner, lesson=lesson)
    assert LessonProgress.objects.get(learner=enrolled_learner, lesson=lesson).started_at == first


def test_completing_every_lesson_completes_the_enrollment(enrolled_learner, course):
    enrollment = Enrollment.objects.get(learner=enrolled_learner)
    lessons = list(Lesson.objects.current().filter(course=course).in_order())
    results = [
        complete_lesson(learner=enrolled_learner, lesson=lesson, enrollment=enrollment)
        for lesson in lessons
    ]
    assert results == [False] * 16 + [True]
    enrollment = Enrollment.objects.get(pk=enrollment.pk)
    annotate_progress([enrollment])
    assert enrollment.status == Enrollment.Status.COMPLETED
    assert enrollment.completed_at is not None
    assert (enrollment.lessons_completed, enrollment.lessons_total) == (17, 17)
    assert enrollment.percent_complete == 100


def test_progress_counts_only_the_learners_own_completions(enrolled_learner, other_learner, course):
    other, _ = enroll_learner(learner=other_learner, course=course)
    for lesson in Lesson.objects.filter(course=course)[:5]:
        complete_lesson(learner=other_learner, lesson=lesson, enrollment=other)
    mine = Enrollment.objects.get(learner=enrolled_learner)
    annotate_progress([mine])
    assert mine.lessons_completed == 0
    assert mine.resume_slug == "introduction"


def test_resume_points_at_the_first_unfinished_lesson(enrolled_learner, course):
    enrollment = Enrollment.objects.get(learner=enrolled_learner)
    lessons = list(Lesson.objects.current().filter(course=course).in_order())
    for lesson in lessons[:3] + lessons[4:6]:
        complete_lesson(learner=enrolled_learner, lesson=lesson, enrollment=enrollment)
    resumed = Enrollment.objects.get(pk=enrollment.pk)
    annotate_progress([resumed])
    assert resumed.resume_slug == lessons[3].slug


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_completions_of_one_lesson_leave_one_row_and_no_error(course):
    learner = UserFactory()
    enrollment, _ = enroll_learner(learner=learner, course=course)
    lesson = Lesson.objects.get(course=course, slug="introduction")
    errors, barrier = [], threading.Barrier(8)

    def click():
        try:
            barrier.wait()
            complete_lesson(learner=learner, lesson=lesson, enrollment=enrollment)
        except Exception as error:  # noqa: BLE001 - any error is the failure under test.
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert (
        LessonProgress.objects.filter(
            learner=learner, lesson=lesson, completed_at__isnull=False
        ).count()
        == 1
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_enrollments_make_one_enrollment(course):
    learner = UserFactory()
    errors, results, barrier = [], [], threading.Barrier(6)

    def enroll():
        try:
            barrier.wait()
            results.append(enroll_learner(learner=learner, course=course)[0].pk)
        except Exception as error:  # noqa: BLE001 - any error is the failure under test.
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=enroll) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Enrollment.objects.filter(learner=learner).count() == 1
    assert len(set(results)) == 1


def test_a_join_code_cohort_takes_learners_with_the_right_code_only(course, learner, other_learner):
    cohort = CohortFactory(
        course=course, is_default=False, join_policy=Cohort.JoinPolicy.CODE, join_code="NATO-2027"
    )
    with pytest.raises(ValidationError):
        enroll_learner(learner=learner, course=course, cohort=cohort, join_code="wrong")
    enrollment, created = enroll_learner(
        learner=other_learner, course=course, cohort=cohort, join_code="nato-2027"
    )
    assert created and enrollment.cohort == cohort
    assert not Enrollment.objects.filter(learner=learner).exists()


def test_moving_a_learner_moves_their_submissions_to_the_new_cohort(enrolled_learner, course):
    from courseware.models import Submission
    from courseware.services import move_enrollments, submit_work

    enrollment = Enrollment.objects.get(learner=enrolled_learner)
    assignment = course.assignments.first()
    submit_work(assignment=assignment, enrollment=enrollment, body="My analysis.", attempt=1)
    new_cohort = CohortFactory(course=course, is_default=False)
    move_enrollments(enrollments=Enrollment.objects.filter(pk=enrollment.pk), cohort=new_cohort)
    assert Submission.objects.get(learner=enrolled_learner).cohort == new_cohort
