import re
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.admin import site
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from accounts.services import ensure_user
from courseware.models import Assignment, Grade, Lesson, LessonProgress, Submission

from ..factories import (
    CheckAttemptFactory,
    CohortFactory,
    EnrollmentFactory,
    GradeFactory,
    SubmissionFactory,
    UserFactory,
)

QUEUE = reverse("admin:courseware_submission_changelist")


@pytest.fixture
def cohort(course, instructor):
    cohort = course.cohorts.get(is_default=True)
    cohort.instructors.add(instructor)
    return cohort


@pytest.fixture
def other_cohort(course):
    return CohortFactory(course=course, is_default=False, name="Autumn", slug="autumn")


@pytest.fixture
def assignment(course):
    return Assignment.objects.get(course=course, slug="us-south-korea-partnership")


@pytest.fixture
def second_assignment(course):
    return Assignment.objects.filter(course=course).exclude(slug="us-south-korea-partnership")[0]


@pytest.fixture
def second_instructor(cohort):
    user, _ = ensure_user(
        email="second@example.org", password="pw", display_name="Sam Second", role=roles.INSTRUCTORS
    )
    cohort.instructors.add(user)
    return user


@pytest.fixture
def instructor_client(client, instructor, cohort):
    client.force_login(instructor)
    return client


def _submit(cohort, assignment, *, minutes_ago=60, **fields):
    """Hand in work for a new learner enrolled in the cohort."""
    fields.setdefault("learner", None)
    fields["learner"] = fields["learner"] or EnrollmentFactory(cohort=cohort).learner
    fields.setdefault("submitted_at", timezone.now() - timedelta(minutes=minutes_ago))
    return SubmissionFactory(cohort=cohort, assignment=assignment, **fields)


def _grade_data(assignment, *, level="Proficient", feedback="Clear and well argued.", version=0):
    data = {"feedback": feedback, "expected_version": version, "_save": "Save"}
    for criterion in assignment.criteria.all():
        data[f"criterion_{criterion.pk}"] = criterion.levels.get(title=level).pk
        data[f"comment_{criterion.pk}"] = f"On {criterion.title.lower()}."
    return data


def _grade_url(submission, query=""):
    return reverse("admin:courseware_submission_grade", args=[submission.pk]) + query


def _listed(response):
    return [submission.pk for submission in response.context["cl"].result_list]


# The queue


def test_instructors_group_may_view_and_change_submissions_and_grades(instructor):
    assert instructor.has_perms(
        ["courseware.view_submission", "courseware.change_submission", "courseware.change_grade"]
    )
    assert instructor.has_perm("courseware.view_historicalgrade")


def test_queue_lists_only_submissions_from_the_instructors_cohorts(
    instructor_client, cohort, other_cohort, assignment
):
    mine = _submit(cohort, assignment)
    _submit(other_cohort, assignment)
    response = instructor_client.get(QUEUE)
    assert response.status_code == 200
    assert _listed(response) == [mine.pk]


def test_queue_never_lists_drafts(instructor_client, cohort, assignment):
    handed_in = _submit(cohort, assignment)
    _submit(cohort, assignment, status=Submission.Status.DRAFT, submitted_at=None)
    response = instructor_client.get(QUEUE)
    assert _listed(response) == [handed_in.pk]


def test_queue_lists_the_oldest_submission_first(instructor_client, cohort, assignment):
    newer = _submit(cohort, assignment, minutes_ago=10)
    older = _submit(cohort, assignment, minutes_ago=300)
    response = instructor_client.get(QUEUE)
    assert _listed(response) == [older.pk, newer.pk]


def test_queue_filters_by_lateness(instructor_client, cohort, assignment):
    _submit(cohort, assignment)
    two_days = _submit(cohort, assignment, days_late=2, penalty_percent=Decimal(20))
    _submit(cohort, assignment, days_late=9, penalty_percent=Decimal(50))
    response = instructor_client.get(QUEUE, {"late": "2-7"})
    assert _listed(response) == [two_days.pk]


