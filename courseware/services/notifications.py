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
    """Tell each learner that a grade is ready to read."""
    messages = []
    for grade in Grade.objects.filter(pk__in=grade_ids).select_related(
        "submission__learner", "submission__assignment__course"
    ):
        submission = grade.submission
        assignment = submission.assignment
        link = _site_url(
            reverse(
                "courseware:assignment-detail",
                kwargs={"course_slug": assignment.course.slug, "assignment_slug": assignment.slug},
            )
        )
        messages.append(
            (
                f"Your grade for {assignment.title}",
                f"Hello {submission.learner.get_short_name()},\n\n"
                f"Your work on “{assignment.title}” has been graded. "
                f"Read your score and feedback here: {link}\n",
                None,
                [submission.learner.email],
            )
        )
    if messages:
        send_mass_mail(messages, fail_silently=False)
