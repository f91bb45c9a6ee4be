from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courseware.models import Assignment, AssignmentSchedule, Cohort, Enrollment, Extension
from courseware.services import enroll_learner, record_lesson_visit

from ..factories import CohortFactory, EnrollmentFactory, UserFactory

CHANGELIST = "admin:courseware_enrollment_changelist"
ROSTER = b"email,name\nann@example.org,Ann Archer\nnot-an-address,Bad Row\nbob@example.org,Bob\n"


@pytest.fixture
def cohort(instructor):
    """A cohort the instructor teaches, of a course with no assignments."""
    cohort = CohortFactory(name="Spring", join_policy=Cohort.JoinPolicy.INSTRUCTORS)
    cohort.instructors.add(instructor)
    return cohort


@pytest.fixture
def other_cohort(cohort):
    """A cohort of the same course that someone else teaches."""
    other = CohortFactory(course=cohort.course, name="Autumn", is_default=False)
    other.instructors.add(UserFactory(is_staff=True))
    return other


@pytest.fixture
def instructor_client(client, instructor):
    client.force_login(instructor)
    return client


@pytest.fixture
def staff_client(client, db):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _cohort_form(cohort, **changes):
    data = {
        "name": cohort.name,
        "slug": cohort.slug,
        "starts_on": "",
        "ends_on": "",
        "timezone": cohort.timezone,
        "capacity": "",
        "join_policy": cohort.join_policy,
        "join_code": cohort.join_code,
        "schedules-TOTAL_FORMS": "0",
        "schedules-INITIAL_FORMS": "0",
        "schedules-MIN_NUM_FORMS": "0",
        "schedules-MAX_NUM_FORMS": "1000",
    }
    return {**data, **changes}


def _upload(client, cohort, data=ROSTER):
    return client.post(
        reverse("admin:courseware_cohort_enroll_csv", args=[cohort.pk]),
        {"roster": SimpleUploadedFile("roster.csv", data, content_type="text/csv")},
    )


def _action(client, action, enrollments, **data):
    return client.post(
        reverse(CHANGELIST),
        {"action": action, "_selected_action": [e.pk for e in enrollments], **data},
    )


# Cohorts


def test_instructor_sees_only_the_cohorts_they_teach(instructor_client, cohort, other_cohort):
    response = instructor_client.get(reverse("admin:courseware_cohort_changelist"))
    assert list(response.context["cl"].result_list) == [cohort]


