"""API fixtures: real OAuth 2.0 clients, tokens from the real token endpoint, and scoped data."""

import base64
import secrets
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.test import Client
from oauth2_provider.models import Application
from rest_framework.test import APIClient

from courseware.services import grade_submission
from integrations.models import ApiClient
from integrations.scopes import SCOPES

from ..factories import (
    AssignmentFactory,
    CheckAttemptFactory,
    CohortFactory,
    EnrollmentFactory,
    GradeFactory,
    LessonFactory,
    RubricCriterionFactory,
    RubricLevelFactory,
    SubmissionFactory,
    UserFactory,
)

ALL_SCOPES = sorted(SCOPES)
TOKEN_URL = "/o/token/"
PROBLEM = "application/problem+json"


@dataclass
class Credentials:
    api_client: ApiClient
    client_id: str
    client_secret: str


def create_api_client(*, name="Campus LMS", scopes=ALL_SCOPES, cohorts=(), is_active=True):
    """Create an ApiClient over a confidential client-credentials Application; keep the secret."""
    secret = secrets.token_hex(24)
    application = Application.objects.create(
        name=name,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,
    )
    api_client = ApiClient.objects.create(
        application=application, name=name, scopes=list(scopes), is_active=is_active
    )
    api_client.cohorts.set(cohorts)
    return Credentials(api_client, application.client_id, secret)


def request_token(credentials, *, scope=None, secret=None):
    """POST to the real token endpoint with HTTP Basic client authentication."""
    data = {"grant_type": "client_credentials"}
    if scope is not None:
        data["scope"] = scope
    pair = f"{credentials.client_id}:{secret or credentials.client_secret}"
    basic = base64.b64encode(pair.encode()).decode()
    return Client().post(TOKEN_URL, data, HTTP_AUTHORIZATION=f"Basic {basic}")


def bearer(access_token, **defaults):
    api = APIClient(**defaults)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token}")
    api.access_token = access_token
    return api


def connect(credentials, *, scope=None):
    """Return an APIClient carrying a token the token endpoint issued to these credentials."""
    response = request_token(credentials, scope=scope)
    assert response.status_code == 200, response.content
    api = bearer(response.json()["access_token"])
    api.api_client = credentials.api_client
    return api


def connect_new(*, name="Campus LMS", scopes=ALL_SCOPES, cohorts=()):
    return connect(create_api_client(name=name, scopes=scopes, cohorts=cohorts))


def ids(response):
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def cohort(db):
    return CohortFactory(name="Spring cohort", slug="spring")


@pytest.fixture
def rival_cohort(cohort):
    """A cohort of the same course, granted to another client."""
    return CohortFactory(
        course=cohort.course, name="Autumn cohort", slug="autumn", is_default=False
    )


@pytest.fixture
def lms(cohort):
    """A client with every scope, granted the Spring cohort."""
    return connect_new(name="Our LMS", cohorts=[cohort])


@pytest.fixture
def rival(rival_cohort):
    """Another client with every scope, granted only the Autumn cohort."""
    return connect_new(name="Their LMS", cohorts=[rival_cohort])


@pytest.fixture
def grader(db):
    return UserFactory(email="grader@example.org", is_staff=True)


def populate(*, cohort, lesson, assignment, criterion, level, grader, email):
    """Give the cohort one learner with an enrollment, a released grade and a check result."""
    learner = UserFactory(email=email)
    enrollment = EnrollmentFactory(learner=learner, cohort=cohort)
    submission = SubmissionFactory(assignment=assignment, learner=learner, cohort=cohort)
    grade = grade_submission(
        submission=submission, grader=grader, levels={criterion.pk: level.pk}, release=True
    )
    check = CheckAttemptFactory(learner=learner, lesson=lesson, score=2, max_score=3, percent=67)
    return SimpleNamespace(
        cohort=cohort,
        learner=learner,
        enrollment=enrollment,
        submission=submission,
        grade=grade,
        check=check,
    )


@pytest.fixture
def world(cohort, rival_cohort, grader):
    """Both cohorts with a learner, their enrollment, submission, released grade and check."""
    course = cohort.course
    lesson = LessonFactory(module__course=course, title="Soft power", slug="soft-power")
    assignment = AssignmentFactory(course=course, title="Case study", slug="case-study")
    criterion = RubricCriterionFactory(assignment=assignment, title="Argument")
    level = RubricLevelFactory(criterion=criterion, title="Convincing", points=8)
    RubricLevelFactory(criterion=criterion, title="Thin", points=3)
    shared = {
        "lesson": lesson,
        "assignment": assignment,
        "criterion": criterion,
        "level": level,
        "grader": grader,
    }
    ours = populate(cohort=cohort, email="ours@example.org", **shared)
    theirs = populate(cohort=rival_cohort, email="theirs@example.org", **shared)
    return SimpleNamespace(course=course, ours=ours, theirs=theirs, **shared)


@pytest.fixture
def unreleased_grade(world):
    """A graded but unreleased submission of another learner in our cohort."""
    learner = UserFactory(email="waiting@example.org")
    EnrollmentFactory(learner=learner, cohort=world.ours.cohort)
    submission = SubmissionFactory(
        assignment=world.assignment, learner=learner, cohort=world.ours.cohort, status="graded"
    )
    return GradeFactory(submission=submission)
