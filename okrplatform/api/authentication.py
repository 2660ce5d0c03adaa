"""``Authorization: Bearer <key>`` with an organisation's API key."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from rest_framework.authentication import (
    BaseAuthentication,
    SessionAuthentication,
    get_authorization_header,
)
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from .models import OrganizationAPIKey
from .services import api_key_authenticate

KEYWORD = "Bearer"


class APIKeyAuthentication(BaseAuthentication):
    """A key speaks for its organisation, not for a person: ``request.user`` stays anonymous
    and ``request.auth`` is the key. A request without a Bearer header falls through to the
    session; a wrong, revoked or malformed key is refused outright (never silently anonymous)."""

    def authenticate(self, request: Request) -> tuple[Any, OrganizationAPIKey] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None
        if len(header) != 2:
            raise AuthenticationFailed("Send the key as “Authorization: Bearer <key>”.")
        try:
            secret = header[1].decode()
        except UnicodeDecodeError:
            raise AuthenticationFailed("The API key is not valid.") from None
        api_key = api_key_authenticate(secret)
        if api_key is None:
            raise AuthenticationFailed("The API key is not valid, or it was revoked.")
        return AnonymousUser(), api_key

    def authenticate_header(self, request: Request) -> str:
        return f'{KEYWORD} realm="api"'


class OrganizationSessionAuthentication(SessionAuthentication):
    """The app's own browser calls: the session cookie, CSRF enforced (by DRF for every
    authenticated session request), and the organisation named in ``X-Organization``."""
