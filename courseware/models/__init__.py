from .assignments import Assignment, AssignmentSchedule, Extension, RubricCriterion, RubricLevel
from .checks import CheckAttempt, Choice, Question
from .course import Course, Lesson, Module
from .enrollment import Cohort, Enrollment, LessonProgress
from .submissions import Grade, Submission

__all__ = [
    "Assignment",
    "AssignmentSchedule",
    "CheckAttempt",
    "Choice",
    "Cohort",
    "Course",
    "Enrollment",
    "Extension",
    "Grade",
    "Lesson",
    "LessonProgress",
    "Module",
    "Question",
    "RubricCriterion",
    "RubricLevel",
    "Submission",
]
