"""Properties of the importer and of grade arithmetic, checked over generated inputs.

The importer either builds a course in which every line of the document is in exactly one
lesson, in order, or refuses with a DocumentError and writes nothing. The arithmetic never
gives a score below zero or above the marks earned, counts days late by calendar days in the
cohort's zone whatever the clocks do, and keeps totals within 0–100 and letters in order.
"""

from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st

from courseware import documents, grading
from courseware.importing import import_course
from courseware.models import Cohort, Course, Lesson, Module
from courseware.rendering import html_to_text

DB_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Two imports an example: fewer examples, about the same time.
DB_SETTINGS_TWICE = settings(DB_SETTINGS, max_examples=40)
PURE_SETTINGS = settings(max_examples=300, deadline=None, database=None)

TITLE = "Property course"

# Zones whose clocks do odd things: DST at midnight (Santiago, Asuncion, Havana, Beirut),
# half-hour DST (Lord Howe), two-hour DST (Troll), negative DST (Dublin, Casablanca's
# Ramadan), :45 offsets (Chatham), the date line (Kiritimati, Apia), and the usual ones.
ZONES = [
    "UTC", "Europe/Brussels", "Europe/London", "Europe/Dublin", "Europe/Lisbon",
    "America/New_York", "America/Los_Angeles", "America/St_Johns", "America/Santiago",
    "America/Asuncion", "America/Havana", "America/Sao_Paulo", "America/Nuuk",
    "Africa/Casablanca", "Asia/Beirut", "Asia/Gaza", "Asia/Tehran", "Asia/Kolkata",
    "Asia/Kathmandu", "Australia/Lord_Howe", "Australia/Adelaide", "Pacific/Chatham",
    "Pacific/Kiritimati", "Pacific/Apia", "Antarctica/Troll",
]  # fmt: skip


def _squash(text: str) -> str:
    return " ".join(text.split())


# The importer

# Lines a course document might hold, odd ones included: control characters, very long
# lines and headings, lines of only whitespace, Markdown and plain-text syntax.
_SYNTAX = [
    "", "---", "-- -", "- - -", "***", "___", "===", "+++", "-", "- ", "+ x", "* x", "#", "##",
    "# ", "#  ", "#\t", "```", "~~~", "    indented", "> quote", "1. one", "2) two",
    "| a | b |", "|---|---|", "<b>bold</b>", "&amp; &copy;", "\\", "[x](y)", "[x]: /url",
    "Heading", "Another heading", "A heading that is short", "Introduction", "NUL \x00 byte",
]  # fmt: skip
# Any character but NUL, which makes the whole file binary: it has its own line above.
_characters = st.characters(codec="utf-8", exclude_characters="\x00")
_anything = st.text(_characters, max_size=80)
_words = st.from_regex(r"[A-Z][a-z]{0,9}( [a-z]{1,9}){0,8}", fullmatch=True)
_prefixed = st.builds(
    lambda prefix, text: prefix + text,
    st.sampled_from(["#", "# ", "## ", "### ", "- ", "1. ", "> ", "* ", "    ", "\t", "---"]),
    st.one_of(_words, _anything),
)
_line = st.one_of(
    st.sampled_from(_SYNTAX),
    _prefixed,
    _words,
    _words.map(lambda words: words + "."),
    _anything,
    st.text(_characters, min_size=150, max_size=1500),
    st.builds(lambda text: "## " + text, st.text(_characters, min_size=150, max_size=400)),
    st.text(alphabet=" \t\u00a0\u2003\u3000\x0b\x0c\x1c\x85", max_size=6),
)
_documents = st.lists(_line, max_size=30).map("\n".join)


@contextmanager
def _rolled_back():
    """Run the block in a savepoint that is always rolled back, so examples don't mix."""
    with transaction.atomic():
        try:
            yield
        finally:
            transaction.set_rollback(True)


def _counts():
    return (
        Course.objects.count(),
        Module.objects.count(),
        Lesson.objects.count(),
        Cohort.objects.count(),
    )


def _parse(text: str, markdown: bool) -> documents.Document:
    """Read the text as the import command reads a file: as bytes, then parsed."""
    return documents.parse_document(documents.decode(text.encode("utf-8")), markdown=markdown)


def _current_lessons(course):
    return list(Lesson.objects.current().filter(course=course).in_order())


