import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from accounts import roles
from accounts.models import User
from courseware.models import Cohort, Enrollment
from courseware.services import enroll_learner
from courseware.services.roster import RosterError, check_roster, enroll_roster, read_roster

from ..factories import CohortFactory, EnrollmentFactory, UserFactory


def _statuses(rows):
    return [(row.line, row.email, row.status) for row in rows]


@pytest.fixture
def cohort(db):
    return CohortFactory(name="Spring", join_policy=Cohort.JoinPolicy.INSTRUCTORS)


def test_reading_a_good_roster_keeps_every_row_in_order():
    rows = read_roster(b"ann@example.org,Ann Archer\nbob@example.org,Bob Baker\n")
    assert [(row.line, row.email, row.name, row.is_valid) for row in rows] == [
        (1, "ann@example.org", "Ann Archer", True),
        (2, "bob@example.org", "Bob Baker", True),
    ]


def test_reading_skips_a_header_row():
    rows = read_roster(b"Email,Name\nann@example.org,Ann Archer\n")
    assert _statuses(rows) == [(2, "ann@example.org", "")]


def test_reading_skips_a_byte_order_mark_before_the_header():
    rows = read_roster("\ufeffemail,name\nann@example.org,Ann\n".encode())
    assert _statuses(rows) == [(2, "ann@example.org", "")]


def test_reading_skips_blank_lines_and_keeps_the_file_line_numbers():
    rows = read_roster(b"ann@example.org,Ann\n\n , \nbob@example.org,Bob\n")
    assert [row.line for row in rows] == [1, 4]


def test_reading_reports_a_row_by_the_line_it_starts_on():
    rows = read_roster(b'ann@example.org,"Ann\nArcher"\nbob@example.org,Bob\n')
    assert [row.line for row in rows] == [1, 3]


def test_reading_trims_spaces_around_fields():
    row = read_roster(b"  ann@example.org ,  Ann Archer \n")[0]
    assert (row.email, row.name) == ("ann@example.org", "Ann Archer")


def test_reading_marks_a_bad_email_invalid_with_the_reason():
    row = read_roster(b"not-an-address,Ann\n")[0]
    assert row.status == "invalid"
    assert row.reason == "“not-an-address” is not a valid email address."


def test_reading_marks_a_missing_email_invalid():
    row = read_roster(b",Ann\n")[0]
    assert (row.status, row.reason) == ("invalid", "The email address is missing.")


def test_reading_marks_an_overlong_email_invalid():
    row = read_roster(b"a" * 250 + b"@example.org,Ann\n")[0]
    assert row.status == "invalid" and "longer than 254" in row.reason


def test_reading_marks_a_repeated_email_invalid_whatever_its_case():
    rows = read_roster(b"ann@example.org,Ann\nANN@Example.org,Ann again\n")
    assert rows[0].is_valid
    assert (rows[1].status, rows[1].reason) == ("invalid", "Same email as line 1.")


def test_reading_marks_a_row_with_too_many_columns_invalid():
    row = read_roster(b"ann@example.org,Ann,Archer\n")[0]
    assert (row.status, row.reason) == ("invalid", "Too many columns: expected email, name.")


def test_reading_accepts_empty_trailing_columns():
    assert read_roster(b"ann@example.org,Ann,,\n")[0].is_valid


def test_reading_a_file_that_is_not_utf8_fails_as_a_whole():
    with pytest.raises(RosterError, match="not UTF-8"):
        read_roster("zoë@example.org,Zoë\n".encode("latin-1"))


def test_reading_a_binary_file_fails_as_a_whole():
    with pytest.raises(RosterError, match="not a CSV"):
        read_roster(b"PK\x03\x04\x00\x00binary")


def test_reading_a_file_without_rows_fails_as_a_whole():
    with pytest.raises(RosterError, match="no rows"):
        read_roster(b"email,name\n\n")


def test_checking_marks_unknown_learners_new(cohort):
    rows = check_roster(cohort=cohort, rows=read_roster(b"ann@example.org,Ann\n"))
    assert (rows[0].status, rows[0].reason) == ("new", "")


def test_checking_marks_a_learner_of_this_cohort_already_enrolled(cohort):
    EnrollmentFactory(cohort=cohort, learner=UserFactory(email="ann@example.org"))
    row = check_roster(cohort=cohort, rows=read_roster(b"ANN@example.org,Ann\n"))[0]
    assert (row.status, row.reason) == ("already enrolled", "Already in this cohort.")


