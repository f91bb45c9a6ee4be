"""OAuth 2.0 token rules: a client gets only the scopes staff granted it, and only while active."""

import hashlib

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
        # As django-oauth-toolkit does, plus the API client: every API request checks it.
        checksum = hashlib.sha256(token.encode("utf-8")).hexdigest()
        return (
            AccessToken.objects.select_related("application__api_client", "user")
            .filter(token_checksum=checksum)
            .first()
        )
