"""AGS grade passback: released grades and knowledge-check scores go to the platform.

Scores are written to `ScorePost` in the transaction that changes them (so none is lost
if the queue is down), then sent by the task worker: the line item is found or created,
the score posted as application/vnd.ims.lis.v1.score+json, failures retried with backoff.
Unreleased grades are never recorded, so never sent.
"""

import logging
from datetime import timedelta
from decimal import Decimal
from functools import partial
from urllib.parse import urlsplit, urlunsplit

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from lti_tool.models import LtiContext, LtiLineItem

from accounts.services import lti_subjects_for
from integrations.tasks import backoff, max_attempts

from ..models import CheckAttempt, Grade, LinkedResource, ScorePost
from . import claims
from .http import PlatformError
from .platform import PlatformClient

logger = logging.getLogger(__name__)

SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
LINE_ITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LINE_ITEMS_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
LEASE = timedelta(minutes=2)


def record_released_grades(*, grade_ids: list[int]) -> list[int]:
    """Queue each released grade for the platforms of the learners' LMS cohorts."""
    grades = Grade.objects.filter(pk__in=grade_ids, released_at__isnull=False).select_related(
        "submission__assignment",
        "submission__learner",
        "submission__cohort__lti_context__deployment__registration",
    )
    grades = [
        grade
        for grade in grades
        if grade.submission.cohort.lti_context_id
        and grade.submission.cohort.lti_context.can_publish_scores
    ]
    # Each LMS course's resource links and each platform's subjects, read once, not per grade.
    links = {
        (link.resource_link.context_id, link.assignment_id): link
        for link in LinkedResource.objects.filter(
            resource_link__context__in={g.submission.cohort.lti_context_id for g in grades},
            assignment__isnull=False,
        ).select_related("resource_link")
    }
    subjects = {}
    for grade in grades:
        issuer = grade.submission.cohort.lti_context.deployment.registration.issuer
        subjects.setdefault(issuer, set()).add(grade.submission.learner_id)
    subjects = {
        issuer: lti_subjects_for(issuer=issuer, users=list(users))
        for issuer, users in subjects.items()
    }
    posts = []
    for grade in grades:
        submission = grade.submission
        context = submission.cohort.lti_context
        assignment = submission.assignment
        link = links.get((context.pk, assignment.pk))
        issuer = context.deployment.registration.issuer
        posts.append(
            _record(
                context=context,
                learner=submission.learner,
                subject=subjects[issuer].get(submission.learner_id),
                resource_id=f"assignment:{assignment.slug}",
                label=assignment.title,
                resource_link=link.resource_link if link else None,
                score_given=grade.score,
                score_maximum=grade.points_possible,
                comment=grade.feedback[:1000],
                submitted_at=submission.submitted_at,
            )
        )
    return _queue([post for post in posts if post])


def record_check_score(*, learner, lesson) -> list[int]:
    """Queue the learner's best knowledge-check percent for lessons the LMS graded.

    Only resource links to this lesson whose launch named a line item (the LMS made the
    activity graded) receive check scores.
    """
    links = (
        LinkedResource.objects.filter(
            lesson=lesson,
            resource_link__context__cohort__enrollments__learner=learner,
            resource_link__context__can_publish_scores=True,
        )
        .exclude(line_item_url="")
        .select_related("resource_link__context__deployment__registration")
        .distinct()
    )
    if not links:
        return []
    best = CheckAttempt.objects.filter(learner=learner, lesson=lesson).order_by("-percent").first()
    if best is None:
        return []
    posts = [
        _record(
            context=link.resource_link.context,
            learner=learner,
            subject=lti_subjects_for(
                issuer=link.resource_link.context.deployment.registration.issuer, users=[learner]
            ).get(learner.pk),
            resource_id=f"lesson:{lesson.slug}",
            label=f"Knowledge check: {lesson.title}",
            resource_link=link.resource_link,
            score_given=Decimal(best.percent),
            score_maximum=Decimal(100),
            comment="",
            submitted_at=best.created_at,
        )
        for link in links
    ]
    return _queue([post for post in posts if post])