def test_queue_filters_by_status(instructor_client, cohort, assignment):
    awaiting = _submit(cohort, assignment)
    GradeFactory(submission=_submit(cohort, assignment, status=Submission.Status.GRADED))
    response = instructor_client.get(QUEUE, {"state": "awaiting"})
    assert _listed(response) == [awaiting.pk]


def test_queue_filters_by_cohort_and_assignment(
    instructor, instructor_client, cohort, other_cohort, assignment, second_assignment
):
    other_cohort.instructors.add(instructor)
    wanted = _submit(cohort, assignment)
    _submit(cohort, second_assignment)
    _submit(other_cohort, assignment)
    response = instructor_client.get(
        QUEUE, {"cohort__id__exact": cohort.pk, "assignment__id__exact": assignment.pk}
    )
    assert _listed(response) == [wanted.pk]


def test_queue_cohort_filter_offers_only_cohorts_the_instructor_teaches(
    instructor_client, cohort, other_cohort, assignment
):
    _submit(cohort, assignment)
    _submit(other_cohort, assignment)
    response = instructor_client.get(QUEUE)
    assert other_cohort.name not in response.content.decode()


def test_queue_shows_counts_per_status(instructor_client, cohort, assignment):
    _submit(cohort, assignment, days_late=1, penalty_percent=Decimal(10))
    _submit(cohort, assignment)
    GradeFactory(submission=_submit(cohort, assignment, status=Submission.Status.GRADED))
    GradeFactory(
        submission=_submit(cohort, assignment, status=Submission.Status.GRADED),
        released_at=timezone.now(),
    )
    response = instructor_client.get(QUEUE)
    assert response.context["queue_counts"] == {
        "awaiting": 2,
        "unreleased": 1,
        "released": 1,
        "late": 1,
    }
    assert "Graded, not released" in response.content.decode()


def test_queue_links_to_the_gradebook_of_each_taught_cohort(instructor_client, cohort):
    response = instructor_client.get(QUEUE)
    assert reverse("admin:courseware_gradebook", args=[cohort.pk]) in response.content.decode()


def test_submission_admin_refuses_change_permission_on_another_cohorts_submission(
    rf, instructor, cohort, other_cohort, assignment
):
    request = rf.get(QUEUE)
    request.user = instructor
    submission_admin = site._registry[Submission]
    assert submission_admin.has_change_permission(request, _submit(cohort, assignment))
    assert not submission_admin.has_change_permission(request, _submit(other_cohort, assignment))


# The grading page


def test_grade_page_of_another_cohorts_submission_is_404(
    instructor_client, other_cohort, assignment
):
    theirs = _submit(other_cohort, assignment)
    assert instructor_client.get(_grade_url(theirs)).status_code == 404


def test_posting_a_grade_for_another_cohorts_submission_is_404_and_saves_nothing(
    instructor_client, other_cohort, assignment
):
    theirs = _submit(other_cohort, assignment)
    response = instructor_client.post(_grade_url(theirs), _grade_data(assignment))
    assert response.status_code == 404
    assert not Grade.objects.exists()


def test_grade_page_of_a_draft_is_404(instructor_client, cohort, assignment):
    draft = _submit(cohort, assignment, status=Submission.Status.DRAFT, submitted_at=None)
    assert instructor_client.get(_grade_url(draft)).status_code == 404


def test_learners_cannot_open_the_grading_page(client, cohort, assignment):
    submission = _submit(cohort, assignment)
    client.force_login(submission.learner)
    response = client.get(_grade_url(submission))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_grade_page_shows_each_criterion_with_its_levels_points_and_descriptors(
    instructor_client, cohort, assignment
):
    page = instructor_client.get(_grade_url(_submit(cohort, assignment))).content.decode()
    assert page.count('<fieldset class="criterion"') == assignment.criteria.count()
    assert "<legend>Conceptual grounding</legend>" in page
    assert "Defines all core concepts precisely" in page
    # A screen reader reads a level's name as "Exemplary 25.00 points", not "Exemplary25.00".
    assert re.search(r'</strong> <span class="points">25\.00 points</span>', page)


def test_grade_page_shows_the_late_penalty(instructor_client, cohort, assignment):
    late = _submit(cohort, assignment, days_late=2, penalty_percent=Decimal(20))
    page = instructor_client.get(_grade_url(late)).content.decode()
    assert "2 days late: 20.00% penalty" in page


