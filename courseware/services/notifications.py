"""Emails to learners and instructors, sent after the change that causes them has committed."""

from django.conf import settings
from django.core.mail import send_mass_mail
from django.urls import reverse

from ..models import Grade, Submission


def _site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def submission_received(*, submission_id: int) -> None:
    """Tell the cohort's instructors that a submission arrived."""
    submission = (
        Submission.objects.select_related("assignment", "learner", "cohort")
        .filter(pk=submission_id)
        .first()
    )
    if submission is None:
        return
    recipients = list(
        submission.cohort.instructors.filter(is_active=True).values_list("email", flat=True)
    )
    if not recipients:
        return
    link = _site_url(reverse("admin:courseware_submission_grade", args=[submission.pk]))
    subject = f"New submission: {submission.assignment.title}"
    body = (
        f"{submission.learner} submitted attempt {submission.attempt} of "
        f"“{submission.assignment.title}” in {submission.cohort.name}"
        f"{' (late)' if submission.is_late else ''}.\n\nGrade it: {link}\n"
    )
    send_mass_mail([(subject, body, None, [email]) for email in recipients], fail_silently=False)


def grades_released(*, grade_ids: list[int]) -> None:
    """Tell each learner, in one email, which of their grades are ready to read."""
    by_learner = {}
    for grade in Grade.objects.filter(pk__in=grade_ids).select_related(
        "submission__learner", "submission__assignment__course"
    ):
        by_learner.setdefault(grade.submission.learner, []).append(grade.submission.assignment)
    messages = []
    for learner, assignments in by_learner.items():
        lines = "\n".join(
            f"- {assignment.title}: "
            + _site_url(
                reverse(
                    "courseware:assignment-detail",
                    kwargs={
                        "course_slug": assignment.course.slug,
                        "assignment_slug": assignment.slug,
                    },
                )
            )
            for assignment in dict.fromkeys(assignments)
        )
        subject = (
            f"Your grade for {assignments[0].title}"
            if len(set(assignments)) == 1
            else f"{len(set(assignments))} grades are ready"
        )
        messages.append(
            (
                subject,
                f"Hello {learner.get_short_name()},\n\nYour work has been graded. "
                f"Read your score and feedback here:\n{lines}\n",
                None,
                [learner.email],
            )
        )
    if messages:
        send_mass_mail(messages, fail_silently=False)