def _record(
    *,
    context: LtiContext,
    learner,
    subject: str | None,
    resource_id,
    label,
    resource_link,
    score_given,
    score_maximum,
    comment,
    submitted_at,
) -> int | None:
    if subject is None:
        return None  # The platform does not know this learner.
    values = {
        "label": label[:255],
        "resource_link": resource_link,
        "lti_user_id": subject,
        "score_given": score_given,
        "score_maximum": score_maximum,
        "comment": comment,
        "activity_progress": "Completed",
        "grading_progress": "FullyGraded",
        "scored_at": timezone.now(),
        "submitted_at": submitted_at,
        "status": ScorePost.Status.PENDING,
        "attempts": 0,
        "next_attempt_at": timezone.now(),
        "locked_until": None,
        "last_error": "",
    }
    updated = ScorePost.objects.filter(
        context=context, resource_id=resource_id, learner=learner
    ).update(revision=F("revision") + 1, **values)
    if updated:
        return ScorePost.objects.get(context=context, resource_id=resource_id, learner=learner).pk
    return ScorePost.objects.create(
        context=context, resource_id=resource_id, learner=learner, **values
    ).pk


def _queue(post_ids: list[int]) -> list[int]:
    from .tasks import send_score

    for post_id in post_ids:
        transaction.on_commit(partial(send_score.enqueue, post_id), robust=True)
    return post_ids


def send(post_id: int) -> str:
    """Send the score once if it is due and not leased; record the outcome."""
    post = _claim(post_id)
    if post is None:
        return "not due"
    try:
        client = PlatformClient(post.context.deployment.registration)
        line_item = _line_item(client, post)
        client.request(
            "POST",
            _scores_url(line_item.url),
            scopes=[claims.AGS_SCORE],
            json=score_body(post),
            headers={"Content-Type": SCORE_TYPE},
        )
    except PlatformError as error:
        if error.status_code == 404:
            # The line item was deleted in the LMS: make a new one next time.
            LtiLineItem.objects.filter(context=post.context, resource_id=post.resource_id).delete()
            LinkedResource.objects.filter(resource_link=post.resource_link_id).update(
                line_item_url=""
            )
        return _failed(post, str(error))
    sent = ScorePost.objects.filter(pk=post.pk, revision=post.revision).update(
        status=ScorePost.Status.SENT, sent_at=timezone.now(), locked_until=None, last_error=""
    )
    return "sent" if sent else "superseded"


def _claim(post_id: int) -> ScorePost | None:
    now = timezone.now()
    with transaction.atomic():
        rows = ScorePost.objects.due(now).filter(pk=post_id)
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True, of=("self",))
        post = rows.first()
        if post is None:
            return None
        post.attempts += 1
        post.locked_until = now + LEASE
        post.save(update_fields=["attempts", "locked_until", "updated_at"])
    return ScorePost.objects.select_related(
        "context__deployment__registration", "resource_link", "learner"
    ).get(pk=post.pk)


def _failed(post: ScorePost, error: str) -> str:
    logger.warning("LTI score post %s failed: %s", post.pk, error)
    mine = ScorePost.objects.filter(
        pk=post.pk, revision=post.revision, status=ScorePost.Status.PENDING
    )
    if post.attempts >= max_attempts():
        mine.update(status=ScorePost.Status.FAILED, last_error=error, locked_until=None)
        return "failed"
    retry_at = timezone.now() + backoff(post.attempts)
    if mine.update(next_attempt_at=retry_at, last_error=error, locked_until=None):
        from .tasks import send_score

        if send_score.get_backend().supports_defer:
            try:
                send_score.using(run_after=retry_at).enqueue(post.pk)
            except Exception:
                logger.exception("Could not queue the retry of score post %s", post.pk)
    return "retrying"


