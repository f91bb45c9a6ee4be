"""One world of two cohorts, built once per module, and a request as each role.

Building the world costs far more than a request, and the matrix makes thousands of them, so
the world is made once inside a module-wide transaction: every test then runs in its own
savepoint (pytest-django's `db`), which rolls back whatever the request wrote, and the
module's transaction is rolled back at the end.
"""

import secrets
from datetime import timedelta
from types import SimpleNamespace

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client, override_settings
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tasks_db.models import DBTaskResult
from lti_tool.models import LtiContext, LtiDeployment, LtiRegistration
from oauth2_provider.models import AccessToken

from accounts import roles
from accounts.models import User
from accounts.services import ensure_user
from courseware.models import Choice, LessonProgress, ScorePost
from courseware.services import enroll_learner, grade_submission, schedule_cohort
from courseware.services.progress import record_lesson_visit
from integrations.models import Delivery, Event, WebhookEndpoint
from integrations.scopes import SCOPES

from ..api.conftest import create_api_client, request_token
from ..factories import (
    AssignmentFactory,
    CheckAttemptFactory,
    CohortFactory,
    CourseFactory,
    LessonFactory,
    ModuleFactory,
    QuestionFactory,
    RubricCriterionFactory,
    RubricLevelFactory,
    SubmissionFactory,
    UserFactory,
)

SESSION_ROLES = (
    "learner",
    "other_learner",
    "instructor",
    "other_instructor",
    "staff",
    "superuser",
)
SCOPE_ROLES = tuple(f"client_{scope}" for scope in sorted(SCOPES))
TOKEN_ROLES = ("client_without_scope", *SCOPE_ROLES, "client_every_scope")
CLIENT_ROLES = ("client_without_token", *TOKEN_ROLES)
ROLES = ("anonymous", *SESSION_ROLES, *CLIENT_ROLES)


def _instructor(email, cohort):
    user, _ = ensure_user(email=email, password="pw", display_name=email, role=roles.INSTRUCTORS)
    cohort.instructors.add(user)
    return user


def _learner_work(*, learner, cohort, course, lesson, assignment, criterion, level, grader):
    """Enroll the learner and give them progress, a check result, a graded submission."""
    enrollment, _ = enroll_learner(learner=learner, course=course, cohort=cohort, source="admin")
    record_lesson_visit(learner=learner, lesson=lesson)
    check = CheckAttemptFactory(learner=learner, lesson=lesson, score=1, max_score=1, percent=100)
    submission = SubmissionFactory(
        assignment=assignment,
        learner=learner,
        cohort=cohort,
        attachment_name="essay.txt",
        attachment_type="text/plain",
    )
    submission.attachment.save("essay.txt", ContentFile(b"An essay on soft power."), save=True)
    grade = grade_submission(
        submission=submission, grader=grader, levels={criterion.pk: level.pk}, release=True
    )
    return SimpleNamespace(
        learner=learner,
        cohort=cohort,
        enrollment=enrollment,
        progress=LessonProgress.objects.get(learner=learner, lesson=lesson),
        check=check,
        submission=submission,
        grade=grade,
        historical_enrollment=enrollment.history.latest("history_date"),
        historical_grade=grade.history.latest("history_date"),
    )


