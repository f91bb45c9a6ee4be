"""Bulk enrollment from a CSV roster: check every row, then enroll the valid ones."""

import csv
import io
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from simple_history.utils import bulk_create_with_history

from accounts import roles
from accounts.models import User
from integrations import events

from ..models import Cohort, Enrollment

MAX_ROWS = 20_000
MAX_NAME_LENGTH = 150
MAX_EMAIL_LENGTH = 254
HEADERS = {"email", "e-mail", "email address"}


@dataclass
class RosterRow:
    line: int
    email: str
    name: str
    status: str = ""  # "new", "created", "already enrolled", "invalid"
    reason: str = ""

    @property
    def is_valid(self) -> bool:
        return self.status != "invalid"


class RosterError(ValueError):
    """The file as a whole cannot be read as a roster."""


def _key(email: str) -> str:
    # lower(), not casefold(): it must agree with SQL LOWER() on the stored addresses.
    return email.lower()


def read_roster(data: bytes) -> list[RosterRow]:
    """Parse a CSV of email and name; rows with problems are kept and marked invalid."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RosterError(
            "The file is not UTF-8 text. Save the CSV as UTF-8 and try again."
        ) from None
    if "\x00" in text:
        raise RosterError("The file is not a CSV file.")
    rows = []
    seen: dict[str, int] = {}
    reader = csv.reader(io.StringIO(text))
    ended_on, first = 0, True
    while True:
        # A quoted field may span lines: report the line the row starts on.
        line = ended_on + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise RosterError(f"Line {line} cannot be read as CSV: {error}.") from None
        ended_on = reader.line_num
        if not any(field.strip() for field in fields):
            continue
        email = fields[0].strip()
        name = fields[1].strip() if len(fields) > 1 else ""
        if first and email.casefold() in HEADERS:
            first = False
            continue  # A header row.
        first = False
        rows.append(_check_row(RosterRow(line=line, email=email, name=name), fields, seen))
        if len(rows) > MAX_ROWS:
            raise RosterError(f"The file has more than {MAX_ROWS:,} rows; split it.")
    if not rows:
        raise RosterError("The file has no rows.")
    return rows


def _check_row(row: RosterRow, fields: list[str], seen: dict[str, int]) -> RosterRow:
    """Mark the row invalid, with the reason, if it cannot be enrolled."""
    if len(fields) > 2 and any(field.strip() for field in fields[2:]):
        row.status, row.reason = "invalid", "Too many columns: expected email, name."
    elif not row.email:
        row.status, row.reason = "invalid", "The email address is missing."
    elif len(row.email) > MAX_EMAIL_LENGTH:
        row.status, row.reason = (
            "invalid",
            f"The email address is longer than {MAX_EMAIL_LENGTH} characters.",
        )
    elif len(row.name) > MAX_NAME_LENGTH:
        row.status, row.reason = "invalid", f"The name is longer than {MAX_NAME_LENGTH} characters."
    else:
        try:
            validate_email(row.email)
        except ValidationError:
            row.status, row.reason = "invalid", f"“{row.email}” is not a valid email address."
        else:
            key = _key(row.email)
            if key in seen:
                row.status, row.reason = "invalid", f"Same email as line {seen[key]}."
            else:
                seen[key] = row.line
    return row


def check_roster(*, cohort: Cohort, rows: list[RosterRow]) -> list[RosterRow]:
    """Mark each valid row "new" or "already enrolled", without writing anything."""
    emails = [_key(row.email) for row in rows if row.is_valid]
    enrolled = _current_enrollments_by_email(cohort, emails)
    for row in rows:
        if not row.is_valid:
            continue
        existing = enrolled.get(_key(row.email))
        if existing is None:
            row.status, row.reason = "new", ""
        elif existing.cohort_id == cohort.pk:
            row.status, row.reason = "already enrolled", "Already in this cohort."
        else:
            row.status = "already enrolled"
            row.reason = f"Already enrolled in {existing.cohort.name}; move them there instead."
    return rows


def enroll_roster(*, cohort: Cohort, rows: list[RosterRow], attempts: int = 3) -> list[RosterRow]:
    """Enroll the valid rows' learners in the cohort, creating accounts as needed.

    All or nothing: one transaction. Rows that became enrolled meanwhile (a learner
    enrolling themselves at the same moment) are reported as already enrolled.
    """
    for attempt in range(attempts):
        try:
            with transaction.atomic():
                return _enroll_roster(cohort, rows)
        except IntegrityError:
            # Someone enrolled or signed up concurrently: look again with fresh data.
            if attempt == attempts - 1:
                raise
    return rows


def _enroll_roster(cohort: Cohort, rows: list[RosterRow]) -> list[RosterRow]:
    # Lock the cohort so concurrent rosters and last-seat enrollments count the same places.
    locked = Cohort.objects.select_for_update().values_list("capacity", flat=True)
    capacity = locked.get(pk=cohort.pk)
    check_roster(cohort=cohort, rows=rows)
    new_rows = [row for row in rows if row.status == "new"]
    if capacity is not None:
        taken = cohort.enrollments.current().count()
        if taken + len(new_rows) > capacity:
            raise ValidationError(
                f"{cohort.name} has {max(capacity - taken, 0)} places left "
                f"for {len(new_rows)} new learners."
            )
    users = _users_by_email([row.email for row in new_rows])
    missing = [row for row in new_rows if _key(row.email) not in users]
    # One unusable password for every new account: drawing 10,000 random ones takes a second.
    unusable = make_password(None)
    created_users = User.objects.bulk_create(
        [
            User(
                email=User.objects.normalize_email(row.email),
                display_name=row.name,
                password=unusable,
            )
            for row in missing
        ],
        batch_size=1000,
    )
    if created_users:
        users = _users_by_email([row.email for row in new_rows])
        # Only new accounts: an existing instructor enrolled as a learner keeps their role.
        # Through rows in bulk: new accounts' creation is their history record already.
        learners = Group.objects.get_or_create(name=roles.LEARNERS)[0]
        Membership = learners.user_set.through
        Membership.objects.bulk_create(
            [Membership(user=users[_key(row.email)], group=learners) for row in missing],
            ignore_conflicts=True,
        )
    enrollments = bulk_create_with_history(
        [
            Enrollment(
                learner=users[_key(row.email)],
                cohort=cohort,
                course_id=cohort.course_id,
                source=Enrollment.Source.CSV,
            )
            for row in new_rows
        ],
        Enrollment,
        batch_size=1000,
    )
    events.record_enrollments(
        type=events.ENROLLMENT_CREATED, enrollment_ids=[e.pk for e in enrollments]
    )
    for row in new_rows:
        row.status, row.reason = "created", ""
    return rows


def _chunks(items, size=1000):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _users_by_email(emails) -> dict[str, User]:
    """Return {lower-cased email: user} for the addresses, matched case-insensitively."""
    users = {}
    for chunk in _chunks({_key(email) for email in emails}):
        for user in User.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=chunk):
            users[_key(user.email)] = user
    return users


def _current_enrollments_by_email(cohort: Cohort, emails) -> dict[str, Enrollment]:
    found = {}
    for chunk in _chunks(emails):
        for enrollment in (
            Enrollment.objects.current()
            .annotate(email_lower=Lower("learner__email"))
            .filter(course_id=cohort.course_id, email_lower__in=chunk)
            .select_related("cohort", "learner")
        ):
            found[_key(enrollment.learner.email)] = enrollment
    return found
