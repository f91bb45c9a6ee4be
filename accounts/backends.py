"""Signing in with email and password, and finding the signed-in user on each request."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from config.rowcache import forget, read_through

User = get_user_model()


def user_cache_key(user_id) -> str:
    return f"accounts:user:{user_id}"


class UserBackend(ModelBackend):
    """Django's ModelBackend, reading the signed-in user through the shared cache."""

    def get_user(self, user_id):
        user = read_through(
            user_cache_key(user_id), lambda: User._default_manager.filter(pk=user_id).first()
        )
        return user if user is not None and self.user_can_authenticate(user) else None


@receiver([post_save, post_delete], sender=User)
def forget_user(sender, instance, **kwargs):
    # A changed password, name, or staff or active flag applies from the next request.
    forget([user_cache_key(instance.pk)])
