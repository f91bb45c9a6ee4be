"""Grade arithmetic: deadlines, days late across time zones and DST, penalties, totals, letters."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from courseware.grading import (
    Deadline,
    add_local_days,
    apply_penalty,
    days_late,
    deadline_for,
    late_penalty_percent,
    weighted_total,
)

from ..factories import CourseFactory


def local(tz, *args):
    """Return the wall-clock time in the zone, as the UTC moment the database would store."""
    return datetime(*args, tzinfo=ZoneInfo(tz)).astimezone(UTC)


DUE = datetime(2025, 6, 10, 21, 59, tzinfo=UTC)


# Days late


def test_work_submitted_exactly_at_the_due_time_is_on_time():
    assert days_late(submitted_at=DUE, due_at=DUE, tz="UTC") == 0


def test_work_submitted_before_the_due_time_is_on_time():
    assert days_late(submitted_at=DUE - timedelta(days=3), due_at=DUE, tz="UTC") == 0


def test_work_one_second_late_is_one_day_late():
    assert days_late(submitted_at=DUE + timedelta(seconds=1), due_at=DUE, tz="UTC") == 1


@pytest.mark.parametrize("tz", ["UTC", "Asia/Tokyo", "Asia/Kolkata"])
def test_work_exactly_24_hours_late_in_a_zone_without_dst_is_one_day_late(tz):
    assert days_late(submitted_at=DUE + timedelta(hours=24), due_at=DUE, tz=tz) == 1


@pytest.mark.parametrize("tz", ["UTC", "Asia/Tokyo", "Asia/Kolkata"])
def test_work_a_second_over_24_hours_late_is_two_days_late(tz):
    late = DUE + timedelta(hours=24, seconds=1)
    assert days_late(submitted_at=late, due_at=DUE, tz=tz) == 2


def test_each_started_day_counts_as_a_whole_day():
    late = DUE + timedelta(days=4, minutes=1)
    assert days_late(submitted_at=late, due_at=DUE, tz="UTC") == 5


# The nights the clocks change: due at 23:59 local the evening before, a day late runs to
# 23:59 local the next evening, whether that day lasted 23 hours or 25.
DST_NIGHTS = [
    pytest.param("America/New_York", (2025, 3, 8), 23, id="new-york-spring-forward"),
    pytest.param("America/New_York", (2025, 11, 1), 25, id="new-york-fall-back"),
    pytest.param("Europe/Brussels", (2025, 3, 29), 23, id="brussels-spring-forward"),
    pytest.param("Europe/Brussels", (2025, 10, 25), 25, id="brussels-fall-back"),
]


@pytest.mark.parametrize(("tz", "due_day", "hours_in_next_day"), DST_NIGHTS)
def test_work_at_2358_the_day_after_a_clock_change_is_one_day_late(tz, due_day, hours_in_next_day):
    due = local(tz, *due_day, 23, 59)
    next_day = datetime(*due_day) + timedelta(days=1)
    submitted = local(tz, next_day.year, next_day.month, next_day.day, 23, 58)
    # The elapsed time is not 24 hours: a naive count by hours would get this wrong.
    assert submitted - due == timedelta(hours=hours_in_next_day, minutes=-1)
    assert days_late(submitted_at=submitted, due_at=due, tz=tz) == 1


@pytest.mark.parametrize(("tz", "due_day", "hours_in_next_day"), DST_NIGHTS)
def test_work_just_after_2359_the_day_after_a_clock_change_is_two_days_late(
    tz, due_day, hours_in_next_day
):
    due = local(tz, *due_day, 23, 59)
    next_day = datetime(*due_day) + timedelta(days=1)
    submitted = local(tz, next_day.year, next_day.month, next_day.day, 23, 59, 30)
    assert submitted - due == timedelta(hours=hours_in_next_day, seconds=30)
    assert days_late(submitted_at=submitted, due_at=due, tz=tz) == 2


@pytest.mark.parametrize(("tz", "due_day", "hours_in_next_day"), DST_NIGHTS)
def test_adding_a_day_across_a_clock_change_keeps_the_wall_clock_time(
    tz, due_day, hours_in_next_day
):
    next_day = datetime(*due_day) + timedelta(days=1)
    later = add_local_days(local(tz, *due_day, 23, 59), 1, tz)
    assert later == local(tz, next_day.year, next_day.month, next_day.day, 23, 59)


def test_days_late_are_counted_in_the_given_zone_not_in_utc():
    # 23 hours and 30 seconds after 23:59 on the eve of spring forward: past 23:59 the next
    # evening in New York, but not yet a full day later in UTC.
    due = local("America/New_York", 2025, 3, 8, 23, 59)
    submitted = local("America/New_York", 2025, 3, 9, 23, 59, 30)
    in_new_york = days_late(submitted_at=submitted, due_at=due, tz="America/New_York")
    in_utc = days_late(submitted_at=submitted, due_at=due, tz="UTC")
    assert (in_new_york, in_utc) == (2, 1)


# Deadlines and cutoffs


def test_without_an_extension_the_deadline_is_the_schedules_due_date():
    deadline = deadline_for(due_at=DUE, extended_to=None, cutoff_days=None, tz="UTC")
    assert deadline == Deadline(due_at=DUE, cutoff_at=None)


def test_without_a_due_date_or_extension_there_is_no_deadline():
    assert deadline_for(due_at=None, extended_to=None, cutoff_days=7, tz="UTC") is None


def test_an_extension_replaces_the_due_date_and_the_cutoff_counts_from_it():
    extended = DUE + timedelta(days=3)
    deadline = deadline_for(due_at=DUE, extended_to=extended, cutoff_days=7, tz="UTC")
    assert deadline == Deadline(due_at=extended, cutoff_at=extended + timedelta(days=7))


def test_an_extension_gives_a_deadline_when_the_cohort_has_no_due_date():
    deadline = deadline_for(due_at=None, extended_to=DUE, cutoff_days=2, tz="UTC")
    assert deadline == Deadline(due_at=DUE, cutoff_at=DUE + timedelta(days=2))


def test_a_cutoff_across_a_clock_change_falls_at_the_same_local_time():
    due = local("Europe/Brussels", 2025, 3, 28, 23, 59)
    deadline = deadline_for(due_at=due, extended_to=None, cutoff_days=7, tz="Europe/Brussels")
    assert deadline.cutoff_at == local("Europe/Brussels", 2025, 4, 4, 23, 59)
    # One hour short of seven full days: the clocks went forward in between.
    assert deadline.cutoff_at - due == timedelta(days=7, hours=-1)


def test_a_cutoff_of_zero_days_closes_at_the_due_time():
    deadline = deadline_for(due_at=DUE, extended_to=None, cutoff_days=0, tz="UTC")
    assert deadline.cutoff_at == DUE


# Penalties


@pytest.mark.parametrize(
    ("days", "per_day", "cap", "expected"),
    [
        (0, "10", "50", "0.00"),
        (1, "10", "50", "10.00"),
        (4, "10", "50", "40.00"),
        (5, "10", "50", "50.00"),
        (6, "10", "50", "50.00"),
        (30, "10", "50", "50.00"),
        (3, "7.5", "20", "20.00"),
        (2, "7.5", "20", "15.00"),
        (3, "33.33", "100", "99.99"),
    ],
)
def test_the_late_penalty_grows_per_day_up_to_the_cap(days, per_day, cap, expected):
    penalty = late_penalty_percent(days=days, per_day=Decimal(per_day), cap=Decimal(cap))
    assert penalty == Decimal(expected)
    assert penalty.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("raw", "penalty", "expected"),
    [
        ("100", "0", "100.00"),
        ("87", "20", "69.60"),
        # 11.025 and 0.025: half up, where banker's rounding would give 11.02 and 0.02.
        ("12.25", "10", "11.03"),
        ("0.05", "50", "0.03"),
        ("12.35", "10", "11.12"),
        ("99.99", "33.33", "66.66"),
        ("85", "100", "0.00"),
    ],
)
def test_applying_a_penalty_rounds_half_up_to_cents(raw, penalty, expected):
    score = apply_penalty(Decimal(raw), Decimal(penalty))
    assert score == Decimal(expected)
    assert score.as_tuple().exponent == -2


# The course total


def test_the_total_weighs_both_categories():
    total = weighted_total(
        assignments_percent=Decimal(90),
        checks_percent=Decimal(70),
        assignments_weight=80,
        checks_weight=20,
    )
    assert total == Decimal("86.0")


def test_the_total_uses_only_assignments_when_no_check_has_a_mark():
    total = weighted_total(
        assignments_percent=Decimal("72.5"),
        checks_percent=None,
        assignments_weight=80,
        checks_weight=20,
    )
    assert total == Decimal("72.5")


def test_the_total_uses_only_checks_when_no_assignment_has_a_mark():
    total = weighted_total(
        assignments_percent=None,
        checks_percent=Decimal(60),
        assignments_weight=80,
        checks_weight=20,
    )
    assert total == Decimal("60.0")


def test_there_is_no_total_without_any_marks():
    total = weighted_total(
        assignments_percent=None, checks_percent=None, assignments_weight=80, checks_weight=20
    )
    assert total is None


def test_a_category_weighted_zero_does_not_count():
    total = weighted_total(
        assignments_percent=Decimal(90),
        checks_percent=Decimal(10),
        assignments_weight=100,
        checks_weight=0,
    )
    assert total == Decimal("90.0")


def test_the_total_rounds_half_up_to_one_decimal():
    total = weighted_total(
        assignments_percent=Decimal("84.25"),
        checks_percent=None,
        assignments_weight=80,
        checks_weight=20,
    )
    assert total == Decimal("84.3")


# Letters


@pytest.mark.parametrize(
    ("percent", "letter"),
    [
        (Decimal(100), "A"),
        (Decimal(90), "A"),
        (Decimal("90.0"), "A"),
        (Decimal("89.99"), "B"),
        (Decimal(80), "B"),
        (Decimal("79.99"), "C"),
        (Decimal(70), "C"),
        (Decimal(60), "D"),
        (Decimal("59.99"), "F"),
        (Decimal(0), "F"),
    ],
)
def test_the_letter_scheme_starts_each_letter_at_its_minimum(percent, letter):
    assert CourseFactory.build().letter_for(percent) == letter
