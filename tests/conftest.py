from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection

from accounts import roles
from accounts.services import ensure_user
from config.processcache import ProcessCache
from courseware import documents
from courseware.assessment_import import import_assignments, import_checks
from courseware.importing import import_course

from .factories import UserFactory

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "military-diplomacy"
DOCUMENT = FIXTURES / "document.txt"
OUTLINE = FIXTURES / "outline.toml"
CHECKS = FIXTURES / "checks.toml"
ASSIGNMENTS = FIXTURES / "assignments.toml"


def pytest_collection_modifyitems(config, items):
    """Run tests marked `postgres` only on PostgreSQL: they need real parallel connections."""
    if connection.vendor == "postgresql":
        return
    deselected = [item for item in items if item.get_closest_marker("postgres")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if not item.get_closest_marker("postgres")]


def pytest_configure(config):
    config.addinivalue_line("markers", "postgres: needs PostgreSQL (deselected on SQLite)")


@pytest.fixture(autouse=True)
def _fast_hashing_and_clean_cache(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    ProcessCache.clear_all()
    yield
    cache.clear()
    ProcessCache.clear_all()


@pytest.fixture(autouse=True)
def _tasks_run_immediately(settings):
    """Run background tasks in the test's own process; worker tests set their own backend."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def course(db):
    """The real course, imported from the shipped document, outline, checks and assignments."""
    report = import_course(
        document=documents.parse_document(documents.read_file(DOCUMENT)),
        outline=documents.parse_outline(documents.read_file(OUTLINE)),
    )
    import_checks(course=report.course, text=documents.read_file(CHECKS))
    import_assignments(course=report.course, text=documents.read_file(ASSIGNMENTS))
    return report.course


@pytest.fixture
def learner(db):
    return UserFactory(email="learner@example.org", display_name="Lee Learner")


@pytest.fixture
def other_learner(db):
    return UserFactory(email="other@example.org", display_name="Olu Other")


@pytest.fixture
def instructor(db):
    user, _ = ensure_user(
        email="teacher@example.org",
        password="pw",
        display_name="Tess Teacher",
        role=roles.INSTRUCTORS,
    )
    return user


@pytest.fixture
def enrolled_learner(learner, course):
    from courseware.services import enroll_learner

    enroll_learner(learner=learner, course=course)
    return learner
