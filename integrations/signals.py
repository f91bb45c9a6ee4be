"""Cache invalidation: a changed or deleted token, client or application is read afresh."""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from oauth2_provider.models import AccessToken, Application

from config.rowcache import forget

from .models import ApiClient, granted_cohorts_cache_key
from .oauth import token_cache_key


@receiver([post_save, post_delete], sender=AccessToken)
def forget_token(sender, instance, **kwargs):
    forget([token_cache_key(instance.token_checksum)])


@receiver([post_save, post_delete], sender=ApiClient)
@receiver([post_save, post_delete], sender=Application)
def forget_client_tokens(sender, instance, **kwargs):
    application_id = instance.application_id if sender is ApiClient else instance.pk
    checksums = AccessToken.objects.filter(application=application_id).values_list(
        "token_checksum", flat=True
    )
    forget(token_cache_key(checksum) for checksum in checksums)


@receiver(m2m_changed, sender=ApiClient.cohorts.through)
def forget_granted_cohorts(sender, instance, action, reverse, pk_set, **kwargs):
    if not action.startswith("post_"):
        return
    # From a client: that client. From a cohort: the clients named, or (clear) all of them.
    if not reverse:
        clients = [instance.pk]
    else:
        clients = pk_set or ApiClient.objects.values_list("pk", flat=True)
    forget(granted_cohorts_cache_key(client) for client in clients)
