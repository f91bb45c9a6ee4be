import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import RequestFactory

from accounts import roles
from accounts.models import User


def test_demo_data_refuses_to_run_with_debug_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("create_demo_data")
    assert not User.objects.exists()


def test_demo_data_creates_accounts_that_can_sign_in(course, settings, capsys):
    settings.DEBUG = True
    call_command("create_demo_data")
    output = capsys.readouterr().out
    assert "learner@example.com / learn-diplomacy-2026" in output
    learner = authenticate(
        RequestFactory().post("/accounts/login/"),
        email="learner@example.com",
        password="learn-diplomacy-2026",
    )
    assert learner is not None and not learner.is_staff
    assert learner.groups.filter(name=roles.LEARNERS).exists()
    instructor = User.objects.get(email="instructor@example.com")
    assert instructor.is_staff and instructor.groups.filter(name=roles.INSTRUCTORS).exists()
    assert course.cohorts.get(is_default=True).instructors.filter(pk=instructor.pk).exists()


def test_demo_data_can_run_twice(course, settings):
    settings.DEBUG = True
    call_command("create_demo_data")
    call_command("create_demo_data")
    assert User.objects.filter(email__endswith="@example.com").count() == 3


def test_demo_data_runs_with_debug_off_when_forced(db, settings):
    settings.DEBUG = False
    call_command("create_demo_data", "--force")
    assert User.objects.filter(email="admin@example.com", is_superuser=True).exists()
