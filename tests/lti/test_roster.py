"""Names and Role Provisioning Services: the LMS roster into the cohort."""

import pytest
from django.urls import reverse

from accounts.models import LtiIdentity
from courseware.lti import roster, tasks
from courseware.models import Cohort, Enrollment
from tests.factories import EnrollmentFactory

from .conftest import lesson_url
from .platform import ROLE_INSTRUCTOR, ROLE_LEARNER, SCOPE_NRPS

pytestmark = pytest.mark.django_db


def member(n, roles=(ROLE_LEARNER,), status="Active"):
    return {
        "user_id": f"student-{n}",
        "roles": list(roles),
        "status": status,
        "name": f"Student {n}",
        "email": f"student-{n}@platform.example",
    }


@pytest.fixture
def cohort(lms, course):
    """The LMS course's cohort, made by the instructor's first launch."""
    lms.launch(lesson_url(course), sub="teacher-1", roles=[ROLE_INSTRUCTOR])
    return Cohort.objects.select_related("lti_context__deployment__registration").get(
        lti_context__isnull=False
    )


def current_subjects(cohort):
    return set(
        LtiIdentity.objects.filter(
            user__enrollments__cohort=cohort, user__enrollments__status="active"
        ).values_list("subject", flat=True)
    )


def test_sync_enrolls_every_member_across_canvas_style_pages(cohort, lms):
    lms.platform.members = [member(n) for n in range(120)] + lms.platform.members[1:]

    report = roster.sync_roster(cohort=cohort)

    assert report.enrolled == 120
    assert current_subjects(cohort) == {f"student-{n}" for n in range(120)}
    pages = [r for r in lms.platform.requests_log if "/memberships" in r["path"]]
    assert len(pages) == 3  # 50 + 50 + 21 members, following Link: rel="next"
    assert all(SCOPE_NRPS in t["scope"] for t in lms.platform.token_requests)


def test_members_gone_from_the_lms_are_dropped_and_their_work_kept(cohort, lms):
    lms.platform.members = [member(n) for n in range(5)]
    roster.sync_roster(cohort=cohort)
    lms.platform.members = [member(n) for n in range(3)] + [member(4, status="Inactive")]

    report = roster.sync_roster(cohort=cohort)

    assert report.dropped == 2
    assert current_subjects(cohort) == {"student-0", "student-1", "student-2"}
    assert Enrollment.objects.filter(cohort=cohort, status="dropped").count() == 2


def test_learners_added_by_hand_are_not_dropped(cohort, lms):
    by_hand = EnrollmentFactory(cohort=cohort, source="admin")
    lms.platform.members = [member(1)]

    roster.sync_roster(cohort=cohort)

    by_hand.refresh_from_db()
    assert by_hand.status == "active"


def test_role_changes_are_followed(cohort, lms):
    lms.platform.members = [member(1), member(2)]
    roster.sync_roster(cohort=cohort)
    lms.platform.members = [member(1), member(2, roles=(ROLE_INSTRUCTOR,))]

    report = roster.sync_roster(cohort=cohort)

    promoted = LtiIdentity.objects.get(subject="student-2").user
    assert promoted in cohort.instructors.all() and promoted.is_staff
    assert report.instructors_added == 1
    teacher = LtiIdentity.objects.get(subject="teacher-1").user
    assert teacher not in cohort.instructors.all()  # gone from the LMS roster


def test_a_sync_is_all_or_nothing_when_the_platform_fails(cohort, lms):
    lms.platform.members = [member(n) for n in range(60)]
    lms.platform.stop()

    with pytest.raises(roster.PlatformError):
        roster.sync_roster(cohort=cohort)

    assert current_subjects(cohort) == set()


def test_instructors_sync_from_admin(cohort, lms, client):
    lms.platform.members = [member(1), member(2)]
    client.force_login(LtiIdentity.objects.get(subject="teacher-1").user)

    response = client.post(
        reverse("admin:courseware_cohort_changelist"),
        {"action": "sync_lms_roster", "_selected_action": [cohort.pk]},
        follow=True,
    )

    assert b"2 enrolled" in response.content
    assert current_subjects(cohort) == {"student-1", "student-2"}


def test_the_dispatcher_syncs_rosters_on_a_schedule(cohort, lms):
    lms.platform.members = [member(1)]

    tasks.queue_due_work()

    assert current_subjects(cohort) == {"student-1"}
    cohort.refresh_from_db()
    assert cohort.roster_synced_at is not None
    lms.platform.members = [member(1), member(2)]
    tasks.queue_due_work()  # not due again for LTI_ROSTER_SYNC_HOURS
    assert current_subjects(cohort) == {"student-1"}
