"""What the browser journeys share: screenshots, signing in, keyboard focus and page width."""

from pathlib import Path

from django.urls import reverse
from playwright.sync_api import Page, expect

from courseware.outline import get_outline

from .axe import assert_accessible

# Git-ignored (var/): open the PNGs to see what the learner sees at each step.
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PASSWORD = "correct horse battery staple"  # UserFactory's, in tests/factories.py.


class Journey:
    """Number a journey's steps, save a full-page screenshot of each, and check them with axe."""

    def __init__(self, page: Page, folder: Path, *, scripts_disabled: bool = False):
        self.page = page
        self.folder = folder
        self.scripts_disabled = scripts_disabled
        self.steps = 0

    def shot(self, step: str, page: Page | None = None) -> Path:
        self.steps += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{self.steps:02d}-{step}.png"
        page = page or self.page
        page.wait_for_load_state()
        page.screenshot(path=path, full_page=True)
        return path

    def check(self, step: str, page: Page | None = None) -> None:
        """Save the step's screenshot, then fail on serious or critical accessibility issues."""
        self.shot(step, page)
        if page is None:
            assert_accessible(self.page, scripts_disabled=self.scripts_disabled)
        else:
            assert_accessible(page)


def sign_in(page: Page, email: str, password: str) -> None:
    """Sign in through the site's own form, from whatever page is open."""
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Sign in").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("main").get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def sign_into_admin(page: Page, email: str, password: str) -> None:
    page.goto("/admin/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(
        page.get_by_role("navigation", name="Account").get_by_role("link", name="Sign in")
    ).to_be_visible()


def visitor_pages(course) -> list[tuple[str, str]]:
    """Return (name, URL) for each page someone who has not signed in can open."""
    lessons = get_outline(course).lessons
    assignment = course.assignments.published().first()
    return [
        ("catalog", reverse("courseware:catalog")),
        ("sign-up", reverse("signup")),
        ("sign-in", reverse("login")),
        ("password-reset", reverse("password_reset")),
        ("password-reset-sent", reverse("password_reset_done")),
        ("course-preview", course.get_absolute_url()),
        ("free-lesson", lessons[0].url),
        ("locked-lesson", lessons[3].url),
        ("locked-assignment", assignment.get_absolute_url()),
        ("search-preview", reverse("courseware:search", args=[course.slug]) + "?q=soft+power"),
        ("not-found", "/no-such-page/"),
    ]


def learner_pages(course, work) -> list[tuple[str, str]]:
    """Return (name, URL) for each page of an enrolled learner with work in every state."""
    lessons = get_outline(course).lessons
    return [
        ("my-courses", reverse("courseware:dashboard")),
        ("course", course.get_absolute_url()),
        ("lesson-check-results", f"{lessons[0].url}?attempt={work.attempt.pk}"),
        ("lesson", lessons[len(lessons) // 2].url),
        ("last-lesson", lessons[-1].url),
        ("assignment-graded", work.graded.get_absolute_url()),
        ("assignment-draft", work.drafted.get_absolute_url()),
        ("grades", reverse("courseware:grades", args=[course.slug])),
        ("search", reverse("courseware:search", args=[course.slug]) + "?q=soft+power"),
        ("profile", reverse("profile")),
        ("password-change", reverse("password_change")),
    ]


FOCUS_STATE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return {element: 'nothing (body)', visible: false};
  const style = getComputedStyle(el);
  const rect = el.getBoundingClientRect();
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
  const name = (el.getAttribute('aria-label') || el.innerText || el.value || el.id || '').trim();
  return {
    element: `<${el.tagName.toLowerCase()}> ${name.slice(0, 60)}`,
    visible: el.matches(':focus-visible') && (outline || style.boxShadow !== 'none')
      && rect.width > 0 && rect.height > 0 && rect.bottom > 0 && rect.top < innerHeight,
  };
}"""


def assert_focus_visible(page: Page) -> str:
    """Fail unless the focused element shows a focus indicator on screen; return what it is."""
    state = page.evaluate(FOCUS_STATE)
    assert state["visible"], f"Keyboard focus is not visible on {state['element']} ({page.url})"
    return state["element"]


def tab_to(page: Page, target, *, limit: int = 80, backwards: bool = False) -> None:
    """Press Tab until the target has focus, checking that every stop shows its focus."""
    key = "Shift+Tab" if backwards else "Tab"
    passed = []
    for _ in range(limit):
        page.keyboard.press(key)
        passed.append(assert_focus_visible(page))
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{limit} presses of {key} never reached {target}; passed {passed}")


def is_focused(locator) -> bool:
    return locator.evaluate("el => el === document.activeElement")


OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('body *')].filter(el => {
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 || rect.right <= width + 1) return false;
    // Content inside a box that scrolls on its own (a wide table) does not widen the page.
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const overflow = getComputedStyle(p).overflowX;
      if (overflow === 'auto' || overflow === 'scroll' || overflow === 'hidden') return false;
    }
    return true;
  });
  return {
    scrollWidth: document.documentElement.scrollWidth,
    width,
    wide: wide.slice(0, 5).map(el => `<${el.tagName.toLowerCase()} class="${el.className}"> `
      + `right edge ${Math.round(el.getBoundingClientRect().right)}px`),
  };
}"""


def assert_no_horizontal_scroll(page: Page) -> None:
    """Fail when the page is wider than the viewport, naming the elements that stick out."""
    state = page.evaluate(OVERFLOW)
    assert state["scrollWidth"] <= state["width"], (
        f"{page.url} scrolls sideways: {state['scrollWidth']}px of content in a "
        f"{state['width']}px viewport; too wide: {state['wide']}"
    )
