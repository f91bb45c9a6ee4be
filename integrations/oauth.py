"""OAuth 2.0 token rules: a client gets only the scopes staff granted it, and only while active."""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from oauth2_provider.models import AccessToken
from oauth2_provider.oauth2_validators import OAuth2Validator


def _granted(client) -> set[str]:
    api_client = getattr(client, "api_client", None)
    if api_client is None or not api_client.is_active:
        return set()
    return set(api_client.scopes)


class ClientScopeValidator(OAuth2Validator):
    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        return bool(scopes) and set(scopes) <= _granted(client)

    def get_default_scopes(self, client_id, request, *args, **kwargs):
        # A token request without `scope` gets every scope the client was granted.
        return sorted(_granted(request.client))

    def authenticate_client(self, request, *args, **kwargs):
        authenticated = super().authenticate_client(request, *args, **kwargs)
        return authenticated and bool(_granted(request.client))

    def _load_access_token(self, token):
        """Find the token as django-oauth-toolkit does, with its API client, through the cache.

        Every API request starts here. With API_TOKEN_CACHE_SECONDS (set when Redis is the
        shared cache) a token is kept for that long at most; deleting it, or saving its
        client, drops it at once (integrations.signals).
        """
        checksum = hashlib.sha256(token.encode("utf-8")).hexdigest()
        seconds = settings.API_TOKEN_CACHE_SECONDS
        access_token = cache.get(token_cache_key(checksum)) if seconds else None
        if access_token is None:
            access_token = (
                AccessToken.objects.select_related("application__api_client", "user")
                .filter(token_checksum=checksum)
                .first()
            )
            lifetime = access_token and (access_token.expires - timezone.now()).total_seconds()
            if seconds and lifetime and lifetime > 1:
                cache.set(token_cache_key(checksum), access_token, min(seconds, int(lifetime)))
        return access_token


def token_cache_key(checksum: str) -> str:
    return f"api:access-token:{checksum}"


def forget_tokens(checksums) -> None:
    """Drop these tokens (by checksum) from the cache: the next request reads them afresh."""
    cache.delete_many([token_cache_key(checksum) for checksum in checksums])
