"""Account writes that other apps and commands call."""

import hashlib

from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction

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


def user_for_lti_subject(
    *, issuer: str, subject: str, email: str = "", name: str = "", instructor: bool = False
) -> User:
    """Return the account an LMS means by (issuer, subject), creating it the first time.

    Name and e-mail claims update the profile. An address is taken only if no other
    account has it: a platform cannot claim an existing account by sending its address.
    Call inside a transaction.
    """
    from .models import LtiIdentity

    identity = (
        LtiIdentity.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
    )
    email = User.objects.normalize_email(email or "")
    if identity is None:
        user = User(email=_free_email(email, issuer, subject), display_name=name[:150])
        user.set_unusable_password()
        user.save()
        try:
            with transaction.atomic():
                LtiIdentity.objects.create(user=user, issuer=issuer, subject=subject)
        except IntegrityError:
            # A concurrent launch of the same person made the identity first.
            user.delete()
            return user_for_lti_subject(
                issuer=issuer, subject=subject, email=email, name=name, instructor=instructor
            )
    else:
        user = identity.user
        changed = []
        if name and user.display_name != name[:150]:
            user.display_name = name[:150]
            changed.append("display_name")
        if email and user.email.lower() != email.lower() and _email_is_free(email):
            user.email = email
            changed.append("email")
        if changed:
            user.save(update_fields=[*changed, "updated_at"])
    group = roles.INSTRUCTORS if instructor else roles.LEARNERS
    user.groups.add(Group.objects.get_or_create(name=group)[0])
    if instructor and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff", "updated_at"])
    return user


def _email_is_free(email: str) -> bool:
    return not User.objects.filter(email__iexact=email).exists()


def _free_email(email: str, issuer: str, subject: str) -> str:
    if email and _email_is_free(email):
        return email
    digest = hashlib.sha256(f"{issuer}\n{subject}".encode()).hexdigest()[:24]
    return f"lti-{digest}@lti.invalid"


def lti_subjects_for(*, issuer: str, users) -> dict[int, str]:
    """Map user id -> the subject the platform `issuer` knows each of these users by."""
    from .models import LtiIdentity

    rows = LtiIdentity.objects.filter(issuer=issuer, user__in=users).values_list(
        "user_id", "subject"
    )
    return dict(rows)
