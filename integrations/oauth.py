"""OAuth 2.0 token rules: a client gets only the scopes staff granted it, and only while active."""

import hashlib

from oauth2_provider.models import AccessToken
from oauth2_provider.oauth2_validators import OAuth2Validator

from config.rowcache import read_through


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
        # As django-oauth-toolkit does, with the API client that every request checks, read
        # through the cache (config.rowcache); an expired token fails its own is_valid().
        checksum = hashlib.sha256(token.encode("utf-8")).hexdigest()
        return read_through(
            token_cache_key(checksum),
            lambda: (
                AccessToken.objects.select_related("application__api_client", "user")
                .filter(token_checksum=checksum)
                .first()
            ),
        )


def token_cache_key(checksum: str) -> str:
    return f"integrations:access-token:{checksum}"