def test_grade_page_renders_the_answer_as_sanitized_markdown(instructor_client, cohort, assignment):
    submission = _submit(cohort, assignment, body="A **firm** point.<script>alert(1)</script>")
    page = instructor_client.get(_grade_url(submission)).content.decode()
    assert "<strong>firm</strong>" in page
    assert "<script>alert(1)</script>" not in page


def test_grade_page_links_to_the_attachment_download(instructor_client, cohort, assignment):
    submission = _submit(
        cohort, assignment, attachment="submissions/essay.pdf", attachment_name="essay.pdf"
    )
    page = instructor_client.get(_grade_url(submission)).content.decode()
    assert reverse("courseware:submission-attachment", args=[submission.pk]) in page


def test_saving_a_grade_stores_the_rubric_and_applies_the_late_penalty(
    instructor, instructor_client, cohort, assignment
):
    late = _submit(cohort, assignment, days_late=2, penalty_percent=Decimal(20))
    response = instructor_client.post(_grade_url(late), _grade_data(assignment))
    assert response.status_code == 302
    grade = Grade.objects.get(submission=late)
    # Proficient on every criterion: 19 + 22 + 22 + 11 = 74, less 20% for two days late.
    assert (grade.raw_score, grade.penalty_percent, grade.score) == (
        Decimal("74.00"),
        Decimal("20.00"),
        Decimal("59.20"),
    )
    assert grade.grader == instructor
    assert [item["level"] for item in grade.rubric] == ["Proficient"] * 4
    assert grade.rubric[0]["comment"] == "On conceptual grounding."
    assert grade.released_at is None


def test_saved_grade_page_shows_the_computed_score_with_the_penalty(
    instructor_client, cohort, assignment
):
    late = _submit(cohort, assignment, days_late=2, penalty_percent=Decimal(20))
    instructor_client.post(_grade_url(late), _grade_data(assignment))
    page = instructor_client.get(_grade_url(late)).content.decode()
    assert "−20.00% (2 days late)" in page
    assert "59.20 of 100.00" in page


def test_a_missing_rubric_choice_is_reported_and_nothing_is_saved(
    instructor_client, cohort, assignment
):
    submission = _submit(cohort, assignment)
    data = _grade_data(assignment)
    first = assignment.criteria.first()
    del data[f"criterion_{first.pk}"]
    response = instructor_client.post(_grade_url(submission), data)
    assert response.status_code == 200
    assert f"Choose a level for “{first.title}”." in response.content.decode()
    assert not Grade.objects.exists()


def test_save_and_next_opens_the_oldest_ungraded_submission(instructor_client, cohort, assignment):
    first = _submit(cohort, assignment, minutes_ago=300)
    GradeFactory(submission=_submit(cohort, assignment, minutes_ago=200, status="graded"))
    following = _submit(cohort, assignment, minutes_ago=100)
    _submit(cohort, assignment, minutes_ago=50)
    response = instructor_client.post(_grade_url(first), {**_grade_data(assignment), "_next": "1"})
    assert response.status_code == 302
    assert response["Location"] == _grade_url(following)


def test_save_and_next_stays_within_the_filtered_queue(
    instructor_client, cohort, assignment, second_assignment
):
    first = _submit(cohort, assignment, minutes_ago=300)
    _submit(cohort, second_assignment, minutes_ago=200)
    following = _submit(cohort, assignment, minutes_ago=100)
    query = "?_changelist_filters=assignment__id__exact%3D" + str(assignment.pk)
    response = instructor_client.post(
        _grade_url(first, query), {**_grade_data(assignment), "_next": "1"}
    )
    assert response["Location"] == _grade_url(following, query)


def test_save_and_next_returns_to_the_queue_when_nothing_is_left(
    instructor_client, cohort, assignment
):
    only = _submit(cohort, assignment)
    response = instructor_client.post(_grade_url(only), {**_grade_data(assignment), "_next": "1"})
    assert response["Location"] == QUEUE


