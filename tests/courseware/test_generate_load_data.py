"""generate_load_data: a benchmark database, never one with real people in it."""

import pytest
from django.core.management import CommandError, call_command

from courseware.models import Cohort, Enrollment, Grade, LessonProgress, Submission
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def generate(*args):
    call_command("generate_load_data", *args, stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_it_fills_cohorts_with_learners_and_their_work(course):
    generate(
        "--learners",
        "60",
        "--cohorts",
        "4",
        "--big-cohort-size",
        "30",
        "--gradebook-cohort-size",
        "20",
    )

    assert Enrollment.objects.filter(learner__email__endswith="@load.example").exists()
    assert Cohort.objects.filter(slug="load-big").get().enrollments.count() == 30
    assert Cohort.objects.get(slug="load-gradebook").enrollments.current().count() == 20
    assert LessonProgress.objects.exists()
    assert Submission.objects.exists() and Grade.objects.exists()


def test_it_refuses_a_database_with_real_accounts(course):
    UserFactory(email="someone@university.example")

    with pytest.raises(CommandError, match="real account"):
        generate("--learners", "20", "--cohorts", "2")

    assert not Enrollment.objects.exists()


def test_it_needs_the_course_imported_first(db):
    with pytest.raises(CommandError, match="import the course first"):
        generate("--learners", "20", "--cohorts", "2")
