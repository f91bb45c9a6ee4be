"""axe-core on every page a visitor or a learner can open, error states included."""

import pytest
from playwright.sync_api import Page, expect

from courseware.outline import get_outline

from .axe import axe_violations, describe
from .journeys import PASSWORD, learner_pages, sign_in, visitor_pages

pytestmark = pytest.mark.browser


class Audit:
    """Collect every page's serious and critical violations, to report them all at once."""

    def __init__(self, page: Page):
        self.page = page
        self.reports = []

    def __call__(self, name: str) -> None:
        violations = axe_violations(self.page)
        if violations:
            self.reports.append(describe(violations, f"{name} ({self.page.url})"))


def test_no_page_a_learner_opens_has_serious_accessibility_violations(
    page, course, learner_with_work
):
    audit = Audit(page)
    for name, url in visitor_pages(course):
        page.goto(url)
        audit(name)
    page.goto("/accounts/signup/")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator(".field--error").first).to_be_visible()
    audit("sign-up-with-errors")

    page.goto("/")
    sign_in(page, learner_with_work.learner.email, PASSWORD)
    for name, url in learner_pages(course, learner_with_work):
        page.goto(url)
        audit(name)
    page.goto(get_outline(course).lessons[1].url)
    page.get_by_role("button", name="Check my answers").click()
    expect(page.get_by_text("Answer every question, then check again.")).to_be_visible()
    audit("knowledge-check-unanswered")
    page.goto(learner_with_work.drafted.get_absolute_url())
    page.get_by_role("button", name="Submit attempt").click()
    expect(page.locator(".field__errors").first).to_be_visible()
    audit("assignment-submitted-unconfirmed")

    assert not audit.reports, "\n\n".join(audit.reports)