def test_releasing_from_the_grading_page_releases_and_emails_the_learner(
    instructor_client, cohort, assignment, mailoutbox, django_capture_on_commit_callbacks
):
    submission = _submit(cohort, assignment)
    with django_capture_on_commit_callbacks(execute=True):
        instructor_client.post(_grade_url(submission), {**_grade_data(assignment), "release": "on"})
    assert Grade.objects.get(submission=submission).is_released
    assert [mail.to for mail in mailoutbox] == [[submission.learner.email]]


# Two instructors at once


def _grade_at_once(client, second_client, submission, assignment):
    """Open the page as both instructors, then save first as one and then as the other."""
    client.get(_grade_url(submission))
    second_client.get(_grade_url(submission))
    first = client.post(_grade_url(submission), _grade_data(assignment, level="Exemplary"))
    second = second_client.post(
        _grade_url(submission),
        _grade_data(assignment, level="Beginning", feedback="My own careful feedback."),
    )
    return first, second


def test_second_of_two_simultaneous_saves_is_refused_and_the_first_grade_stands(
    instructor, instructor_client, second_instructor, cohort, assignment
):
    submission = _submit(cohort, assignment)
    second_client = Client()
    second_client.force_login(second_instructor)
    first, second = _grade_at_once(instructor_client, second_client, submission, assignment)
    assert first.status_code == 302
    assert second.status_code == 200
    assert "saved this grade while you were grading" in second.content.decode()
    grade = Grade.objects.get(submission=submission)
    assert (grade.grader, grade.score, grade.version) == (instructor, Decimal("100.00"), 1)


def test_a_refused_save_keeps_what_the_instructor_typed(
    instructor_client, second_instructor, cohort, assignment
):
    submission = _submit(cohort, assignment)
    second_client = Client()
    second_client.force_login(second_instructor)
    _, second = _grade_at_once(instructor_client, second_client, submission, assignment)
    page = second.content.decode()
    assert "My own careful feedback.</textarea>" in page
    beginning = assignment.criteria.first().levels.get(title="Beginning")
    assert re.search(rf'<input type="radio"[^>]* value="{beginning.pk}"[^>]* checked>', page)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_saves_by_two_instructors_keep_exactly_one_grade(course):
    cohort = course.cohorts.get(is_default=True)
    assignment = Assignment.objects.get(course=course, slug="us-south-korea-partnership")
    submission = _submit(cohort, assignment)
    # Flushes between transactional tests drop group grants: give these users their own.
    grading = Permission.objects.filter(
        content_type__app_label="courseware", codename__in=["view_submission", "change_submission"]
    )
    clients, statuses, errors = [], [], []
    barrier = threading.Barrier(2)
    for level in ("Exemplary", "Beginning"):
        user = UserFactory(is_staff=True)
        user.user_permissions.add(*grading)
        cohort.instructors.add(user)
        grading_client = Client()
        grading_client.force_login(user)
        clients.append((grading_client, _grade_data(assignment, level=level)))

    def save(grading_client, data):
        try:
            barrier.wait()
            statuses.append(grading_client.post(_grade_url(submission), data).status_code)
        except Exception as error:  # noqa: BLE001 - any error is the failure under test.
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=pair) for pair in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(statuses) == [200, 302]
    assert Grade.objects.get(submission=submission).version == 1


# History


def _regrade(instructor_client, second_instructor, submission, assignment):
    instructor_client.post(_grade_url(submission), _grade_data(assignment, level="Developing"))
    second_client = Client()
    second_client.force_login(second_instructor)
    second_client.post(
        _grade_url(submission), _grade_data(assignment, level="Exemplary", version=1)
    )
    return Grade.objects.get(submission=submission)


def test_a_regrade_keeps_who_changed_the_score_and_from_what(
    instructor, instructor_client, second_instructor, cohort, assignment
):
    grade = _regrade(instructor_client, second_instructor, _submit(cohort, assignment), assignment)
    records = list(grade.history.order_by("history_date"))
    assert [(r.history_user, r.score, r.version) for r in records] == [
        (instructor, Decimal("40.00"), 1),
        (second_instructor, Decimal("100.00"), 2),
    ]


