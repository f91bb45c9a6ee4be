"""Per-cohort assignment dates and per-learner extensions."""

from datetime import datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction

from ..models import Assignment, AssignmentSchedule, Cohort, Extension

DUE_TIME = time(23, 59)


def default_due_at(*, cohort: Cohort, assignment: Assignment) -> datetime | None:
    """Return 23:59 in the cohort's zone, the assignment's set number of days after the start."""
    if cohort.starts_on is None or assignment.due_days_after_start is None:
        return None
    day = cohort.starts_on + timedelta(days=assignment.due_days_after_start)
    return datetime.combine(day, DUE_TIME, tzinfo=cohort.zoneinfo)


@transaction.atomic
def schedule_cohort(*, cohort: Cohort) -> int:
    """Give the cohort a schedule for each assignment that lacks one; return how many."""
    have = set(cohort.schedules.values_list("assignment_id", flat=True))
    added = [
        AssignmentSchedule(
            assignment=assignment,
            cohort=cohort,
            due_at=default_due_at(cohort=cohort, assignment=assignment),
        )
        for assignment in Assignment.objects.filter(course=cohort.course_id).exclude(pk__in=have)
    ]
    AssignmentSchedule.objects.bulk_create(added)
    return len(added)


@transaction.atomic
def extend_due_date(
    *, assignment: Assignment, learners, due_at: datetime, granted_by, reason: str = ""
) -> int:
    """Give each learner the later due date on the assignment; return how many."""
    if due_at is None:
        raise ValidationError({"due_at": "Choose the new due date."})
    count = 0
    for learner in learners:
        Extension.objects.update_or_create(
            assignment=assignment,
            learner=learner,
            defaults={"due_at": due_at, "granted_by": granted_by, "reason": reason},
        )
        count += 1
    return count
