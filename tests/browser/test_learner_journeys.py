"""A newcomer's whole journey through the course, with JavaScript and without."""

import re

import pytest
from playwright.sync_api import Page, expect

from courseware.models import Assignment, Question
from courseware.outline import get_outline

from .journeys import Journey, sign_in, sign_out

pytestmark = pytest.mark.browser

NEWCOMER_PASSWORD = "a long and unusual passphrase 2026"


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def pager(page: Page, direction: str):
    navigation = page.get_by_role("navigation", name="Lesson navigation")
    return navigation.get_by_role("link", name=re.compile(rf"^{direction}\b"))


def answer_check(page: Page, lesson, *, right: bool) -> None:
    """Answer the lesson's knowledge check, every question right or every one wrong."""
    check = page.locator("#knowledge-check")
    for question in Question.objects.filter(lesson_id=lesson.pk).prefetch_related("choices"):
        choices = list(question.choices.all())
        picks = (
            [c for c in choices if c.is_correct]
            if right
            else [next(c for c in choices if not c.is_correct)]
        )
        for choice in picks:
            check.get_by_label(choice.text, exact=True).check()
    check.get_by_role("button", name="Check my answers").click()


def newcomer_journey(page: Page, journey: Journey, course, *, email: str) -> None:
    """Sign up, enroll, read and move between lessons, complete two, check, leave, resume."""
    lessons = get_outline(course).lessons
    first, second, third = lessons[0], lessons[1], lessons[2]
    questions = Question.objects.filter(lesson_id=first.pk).count()

    page.goto("/")
    journey.check("catalog")
    page.get_by_role("link", name="Sign up").click()
    expect(heading(page)).to_have_text("Create an account")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Your name").fill("Nia Newcomer")
    page.get_by_label("Password", exact=True).fill(NEWCOMER_PASSWORD)
    page.get_by_label("Password confirmation").fill(NEWCOMER_PASSWORD)
    journey.check("sign-up")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("link", name="My courses")).to_be_visible()

    page.get_by_role("link", name=re.compile(r"^View the course")).click()
    expect(heading(page)).to_have_text(course.title)
    journey.check("course-before-enrolling")
    page.get_by_role("button", name="Enroll in this course").click()
    expect(page.get_by_role("status")).to_contain_text(f"You are enrolled in {course.title}")
    journey.check("enrolled")

    page.get_by_role("link", name="Start the course").click()
    expect(heading(page)).to_have_text(first.title)
    journey.check("introduction")
    pager(page, "Next").click()
    expect(heading(page)).to_have_text(second.title)
    journey.check("next-lesson")
    pager(page, "Previous").click()
    expect(heading(page)).to_have_text(first.title)

    answer_check(page, first, right=False)
    results = page.locator(".check__results")
    expect(results).to_contain_text(f"You answered 0 of {questions} right (0%)")
    expect(results.get_by_text("Not quite")).to_have_count(questions)
    journey.check("check-answered-wrongly")
    answer_check(page, first, right=True)
    expect(results).to_contain_text(f"You answered {questions} of {questions} right (100%)")
    expect(page.locator("#knowledge-check")).to_contain_text("Best score so far: 100%")
    journey.check("check-answered-rightly")

    page.get_by_role("button", name="Mark complete and continue").click()
    expect(heading(page)).to_have_text(second.title)
    expect(page.get_by_role("status")).to_contain_text(f"“{first.title}” marked complete.")
    page.get_by_role("button", name="Mark complete and continue").click()
    expect(heading(page)).to_have_text(third.title)
    outline = page.get_by_role("navigation", name="Course outline")
    expect(outline.get_by_text("(completed)")).to_have_count(2)
    expect(outline).to_contain_text("12% complete")
    journey.check("two-lessons-complete")

    sign_out(page)
    journey.check("signed-out")
    sign_in(page, email, NEWCOMER_PASSWORD)
    page.get_by_role("link", name="My courses").click()
    expect(page.get_by_text(f"2 of {len(lessons)} lessons")).to_be_visible()
    journey.check("my-courses")
    page.get_by_role("link", name=re.compile(r"^Resume")).click()
    expect(heading(page)).to_have_text(third.title)
    journey.check("resumed")


def write_assignment_without_javascript(page: Page, journey: Journey, assignment) -> None:
    """Save a draft with the button, find it after a reload, then submit it."""
    page.goto(assignment.get_absolute_url())
    expect(heading(page)).to_have_text(assignment.title)
    answer = page.get_by_role("textbox", name="Your answer")
    answer.fill("Joint exercises build trust; cultural exchange makes it last.")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status")).to_contain_text("Draft saved.")
    page.reload()
    expect(answer).to_have_value("Joint exercises build trust; cultural exchange makes it last.")
    expect(page.get_by_text("9 words")).to_be_visible()
    journey.check("assignment-draft-saved")
    page.get_by_role("checkbox", name=re.compile(r"^I have finished")).check()
    page.get_by_role("button", name="Submit attempt").click()
    expect(page.get_by_role("status")).to_contain_text("Attempt 1 submitted.")
    expect(page.get_by_role("region", name="Your submissions")).to_contain_text(
        "Attempt 1: submitted"
    )
    journey.check("assignment-submitted")


def test_newcomer_signs_up_learns_and_resumes_where_they_left_off(page, journey, course):
    newcomer_journey(page, journey(page, "newcomer"), course, email="nia@example.org")


@pytest.mark.browser_context_args(java_script_enabled=False)
def test_newcomer_journey_works_with_javascript_disabled(page, journey, course):
    steps = journey(page, "no-javascript", scripts_disabled=True)
    newcomer_journey(page, steps, course, email="nojs@example.org")
    assignment = Assignment.objects.filter(course=course).order_by("position").first()
    write_assignment_without_javascript(page, steps, assignment)
