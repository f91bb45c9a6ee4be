"""What the scenarios ask for, read from the bench database; and the rows a run adds, removed.

Needs Django set up (bench.settings). Every row a run adds belongs to a cohort whose slug
starts with "bench-" or an account at BENCH_DOMAIN, so cleanup() finds them all again.
"""

import base64
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib.auth.hashers import make_password
from django.db.models import Count, Q
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret

from accounts.models import User
from courseware.management.commands.generate_load_data import (
    API_CLIENT_NAME,
    BENCH_INSTRUCTOR,
    BIG_COHORT,
    GRADEBOOK_COHORT,
    LOAD_DOMAIN,
)
from courseware.models import Cohort, Course, Enrollment, LessonProgress, Question
from integrations.models import ApiClient, ClientLearner, IdempotencyKey

BENCH_DOMAIN = f"bench.{LOAD_DOMAIN}"
BENCH_SLUG = "bench-"


@dataclass
class Targets:
    """Paths, ids and credentials for one run."""

    learner_email: str
    instructor_email: str
    client_id: str
    client_secret: str
    course_slug: str
    paths: dict[str, str] = field(default_factory=dict)
    learners: int = 0
    big_cohort_rows: int = 0
    gradebook_learners: int = 0
    gradebook_cohort: int = 0
    bulk_cohort: int = 0
    bulk_users: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def drf_cursor(position) -> str:
    """Return the cursor DRF's CursorPagination puts in `next` after the row at `position`."""
    return base64.b64encode(urlencode({"p": str(position)}).encode("ascii")).decode("ascii")