def test_instructor_gets_not_found_for_a_cohort_they_do_not_teach(instructor_client, other_cohort):
    response = instructor_client.get(
        reverse("admin:courseware_cohort_change", args=[other_cohort.pk])
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


def test_instructor_cannot_change_another_instructors_cohort_by_posting(
    instructor_client, other_cohort
):
    instructor_client.post(
        reverse("admin:courseware_cohort_change", args=[other_cohort.pk]),
        _cohort_form(other_cohort, name="Taken over"),
    )
    assert Cohort.objects.get(pk=other_cohort.pk).name == "Autumn"


def test_instructor_can_rename_their_cohort(instructor_client, cohort):
    response = instructor_client.post(
        reverse("admin:courseware_cohort_change", args=[cohort.pk]),
        _cohort_form(cohort, name="Spring 2027"),
    )
    assert response.status_code == 302
    assert Cohort.objects.get(pk=cohort.pk).name == "Spring 2027"


def test_instructor_cannot_change_who_teaches_the_cohort(instructor, instructor_client, cohort):
    someone = UserFactory(is_staff=True)
    instructor_client.post(
        reverse("admin:courseware_cohort_change", args=[cohort.pk]),
        _cohort_form(cohort, instructors=[someone.pk]),
    )
    assert list(cohort.instructors.all()) == [instructor]


def test_instructor_cannot_delete_their_cohort(instructor_client, cohort):
    response = instructor_client.post(
        reverse("admin:courseware_cohort_delete", args=[cohort.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert Cohort.objects.filter(pk=cohort.pk).exists()


def test_cohort_form_refuses_an_unknown_time_zone(instructor_client, cohort):
    response = instructor_client.post(
        reverse("admin:courseware_cohort_change", args=[cohort.pk]),
        _cohort_form(cohort, timezone="Mars/Olympus_Mons"),
    )
    assert response.context["adminform"].form.errors["timezone"] == [
        "“Mars/Olympus_Mons” is not a time zone. Use a name such as Europe/Paris or UTC."
    ]


def test_cohort_form_refuses_an_end_before_the_start(instructor_client, cohort):
    response = instructor_client.post(
        reverse("admin:courseware_cohort_change", args=[cohort.pk]),
        _cohort_form(cohort, starts_on="2027-03-01", ends_on="2027-02-01"),
    )
    assert response.context["adminform"].form.errors["ends_on"] == [
        "The cohort must end after it starts."
    ]


def test_cohort_form_requires_a_join_code_for_the_code_policy(instructor_client, cohort):
    response = instructor_client.post(
        reverse("admin:courseware_cohort_change", args=[cohort.pk]),
        _cohort_form(cohort, join_policy=Cohort.JoinPolicy.CODE, join_code=""),
    )
    assert response.context["adminform"].form.errors["join_code"] == [
        "Set the code learners type to join."
    ]


def test_cohort_form_refuses_a_slug_another_cohort_of_the_course_has(
    instructor_client, cohort, other_cohort
):
    response = instructor_client.post(
        reverse("admin:courseware_cohort_change", args=[cohort.pk]),
        _cohort_form(cohort, slug=other_cohort.slug),
    )
    assert response.context["adminform"].form.errors["slug"] == [
        "Another cohort of this course has this slug."
    ]


def test_adding_a_cohort_schedules_every_assignment_of_the_course(staff_client, course):
    response = staff_client.post(
        reverse("admin:courseware_cohort_add"),
        {
            "course": course.pk,
            "name": "Summer",
            "slug": "summer",
            "starts_on": "2027-06-01",
            "ends_on": "2027-08-31",
            "timezone": "Europe/Paris",
            "join_policy": Cohort.JoinPolicy.OPEN,
        },
    )
    assert response.status_code == 302
    cohort = Cohort.objects.get(slug="summer")
    assert AssignmentSchedule.objects.filter(cohort=cohort).count() == 7


def test_cohort_page_shows_assignment_dates_in_the_cohorts_zone(staff_client, course):
    cohort = course.cohorts.get(is_default=True)
    cohort.timezone = "America/New_York"
    cohort.save()
    schedule = AssignmentSchedule.objects.filter(cohort=cohort).first()
    schedule.due_at = datetime(2027, 3, 1, 23, 59, tzinfo=ZoneInfo("America/New_York"))
    schedule.save()
    response = staff_client.get(reverse("admin:courseware_cohort_change", args=[cohort.pk]))
    assert 'value="23:59:00"' in response.content.decode()


def test_cohort_page_links_to_csv_enrollment(instructor_client, cohort):
    response = instructor_client.get(reverse("admin:courseware_cohort_change", args=[cohort.pk]))
    assert reverse("admin:courseware_cohort_enroll_csv", args=[cohort.pk]) in (
        response.content.decode()
    )


# Enrolling from a CSV file


def test_csv_upload_with_a_bad_row_reports_every_row_and_writes_nothing(instructor_client, cohort):
    response = _upload(instructor_client, cohort)
    rows = response.context["rows"]
    assert [(row.line, row.status) for row in rows] == [(2, "new"), (3, "invalid"), (4, "new")]
    assert "“not-an-address” is not a valid email address." in response.content.decode()
    assert not Enrollment.objects.exists()


def test_csv_upload_with_a_bad_row_asks_to_skip_the_invalid_rows(instructor_client, cohort):
    response = _upload(instructor_client, cohort)
    assert "Import the 2 valid rows and skip the invalid ones" in response.content.decode()


def test_confirming_without_skipping_the_invalid_rows_imports_nothing(instructor_client, cohort):
    token = _upload(instructor_client, cohort).context["confirm"]["token"].value()
    response = instructor_client.post(
        reverse("admin:courseware_cohort_enroll_csv", args=[cohort.pk]), {"token": token}
    )
    assert response.context["confirm"].errors["skip_invalid"] == [
        "Tick the box to skip the invalid rows, or fix the file first."
    ]
    assert not Enrollment.objects.exists()


def test_confirming_imports_only_the_valid_rows(instructor_client, cohort):
    token = _upload(instructor_client, cohort).context["confirm"]["token"].value()
    response = instructor_client.post(
        reverse("admin:courseware_cohort_enroll_csv", args=[cohort.pk]),
        {"token": token, "skip_invalid": "on"},
    )
    assert [row.status for row in response.context["rows"]] == ["created", "invalid", "created"]
    assert set(cohort.enrollments.values_list("learner__email", "source")) == {
        ("ann@example.org", "csv"),
        ("bob@example.org", "csv"),
    }


def test_confirming_a_tampered_roster_imports_nothing(instructor_client, cohort):
    token = _upload(instructor_client, cohort).context["confirm"]["token"].value()
    response = instructor_client.post(
        reverse("admin:courseware_cohort_enroll_csv", args=[cohort.pk]),
        {"token": token[:-3] + "abc", "skip_invalid": "on"},
    )
    assert "could not be verified" in response.content.decode()
    assert not Enrollment.objects.exists()


def test_a_roster_checked_for_one_cohort_cannot_be_confirmed_for_another(instructor, cohort):
    second = CohortFactory(course=cohort.course, is_default=False)
    second.instructors.add(instructor)
    client = Client()
    client.force_login(instructor)
    token = _upload(client, cohort).context["confirm"]["token"].value()
    client.post(
        reverse("admin:courseware_cohort_enroll_csv", args=[second.pk]),
        {"token": token, "skip_invalid": "on"},
    )
    assert not Enrollment.objects.exists()


def test_csv_import_past_capacity_shows_the_reason_and_imports_nothing(instructor_client, cohort):
    cohort.capacity = 1
    cohort.save()
    token = _upload(instructor_client, cohort).context["confirm"]["token"].value()
    response = instructor_client.post(
        reverse("admin:courseware_cohort_enroll_csv", args=[cohort.pk]),
        {"token": token, "skip_invalid": "on"},
    )
    assert response.context["confirm"].non_field_errors() == [
        "Spring has 1 places left for 2 new learners."
    ]
    assert not Enrollment.objects.exists()


def test_csv_upload_that_is_not_utf8_shows_the_reason(instructor_client, cohort):
    response = _upload(instructor_client, cohort, "zoë@example.org,Zoë\n".encode("latin-1"))
    assert response.context["upload"].errors["roster"] == [
        "The file is not UTF-8 text. Save the CSV as UTF-8 and try again."
    ]


def test_csv_upload_larger_than_5_mb_is_refused(instructor_client, cohort):
    response = _upload(instructor_client, cohort, b"a" * (5 * 1024 * 1024 + 1))
    assert response.context["upload"].errors["roster"] == [
        "The file is larger than 5 MB; split it."
    ]


def test_csv_enrollment_in_a_cohort_the_instructor_does_not_teach_is_not_found(
    instructor_client, other_cohort
):
    response = _upload(instructor_client, other_cohort)
    assert response.status_code == 404
    assert not Enrollment.objects.exists()


# Enrollments


def test_instructor_sees_only_enrollments_in_their_cohorts(instructor_client, cohort, other_cohort):
    mine = EnrollmentFactory(cohort=cohort)
    EnrollmentFactory(cohort=other_cohort)
    response = instructor_client.get(reverse(CHANGELIST))
    assert list(response.context["cl"].result_list) == [mine]


def test_enrollment_cohort_filter_offers_only_taught_cohorts(
    instructor, instructor_client, cohort, other_cohort
):
    second = CohortFactory(course=cohort.course, is_default=False, name="Summer")
    second.instructors.add(instructor)
    response = instructor_client.get(reverse(CHANGELIST))
    cohort_filter = next(f for f in response.context["cl"].filter_specs if f.title == "cohort")
    assert sorted(cohort_filter.lookup_choices) == [
        (cohort.pk, str(cohort)),
        (second.pk, str(second)),
    ]


def test_instructor_gets_not_found_for_an_enrollment_outside_their_cohorts(
    instructor_client, other_cohort
):
    enrollment = EnrollmentFactory(cohort=other_cohort)
    response = instructor_client.get(
        reverse("admin:courseware_enrollment_change", args=[enrollment.pk])
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


def test_instructor_gets_not_found_for_the_history_of_another_cohorts_enrollment(
    instructor_client, other_cohort
):
    enrollment = EnrollmentFactory(cohort=other_cohort)
    response = instructor_client.get(
        reverse("admin:courseware_enrollment_history", args=[enrollment.pk])
    )
    assert response.status_code == 404


def test_enrollment_history_is_visible_but_cannot_be_reverted(instructor_client, cohort):
    enrollment = EnrollmentFactory(cohort=cohort)
    version = enrollment.history.get()
    url = reverse(
        "admin:courseware_enrollment_simple_history", args=[enrollment.pk, version.history_id]
    )
    assert instructor_client.get(url).status_code == 200
    assert instructor_client.post(url, {}).status_code == 403


def test_enrollment_search_finds_learners_by_name(instructor_client, cohort):
    EnrollmentFactory(cohort=cohort, learner=UserFactory(display_name="Zelda Zane"))
    found = EnrollmentFactory(cohort=cohort, learner=UserFactory(display_name="Ann Archer"))
    response = instructor_client.get(reverse(CHANGELIST), {"q": "archer"})
    assert list(response.context["cl"].result_list) == [found]


def test_enrollment_changelist_queries_do_not_grow_with_the_rows(instructor_client, cohort):
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert instructor_client.get(reverse(CHANGELIST)).status_code == 200
        return len(queries)

    count_queries()  # The first page of a process fills caches (frame ancestors).
    EnrollmentFactory.create_batch(5, cohort=cohort)
    with_five = count_queries()
    EnrollmentFactory.create_batch(25, cohort=cohort)
    assert count_queries() == with_five


def test_adding_a_learner_in_admin_enrolls_them_from_admin(instructor_client, cohort, learner):
    response = instructor_client.post(
        reverse("admin:courseware_enrollment_add"), {"learner": learner.pk, "cohort": cohort.pk}
    )
    assert response.status_code == 302
    enrollment = Enrollment.objects.get(learner=learner)
    assert (enrollment.cohort, enrollment.source) == (cohort, Enrollment.Source.ADMIN)


def test_adding_an_already_enrolled_learner_shows_a_form_error(
    instructor_client, cohort, other_cohort, learner
):
    EnrollmentFactory(cohort=other_cohort, learner=learner)
    response = instructor_client.post(
        reverse("admin:courseware_enrollment_add"), {"learner": learner.pk, "cohort": cohort.pk}
    )
    assert response.context["adminform"].form.errors["learner"] == [
        "Lee Learner is already enrolled in Autumn."
    ]
    assert Enrollment.objects.filter(learner=learner).count() == 1


def test_adding_a_learner_to_a_cohort_the_instructor_does_not_teach_is_refused(
    instructor_client, other_cohort, learner
):
    response = instructor_client.post(
        reverse("admin:courseware_enrollment_add"),
        {"learner": learner.pk, "cohort": other_cohort.pk},
    )
    assert "cohort" in response.context["adminform"].form.errors
    assert not Enrollment.objects.exists()


def test_move_action_offers_only_the_instructors_cohorts_of_the_same_course(
    instructor, instructor_client, cohort, other_cohort
):
    mine = CohortFactory(course=cohort.course, is_default=False, name="Summer")
    mine.instructors.add(instructor)
    CohortFactory(is_default=False).instructors.add(instructor)  # another course
    enrollment = EnrollmentFactory(cohort=cohort)
    response = _action(instructor_client, "move_to_cohort", [enrollment])
    assert set(response.context["form"].fields["cohort"].queryset) == {cohort, mine}


def test_move_action_moves_the_selected_learners(instructor, instructor_client, cohort):
    target = CohortFactory(course=cohort.course, is_default=False)
    target.instructors.add(instructor)
    enrollments = EnrollmentFactory.create_batch(2, cohort=cohort)
    response = _action(
        instructor_client, "move_to_cohort", enrollments, apply="yes", cohort=target.pk
    )
    assert response.status_code == 302
    assert target.enrollments.count() == 2


def test_move_action_refuses_a_cohort_the_instructor_does_not_teach(
    instructor_client, cohort, other_cohort
):
    enrollment = EnrollmentFactory(cohort=cohort)
    response = _action(
        instructor_client, "move_to_cohort", [enrollment], apply="yes", cohort=other_cohort.pk
    )
    assert "cohort" in response.context["form"].errors
    assert Enrollment.objects.get(pk=enrollment.pk).cohort == cohort


def test_move_action_into_a_full_cohort_shows_the_reason(instructor, instructor_client, cohort):
    target = CohortFactory(course=cohort.course, is_default=False, name="Small", capacity=1)
    target.instructors.add(instructor)
    enrollments = EnrollmentFactory.create_batch(2, cohort=cohort)
    response = _action(
        instructor_client, "move_to_cohort", enrollments, apply="yes", cohort=target.pk
    )
    assert response.context["form"].errors["cohort"] == ["Small has room for 1 learners."]
    assert not target.enrollments.exists()


def test_actions_ignore_enrollments_outside_the_instructors_cohorts(
    instructor_client, cohort, other_cohort
):
    theirs = EnrollmentFactory(cohort=other_cohort)
    _action(instructor_client, "drop", [theirs], apply="yes")
    assert Enrollment.objects.get(pk=theirs.pk).status == Enrollment.Status.ACTIVE


def test_drop_action_asks_for_confirmation_first(instructor_client, cohort):
    enrollment = EnrollmentFactory(cohort=cohort)
    response = _action(instructor_client, "drop", [enrollment])
    assert response.status_code == 200
    assert Enrollment.objects.get(pk=enrollment.pk).status == Enrollment.Status.ACTIVE


def test_drop_action_drops_the_selected_learners_and_keeps_the_rows(instructor_client, cohort):
    enrollments = EnrollmentFactory.create_batch(2, cohort=cohort)
    _action(instructor_client, "drop", enrollments, apply="yes")
    assert list(cohort.enrollments.values_list("status", flat=True)) == ["dropped", "dropped"]


def test_extend_action_gives_the_learners_a_due_date_in_the_cohorts_zone(
    client, instructor, course, learner
):
    cohort = course.cohorts.get(is_default=True)
    cohort.instructors.add(instructor)
    cohort.timezone = "America/New_York"
    cohort.save()
    enrollment, _ = enroll_learner(learner=learner, course=course)
    assignment = Assignment.objects.filter(course=course).first()
    client.force_login(instructor)
    response = _action(
        client,
        "extend_due_date",
        [enrollment],
        apply="yes",
        assignment=assignment.pk,
        due_at="2027-05-01T23:59",
        reason="Hospital stay",
    )
    assert response.status_code == 302
    extension = Extension.objects.get(learner=learner, assignment=assignment)
    assert extension.due_at == datetime(2027, 5, 1, 23, 59, tzinfo=ZoneInfo("America/New_York"))
    assert (extension.reason, extension.granted_by) == ("Hospital stay", instructor)


def test_extend_action_requires_a_reason(instructor_client, course, instructor, learner):
    course.cohorts.get(is_default=True).instructors.add(instructor)
    enrollment, _ = enroll_learner(learner=learner, course=course)
    response = _action(
        instructor_client,
        "extend_due_date",
        [enrollment],
        apply="yes",
        assignment=Assignment.objects.filter(course=course).first().pk,
        due_at="2027-05-01T23:59",
    )
    assert "reason" in response.context["form"].errors
    assert not Extension.objects.exists()


def test_extend_action_offers_only_the_courses_assignments(
    instructor_client, course, instructor, learner
):
    course.cohorts.get(is_default=True).instructors.add(instructor)
    enrollment, _ = enroll_learner(learner=learner, course=course)
    response = _action(instructor_client, "extend_due_date", [enrollment])
    offered = response.context["form"].fields["assignment"].queryset
    assert set(offered) == set(Assignment.objects.filter(course=course))
    assert offered.count() == 7


# Lesson progress


def test_instructor_sees_progress_only_of_learners_in_their_cohorts(
    client, instructor, course, learner, other_learner
):
    default = course.cohorts.get(is_default=True)
    default.instructors.add(instructor)
    elsewhere = CohortFactory(course=course, is_default=False)
    enroll_learner(learner=learner, course=course)
    enroll_learner(learner=other_learner, course=course, cohort=elsewhere)
    lesson = course.lessons.get(slug="introduction")
    record_lesson_visit(learner=learner, lesson=lesson)
    record_lesson_visit(learner=other_learner, lesson=lesson)
    client.force_login(instructor)
    response = client.get(reverse("admin:courseware_lessonprogress_changelist"))
    assert [progress.learner for progress in response.context["cl"].result_list] == [learner]
