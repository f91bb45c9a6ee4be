"""Writes that span models: each validates, runs in a transaction and schedules side effects."""

from .checks import submit_check
from .enrollment import drop_enrollments, enroll_learner, enroll_learners, move_enrollments
from .grading import GradeConflict, grade_submission, release_grades
from .progress import complete_lesson, record_lesson_visit
from .schedules import extend_due_date, schedule_cohort
from .submissions import assignment_state, save_draft, submit_work

__all__ = [
    "GradeConflict",
    "assignment_state",
    "complete_lesson",
    "drop_enrollments",
    "enroll_learner",
    "enroll_learners",
    "extend_due_date",
    "grade_submission",
    "move_enrollments",
    "record_lesson_visit",
    "release_grades",
    "save_draft",
    "schedule_cohort",
    "submit_check",
    "submit_work",
]
