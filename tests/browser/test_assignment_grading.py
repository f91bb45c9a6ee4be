"""A case study from the learner's first draft to the instructor's released grade."""

import re

import pytest
from playwright.sync_api import Page, expect

from courseware.models import Assignment, RubricCriterion
from courseware.services import enroll_learner

from .journeys import PASSWORD, sign_in, sign_into_admin

pytestmark = pytest.mark.browser

ANSWER = (
    "Combined exercises such as Freedom Shield show readiness, while exchange programmes "
    "and community relations around U.S. bases build the understanding the course describes."
)
FEEDBACK = "A well-chosen pair of activities; weigh how North Korea reads the exercises."


@pytest.fixture
def assignment(course):
    return Assignment.objects.get(course=course, slug="us-south-korea-partnership")


def grade_with_rubric(page: Page, criteria, level: str) -> None:
    """Choose the level for every criterion, with a comment on each, and overall feedback."""
    for criterion in criteria:
        group = page.get_by_role("group", name=criterion.title, exact=True)
        group.get_by_role("radio", name=re.compile(rf"^{level}")).check()
        group.get_by_role("textbox").fill(f"On {criterion.title.lower()}: solid.")
    page.get_by_label("Overall feedback").fill(FEEDBACK)


def test_learner_submits_a_case_study_and_reads_the_released_grade(
    page, new_context, journey, course, learner, instructor, assignment
):
    enroll_learner(learner=learner, course=course)
    criteria = list(
        RubricCriterion.objects.filter(assignment=assignment).prefetch_related("levels")
    )
    score = int(sum(c.levels.get(title="Proficient").points for c in criteria))
    steps = journey(page, "assignment-grading")

    # The learner writes; autosave keeps the draft through a reload; then they submit.
    page.goto(course.get_absolute_url())
    sign_in(page, learner.email, PASSWORD)
    page.goto(course.get_absolute_url())
    page.get_by_role("link", name=assignment.title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(assignment.title)
    page.wait_for_load_state()  # The autosave script is deferred: type once it listens.
    answer = page.get_by_role("textbox", name="Your answer")
    answer.fill(ANSWER)
    expect(page.get_by_text(f"{len(ANSWER.split())} words")).to_be_visible()
    expect(page.locator("[data-saved-at]")).to_contain_text("draft saved at")
    steps.check("draft-autosaved")
    page.reload()
    expect(answer).to_have_value(ANSWER)
    steps.check("draft-after-reload")
    page.get_by_role("checkbox", name=re.compile(r"^I have finished")).check()
    page.get_by_role("button", name="Submit attempt").click()
    expect(page.get_by_role("status")).to_contain_text("Attempt 1 submitted.")
    submissions = page.get_by_role("region", name="Your submissions")
    expect(submissions).to_contain_text("Attempt 1: submitted")
    steps.check("submitted")

    # The instructor finds it in the grading queue, grades it with the rubric and releases it.
    admin = new_context().new_page()
    sign_into_admin(admin, instructor.email, PASSWORD)
    admin.get_by_role("main").get_by_role("link", name="Submissions").click()
    expect(admin.get_by_role("heading", name="Grading queue")).to_be_visible()
    row = admin.get_by_role("row").filter(has_text=learner.display_name)
    expect(row).to_contain_text("Awaiting grade")
    steps.shot("grading-queue", admin)
    row.get_by_role("link", name=learner.display_name).click()
    expect(
        admin.get_by_role("heading", name=f"Attempt 1 by {learner.display_name}")
    ).to_be_visible()
    expect(admin.locator(".submission-body")).to_contain_text("Freedom Shield")
    steps.check("grading-page", admin)
    grade_with_rubric(admin, criteria, "Proficient")
    admin.get_by_label("Release to learner").check()
    admin.get_by_role("button", name="Save", exact=True).click()
    saved = rf"Saved {score}(\.00)? of 100(\.00)? for {learner.display_name} and released it\."
    expect(admin.get_by_text(re.compile(saved))).to_be_visible()
    steps.check("graded-and-released", admin)

    # The learner sees the score, the level awarded on each criterion and the feedback.
    page.reload()
    expect(submissions).to_contain_text("Attempt 1: graded")
    grade = page.get_by_role("region", name=re.compile("^Your grade"))
    expect(grade.get_by_role("heading", level=2)).to_have_text(f"Your grade: {score} / 100")
    for criterion in criteria:
        expect(
            grade.get_by_role("row", name=re.compile(re.escape(criterion.title)))
        ).to_contain_text("Proficient")
    expect(grade).to_contain_text(FEEDBACK)
    steps.check("grade-released")
    page.get_by_role("link", name=course.title).first.click()
    page.get_by_role("link", name="See my grades and feedback").click()
    expect(page.get_by_role("row", name=re.compile(re.escape(assignment.title)))).to_contain_text(
        f"Graded {score} / 100"
    )
    steps.check("grades-page")
