"""Admin for the course: content, cohorts and enrollments, grading."""

from . import cohorts, content, grading  # noqa: F401 - importing registers the ModelAdmins.
