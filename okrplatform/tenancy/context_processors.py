from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from .roles import Action
from .selectors import memberships_of_user

# The product's sections in navigation order: (label, url name, namespace that marks it active).
# A section appears once its app defines the URL, so later features join the menu by existing.
NAV_SECTIONS: list[tuple[str, str, str]] = [
    ("Boards", "boards:board-list", "boards"),
    ("KPIs", "kpis:kpi-list", "kpis"),
    ("OKRs", "goals:objective-list", "goals"),
    ("Integrations", "integrations:integration-list", "integrations"),
]


def organization(request: HttpRequest) -> dict[str, Any]:
    """The current organisation, the member's role and what it allows, for every template."""
    membership = getattr(request, "membership", None)
    if membership is None:
        return {}
    namespace = request.resolver_match.namespace if request.resolver_match else ""
    nav_items = []
    for label, url_name, section_namespace in NAV_SECTIONS:
        try:
            url = reverse(url_name, kwargs={"org_slug": membership.organization.slug})
        except NoReverseMatch:
            continue
        nav_items.append({"label": label, "url": url, "active": namespace == section_namespace})
    return {
        "organization": membership.organization,
        "membership": membership,
        "can": {action.value: membership.can(action) for action in Action},
        "nav_items": nav_items,
        # Read by OrganizationMiddleware in its membership query; the selector for a request
        # whose membership was set some other way.
        "user_memberships": getattr(request, "user_memberships", None)
        or memberships_of_user(membership.user),
    }
