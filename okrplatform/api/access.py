"""Who is calling the API, for which organisation, and what they may do.

One piece of code resolves the organisation of an API request (from the key, or for a signed-in
browser from the ``X-Organization`` header) and checks membership; the result is ``ApiAccess``.
"""

from __future__ import annotations

from dataclasses import dataclass

from rest_framework.exceptions import NotFound, ParseError, PermissionDenied
from rest_framework.request import Request

from okrplatform.tenancy.models import Membership, Organization
from okrplatform.tenancy.roles import Action

from .models import OrganizationAPIKey

ORGANIZATION_HEADER = "X-Organization"

# What a key may do, by scope. Keys are machine credentials: they read everything and, with
# write scope, write content (KPI values, OKR check-ins...). Managing people and integrations
# stays with admins signed in to the app, where a person is accountable for it.
KEY_ACTIONS: dict[bool, frozenset[Action]] = {
    False: frozenset({Action.VIEW}),
    True: frozenset({Action.VIEW, Action.EDIT_CONTENT}),
}


@dataclass(frozen=True)
class ApiAccess:
    organization: Organization
    api_key: OrganizationAPIKey | None = None
    membership: Membership | None = None

    def can(self, action: Action) -> bool:
        if self.api_key is not None:
            return action in KEY_ACTIONS[self.api_key.can_write]
        return self.membership is not None and self.membership.can(action)

    @property
    def identity(self) -> str:
        """A stable, non-secret identity for throttling and logs."""
        if self.api_key is not None:
            return f"key:{self.api_key.prefix}"
        return f"user:{self.signed_in_member().user_id}"

    def actor(self) -> Membership:
        """The membership the services check for a write. A signed-in person's own; for an API
        key, the current membership of the admin who created it: a key never carries more
        rights than a person who is still a member (demote them and their keys follow)."""
        if self.membership is not None:
            return self.membership
        creator_id = self.api_key.created_by_id if self.api_key is not None else None
        membership = (
            Membership.unscoped.select_related("user")
            .filter(organization_id=self.organization.pk, user_id=creator_id)
            .first()
            if creator_id is not None
            else None
        )
        if membership is None:
            raise PermissionDenied(
                "The person who created this API key is no longer a member of the "
                "organisation; an admin can create a new key."
            )
        return membership

    def signed_in_member(self) -> Membership:
        """The membership of a signed-in person; API keys have none (they act for the
        organisation), so actions that need a person refuse them."""
        if self.membership is None:
            raise PermissionDenied("API keys cannot do this; an admin signed in to the app can.")
        return self.membership


def access_resolve(request: Request) -> ApiAccess | None:
    """The caller's access, or None for an anonymous request (permissions then answer 401)."""
    if isinstance(request.auth, OrganizationAPIKey):
        return ApiAccess(organization=request.auth.organization, api_key=request.auth)
    user = request.user
    if user is None or not user.is_authenticated:
        return None
    slug = request.headers.get(ORGANIZATION_HEADER, "").strip()
    if not slug:
        raise ParseError(
            f"Signed-in browser calls name their organisation in the {ORGANIZATION_HEADER} "
            "header (its slug); scripts use an API key instead."
        )
    membership = (
        Membership.unscoped.select_related("organization", "user")
        .filter(organization__slug=slug, user_id=user.pk)
        .first()
    )
    if membership is None:
        # A missing organisation and a foreign one look the same.
        raise NotFound("No such organisation.")
    return ApiAccess(organization=membership.organization, membership=membership)
