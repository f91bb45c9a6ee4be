"""The course on a phone (390 × 844): nothing scrolls sideways, and the outline is in reach."""

import pytest
from playwright.sync_api import expect

from courseware.outline import get_outline

from .axe import axe_violations, describe
from .journeys import (
    PASSWORD,
    assert_no_horizontal_scroll,
    learner_pages,
    sign_in,
    visitor_pages,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.browser_context_args(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    ),
]


def test_no_learner_page_scrolls_sideways_on_a_phone(page, journey, course, learner_with_work):
    steps = journey(page, "phone")
    failures = []

    def visit(name, url):
        page.goto(url)
        steps.shot(name)
        try:
            assert_no_horizontal_scroll(page)
        except AssertionError as error:
            failures.append(str(error))
        # Narrow layouts bring their own problems, such as tables that scroll.
        violations = axe_violations(page)
        if violations:
            failures.append(describe(violations, f"{name} on a phone"))

    for name, url in visitor_pages(course):
        visit(name, url)
    page.goto("/")
    sign_in(page, learner_with_work.learner.email, PASSWORD)
    for name, url in learner_pages(course, learner_with_work):
        visit(name, url)
    assert not failures, "\n".join(failures)


def test_lesson_outline_is_reachable_on_a_phone(page, journey, course, learner_with_work):
    steps = journey(page, "phone-outline")
    lessons = get_outline(course).lessons
    page.goto("/")
    sign_in(page, learner_with_work.learner.email, PASSWORD)
    page.goto(lessons[1].url)
    steps.shot("lesson")

    outline = page.get_by_role("navigation", name="Course outline")
    outline.scroll_into_view_if_needed()
    expect(outline).to_be_in_viewport()
    expect(outline.get_by_role("link", name=lessons[1].title)).to_have_attribute(
        "aria-current", "page"
    )
    target = outline.get_by_role("link", name=lessons[4].title)
    box = target.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, f"Outline link off screen: {box}"
    assert box["height"] >= 24, f"Outline link too small to tap: {box}"
    steps.shot("outline")
    target.tap()
    expect(page.get_by_role("heading", level=1)).to_have_text(lessons[4].title)