def _assert_plain_text_kept_in_order(text: str, lessons: list[Lesson]):
    """Every non-blank line is a lesson's title or shows, as written, in its lesson's text."""
    lines = [
        stripped for raw in documents.decode(text.encode()).split("\n") if (stripped := raw.strip())
    ]
    position = 0
    for index, lesson in enumerate(lessons):
        if not lesson.is_preview:
            assert lines[position] == lesson.title
            position += 1
        following = lessons[index + 1].title if index + 1 < len(lessons) else None
        shown = []
        while position < len(lines) and lines[position] != following:
            line = lines[position]
            shown.append(line[2:].strip() if line.startswith("- ") else line)
            position += 1
        assert _squash(html_to_text(lesson.body_html)) == _squash(" ".join(shown)), lesson.title
    assert position == len(lines), "text after the last lesson was lost"


def _assert_markdown_kept_in_order(text: str, lessons: list[Lesson]):
    """Every non-blank line is a lesson's heading or a line of its source, in order."""
    lines = [line for line in documents.decode(text.encode()).split("\n") if line.strip()]
    position = 0
    for lesson in lessons:
        if not lesson.is_preview:
            heading = lines[position]
            assert heading.startswith("#") and lesson.title in heading, (heading, lesson.title)
            position += 1
        body = [line for line in lesson.body_source.split("\n") if line.strip()]
        assert lines[position : position + len(body)] == body, lesson.title
        position += len(body)
    assert position == len(lines), "text after the last lesson was lost"


def _assert_valid_rows(course):
    """What the importer wrote passes the models' own field rules (lengths, blanks, slugs).

    A lesson's body may be empty: a heading directly followed by another makes one.
    """
    course.clean_fields()
    for module in Module.objects.filter(course=course):
        module.clean_fields()
    for lesson in Lesson.objects.filter(course=course):
        lesson.clean_fields(exclude={"body_source"})


@DB_SETTINGS
@given(text=_documents, markdown=st.booleans())
# A line of dashes in plain text is text, not a Markdown rule.
@example(text="Intro text.\nA Heading\nBefore the line.\n---\nAfter the line.", markdown=False)
# A Markdown heading longer than a lesson title may be (200 characters).
@example(text="Intro text.\n\n## " + "A very long heading " * 12 + "\n\nText.", markdown=True)
# A Markdown heading of only whitespace.
@example(text="Intro text.\n\n#  \n\nText under an empty heading.", markdown=True)
def test_import_keeps_every_line_in_order_or_refuses_and_writes_nothing(db, text, markdown):
    with _rolled_back():
        before = _counts()
        try:
            report = import_course(document=_parse(text, markdown), title=TITLE)
        except documents.DocumentError as error:
            event(f"refused: {str(error)[:30]}")
            assert _counts() == before
            return
        event("imported")
        lessons = _current_lessons(report.course)
        assert report.lessons_created == len(lessons) == Lesson.objects.count() - before[2]
        if markdown:
            _assert_markdown_kept_in_order(text, lessons)
        else:
            _assert_plain_text_kept_in_order(text, lessons)
        _assert_valid_rows(report.course)
        assert report.course.cohorts.filter(is_default=True).count() == 1


@DB_SETTINGS_TWICE
@given(text=_documents, markdown=st.booleans())
def test_importing_the_same_document_again_reports_no_changes(db, text, markdown):
    with _rolled_back():
        try:
            document = _parse(text, markdown)
            import_course(document=document, title=TITLE)
        except documents.DocumentError:
            return
        snapshot = list(Lesson.objects.order_by("pk").values())
        again = import_course(document=_parse(text, markdown), title=TITLE)
        assert not again.changed, str(again)
        assert list(Lesson.objects.order_by("pk").values()) == snapshot


@DB_SETTINGS_TWICE
@given(first=_documents, second=_documents, markdown=st.booleans())
def test_importing_an_edited_document_leaves_exactly_its_lessons_current(
    db, first, second, markdown
):
    with _rolled_back():
        try:
            first_document = _parse(first, markdown)
            second_document = _parse(second, markdown)
        except documents.DocumentError:
            return
        import_course(document=first_document, title=TITLE)
        before = Lesson.objects.count()
        report = import_course(document=second_document, title=TITLE)
        lessons = _current_lessons(report.course)
        expected = second_document.all_sections()
        assert [lesson.title for lesson in lessons] == [section.title for section in expected]
        assert [lesson.body_source for lesson in lessons] == [s.body for s in expected]
        # Nothing is deleted: lessons the new document lacks are archived.
        assert Lesson.objects.count() >= before


