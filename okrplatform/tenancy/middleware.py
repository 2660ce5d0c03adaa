"""Resolves the organisation of a request once, checks membership, and binds the tenant scope."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse

from .membership_rows import memberships_with_organizations
from .models import Membership
from .scope import _current_organization_id

ORGANIZATION_URL_KWARG = "org_slug"
LAST_ORGANIZATION_SESSION_KEY = "last_organization_slug"


class OrganizationMiddleware:
    """For every view under ``/<org_slug>/``: 404 unless the user is a member, then bind the scope.

    A missing organisation and one the user does not belong to answer the same 404, so the URL
    space reveals nothing about other tenants.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.organization = None  # type: ignore[attr-defined]
        request.membership = None  # type: ignore[attr-defined]
        request.user_memberships = None  # type: ignore[attr-defined]
        try:
            return self.get_response(request)
        finally:
            token = getattr(request, "_organization_scope_token", None)
            if token is not None:
                _current_organization_id.reset(token)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        slug = view_kwargs.get(ORGANIZATION_URL_KWARG)
        if slug is None:
            return None
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        # One query answers both the membership check and the layout's organisation switcher:
        # every membership of the user (a handful of rows), the one of this slug picked here.
        # On a GET it also counts the bell's unread notifications (a page that changes nothing:
        # after a POST the view may have read some, so the layout counts them when it renders).
        safe = request.method in ("GET", "HEAD")
        memberships = memberships_with_organizations(
            request.user, unread_badge_of=slug if safe else None
        )
        membership = _membership_of(memberships, slug)
        if membership is None:
            raise Http404("No such organisation.")
        request.organization = membership.organization  # type: ignore[attr-defined]
        request.membership = membership  # type: ignore[attr-defined]
        request.user_memberships = memberships  # type: ignore[attr-defined]
        request._organization_scope_token = _current_organization_id.set(  # type: ignore[attr-defined]
            membership.organization_id
        )
        if request.session.get(LAST_ORGANIZATION_SESSION_KEY) != slug:
            request.session[LAST_ORGANIZATION_SESSION_KEY] = slug
        return None


def _membership_of(memberships: list[Membership], slug: str) -> Membership | None:
    for membership in memberships:
        if membership.organization.slug == slug:
            return membership
    return None
