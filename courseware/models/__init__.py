from .assignments import Assignment, AssignmentSchedule, Extension, RubricCriterion, RubricLevel
from .checks import CheckAttempt, Choice, Question
from .course import Course, Lesson, Module
from .enrollment import Cohort, Enrollment, LessonProgress
from .lti import FrameAncestor, LinkedResource, LtiLogin, ScorePost
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
    "FrameAncestor",
    "Grade",
    "Lesson",
    "LessonProgress",
    "LinkedResource",
    "LtiLogin",
    "Module",
    "Question",
    "RubricCriterion",
    "RubricLevel",
    "ScorePost",
    "Submission",
]
