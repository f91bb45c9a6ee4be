"""Grade arithmetic: deadlines, lateness, penalties and rubric scores.

Pure functions, no queries.
"""

import math
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Deadline:
    """When a learner's work falls due, and when submissions close (None: never)."""

    due_at: datetime
    cutoff_at: datetime | None


def deadline_for(
    *, due_at: datetime | None, extended_to: datetime | None, cutoff_days: int | None, tz: str
) -> Deadline | None:
    """Return the learner's deadline: the extension if any, with the cutoff counted from it."""
    due = extended_to or due_at
    if due is None:
        return None
    cutoff = add_local_days(due, cutoff_days, tz) if cutoff_days is not None else None
    return Deadline(due_at=due, cutoff_at=cutoff)


def add_local_days(moment: datetime, days: int, tz: str) -> datetime:
    """Return the same wall-clock time `days` calendar days later in the zone, across DST."""
    local = moment.astimezone(zoneinfo.ZoneInfo(tz))
    # Aware arithmetic in one zone works on wall-clock time, so 23:59 stays 23:59.
    later = local + timedelta(days=days)
    if days:
        # On a night the clocks go back at midnight, 23:59 comes twice: the day ends at the
        # second one (fold=1), so work handed in between is still in that calendar day.
        later = later.replace(fold=1)
    return later.astimezone(moment.tzinfo)


def days_late(*, submitted_at: datetime, due_at: datetime, tz: str) -> int:
    """Return how many started calendar days (cohort's zone) the work is late; 0 if on time."""
    if submitted_at <= due_at:
        return 0
    # An estimate from elapsed hours, corrected for days that DST made 23 or 25 hours long.
    days = max(1, math.ceil((submitted_at - due_at) / timedelta(days=1)))
    while days > 1 and submitted_at <= add_local_days(due_at, days - 1, tz):
        days -= 1
    while submitted_at > add_local_days(due_at, days, tz):
        days += 1
    return days


def late_penalty_percent(*, days: int, per_day: Decimal, cap: Decimal) -> Decimal:
    """Return the penalty in percent: per day late, never above the cap."""
    return min(Decimal(days) * per_day, cap).quantize(CENT)


def apply_penalty(raw_score: Decimal, penalty_percent: Decimal) -> Decimal:
    """Return the score after the penalty, rounded half up to cents."""
    return (raw_score * (Decimal(100) - penalty_percent) / Decimal(100)).quantize(
        CENT, rounding=ROUND_HALF_UP
    )


def weighted_total(
    *, assignments_percent: Decimal | None, checks_percent: Decimal | None,
    assignments_weight: int, checks_weight: int,
) -> Decimal | None:  # fmt: skip
    """Return the weighted course percentage over the categories that have marks."""
    parts = [
        (percent, weight)
        for percent, weight in (
            (assignments_percent, assignments_weight),
            (checks_percent, checks_weight),
        )
        if percent is not None and weight
    ]
    if not parts:
        return None
    total_weight = sum(weight for _, weight in parts)
    return (sum(percent * weight for percent, weight in parts) / total_weight).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )
