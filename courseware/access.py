"""Who may open what in a course: the one place that decides it."""

from dataclasses import dataclass

from .models import Course, Enrollment


@dataclass(frozen=True)
class CourseAccess:
    """What one user may do in one course, worked out once per request."""

    enrollment: Enrollment | None
    is_previewer: bool

    @property
    def is_enrolled(self) -> bool:
        return self.enrollment is not None

    @property
    def is_preview_mode(self) -> bool:
        # Staff and instructors read without enrolling, and leave no progress behind.
        return self.is_previewer and not self.is_enrolled

    def can_open(self, lesson) -> bool:
        return lesson.is_preview or self.is_enrolled or self.is_previewer


def course_access(user, course: Course) -> CourseAccess:
    """Return the user's access to the course: their enrollment, or a staff preview."""
    if not user.is_authenticated:
        return CourseAccess(enrollment=None, is_previewer=False)
    enrollment = (
        Enrollment.objects.current()
        .filter(learner=user, course=course)
        .select_related("cohort")
        .first()
    )
    # Instructors sign into the admin, so they are staff too.
    return CourseAccess(enrollment=enrollment, is_previewer=user.is_staff)
