import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError

from accounts import roles
from accounts.models import User


def test_email_is_unique_whatever_its_case(db):
    User.objects.create_user(email="Sam@Example.org", password="x")
    with pytest.raises(IntegrityError):
        User.objects.create_user(email="sam@example.org", password="x")


def test_roles_exist_with_instructor_admin_permissions(db):
    assert set(Group.objects.values_list("name", flat=True)) >= {
        roles.LEARNERS,
        roles.INSTRUCTORS,
        roles.STAFF,
    }
    instructors = Group.objects.get(name=roles.INSTRUCTORS)
    codenames = set(instructors.permissions.values_list("codename", flat=True))
    assert {"view_cohort", "change_enrollment", "view_lesson"} <= codenames
    assert "delete_course" not in codenames


def test_users_are_named_by_display_name_or_email(db):
    assert str(User(email="a@example.org")) == "a@example.org"
    assert str(User(email="a@example.org", display_name="Ana")) == "Ana"
