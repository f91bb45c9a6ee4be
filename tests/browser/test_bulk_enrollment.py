"""An instructor enrolls a cohort from a CSV file with one bad row and reads the report."""

import pytest
from playwright.sync_api import expect

from courseware.models import Enrollment

from .journeys import PASSWORD, sign_into_admin

pytestmark = pytest.mark.browser

ROSTER = (
    b"email,name\nann@example.org,Ann Archer\nnot-an-address,Bad Row\nbob@example.org,Bob Baker\n"
)


def test_instructor_bulk_enrolls_a_csv_with_a_bad_row_and_reads_the_report(
    page, journey, default_cohort, instructor
):
    steps = journey(page, "bulk-enrollment")
    sign_into_admin(page, instructor.email, PASSWORD)
    page.get_by_role("main").get_by_role("link", name="Cohorts").click()
    page.get_by_role("link", name=default_cohort.name, exact=True).click()
    page.get_by_role("link", name="Enroll from a CSV file").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("from a CSV file")
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "roster.csv", "mimeType": "text/csv", "buffer": ROSTER}]
    )
    steps.check("upload")
    page.get_by_role("button", name="Check the file").click()

    report = page.get_by_role("table", name="What importing would do, row by row")
    bad_row = report.get_by_role("row").filter(has_text="not-an-address")
    expect(bad_row).to_contain_text("Invalid")
    expect(bad_row).to_contain_text("“not-an-address” is not a valid email address.")
    expect(report.get_by_role("row").filter(has_text="ann@example.org")).to_contain_text("New")
    expect(page.locator(".roster-summary")).to_contain_text("New: 2")
    expect(page.locator(".roster-summary")).to_contain_text("Invalid: 1")
    steps.check("checked")

    # Confirming without agreeing to skip the bad row is refused, and says why.
    page.get_by_role("button", name="Enroll 2 new learners").click()
    expect(page.get_by_text("Tick the box to skip the invalid rows")).to_be_visible()
    steps.check("must-skip-invalid-rows")
    page.get_by_label("Import the 2 valid rows and skip the invalid ones").check()
    page.get_by_role("button", name="Enroll 2 new learners").click()

    done = page.get_by_role("table", name="What the import did, row by row")
    expect(done.get_by_role("row").filter(has_text="bob@example.org")).to_contain_text("Created")
    expect(done.get_by_role("row").filter(has_text="not-an-address")).to_contain_text("Invalid")
    expect(page.locator(".roster-summary")).to_contain_text("Created: 2")
    steps.check("enrolled")
    enrolled = Enrollment.objects.current().filter(cohort=default_cohort)
    assert sorted(enrolled.values_list("learner__email", flat=True)) == [
        "ann@example.org",
        "bob@example.org",
    ]
