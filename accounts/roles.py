"""The three roles, kept as Django groups so admins can see and change them."""

LEARNERS = "Learners"
INSTRUCTORS = "Instructors"
STAFF = "Staff"

# What an instructor may do in the admin: run cohorts and grade (later issues add models).
INSTRUCTOR_PERMISSIONS = {
    "courseware": [
        "view_course",
        "view_module",
        "view_lesson",
        "view_cohort",
        "change_cohort",
        "view_enrollment",
        "add_enrollment",
        "change_enrollment",
        "view_lessonprogress",
        # Grading: change a submission's grade and dates; read the assessment content.
        "view_submission",
        "change_submission",
        "view_grade",
        "change_grade",
        "view_historicalgrade",
        "view_assignmentschedule",
        "change_assignmentschedule",
        "view_extension",
        "change_extension",
        "view_assignment",
        "view_rubriccriterion",
        "view_rubriclevel",
        "view_checkattempt",
        "view_question",
        "view_choice",
    ],
}

# Staff run the course itself: content and cohorts.
STAFF_PERMISSIONS = {
    "courseware": [
        f"{action}_{model}"
        for model in ("course", "module", "lesson", "cohort", "enrollment")
        for action in ("add", "change", "delete", "view")
    ]
    + ["view_lessonprogress"],
    "accounts": ["add_user", "change_user", "view_user"],
}


def sees_every_cohort(user) -> bool:
    """Return whether the user runs the whole course (superuser or Staff), not just own cohorts."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    return user.is_superuser or user.groups.filter(name=STAFF).exists()