def test_checking_names_the_other_cohort_a_learner_is_enrolled_in(cohort):
    other = CohortFactory(course=cohort.course, name="Autumn", is_default=False)
    EnrollmentFactory(cohort=other, learner=UserFactory(email="ann@example.org"))
    row = check_roster(cohort=cohort, rows=read_roster(b"ann@example.org,Ann\n"))[0]
    assert row.status == "already enrolled"
    assert row.reason == "Already enrolled in Autumn; move them there instead."


def test_checking_treats_a_dropped_learner_as_new(cohort):
    EnrollmentFactory(
        cohort=cohort,
        learner=UserFactory(email="ann@example.org"),
        status=Enrollment.Status.DROPPED,
    )
    row = check_roster(cohort=cohort, rows=read_roster(b"ann@example.org,Ann\n"))[0]
    assert row.status == "new"


def test_checking_leaves_invalid_rows_invalid(cohort):
    row = check_roster(cohort=cohort, rows=read_roster(b"nope,Ann\n"))[0]
    assert row.status == "invalid"


def test_enrolling_creates_accounts_in_the_learners_group_with_csv_enrollments(cohort):
    rows = read_roster(b"ann@example.org,Ann Archer\nbob@example.org,Bob Baker\n")
    enroll_roster(cohort=cohort, rows=check_roster(cohort=cohort, rows=rows))
    ann = User.objects.get(email="ann@example.org")
    assert ann.display_name == "Ann Archer"
    assert not ann.has_usable_password()
    assert list(ann.groups.values_list("name", flat=True)) == [roles.LEARNERS]
    assert set(
        Enrollment.objects.filter(cohort=cohort).values_list("learner__email", "source")
    ) == {("ann@example.org", "csv"), ("bob@example.org", "csv")}


def test_enrolling_reports_each_new_row_created(cohort):
    rows = enroll_roster(cohort=cohort, rows=read_roster(b"ann@example.org,Ann\nnope,Bob\n"))
    assert [row.status for row in rows] == ["created", "invalid"]


def test_enrolling_uses_an_existing_account_whatever_the_case_of_its_email(cohort):
    ann = UserFactory(email="Ann@Example.org")
    enroll_roster(cohort=cohort, rows=read_roster(b"ann@example.org,Someone Else\n"))
    assert Enrollment.objects.get(cohort=cohort).learner == ann
    assert User.objects.count() == 1


def test_enrolling_an_instructor_as_a_learner_keeps_their_role(cohort, instructor):
    enroll_roster(cohort=cohort, rows=read_roster(b"teacher@example.org,Tess\n"))
    assert list(instructor.groups.values_list("name", flat=True)) == [roles.INSTRUCTORS]


def test_enrolling_records_the_enrollments_history(cohort):
    enroll_roster(cohort=cohort, rows=read_roster(b"ann@example.org,Ann\n"))
    enrollment = Enrollment.objects.get(cohort=cohort)
    assert list(enrollment.history.values_list("history_type", flat=True)) == ["+"]


def test_enrolling_past_capacity_writes_nothing(cohort):
    cohort.capacity = 1
    cohort.save()
    rows = read_roster(b"ann@example.org,Ann\nbob@example.org,Bob\n")
    with pytest.raises(ValidationError, match="1 places left for 2 new learners"):
        enroll_roster(cohort=cohort, rows=rows)
    assert not User.objects.exists()
    assert not Enrollment.objects.exists()


def test_enrolling_the_same_roster_again_reports_already_enrolled(cohort):
    data = b"ann@example.org,Ann\nbob@example.org,Bob\n"
    enroll_roster(cohort=cohort, rows=read_roster(data))
    rows = enroll_roster(cohort=cohort, rows=read_roster(data))
    assert [row.status for row in rows] == ["already enrolled", "already enrolled"]
    assert Enrollment.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_roster_racing_a_self_enrollment_leaves_one_enrollment_and_no_error():
    default = CohortFactory(is_default=True)
    cohort = CohortFactory(course=default.course, is_default=False)
    learner = UserFactory(email="racer@example.org")
    data = b"ann@example.org,Ann\nracer@example.org,Racer\nbob@example.org,Bob\n"
    errors, reports, enrolling = [], [], threading.Event()

    def self_enroll():
        # Hold the enrollment uncommitted while the roster checks and inserts: the worst overlap.
        with transaction.atomic():
            enroll_learner(learner=learner, course=default.course)
            enrolling.set()
            time.sleep(0.5)

    def upload():
        enrolling.wait(5)
        reports.append(enroll_roster(cohort=cohort, rows=read_roster(data)))

    def run(work):
        try:
            work()
        except Exception as error:  # noqa: BLE001 - any error is the failure under test.
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=[work]) for work in (self_enroll, upload)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [row.status for row in reports[0]] == ["created", "already enrolled", "created"]
    assert Enrollment.objects.current().get(learner=learner).cohort == default
