"""Admin for the course: content, cohorts and enrollments, grading."""

from . import cohorts, content, grading, lti  # noqa: F401 - importing registers the ModelAdmins.