def _page_query(ids, page: int, size: int, **params) -> tuple[str, int]:
    """Return the query string of a page (a cursor after its predecessor), and its number."""
    count = ids.count()
    page = max(1, min(page, count // size))  # the last full page, when there are fewer
    query = {**params, "page_size": size}
    if page > 1:
        query["cursor"] = drf_cursor(ids[(page - 1) * size - 1])
    return urlencode(query), page


def prepare(*, bulk_users: int) -> Targets:
    """Find the learner, lesson, cohorts and pages to load; give the API client a new secret."""
    cleanup()
    course = Course.objects.get()
    big = Cohort.objects.get(course=course, slug=BIG_COHORT)
    gradebook = Cohort.objects.get(course=course, slug=GRADEBOOK_COHORT)
    learner, lesson = _learner_and_lesson(big)
    client = ApiClient.objects.select_related("application").get(name=API_CLIENT_NAME)
    secret = generate_client_secret()
    client.application.client_secret = secret  # hashed on save, as admin's "rotate" does
    client.application.hash_client_secret = True
    client.application.save()

    targets = Targets(
        learner_email=learner.learner.email,
        instructor_email=BENCH_INSTRUCTOR,
        client_id=client.application.client_id,
        client_secret=secret,
        course_slug=course.slug,
        gradebook_cohort=gradebook.pk,
        gradebook_learners=gradebook.enrollments.current().count(),
        learners=User.objects.filter(email__istartswith="learner")
        .filter(email__iendswith=f"@{LOAD_DOMAIN}")
        .count(),
    )
    paths = targets.paths
    paths["bare"] = reverse("bench-bare")
    paths["login"] = reverse("login")
    paths["token"] = reverse("oauth2-token")
    paths["lesson"] = reverse(
        "courseware:lesson-detail", kwargs={"course_slug": course.slug, "lesson_slug": lesson.slug}
    )
    paths["outline"] = reverse("courseware:course-detail", kwargs={"course_slug": course.slug})
    paths["dashboard"] = reverse("courseware:dashboard")

    ids = Enrollment.objects.filter(cohort=big).order_by("pk").values_list("pk", flat=True)
    targets.big_cohort_rows = ids.count()
    enrollments = reverse("api:enrollment-list")
    cohort_progress = reverse("api:cohort-progress", args=[big.pk])
    for size in (50, 100):
        for page in (1, 1000):
            query, number = _page_query(ids, page, size, cohort=big.pk)
            paths[f"api-list-{size}-{page}"] = f"{enrollments}?{query}"
            if number != page:
                targets.notes.append(f"{size}-row page {page:,} is page {number:,}: too few rows.")
    # What an LMS syncing everything reads: every enrollment of the client's cohorts.
    every = Enrollment.objects.filter(cohort__api_clients=client).order_by("pk")
    for page in (1, 1000):
        query, _ = _page_query(every.values_list("pk", flat=True), page, 100)
        paths[f"api-list-all-{page}"] = f"{enrollments}?{query}"
        query, _ = _page_query(ids, page, 50)
        paths[f"api-cohort-progress-{page}"] = f"{cohort_progress}?{query}"
    paths["api-progress"] = reverse("api:enrollment-progress", args=[learner.pk])

    paths["queue"] = reverse("admin:courseware_submission_changelist") + (
        f"?cohort__id__exact={gradebook.pk}"
    )
    paths["gradebook"] = reverse("admin:courseware_gradebook", args=[gradebook.pk])
    paths["gradebook-50"] = paths["gradebook"] + "?page=50"
    paths["gradebook-csv"] = reverse("admin:courseware_gradebook_csv", args=[gradebook.pk])
    paths["bulk"] = reverse("api:enrollment-bulk")
    if bulk_users:
        _bulk_fixture(targets, client, course, bulk_users)
    return targets


def _learner_and_lesson(big):
    """Return a learner half-way through the big cohort, and a lesson with a check they did."""
    candidates = dict(
        Enrollment.objects.filter(cohort=big, status=Enrollment.Status.ACTIVE)
        .order_by("pk")
        .values_list("learner_id", "pk")[:2000]
    )
    done = (
        LessonProgress.objects.filter(learner__in=candidates, completed_at__isnull=False)
        .values("learner_id")
        .annotate(n=Count("pk"))
        .filter(n__range=(6, 12))
        .order_by("learner_id")
        .first()
    )
    if done is None:
        raise SystemExit("No learner in the big cohort has completed 6 to 12 lessons.")
    enrollment = Enrollment.objects.select_related("learner").get(pk=candidates[done["learner_id"]])
    progress = (
        LessonProgress.objects.filter(
            learner=enrollment.learner_id,
            completed_at__isnull=False,
            lesson__in=Question.objects.values("lesson_id"),
        )
        .select_related("lesson")
        .order_by("-completed_at")
        .first()
    )
    return enrollment, progress.lesson


def _bulk_fixture(targets, client, course, count):
    """Make a cohort and `count` learners the client knows, for the bulk enrollment request."""
    stamp = timezone.now().strftime("%Y%m%d%H%M%S")
    cohort = Cohort.objects.create(
        course=course,
        name=f"Bench: API bulk {stamp}",
        slug=f"{BENCH_SLUG}api-{stamp}",
        join_policy=Cohort.JoinPolicy.INSTRUCTORS,
    )
    client.cohorts.add(cohort)
    unusable = make_password(None)
    users = User.objects.bulk_create(
        [
            User(email=f"api-{stamp}-{n:05d}@{BENCH_DOMAIN}", password=unusable)
            for n in range(count)
        ],
        batch_size=2000,
    )
    ClientLearner.objects.bulk_create(
        [ClientLearner(client=client, user=user) for user in users], batch_size=2000
    )
    targets.bulk_cohort = cohort.pk
    targets.bulk_users = [user.pk for user in users]


def cleanup() -> None:
    """Remove what runs added: bench cohorts with their enrollments, and bench accounts."""
    # Thousands of rows: delete them without writing an audit record for each.
    with override_settings(SIMPLE_HISTORY_ENABLED=False):
        cohorts = Cohort.objects.filter(slug__startswith=BENCH_SLUG)
        cohort_ids = list(cohorts.values_list("pk", flat=True))
        Enrollment.history.filter(cohort_id__in=cohort_ids).delete()
        Enrollment.objects.filter(cohort__in=cohort_ids).delete()
        IdempotencyKey.objects.filter(key__startswith=BENCH_SLUG).delete()
        cohorts.delete()
        accounts = User.objects.filter(email__iendswith=f"@{BENCH_DOMAIN}")
        accounts.delete()
        Course.objects.filter(slug__startswith=BENCH_SLUG).delete()
        for model, bench_rows in (
            (User, Q(email__iendswith=f"@{BENCH_DOMAIN}")),
            (Cohort, Q(slug__startswith=BENCH_SLUG)),
        ):
            history = getattr(model, "history", None)
            if history is not None:
                history.filter(bench_rows).delete()