def _build_world():
    course = CourseFactory(title="Military Diplomacy", slug="military-diplomacy")
    module = ModuleFactory(course=course)
    lesson = LessonFactory(module=module, slug="soft-power", is_preview=False)
    question = QuestionFactory(lesson=lesson)
    Choice.objects.create(question=question, text="Yes", is_correct=True, position=1)
    Choice.objects.create(question=question, text="No", position=2)
    assignment = AssignmentFactory(course=course, slug="case-study", title="Case study")
    assignment.lessons.add(lesson)
    criterion = RubricCriterionFactory(assignment=assignment, title="Argument")
    level = RubricLevelFactory(criterion=criterion, title="Convincing", points=8)
    cohort = CohortFactory(course=course, name="Spring", slug="spring", is_default=True)
    other_cohort = CohortFactory(course=course, name="Autumn", slug="autumn", is_default=False)
    for each in (cohort, other_cohort):
        schedule_cohort(cohort=each)

    instructor = _instructor("instructor@example.org", cohort)
    other_instructor = _instructor("other-instructor@example.org", other_cohort)
    staff, _ = ensure_user(
        email="staff@example.org", password="pw", display_name="Staff", role=roles.STAFF
    )
    superuser = User.objects.create_superuser(email="root@example.org", password="pw")
    learner = UserFactory(email="learner@example.org")
    other_learner = UserFactory(email="other-learner@example.org")
    shared = {
        "course": course,
        "lesson": lesson,
        "assignment": assignment,
        "criterion": criterion,
        "level": level,
    }
    ours = _learner_work(learner=learner, cohort=cohort, grader=instructor, **shared)
    theirs = _learner_work(
        learner=other_learner, cohort=other_cohort, grader=other_instructor, **shared
    )

    # API clients: one per scope, each granted cohort A, and one whose token carries no
    # scope at all (the token endpoint never issues one; the API must refuse it anyway).
    tokens = {}
    for scope in sorted(SCOPES):
        credentials = create_api_client(name=f"LMS {scope}", scopes=[scope], cohorts=[cohort])
        response = request_token(credentials)
        assert response.status_code == 200, response.content
        tokens[f"client_{scope}"] = response.json()["access_token"]
    scopeless = create_api_client(name="LMS without scope", scopes=[], cohorts=[cohort])
    tokens["client_without_scope"] = AccessToken.objects.create(
        application=scopeless.api_client.application,
        token=secrets.token_urlsafe(30),
        expires=timezone.now() + timedelta(hours=1),
        scope="",
    ).token
    ours_client = create_api_client(name="Our LMS", scopes=sorted(SCOPES), cohorts=[cohort])
    tokens["client_every_scope"] = request_token(ours_client).json()["access_token"]
    rival = create_api_client(name="Their LMS", scopes=sorted(SCOPES), cohorts=[other_cohort])
    rival_token = request_token(rival).json()["access_token"]

    endpoint = WebhookEndpoint.objects.create(
        client=ours_client.api_client,
        url="https://lms.example.org/hooks",
        events=["grade.released"],
    )
    event = Event.objects.create(
        type="grade.released", occurred_at=timezone.now(), cohort=cohort, data={}
    )
    delivery = Delivery.objects.create(
        event=event, endpoint=endpoint, next_attempt_at=timezone.now()
    )

    registration = LtiRegistration.objects.create(
        name="Campus Moodle",
        issuer="https://lms.example.org",
        client_id="tool-client",
        auth_url="https://lms.example.org/auth",
        token_url="https://lms.example.org/token",
        keyset_url="https://lms.example.org/jwks",
    )
    deployment = LtiDeployment.objects.create(
        registration=registration, deployment_id="deployment-1", is_active=True
    )
    context = LtiContext.objects.create(deployment=deployment, id_on_platform="course-1")
    score_post = ScorePost.objects.create(
        context=context,
        learner=learner,
        resource_id=f"assignment:{assignment.slug}",
        label=assignment.title,
        lti_user_id="moodle-learner",
        score_given=8,
        score_maximum=8,
        scored_at=timezone.now(),
    )
    task_result = DBTaskResult.objects.create(
        status="SUCCESSFUL",
        args_kwargs={"args": [], "kwargs": {}},
        task_path="integrations.tasks.deliver",
        queue_name="default",
        backend_name="default",
        run_after=timezone.now(),
        exception_class_path="",
        traceback="",
    )

    # Not a user who signs in below: a successful sign-in clears that user's failed attempts.
    access = {"user_agent": "pytest", "ip_address": "192.0.2.1", "username": "intruder@example.org"}
    access.update(http_accept="text/html", path_info="/accounts/login/")
    access_attempt = AccessAttempt.objects.create(
        get_data="", post_data="", failures_since_start=1, **access
    )
    access_failure = AccessFailureLog.objects.create(**access)
    access_log = AccessLog.objects.create(**access)

    users = {
        "learner": learner,
        "other_learner": other_learner,
        "instructor": instructor,
        "other_instructor": other_instructor,
        "staff": staff,
        "superuser": superuser,
    }
    sessions = {}
    for role, user in users.items():
        client = Client()
        client.force_login(user, backend="accounts.backends.UserBackend")
        sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
    # After the logins: a reset token is bound to the last login time.
    reset = {
        "uidb64": urlsafe_base64_encode(force_bytes(learner.pk)),
        "token": default_token_generator.make_token(User.objects.get(pk=learner.pk)),
    }
    return SimpleNamespace(
        course=course,
        module=module,
        lesson=lesson,
        question=question,
        assignment=assignment,
        criterion=criterion,
        cohort=cohort,
        other_cohort=other_cohort,
        users=users,
        ours=ours,
        theirs=theirs,
        sessions=sessions,
        tokens=tokens,
        rival_token=rival_token,
        api_client=ours_client.api_client,
        delivery=delivery,
        registration=registration,
        score_post=score_post,
        task_result=task_result,
        learners_group=Group.objects.get(name=roles.LEARNERS),
        access_attempt=access_attempt,
        access_failure=access_failure,
        access_log=access_log,
        history={
            "courseware.enrollment": ours.historical_enrollment,
            "courseware.grade": ours.historical_grade,
            "courseware.cohort": cohort.history.latest("history_date"),
            "accounts.user": learner.history.latest("history_date"),
            "integrations.apiclient": ours_client.api_client.history.latest("history_date"),
            "lti_tool.ltiregistration": registration.history.latest("history_date"),
        },
        reset=reset,
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The two cohorts, their people and work; rolled back when the module ends."""
    overrides = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        TASKS={"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
        MEDIA_ROOT=tmp_path_factory.mktemp("media"),
    )
    with django_db_blocker.unblock(), overrides:
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield _build_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture(scope="module")
def _client():
    # One client for the module: a new one loads the middleware again, and WhiteNoise's
    # scan of the static files costs more than the request itself.
    return Client(raise_request_exception=False)


@pytest.fixture
def as_role(world, db, _client):
    """Return a function making one request as a role, carrying only that role's credentials."""

    def request(role, method, url, *, data=None, json=False, **extra):
        _client.cookies.clear()
        if role in world.sessions:
            _client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
        if role in world.tokens:
            extra["HTTP_AUTHORIZATION"] = f"Bearer {world.tokens[role]}"
        elif role == "rival_client":
            extra["HTTP_AUTHORIZATION"] = f"Bearer {world.rival_token}"
        send = getattr(_client, method.lower())
        if method == "GET":
            return send(url, data or {}, **extra)
        if json:
            return send(url, data or {}, content_type="application/json", **extra)
        if method == "POST":
            return send(url, data or {}, **extra)
        return send(url, "", content_type="application/x-www-form-urlencoded", **extra)

    return request
