"""Browser tests: Playwright drives Debian's Chromium, headless, against the live server."""

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from playwright.sync_api import expect
from pytest_django.live_server_helper import LiveServer

from accounts import roles
from accounts.models import User
from accounts.services import ensure_user
from courseware import services
from courseware.models import Assignment, CheckAttempt, Lesson, Question, RubricCriterion
from courseware.outline import get_outline

from .journeys import PASSWORD, SCREENSHOTS, Journey

# Playwright's sync API runs an event loop in the test thread, where Django would then refuse
# ORM calls; the tests drive the browser and the database one after the other, never at once.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# CI shares two cores between the server, the browser and the test: wait longer than
# Playwright's 5 s before calling a page wrong.
expect.set_options(timeout=15_000)

CHROMIUM = Path("/usr/bin/chromium")


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives Chromium against the live server")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Run the browser tests last, after pytest-django's ordering.

    Playwright's event loop stays open in the test thread from the first browser test to
    the end of the session; no other test should run beside it.
    """
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session")
def live_server(request):
    """Serve the app as production does, static files included: through WhiteNoise.

    pytest-django's server answers /static/ itself from the finders, which know nothing of
    the hashed names in the manifest that the pages link to.
    """
    address = (
        request.config.getvalue("liveserver")
        or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    server = LiveServer(address, start=False)
    server.thread.static_handler = lambda application: application
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch Debian's Chromium: `playwright install` cannot download browsers here."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium package "
            "(apt-get install --no-install-recommends chromium; .ci/run does it)."
        )
    # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": ["--no-sandbox"]}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, live_server):
    return {
        **browser_context_args,
        "base_url": live_server.url,
        "viewport": {"width": 1280, "height": 900},
    }


@pytest.fixture(autouse=True)
def _role_permissions(transactional_db):
    """Give the role groups their admin permissions again.

    The groups come from a data migration, and live-server tests are transactional: the
    flush after each one empties every table, groups included.
    """
    for name, grants in [
        (roles.LEARNERS, {}),
        (roles.INSTRUCTORS, roles.INSTRUCTOR_PERMISSIONS),
        (roles.STAFF, roles.STAFF_PERMISSIONS),
    ]:
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, codenames in grants.items():
            group.permissions.add(
                *Permission.objects.filter(
                    content_type__app_label=app_label, codename__in=codenames
                )
            )


@pytest.fixture
def default_cohort(course):
    return course.cohorts.get(is_default=True)


@pytest.fixture
def instructor(default_cohort):
    """A staff member in the Instructors group who teaches the course's default cohort."""
    user, _ = ensure_user(
        email="teacher@example.org",
        password=PASSWORD,
        display_name="Tess Teacher",
        role=roles.INSTRUCTORS,
    )
    default_cohort.instructors.add(user)
    return user


@dataclass
class LearnerWork:
    learner: User
    attempt: CheckAttempt
    graded: Assignment
    drafted: Assignment


@pytest.fixture
def learner_with_work(course, learner, instructor):
    """An enrolled learner with a completed lesson, a check tried, a released grade, a draft."""
    enrollment, _ = services.enroll_learner(learner=learner, course=course)
    first = Lesson.objects.get(pk=get_outline(course).lessons[0].pk)
    services.complete_lesson(learner=learner, lesson=first, enrollment=enrollment)
    questions = Question.objects.filter(lesson=first).prefetch_related("choices")
    attempt = services.submit_check(
        learner=learner,
        lesson=first,
        answers={question.pk: {question.choices.all()[0].pk} for question in questions},
    )
    graded, drafted = Assignment.objects.filter(course=course).order_by("position")[:2]
    submission = services.submit_work(
        assignment=graded,
        enrollment=enrollment,
        body="Joint exercises and exchanges together build trust between the two allies.",
        attempt=1,
    )
    criteria = RubricCriterion.objects.filter(assignment=graded).prefetch_related("levels")
    services.grade_submission(
        submission=submission,
        grader=instructor,
        levels={criterion.pk: criterion.levels.all()[1].pk for criterion in criteria},
        comments={criterion.pk: "Clear, with one example too few." for criterion in criteria},
        feedback="Good use of the course's terms; add evidence for the second activity.",
        release=True,
    )
    services.save_draft(assignment=drafted, enrollment=enrollment, body="A first outline.")
    return LearnerWork(learner=learner, attempt=attempt, graded=graded, drafted=drafted)


@pytest.fixture
def journey():
    """Return a factory of journeys that save numbered full-page screenshots of their steps."""

    def start(page, name, *, scripts_disabled=False):
        folder = SCREENSHOTS / name
        shutil.rmtree(folder, ignore_errors=True)  # No stale steps from an earlier run.
        return Journey(page, folder, scripts_disabled=scripts_disabled)

    return start
