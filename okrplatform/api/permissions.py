"""Permissions from the caller's role (session) or the key's scope (API key)."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from okrplatform.tenancy.roles import MINIMUM_ROLE, Action

from .access import ApiAccess


def access_of(request: Request) -> ApiAccess:
    access: ApiAccess | None = getattr(request, "api_access", None)
    if access is None:
        raise NotAuthenticated("Send an API key as “Authorization: Bearer <key>”, or sign in.")
    return access


class OrganizationPermission(BasePermission):
    """Reads need ``view.read_action``, writes ``view.write_action`` (views set both)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        access = access_of(request)
        if request.method in SAFE_METHODS:
            action: Action = getattr(view, "read_action", Action.VIEW)
        else:
            action = getattr(view, "write_action", Action.EDIT_CONTENT)
        if access.can(action):
            return True
        if access.api_key is not None:
            if action in (Action.VIEW, Action.EDIT_CONTENT):
                raise PermissionDenied(
                    "This API key is read only; create a read-write key to write."
                )
            raise PermissionDenied("API keys cannot do this; an admin signed in to the app can.")
        raise PermissionDenied(
            f"Your role is {access.signed_in_member().get_role_display()}; this needs "
            f"{MINIMUM_ROLE[action].label} or above."
        )
