"""The bell's unread count for the top bar, read only if a page renders the bar."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .selectors import unread_badge


def unread(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    if membership is None:
        return {}
    read_with_membership = getattr(membership, "unread_badge", None)
    if read_with_membership is not None:  # by OrganizationMiddleware, on a GET
        return {"notifications_unread": read_with_membership}
    # Lazy: HTMX fragments that never draw the top bar do not pay for the count.
    return {
        "notifications_unread": SimpleLazyObject(
            lambda: unread_badge(
                organization_id=membership.organization_id, recipient_id=membership.user_id
            )
        )
    }