def test_grade_history_page_shows_the_regrade(
    instructor_client, second_instructor, cohort, assignment
):
    grade = _regrade(instructor_client, second_instructor, _submit(cohort, assignment), assignment)
    response = instructor_client.get(reverse("admin:courseware_grade_history", args=[grade.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Sam Second" in page and "Tess Teacher" in page
    assert "40.00" in page and "100.00" in page


def test_history_of_another_cohorts_grade_is_404(instructor_client, other_cohort, assignment):
    grade = GradeFactory(submission=_submit(other_cohort, assignment, status="graded"))
    response = instructor_client.get(reverse("admin:courseware_grade_history", args=[grade.pk]))
    assert response.status_code == 404


def test_a_grade_cannot_be_reverted_from_its_history(
    instructor_client, second_instructor, cohort, assignment
):
    grade = _regrade(instructor_client, second_instructor, _submit(cohort, assignment), assignment)
    first = grade.history.earliest("history_date")
    url = reverse("admin:courseware_grade_simple_history", args=[grade.pk, first.history_id])
    response = instructor_client.post(url, {"_change_history": "1"})
    assert response.status_code == 403
    grade.refresh_from_db()
    assert (grade.score, grade.version) == (Decimal("100.00"), 2)


def test_grade_admin_lists_only_grades_from_taught_cohorts(
    instructor_client, cohort, other_cohort, assignment
):
    mine = GradeFactory(submission=_submit(cohort, assignment, status="graded"))
    GradeFactory(submission=_submit(other_cohort, assignment, status="graded"))
    response = instructor_client.get(reverse("admin:courseware_grade_changelist"))
    assert [grade.pk for grade in response.context["cl"].result_list] == [mine.pk]


def test_grade_change_form_of_another_cohorts_grade_is_404(
    instructor_client, other_cohort, assignment
):
    grade = GradeFactory(submission=_submit(other_cohort, assignment, status="graded"))
    response = instructor_client.get(reverse("admin:courseware_grade_change", args=[grade.pk]))
    assert response.status_code == 404


def test_grade_change_form_leads_to_the_grading_page(instructor_client, cohort, assignment):
    grade = GradeFactory(submission=_submit(cohort, assignment, status="graded"))
    response = instructor_client.get(reverse("admin:courseware_grade_change", args=[grade.pk]))
    assert response["Location"] == _grade_url(grade.submission)


# Releasing


def _graded(cohort, assignment, **fields):
    return GradeFactory(submission=_submit(cohort, assignment, status="graded"), **fields)


def test_release_action_releases_only_the_selected_grades(
    instructor_client, cohort, assignment, django_capture_on_commit_callbacks
):
    chosen = [_graded(cohort, assignment), _graded(cohort, assignment)]
    left = _graded(cohort, assignment)
    with django_capture_on_commit_callbacks(execute=True):
        instructor_client.post(
            reverse("admin:courseware_grade_changelist"),
            {"action": "release_selected", "_selected_action": [g.pk for g in chosen]},
        )
    assert set(Grade.objects.released().values_list("pk", flat=True)) == {g.pk for g in chosen}
    assert Grade.objects.get(pk=left.pk).released_at is None


def test_release_action_sends_one_email_per_learner(
    instructor_client, cohort, assignment, mailoutbox, django_capture_on_commit_callbacks
):
    chosen = [_graded(cohort, assignment), _graded(cohort, assignment)]
    with django_capture_on_commit_callbacks(execute=True):
        instructor_client.post(
            reverse("admin:courseware_grade_changelist"),
            {"action": "release_selected", "_selected_action": [g.pk for g in chosen]},
        )
    assert sorted(mail.to[0] for mail in mailoutbox) == sorted(
        g.submission.learner.email for g in chosen
    )


def test_release_action_skips_grades_of_cohorts_not_taught(
    instructor_client, cohort, other_cohort, assignment, mailoutbox,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    theirs = _graded(other_cohort, assignment)
    with django_capture_on_commit_callbacks(execute=True):
        instructor_client.post(
            reverse("admin:courseware_grade_changelist"),
            {"action": "release_selected", "_selected_action": [theirs.pk]},
        )
    assert Grade.objects.get(pk=theirs.pk).released_at is None
    assert mailoutbox == []


def test_already_released_grades_are_not_emailed_again(
    instructor_client, cohort, assignment, mailoutbox, django_capture_on_commit_callbacks
):
    released = _graded(cohort, assignment, released_at=timezone.now() - timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        instructor_client.post(
            reverse("admin:courseware_grade_changelist"),
            {"action": "release_selected", "_selected_action": [released.pk]},
        )
    assert mailoutbox == []


def test_queue_action_releases_the_grades_of_selected_submissions(
    instructor_client, cohort, assignment, django_capture_on_commit_callbacks
):
    chosen, left = _graded(cohort, assignment), _graded(cohort, assignment)
    with django_capture_on_commit_callbacks(execute=True):
        instructor_client.post(
            QUEUE, {"action": "release_selected", "_selected_action": [chosen.submission_id]}
        )
    assert list(Grade.objects.released()) == [chosen]
    assert Grade.objects.get(pk=left.pk).released_at is None


def test_releasing_an_assignment_in_a_cohort_leaves_other_assignments_and_cohorts(
    instructor, instructor_client, cohort, other_cohort, assignment, second_assignment,
    mailoutbox, django_capture_on_commit_callbacks,
):  # fmt: skip
    other_cohort.instructors.add(instructor)
    wanted = [_graded(cohort, assignment), _graded(cohort, assignment)]
    other_assignment = _graded(cohort, second_assignment)
    other_group = _graded(other_cohort, assignment)
    url = reverse("admin:courseware_grades_release", args=[cohort.pk, assignment.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = instructor_client.post(url)
    assert response["Location"] == reverse("admin:courseware_gradebook", args=[cohort.pk])
    assert set(Grade.objects.released()) == set(wanted)
    assert not Grade.objects.filter(pk__in=[other_assignment.pk, other_group.pk]).released()
    assert len(mailoutbox) == 2


def test_releasing_an_assignment_in_a_cohort_not_taught_is_404(
    instructor_client, other_cohort, assignment
):
    grade = _graded(other_cohort, assignment)
    url = reverse("admin:courseware_grades_release", args=[other_cohort.pk, assignment.pk])
    assert instructor_client.post(url).status_code == 404
    assert Grade.objects.get(pk=grade.pk).released_at is None


def test_releasing_an_assignment_needs_a_post(instructor_client, cohort, assignment):
    url = reverse("admin:courseware_grades_release", args=[cohort.pk, assignment.pk])
    assert instructor_client.get(url).status_code == 405


# Query budgets


def _add_learners(cohort, assignments, count):
    """Enroll learners with a graded and an ungraded submission, a check and a lesson done."""
    lesson = Lesson.objects.filter(course=cohort.course_id, questions__isnull=False).first()
    for _ in range(count):
        learner = EnrollmentFactory(cohort=cohort).learner
        GradeFactory(submission=_submit(cohort, assignments[0], learner=learner, status="graded"))
        _submit(cohort, assignments[1], learner=learner)
        CheckAttemptFactory(learner=learner, lesson=lesson, percent=50)
        LessonProgress.objects.create(
            learner=learner, lesson=lesson, started_at=timezone.now(), completed_at=timezone.now()
        )


def _query_count(client, url):
    client.get(url)  # Warm per-process caches such as content types.
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_grading_queue_query_count_does_not_grow_with_the_number_of_learners(
    instructor_client, cohort, assignment, second_assignment
):
    _add_learners(cohort, [assignment, second_assignment], 5)
    with_five = _query_count(instructor_client, QUEUE)
    _add_learners(cohort, [assignment, second_assignment], 25)
    assert _query_count(instructor_client, QUEUE) == with_five


def test_grading_page_query_count_does_not_grow_with_the_number_of_learners(
    instructor_client, cohort, assignment, second_assignment
):
    _add_learners(cohort, [assignment, second_assignment], 5)
    url = _grade_url(Submission.objects.filter(status="graded").earliest("pk"))
    with_five = _query_count(instructor_client, url)
    _add_learners(cohort, [assignment, second_assignment], 25)
    assert _query_count(instructor_client, url) == with_five