@DB_SETTINGS
@given(text=_documents, markdown=st.booleans(), data=st.data())
def test_an_outline_must_place_every_section_exactly_once(db, text, markdown, data):
    try:
        document = _parse(text, markdown)
    except documents.DocumentError:
        return
    sections = document.all_sections()
    keys = [" ".join(section.title.split()).casefold() for section in sections]
    cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(sections) - 1)), max_size=3)))
    bounds = [0, *[cut for cut in cuts if cut < len(sections)], len(sections)]
    chosen = [section.title for section in sections]
    leave_out = data.draw(st.booleans()) and len(sections) > 1
    if leave_out:
        chosen.pop(data.draw(st.integers(0, len(chosen) - 1)))
    outline = documents.Outline(
        title=TITLE,
        modules=[
            documents.OutlineModule(
                title=f"Module {number}",
                lessons=[documents.OutlineLesson(section=t) for t in chosen[start:end]],
            )
            for number, (start, end) in enumerate(zip(bounds, bounds[1:], strict=False), 1)
            if chosen[start:end]
        ],
    )
    assume(outline.modules)
    with _rolled_back():
        before = _counts()
        try:
            report = import_course(document=document, outline=outline)
        except documents.DocumentError:
            assert _counts() == before
            assert leave_out or len(set(keys)) < len(keys)
            return
        assert not leave_out and len(set(keys)) == len(keys)
        lessons = _current_lessons(report.course)
        assert [lesson.title for lesson in lessons] == [section.title for section in sections]
        assert [lesson.body_source for lesson in lessons] == [s.body for s in sections]
        _assert_valid_rows(report.course)


# Grade arithmetic

_percent = st.decimals(min_value=0, max_value=100, places=2)
_points = st.decimals(min_value=0, max_value=99999, places=2)
_days = st.integers(min_value=0, max_value=32767)
_zones = st.sampled_from(ZONES)
_dates = st.dates(min_value=date(2016, 1, 1), max_value=date(2035, 12, 31))
_moments = st.datetimes(
    min_value=datetime(2016, 1, 1), max_value=datetime(2036, 1, 31), timezones=st.just(UTC)
)


def _due_at_2359(day: date, zone: str) -> datetime:
    """Return 23:59 local on the day, as cohorts' due dates are set, stored in UTC."""
    return datetime.combine(day, time(23, 59), tzinfo=ZoneInfo(zone)).astimezone(UTC)


@PURE_SETTINGS
@given(days=_days, per_day=_percent, cap=_percent)
def test_the_late_penalty_grows_by_the_day_and_stops_at_the_cap(days, per_day, cap):
    penalty = grading.late_penalty_percent(days=days, per_day=per_day, cap=cap)
    assert Decimal(0) <= penalty <= cap
    assert penalty == min(days * per_day, cap)
    assert penalty <= grading.late_penalty_percent(days=days + 1, per_day=per_day, cap=cap)


@PURE_SETTINGS
@given(raw=_points, penalty=_percent, more=_percent)
def test_a_penalty_never_takes_a_score_below_zero_or_above_the_marks_earned(raw, penalty, more):
    score = grading.apply_penalty(raw, penalty)
    assert Decimal(0) <= score <= raw
    assert score == score.quantize(Decimal("0.01"))
    heavier = grading.apply_penalty(raw, min(Decimal(100), penalty + more))
    assert heavier <= score
    assert grading.apply_penalty(raw, Decimal(0)) == raw
    assert grading.apply_penalty(raw, Decimal(100)) == 0


@PURE_SETTINGS
@given(due=_moments, first=_moments, second=_moments, zone=_zones)
def test_days_late_is_zero_until_the_deadline_then_grows_with_the_submission_time(
    due, first, second, zone
):
    early, late = sorted([first, second])
    early_days = grading.days_late(submitted_at=early, due_at=due, tz=zone)
    late_days = grading.days_late(submitted_at=late, due_at=due, tz=zone)
    assert (early_days == 0) == (early <= due)
    assert early_days <= late_days
    if late_days:
        # Late by d days: after the deadline moved d - 1 local days on, not after d days.
        assert late > grading.add_local_days(due, late_days - 1, zone)
        assert late <= grading.add_local_days(due, late_days, zone)


