from rest_framework.throttling import SimpleRateThrottle

from .permissions import api_client


class ClientRateThrottle(SimpleRateThrottle):
    """Limit each API client (or staff member) separately; DRF answers 429 with Retry-After."""

    scope = "client"

    def get_cache_key(self, request, view):
        client = api_client(request)
        ident = f"client-{client.pk}" if client else f"user-{request.user.pk}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