def score_body(post: ScorePost) -> dict:
    """The AGS score, with the learner's real submission time (AGS and Canvas's extension),
    so a later grade does not make the work look late in the LMS."""
    body = {
        "userId": post.lti_user_id,
        "scoreGiven": float(post.score_given),
        "scoreMaximum": float(post.score_maximum),
        "activityProgress": post.activity_progress,
        "gradingProgress": post.grading_progress,
        "timestamp": post.scored_at.isoformat(),
    }
    if post.comment:
        body["comment"] = post.comment
    if post.submitted_at:
        submitted = post.submitted_at.isoformat()
        body["submission"] = {"submittedAt": submitted}
        body["https://canvas.instructure.com/lti/submission"] = {"submitted_at": submitted}
    return body


def _line_item(client: PlatformClient, post: ScorePost) -> LtiLineItem:
    """The platform's line item for the resource: named by the launch, known, found by
    resourceId, or created."""
    known = LtiLineItem.objects.filter(context=post.context, resource_id=post.resource_id).first()
    if known:
        return known
    link = (
        LinkedResource.objects.filter(resource_link=post.resource_link_id).first()
        if post.resource_link_id
        else None
    )
    url = link.line_item_url if link else ""
    context = post.context
    if not url:
        if not context.lineitems_url:
            raise PlatformError("The LMS course gave no line items endpoint.")
        found = _find_line_item(client, context, post)
        url = found or _create_line_item(client, context, post)
    line_item, _ = LtiLineItem.objects.update_or_create(
        url=url,
        defaults={
            "context": context,
            "maximum_score": float(post.score_maximum),
            "label": post.label,
            "resource_id": post.resource_id,
            "resource_link": post.resource_link,
        },
    )
    return line_item


def _find_line_item(client, context, post) -> str:
    query = {"resource_id": post.resource_id}
    for page in client.get_pages(
        _with_query(context.lineitems_url, query),
        scopes=[claims.AGS_LINEITEM],
        accept=LINE_ITEMS_TYPE,
    ):
        for item in page if isinstance(page, list) else []:
            if item.get("resourceId") == post.resource_id and item.get("id"):
                return item["id"]
    return ""


def _create_line_item(client, context, post) -> str:
    body = {
        "scoreMaximum": float(post.score_maximum),
        "label": post.label,
        "resourceId": post.resource_id,
        "tag": "case-study" if post.resource_id.startswith("assignment:") else "knowledge-check",
    }
    if post.resource_link_id:
        body["resourceLinkId"] = post.resource_link.id_on_platform
    response = client.request(
        "POST",
        context.lineitems_url,
        scopes=[claims.AGS_LINEITEM],
        json=body,
        headers={"Content-Type": LINE_ITEM_TYPE, "Accept": LINE_ITEM_TYPE},
    )
    try:
        return response.json()["id"]
    except (ValueError, KeyError, TypeError) as error:
        raise PlatformError("The platform did not say where the new line item is.") from error


def _scores_url(line_item_url: str) -> str:
    """The line item URL with /scores on its path, keeping its query (Moodle's line item
    URLs carry ?type_id=…)."""
    parts = urlsplit(line_item_url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "/scores"))


def _with_query(url: str, params: dict) -> str:
    from urllib.parse import urlencode

    parts = urlsplit(url)
    query = "&".join(filter(None, [parts.query, urlencode(params)]))
    return urlunsplit(parts._replace(query=query))


def retry(posts) -> int:
    """Send these score posts again with a fresh set of attempts."""
    ids = list(posts.values_list("pk", flat=True))
    ScorePost.objects.filter(pk__in=ids).update(
        status=ScorePost.Status.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        locked_until=None,
    )
    return len(_queue(ids))


def due_score_post_ids(limit: int = 1000) -> list[int]:
    """Pending posts that are due and unleased, untouched for a while: lost tasks."""
    settled = timezone.now() - timedelta(minutes=5)
    return list(
        ScorePost.objects.due().filter(updated_at__lte=settled).values_list("pk", flat=True)[:limit]
    )