@cache
def _clock_changes(zone: str) -> list[datetime]:
    """Return the moments (UTC, to the minute) when the zone's clocks change, 2016–2035."""
    tz = ZoneInfo(zone)
    changes = []
    moment = datetime(2016, 1, 1, 12, tzinfo=UTC)
    offset = moment.astimezone(tz).utcoffset()
    while moment.year < 2036:
        following = moment + timedelta(days=1)
        next_offset = following.astimezone(tz).utcoffset()
        if next_offset != offset:
            low, high = moment, following
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                if middle.astimezone(tz).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            changes.append(high.replace(second=0, microsecond=0))
        moment, offset = following, next_offset
    return changes


@st.composite
def _deadline_and_submission(draw):
    """A 23:59 deadline in a zone and a submission, often around a change of the clocks.

    Around a change, the deadline falls on one of the three local days up to it and the
    work comes within minutes or hours of it, so the hour that happens twice when clocks go
    back (at midnight in some zones) is drawn in both its occurrences.
    """
    zone = draw(_zones)
    changes = _clock_changes(zone)
    if changes and draw(st.booleans()):
        change = draw(st.sampled_from(changes))
        day = change.astimezone(ZoneInfo(zone)).date() - timedelta(days=draw(st.integers(0, 2)))
        minutes = draw(st.one_of(st.integers(-180, 180), st.integers(-3000, 3000)))
        submitted = change + timedelta(minutes=minutes, seconds=draw(st.integers(0, 59)))
    else:
        day, submitted = draw(_dates), draw(_moments)
    return zone, day, submitted


def _local(zone, *args, fold=0):
    return datetime(*args, tzinfo=ZoneInfo(zone)).replace(fold=fold).astimezone(UTC)


@PURE_SETTINGS
@given(case=_deadline_and_submission())
# Santiago, Asuncion and Beirut put their clocks back at midnight, so 23:00-23:59 happens
# twice: work handed in during the second 23:30 is still on that calendar day.
@example(
    case=(
        "America/Santiago",
        date(2025, 4, 4),
        _local("America/Santiago", 2025, 4, 5, 23, 30, fold=1),
    )
)
@example(
    case=(
        "America/Asuncion",
        date(2024, 3, 22),
        _local("America/Asuncion", 2024, 3, 23, 23, 30, fold=1),
    )
)
@example(
    case=("Asia/Beirut", date(2025, 10, 24), _local("Asia/Beirut", 2025, 10, 25, 23, 30, fold=1))
)
# Lord Howe moves its clocks by half an hour; Apia has had no DST since 2021.
@example(
    case=(
        "Australia/Lord_Howe",
        date(2025, 4, 5),
        _local("Australia/Lord_Howe", 2025, 4, 6, 23, 58),
    )
)
@example(
    case=(
        "Europe/Brussels",
        date(2025, 10, 25),
        _local("Europe/Brussels", 2025, 10, 26, 2, 30, fold=1),
    )
)
def test_days_late_counts_calendar_days_in_the_zone_whatever_the_clocks_do(case):
    """Due at 23:59 local: each local calendar day begun after it is one more day late.

    The day the work is handed in counts as begun; so does the due day itself when the work
    comes after 23:59 (or after the first of two 23:59s, on a night the clocks go back).
    """
    zone, day, submitted = case
    tz = ZoneInfo(zone)
    due = _due_at_2359(day, zone)
    assume(due.astimezone(tz).replace(tzinfo=None) == datetime.combine(day, time(23, 59)))
    counted = grading.days_late(submitted_at=submitted, due_at=due, tz=zone)
    if submitted <= due:
        assert counted == 0
        return
    local = submitted.astimezone(tz)
    expected = max(1, (local.date() - day).days + (local.time() > time(23, 59)))
    assert counted == expected, (
        f"due {due.astimezone(tz)} ({zone}), handed in {local}: "
        f"{counted} days late, but it is calendar day {expected} after the deadline"
    )


