"""Roles and the roles × actions matrix (mirrored in docs/permissions.md, which a test checks)."""

from __future__ import annotations

from enum import StrEnum

from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"
    VIEWER = "viewer", "Viewer"


# Higher rank can do everything a lower rank can.
ROLE_RANK: dict[str, int] = {Role.VIEWER: 0, Role.MEMBER: 1, Role.ADMIN: 2, Role.OWNER: 3}


class Action(StrEnum):
    VIEW = "view"  # read everything in the organisation
    EDIT_CONTENT = "edit_content"  # KPIs, values, OKRs, check-ins (of one's own teams; see docs)
    MANAGE_MEMBERS = "manage_members"  # invite, change roles, remove members
    MANAGE_TEAMS = "manage_teams"  # create, edit, delete teams and their membership
    MANAGE_INTEGRATIONS = "manage_integrations"  # connections, credentials, API keys
    MANAGE_ORGANIZATION = "manage_organization"  # name, ultimate goal, settings
    GRANT_OWNER = "grant_owner"  # make someone an owner, or change an owner's role


# The least role that may perform each action.
MINIMUM_ROLE: dict[Action, Role] = {
    Action.VIEW: Role.VIEWER,
    Action.EDIT_CONTENT: Role.MEMBER,
    Action.MANAGE_MEMBERS: Role.ADMIN,
    Action.MANAGE_TEAMS: Role.ADMIN,
    Action.MANAGE_INTEGRATIONS: Role.ADMIN,
    Action.MANAGE_ORGANIZATION: Role.ADMIN,
    Action.GRANT_OWNER: Role.OWNER,
}


def role_allows(role: str, action: Action) -> bool:
    return ROLE_RANK[role] >= ROLE_RANK[MINIMUM_ROLE[action]]
