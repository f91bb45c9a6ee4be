from .assessment import assignment_detail, grades, lesson_check, submission_attachment
from .lessons import (
    CatalogView,
    DashboardView,
    complete_lesson,
    course_detail,
    course_search,
    enroll,
    lesson_detail,
)

__all__ = [
    "CatalogView",
    "DashboardView",
    "assignment_detail",
    "complete_lesson",
    "course_detail",
    "course_search",
    "enroll",
    "grades",
    "lesson_check",
    "lesson_detail",
    "submission_attachment",
]
