"""LTI work for the task worker: score passback and roster syncs."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from ..models import Cohort, LtiLogin
from . import roster, scores


@task()
def send_score(post_id: int) -> str:
    return scores.send(post_id)


@task()
def sync_roster(cohort_id: int) -> str:
    cohort = Cohort.objects.select_related("lti_context__deployment__registration").get(
        pk=cohort_id
    )
    return str(roster.sync_roster(cohort=cohort))


def queue_due_work() -> int:
    """Queue lost score posts and the roster syncs that are due; return how many."""
    post_ids = scores.due_score_post_ids()
    for post_id in post_ids:
        send_score.enqueue(post_id)
    every = timedelta(hours=settings.LTI_ROSTER_SYNC_HOURS)
    due = (
        Cohort.objects.filter(lti_context__isnull=False)
        .exclude(lti_context__memberships_url="")
        .filter(Q(roster_synced_at__isnull=True) | Q(roster_synced_at__lte=timezone.now() - every))
    )
    cohort_ids = list(due.values_list("pk", flat=True)[:100])
    # Marked now so the next pass does not queue them again while they run.
    Cohort.objects.filter(pk__in=cohort_ids).update(roster_synced_at=timezone.now())
    for cohort_id in cohort_ids:
        sync_roster.enqueue(cohort_id)
    # Logins older than a day can no longer be used (LOGIN_LIFETIME) nor replayed.
    LtiLogin.objects.filter(created_at__lt=timezone.now() - timedelta(days=1)).delete()
    return len(post_ids) + len(cohort_ids)
