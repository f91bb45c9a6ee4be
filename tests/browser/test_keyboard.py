"""The learner journey by keyboard alone: each focus stop visible, focus landing where due."""

import re

import pytest
from playwright.sync_api import Page, expect

from courseware.models import Question
from courseware.outline import get_outline

from .journeys import PASSWORD, assert_focus_visible, is_focused, tab_to

pytestmark = pytest.mark.browser


def answer_by_keyboard(page: Page, lesson) -> None:
    """Answer every question right: arrows within a radio group, Space on checkboxes."""
    check = page.locator("#knowledge-check")
    for question in Question.objects.filter(lesson_id=lesson.pk).prefetch_related("choices"):
        choices = list(question.choices.all())
        if question.kind == Question.Kind.SINGLE:
            # Tab enters a radio group on its first option; arrow keys move and choose.
            tab_to(page, check.get_by_label(choices[0].text, exact=True))
            right = next(i for i, choice in enumerate(choices) if choice.is_correct)
            for _ in range(right):
                page.keyboard.press("ArrowDown")
            page.keyboard.press("Space")
            expect(check.get_by_label(choices[right].text, exact=True)).to_be_checked()
        else:
            for choice in choices:
                tab_to(page, check.get_by_label(choice.text, exact=True))
                if choice.is_correct:
                    page.keyboard.press("Space")
                    expect(page.locator(":focus")).to_be_checked()


def test_learner_journey_by_keyboard_alone(page, journey, course, learner):
    steps = journey(page, "keyboard")
    lessons = get_outline(course).lessons
    main = page.get_by_role("main")

    # The first Tab reaches the skip link, shown on focus; Enter moves focus into the page.
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    assert is_focused(skip)
    assert_focus_visible(page)
    expect(skip).to_be_in_viewport()
    steps.shot("skip-link")
    page.keyboard.press("Enter")
    assert is_focused(main)
    page.keyboard.press("Tab")
    assert is_focused(main.get_by_role("link", name=course.title, exact=True))
    assert_focus_visible(page)

    # Signing in: the email field has focus on arrival, Enter sends the form.
    page.goto("/")
    tab_to(page, page.get_by_role("link", name="Sign in"))
    page.keyboard.press("Enter")
    email = page.get_by_label("Email")
    expect(email).to_be_focused()
    page.keyboard.type(learner.email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    steps.shot("sign-in")
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    tab_to(page, main.get_by_role("link", name=re.compile("^View the course")))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(course.title)
    tab_to(page, page.get_by_role("button", name="Enroll in this course"))
    steps.shot("enroll-focused")
    page.keyboard.press("Space")
    expect(page.get_by_role("status")).to_contain_text("You are enrolled")
    tab_to(page, page.get_by_role("link", name="Start the course"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(lessons[0].title)

    # Next and previous, then the knowledge check, whose results take focus.
    pager = page.get_by_role("navigation", name="Lesson navigation")
    tab_to(page, pager.get_by_role("link", name=re.compile("^Next")))
    steps.shot("next-focused")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(lessons[1].title)
    tab_to(page, pager.get_by_role("link", name=re.compile("^Previous")))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(lessons[0].title)
    answer_by_keyboard(page, lessons[0])
    steps.shot("check-answered")
    tab_to(page, page.get_by_role("button", name="Check my answers"))
    page.keyboard.press("Enter")
    results = page.locator("#knowledge-check")
    expect(results).to_contain_text("(100%)")
    expect(results).to_be_focused()
    expect(results).to_be_in_viewport()
    assert_focus_visible(page)
    steps.shot("check-results-focused")

    # Marking complete moves on; the outline's links lead anywhere in the course.
    tab_to(page, page.get_by_role("button", name="Mark complete and continue"))
    page.keyboard.press("Space")
    expect(page.get_by_role("heading", level=1)).to_have_text(lessons[1].title)
    outline = page.get_by_role("navigation", name="Course outline")
    target = outline.get_by_role("link", name=re.compile(re.escape(lessons[3].title)))
    tab_to(page, target)
    steps.shot("outline-link-focused")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(lessons[3].title)
    tab_to(page, page.get_by_role("link", name="My courses"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("My courses")
    tab_to(page, page.get_by_role("link", name=re.compile("^Resume")))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(lessons[1].title)