@PURE_SETTINGS
@given(day=_dates, days=st.integers(min_value=0, max_value=400), zone=_zones)
def test_moving_a_2359_deadline_by_whole_days_keeps_it_at_2359_local(day, days, zone):
    def exists(on: date) -> bool:
        """Whether 23:59 happens on that day: a clock change may skip it."""
        moment = _due_at_2359(on, zone).astimezone(ZoneInfo(zone))
        return (moment.date(), moment.time()) == (on, time(23, 59))

    target = day + timedelta(days=days)
    assume(exists(day) and exists(target))
    moved = grading.add_local_days(_due_at_2359(day, zone), days, zone).astimezone(ZoneInfo(zone))
    assert (moved.date(), moved.hour, moved.minute) == (target, 23, 59)


@PURE_SETTINGS
@given(
    day=_dates,
    zone=_zones,
    minutes_late=st.lists(st.integers(min_value=0, max_value=60 * 24 * 60), min_size=2, max_size=6),
    raw=_points,
    per_day=_percent,
    cap=_percent,
)
def test_later_work_never_scores_more_and_never_below_zero(
    day, zone, minutes_late, raw, per_day, cap
):
    due = _due_at_2359(day, zone)
    scores = []
    for minutes in sorted(minutes_late):
        days = grading.days_late(submitted_at=due + timedelta(minutes=minutes), due_at=due, tz=zone)
        penalty = grading.late_penalty_percent(days=days, per_day=per_day, cap=cap)
        scores.append(grading.apply_penalty(raw, penalty))
    assert all(Decimal(0) <= score <= raw for score in scores)
    assert scores == sorted(scores, reverse=True)


_category = st.one_of(
    st.none(), st.decimals(min_value=0, max_value=100, allow_nan=False, allow_infinity=False)
)


@PURE_SETTINGS
@given(
    assignments=_category,
    checks=_category,
    assignments_weight=st.integers(0, 32767),
    checks_weight=st.integers(0, 32767),
)
def test_weighted_totals_stay_between_the_category_marks_and_within_0_to_100(
    assignments, checks, assignments_weight, checks_weight
):
    total = grading.weighted_total(
        assignments_percent=assignments,
        checks_percent=checks,
        assignments_weight=assignments_weight,
        checks_weight=checks_weight,
    )
    counted = [
        percent
        for percent, weight in ((assignments, assignments_weight), (checks, checks_weight))
        if percent is not None and weight
    ]
    if not counted:
        assert total is None
        return
    assert Decimal(0) <= total <= Decimal(100)
    tenth = Decimal("0.05")
    assert min(counted) - tenth <= total <= max(counted) + tenth


@st.composite
def _letter_schemes(draw):
    """A scheme the course form accepts: letters from highest to lowest, ending at 0."""
    thresholds = draw(st.lists(st.integers(1, 100), max_size=6))
    thresholds = sorted(thresholds, reverse=True) + [0]
    letters = draw(st.lists(st.text(min_size=1, max_size=3), min_size=len(thresholds),
                            max_size=len(thresholds), unique=True))  # fmt: skip
    return [[letter, minimum] for letter, minimum in zip(letters, thresholds, strict=True)]


@PURE_SETTINGS
@given(
    scheme=_letter_schemes(),
    low=st.decimals(min_value=0, max_value=100, places=1),
    high=st.decimals(min_value=0, max_value=100, places=1),
)
def test_a_higher_percentage_never_gets_a_lower_letter(scheme, low, high):
    course = Course(title=TITLE, slug="p", letter_scheme=scheme)
    course.clean()
    low, high = sorted([low, high])
    rank = {letter: position for position, (letter, _) in enumerate(scheme)}
    low_letter, high_letter = course.letter_for(low), course.letter_for(high)
    assert rank[high_letter] <= rank[low_letter]
    letter, minimum = scheme[rank[high_letter]]
    assert high >= minimum


def test_the_zone_list_names_real_zones():
    for zone in ZONES:
        ZoneInfo(zone)
    assert len(ZONES) == len(set(ZONES))


@pytest.mark.parametrize("zone", ["Pacific/Apia", "America/Santiago", "Australia/Lord_Howe"])
def test_the_calendar_day_oracle_agrees_with_a_worked_example(zone):
    """Sanity check of the oracle above: a day and a minute after 23:59 is two days late."""
    day = date(2025, 1, 15)
    due = _due_at_2359(day, zone)
    local = datetime.combine(day + timedelta(days=2), time(0, 0), tzinfo=ZoneInfo(zone))
    assert grading.days_late(submitted_at=local.astimezone(UTC), due_at=due, tz=zone) == 2
