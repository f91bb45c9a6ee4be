"""A learner's work on an assignment: drafts, attachments and submitting."""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from integrations import events, tasks

from .. import grading, uploads
from ..models import Assignment, AssignmentSchedule, Enrollment, Extension, Submission


@dataclass(frozen=True)
class AssignmentState:
    """What one learner can do with one assignment right now."""

    assignment: Assignment
    enrollment: Enrollment
    available_at: datetime | None
    deadline: grading.Deadline | None
    submissions: list[Submission]

    @property
    def draft(self) -> Submission | None:
        return next((s for s in self.submissions if s.status == Submission.Status.DRAFT), None)

    @property
    def handed_in(self) -> list[Submission]:
        return [s for s in self.submissions if s.status != Submission.Status.DRAFT]

    @property
    def attempts_left(self) -> int:
        return max(0, self.assignment.max_attempts - len(self.handed_in))

    def is_open(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.available_at is None or now >= self.available_at

    def is_closed(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return bool(self.deadline and self.deadline.cutoff_at and now > self.deadline.cutoff_at)

    def can_write(self, now: datetime | None = None) -> bool:
        return (
            self.enrollment.status == Enrollment.Status.ACTIVE
            and self.attempts_left > 0
            and self.is_open(now)
            and not self.is_closed(now)
        )


def assignment_state(*, assignment: Assignment, enrollment: Enrollment) -> AssignmentState:
    """Return the learner's dates, extension and submissions for the assignment."""
    schedule = AssignmentSchedule.objects.filter(
        assignment=assignment, cohort=enrollment.cohort_id
    ).first()
    extension = Extension.objects.filter(
        assignment=assignment, learner=enrollment.learner_id
    ).first()
    deadline = grading.deadline_for(
        due_at=schedule.due_at if schedule else None,
        extended_to=extension.due_at if extension else None,
        cutoff_days=assignment.hard_cutoff_days,
        tz=enrollment.cohort.timezone,
    )
    submissions = list(
        Submission.objects.filter(assignment=assignment, learner=enrollment.learner_id)
        .select_related("grade")
        .order_by("attempt")
    )
    return AssignmentState(
        assignment=assignment,
        enrollment=enrollment,
        available_at=schedule.available_at if schedule else None,
        deadline=deadline,
        submissions=submissions,
    )


def _writable_state(assignment, enrollment) -> AssignmentState:
    state = assignment_state(assignment=assignment, enrollment=enrollment)
    if not state.is_open():
        raise ValidationError("This assignment is not open yet.")
    if state.is_closed():
        raise ValidationError(
            "Submissions for this assignment closed at the hard cutoff; nothing was saved. "
            "Ask your instructor for an extension."
        )
    if state.attempts_left == 0:
        raise ValidationError("You have used every attempt this assignment allows.")
    if enrollment.status != Enrollment.Status.ACTIVE:
        raise ValidationError("Your enrollment is not active.")
    return state


def _lock_learner(enrollment: Enrollment) -> None:
    # One learner's saves and submits run one at a time, so a double click cannot
    # turn into a second attempt.
    Enrollment.objects.select_for_update().filter(pk=enrollment.pk).first()


def _handed_in_attempt(assignment, enrollment, attempt):
    if attempt is None:
        return None
    return (
        Submission.objects.filter(
            assignment=assignment, learner_id=enrollment.learner_id, attempt=attempt
        )
        .handed_in()
        .first()
    )


@transaction.atomic
def save_draft(
    *,
    assignment: Assignment,
    enrollment: Enrollment,
    body: str,
    attachment: UploadedFile | None = None,
    remove_attachment: bool = False,
    attempt: int | None = None,
) -> Submission:
    """Save the learner's draft for the next attempt, creating it if needed.

    `attempt` is the attempt the learner's page was editing: if it has been submitted
    meanwhile (in another tab, or by a double click), the save is refused.
    """
    _lock_learner(enrollment)
    if _handed_in_attempt(assignment, enrollment, attempt):
        raise ValidationError("This attempt was already submitted; reload the page.")
    state = _writable_state(assignment, enrollment)
    draft = state.draft
    if draft is None:
        draft, _ = Submission.objects.get_or_create(
            assignment=assignment,
            learner_id=enrollment.learner_id,
            status=Submission.Status.DRAFT,
            defaults={"cohort_id": enrollment.cohort_id, "attempt": len(state.handed_in) + 1},
        )
    draft = Submission.objects.select_for_update().get(pk=draft.pk)
    if draft.status != Submission.Status.DRAFT:
        raise ValidationError("This attempt was already submitted.")
    draft.body = body
    draft.word_count = len(body.split())
    draft.cohort_id = enrollment.cohort_id
    if attachment is not None:
        draft.attachment_type = uploads.check_attachment(attachment)
        if draft.attachment:
            draft.attachment.delete(save=False)
        draft.attachment_name = uploads.safe_display_name(attachment.name)
        draft.attachment.save(uploads.stored_name(attachment.name), attachment, save=False)
    elif remove_attachment and draft.attachment:
        draft.attachment.delete(save=False)
        draft.attachment_name = draft.attachment_type = ""
    draft.full_clean()
    draft.save()
    return draft


@transaction.atomic
def submit_work(
    *,
    assignment: Assignment,
    enrollment: Enrollment,
    body: str | None = None,
    attachment: UploadedFile | None = None,
    attempt: int,
) -> Submission:
    """Submit the learner's draft (saving the given text first) as attempt number `attempt`.

    A double submit makes one submission: the second finds that attempt handed in and
    returns the submission the first made.
    """
    _lock_learner(enrollment)
    already = _handed_in_attempt(assignment, enrollment, attempt)
    if already:
        if (body is None or body == already.body) and attachment is None:
            return already  # a double click: the first submit stands
        raise ValidationError(
            f"Attempt {attempt} was already submitted; your new text was not saved. "
            "Reload the page to see what was submitted."
        )
    if body is not None:
        draft = save_draft(
            assignment=assignment, enrollment=enrollment, body=body, attachment=attachment
        )
    else:
        draft = assignment_state(assignment=assignment, enrollment=enrollment).draft
    locked = Submission.objects.select_for_update().filter(pk=draft.pk if draft else None).first()
    if locked is None or locked.status != Submission.Status.DRAFT:
        latest = (
            Submission.objects.filter(assignment=assignment, learner_id=enrollment.learner_id)
            .handed_in()
            .order_by("-attempt")
            .first()
        )
        if latest is None:
            raise ValidationError("There is nothing to submit yet.")
        return latest
    if not locked.body.strip() and not locked.attachment:
        raise ValidationError({"body": "Write your answer or attach a file before submitting."})
    state = _writable_state(assignment, enrollment)
    now = timezone.now()
    locked.status = Submission.Status.SUBMITTED
    locked.submitted_at = now
    if state.deadline:
        locked.due_at = state.deadline.due_at
        locked.days_late = grading.days_late(
            submitted_at=now, due_at=state.deadline.due_at, tz=enrollment.cohort.timezone
        )
        locked.penalty_percent = grading.late_penalty_percent(
            days=locked.days_late,
            per_day=assignment.late_percent_per_day,
            cap=assignment.late_cap_percent,
        )
    locked.save()
    events.record_submission(submission=locked)
    # robust: a queue that is down must not turn a submitted attempt into an error page.
    transaction.on_commit(
        lambda: tasks.send_submission_received.enqueue(submission_id=locked.pk), robust=True
    )
    return locked
