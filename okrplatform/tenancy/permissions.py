"""Role checks for views: one place turns a missing right into a 403 with a clear reason."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from .models import Membership
from .roles import MINIMUM_ROLE, Action

View = Callable[..., HttpResponse]


def current_membership(request: HttpRequest) -> Membership:
    membership: Membership | None = getattr(request, "membership", None)
    if membership is None:  # only reachable for a view mounted outside /<org_slug>/
        raise PermissionDenied("This page belongs to an organisation.")
    return membership


def require_action(request: HttpRequest, action: Action) -> Membership:
    membership = current_membership(request)
    if not membership.can(action):
        raise PermissionDenied(
            f"Your role in {membership.organization.name} is {membership.get_role_display()}; "
            f"this needs {MINIMUM_ROLE[action].label} or above."
        )
    return membership


def action_required(
    action: Action, *, on_methods: tuple[str, ...] | None = None
) -> Callable[[View], View]:
    """Decorate an org view: the member's role must allow ``action``.

    With ``on_methods`` the check only applies to those methods (e.g. reading a page is open to
    viewers, posting its form is not).
    """

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if on_methods is None or request.method in on_methods:
                require_action(request, action)
            else:
                current_membership(request)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


content_editors_on_post = functools.partial(
    action_required, Action.EDIT_CONTENT, on_methods=("POST",)
)
