"""Account writes that other apps and commands call."""

from django.contrib.auth.models import Group
from django.db import transaction

from . import roles
from .models import User


@transaction.atomic
def register_learner(*, email: str, password: str, display_name: str = "") -> User:
    """Create a learner account and put it in the Learners group."""
    user = User(email=User.objects.normalize_email(email), display_name=display_name)
    user.set_password(password)
    user.full_clean()
    user.save()
    user.groups.add(Group.objects.get_or_create(name=roles.LEARNERS)[0])
    return user


@transaction.atomic
def ensure_user(*, email: str, password: str, display_name: str, role: str) -> tuple[User, bool]:
    """Create the account with this role, or reset an existing one's password and role."""
    user, created = User.objects.get_or_create(
        email__iexact=email, defaults={"email": email, "display_name": display_name}
    )
    user.display_name = display_name
    user.is_staff = role in (roles.INSTRUCTORS, roles.STAFF)
    user.set_password(password)
    user.save()
    user.groups.set([Group.objects.get_or_create(name=role)[0]])
    return user, created
