"""Calling a platform's LTI Advantage services with a client-credentials access token."""

import hashlib

import requests
from django.core.cache import cache
from lti_tool.models import LtiRegistration
from pylti1p3.exception import LtiServiceException
from pylti1p3.service_connector import ServiceConnector

from .http import PlatformError, PlatformSession, check_url
from .keys import signing_key

TOKEN_CACHE_SECONDS = 5 * 60


class PlatformClient:
    """One platform registration's services: token by signed client assertion (pylti1p3),
    then JSON requests with that token. Tokens are reused for a few minutes."""

    def __init__(self, registration: LtiRegistration):
        self.registration = registration
        self.session = PlatformSession()

    def _token(self, scopes: list[str], *, fresh: bool = False) -> str:
        key = (
            "lti:token:"
            + hashlib.sha256(
                f"{self.registration.pk}|{' '.join(sorted(scopes))}".encode()
            ).hexdigest()
        )
        token = None if fresh else cache.get(key)
        if token:
            return token
        check_url(self.registration.token_url, what="token URL")
        tool = self.registration.to_registration()
        signing = signing_key()
        tool.set_tool_private_key(signing.private_key).set_tool_public_key(signing.public_key)
        try:
            token = ServiceConnector(tool, requests_session=self.session).get_access_token(scopes)
        except LtiServiceException as error:
            raise PlatformError(f"The platform refused an access token: {error}") from error
        except (requests.RequestException, ValueError, KeyError) as error:
            raise PlatformError(f"Could not get an access token: {error}") from error
        cache.set(key, token, TOKEN_CACHE_SECONDS)
        return token

    def request(self, method: str, url: str, *, scopes: list[str], **kwargs) -> requests.Response:
        """Send the request with a token; on 401 get a new token and try once more."""
        for fresh in (False, True):
            headers = {
                **kwargs.pop("headers", {}),
                "Authorization": "Bearer " + self._token(scopes, fresh=fresh),
            }
            kwargs["headers"] = headers
            try:
                response = self.session.request(method, url, **kwargs)
            except requests.RequestException as error:
                raise PlatformError(f"Could not reach {url}: {error}") from error
            if response.status_code != 401:
                break
        if not response.ok:
            raise PlatformError(
                f"{method} {url} answered {response.status_code}: {response.text[:200]}",
                status_code=response.status_code,
            )
        return response

    def get_pages(self, url: str, *, scopes: list[str], accept: str, max_pages: int = 2000):
        """Yield each page's JSON, following `Link: <…>; rel="next"` (Canvas pages by 50).

        requests parses the Link header without changing the URL's case (pylti1p3
        lowercases it, which breaks Canvas's page tokens).
        """
        for _ in range(max_pages):
            response = self.request("GET", url, scopes=scopes, headers={"Accept": accept})
            try:
                yield response.json()
            except ValueError as error:
                raise PlatformError(f"{url} did not answer with JSON.") from error
            url = response.links.get("next", {}).get("url")
            if not url:
                return
        raise PlatformError("The platform sent more pages than we follow.")
