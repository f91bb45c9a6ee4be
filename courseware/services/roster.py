"""Bulk enrollment from a CSV roster: check every row, then enroll the valid ones."""

import csv
import io
from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from simple_history.utils import bulk_create_with_history

from accounts import roles
from accounts.models import User

from ..models import Cohort, Enrollment

MAX_ROWS = 20_000
MAX_NAME_LENGTH = 150


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
    for line, fields in enumerate(reader, start=1):
        if not any(field.strip() for field in fields):
            continue
        email = fields[0].strip() if fields else ""
        name = fields[1].strip() if len(fields) > 1 else ""
        if line == 1 and email.casefold() in {"email", "e-mail", "email address"}:
            continue  # a header row
        row = RosterRow(line=line, email=email, name=name)
        if len(fields) > 2 and any(field.strip() for field in fields[2:]):
            row.status, row.reason = "invalid", "Too many columns: expected email, name."
        elif not email:
            row.status, row.reason = "invalid", "The email address is missing."
        elif len(name) > MAX_NAME_LENGTH:
            row.status, row.reason = (
                "invalid",
                f"The name is longer than {MAX_NAME_LENGTH} characters.",
            )
        else:
            try:
                validate_email(email)
            except ValidationError:
                row.status, row.reason = "invalid", f"“{email}” is not a valid email address."
            else:
                key = email.casefold()
                if key in seen:
                    row.status, row.reason = "invalid", f"Same email as line {seen[key]}."
                else:
                    seen[key] = line
        rows.append(row)
        if len(rows) > MAX_ROWS:
            raise RosterError(f"The file has more than {MAX_ROWS:,} rows; split it.")
    if not rows:
        raise RosterError("The file has no rows.")
    return rows


def check_roster(*, cohort: Cohort, rows: list[RosterRow]) -> list[RosterRow]:
    """Mark each valid row "new" or "already enrolled", without writing anything."""
    emails = [row.email.casefold() for row in rows if row.is_valid]
    enrolled = _current_enrollments_by_email(cohort, emails)
    for row in rows:
        if not row.is_valid:
            continue
        existing = enrolled.get(row.email.casefold())
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
    Cohort.objects.select_for_update().filter(pk=cohort.pk).first()
    check_roster(cohort=cohort, rows=rows)
    new_rows = [row for row in rows if row.status == "new"]
    if cohort.capacity is not None:
        taken = cohort.enrollments.current().count()
        if taken + len(new_rows) > cohort.capacity:
            raise ValidationError(
                f"{cohort.name} has {cohort.capacity - taken} places left for {len(new_rows)} learners."
            )
    users = _users_by_email([row.email for row in new_rows])
    missing = [row for row in new_rows if row.email.casefold() not in users]
    created_users = User.objects.bulk_create(
        [
            User(email=User.objects.normalize_email(row.email), display_name=row.name, password="!")
            for row in missing
        ]
    )
    if created_users:
        users = _users_by_email([row.email for row in new_rows])
        learners = Group.objects.get_or_create(name=roles.LEARNERS)[0]
        learners.user_set.add(*users.values())
    bulk_create_with_history(
        [
            Enrollment(
                learner=users[row.email.casefold()],
                cohort=cohort,
                course_id=cohort.course_id,
                source=Enrollment.Source.CSV,
            )
            for row in new_rows
        ],
        Enrollment,
        batch_size=1000,
    )
    for row in new_rows:
        row.status, row.reason = "created", ""
    return rows


def _chunks(items, size=1000):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _users_by_email(emails) -> dict[str, User]:
    """Return {casefolded email: user} for the addresses, matched case-insensitively."""
    users = {}
    for chunk in _chunks({email.casefold() for email in emails}):
        for user in User.objects.annotate(email_lower=Lower("email")).filter(email_lower__in=chunk):
            users[user.email.casefold()] = user
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
            found[enrollment.learner.email.casefold()] = enrollment
    return found
