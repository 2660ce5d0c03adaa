"""Who may change which OKRs (docs/permissions.md, "OKRs").

Viewers change nothing. Admins and owners change every OKR, cycles and the strategy. Members
change the OKRs owned by the teams they belong to and the objectives they lead (with their key
results, initiatives and check-ins); company objectives belong to admins and their lead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from goals.models import Objective
from okrplatform.errors import PermissionDeniedError
from okrplatform.tenancy.models import Membership, Team, TeamMembership
from okrplatform.tenancy.roles import ROLE_RANK, Action, Role


class Owned(Protocol):
    """An objective, or a plain row of one (``goals.objective_rows``)."""

    @property
    def lead_id(self) -> int | None: ...
    @property
    def owner_team_id(self) -> int | None: ...


def is_admin(membership: Membership) -> bool:
    return membership.rank >= ROLE_RANK[Role.ADMIN]


def team_ids_of(membership: Membership) -> set[int]:
    return set(
        TeamMembership.objects.filter(user_id=membership.user_id).values_list("team_id", flat=True)
    )


def can_own_for_team(
    membership: Membership, team: Team | None, *, team_ids: set[int] | None = None
) -> bool:
    """May this member create or move an objective owned by ``team`` (None: the company)?"""
    if not membership.can(Action.EDIT_CONTENT):
        return False
    if is_admin(membership):
        return True
    if team is None:
        return False
    if team_ids is None:
        team_ids = team_ids_of(membership)
    return team.pk in team_ids


def objective_can_edit(
    membership: Membership, objective: Owned, *, team_ids: set[int] | None = None
) -> bool:
    """Pass ``team_ids`` (``team_ids_of``) when checking many objectives, to save the query."""
    if not membership.can(Action.EDIT_CONTENT):
        return False
    if is_admin(membership) or objective.lead_id == membership.user_id:
        return True
    if objective.owner_team_id is None:
        return False
    if team_ids is None:
        team_ids = team_ids_of(membership)
    return objective.owner_team_id in team_ids


def objective_editor(membership: Membership) -> Callable[[Owned], bool]:
    """``objective_can_edit`` for a page of many objectives: the member's teams are read once,
    and only when the answer can depend on them (not for viewers, admins and owners)."""
    if not membership.can(Action.EDIT_CONTENT):
        return lambda objective: False
    if is_admin(membership):
        return lambda objective: True
    team_ids = team_ids_of(membership)
    return lambda objective: objective_can_edit(membership, objective, team_ids=team_ids)


def require_objective_editor(actor: Membership, objective: Objective) -> None:
    if not actor.can(Action.EDIT_CONTENT):
        raise PermissionDeniedError(
            f"Your role ({actor.get_role_display()}) can read OKRs but not change them."
        )
    if not objective_can_edit(actor, objective):
        owner = objective.owner_team.name if objective.owner_team else "the company"
        raise PermissionDeniedError(
            f"Only members of {owner}, the objective's lead and admins can change “{objective}”."
        )


def require_team_owner(actor: Membership, team: Team | None) -> None:
    if not can_own_for_team(actor, team):
        if not actor.can(Action.EDIT_CONTENT):
            raise PermissionDeniedError(
                f"Your role ({actor.get_role_display()}) can read OKRs but not change them."
            )
        if team is None:
            raise PermissionDeniedError(
                "Only admins can own company objectives: choose one of your teams.",
                field="owner_team",
            )
        raise PermissionDeniedError(
            f"You are not a member of {team.name}: choose one of your teams.", field="owner_team"
        )


def require_admin(actor: Membership, what: str) -> None:
    if not actor.can(Action.EDIT_CONTENT) or not is_admin(actor):
        raise PermissionDeniedError(f"Only admins can {what}.")
