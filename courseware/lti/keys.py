"""The tool's signing keys (django-lti's Key model, kept in the database).

The newest active key signs; every active key is published at /lti/jwks/, so a platform
can still check a message signed just before a rotation. `manage.py rotate_keys`
(django-lti) makes a new key and retires keys older than --deactivate-after days.
"""

from django.db import transaction
from lti_tool.models import Key


def signing_key() -> Key:
    """Return the newest active key, making the first one if there is none."""
    key = Key.objects.active().order_by("-datetime_created", "-pk").first()
    if key is None:
        with transaction.atomic():
            key = Key.objects.generate()
    return key


def public_jwks() -> dict:
    signing_key()
    return Key.objects.as_jwks()
