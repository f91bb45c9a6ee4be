"""Names and Role Provisioning Services: the LMS course's roster into the cohort.

New members are enrolled (or made instructors), members gone from the LMS are dropped
(their work stays), and role changes are followed. The roster is read in full, page by
page, before anything is written; the writes are one transaction.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from accounts.services import lti_subjects_for, user_for_lti_subject

from ..models import Cohort, Enrollment
from ..services.enrollment import drop_enrollments, enroll_learners
from . import claims
from .http import PlatformError
from .platform import PlatformClient

MEMBERSHIPS_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"


@dataclass
class RosterReport:
    enrolled: int = 0
    dropped: int = 0
    instructors_added: int = 0
    instructors_removed: int = 0
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)

    def __str__(self):
        return (
            f"{self.enrolled} enrolled, {self.dropped} dropped, {self.instructors_added} "
            f"instructors added, {self.instructors_removed} removed, {self.unchanged} unchanged"
        )


def read_members(cohort: Cohort) -> list[dict]:
    context = cohort.lti_context
    if context is None or not context.memberships_url:
        raise PlatformError("This cohort's LMS course offers no roster service.")
    client = PlatformClient(context.deployment.registration)
    members = []
    for page in client.get_pages(
        context.memberships_url, scopes=[claims.NRPS_READONLY], accept=MEMBERSHIPS_TYPE
    ):
        members.extend(page.get("members") or [] if isinstance(page, dict) else [])
    return members


def sync_roster(*, cohort: Cohort) -> RosterReport:
    """Read the LMS roster and apply it to the cohort."""
    members = read_members(cohort)
    return apply_roster(cohort=cohort, members=members)


@transaction.atomic
def apply_roster(*, cohort: Cohort, members: list[dict]) -> RosterReport:
    report = RosterReport()
    issuer = cohort.lti_context.deployment.registration.issuer
    present_learners, present_instructors = set(), set()
    for member in members:
        subject = str(member.get("user_id") or "")
        if not subject:
            report.skipped.append("a member without user_id")
            continue
        if member.get("status", "Active") != "Active":
            continue  # Inactive or Deleted: treated as gone.
        instructor = claims.is_instructor(member.get("roles"))
        user = user_for_lti_subject(
            issuer=issuer,
            subject=subject,
            email=member.get("email") or "",
            name=member.get("name")
            or " ".join(
                part for part in (member.get("given_name"), member.get("family_name")) if part
            ),
            instructor=instructor,
        )
        (present_instructors if instructor else present_learners).add(user.pk)
    current = cohort.enrollments.current()
    enrolled_ids = set(current.values_list("learner_id", flat=True))
    instructor_ids = set(cohort.instructors.values_list("pk", flat=True))
    # One bulk call: a learner already enrolled elsewhere in the course keeps that place.
    enrolled = enroll_learners(
        cohort=cohort,
        learner_ids=sorted(present_learners - enrolled_ids),
        source=Enrollment.Source.LTI,
    )
    report.enrolled = sum(created for _, created in enrolled.values())
    report.unchanged = len(present_learners & enrolled_ids)
    new_instructors = present_instructors - instructor_ids
    cohort.instructors.add(*new_instructors)
    report.instructors_added = len(new_instructors)
    # Only people the platform knows can be gone from it: learners added here by hand stay.
    known = lti_subjects_for(issuer=issuer, users=list(enrolled_ids | instructor_ids))
    gone_learners = (set(known) & enrolled_ids) - present_learners
    report.dropped = drop_enrollments(enrollments=current.filter(learner_id__in=gone_learners))
    gone_instructors = (set(known) & instructor_ids) - present_instructors
    cohort.instructors.remove(*gone_instructors)
    report.instructors_removed = len(gone_instructors)
    Cohort.objects.filter(pk=cohort.pk).update(roster_synced_at=timezone.now())
    return report
