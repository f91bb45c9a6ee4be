"""Writes on behalf of API clients: finding or creating their learners."""

from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from rest_framework.exceptions import ValidationError

from accounts import roles
from accounts.models import User

from .models import ApiClient, ClientLearner


class LearnerConflict(ValidationError):
    status_code = 409


@transaction.atomic
def find_or_create_learner(
    *, client: ApiClient, email: str = "", external_id: str = "", display_name: str = ""
) -> tuple[User, bool]:
    """Return the learner the client names by external id or email, creating one if needed.

    The learner is linked to the client, with the client's external id if given; an
    external id is unique per client.
    """
    link = None
    if external_id:
        link = (
            ClientLearner.objects.select_for_update()
            .filter(client=client, external_id=external_id)
            .select_related("user")
            .first()
        )
        if link and email and link.user.email.lower() != email.lower():
            raise LearnerConflict(
                {"external_id": "This external id already belongs to another email address."}
            )
    user = link.user if link else None
    if user is None and email:
        user = User.objects.filter(email__iexact=email).first()
        if user is not None and user.is_staff:
            # Staff accounts are not learners an LMS may claim and enroll.
            raise LearnerConflict({"email": "This address belongs to a staff account."})
    created = False
    if user is None:
        if not email:
            raise ValidationError(
                {"email": "No learner has this external id yet; give an email to create one."}
            )
        user = User(email=User.objects.normalize_email(email), display_name=display_name)
        user.set_unusable_password()
        # Uniqueness is left to the database, which also settles concurrent creates.
        user.full_clean(validate_unique=False, validate_constraints=False)
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            # The same learner was created by a concurrent request: use theirs.
            user = User.objects.get(email__iexact=email)
        else:
            user.groups.add(Group.objects.get_or_create(name=roles.LEARNERS)[0])
            created = True
    if link is None:
        link, _ = ClientLearner.objects.get_or_create(client=client, user=user)
        if external_id:
            if link.external_id and link.external_id != external_id:
                raise LearnerConflict(
                    {
                        "external_id": (
                            f"This learner already has the external id {link.external_id!r}."
                        )
                    }
                )
            link.external_id = external_id
            link.save(update_fields=["external_id"])
    user.external_id = link.external_id or None
    return user, created
