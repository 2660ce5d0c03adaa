"""Reads for organisations, members and teams (org-scoped through the tenant manager)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, Prefetch, QuerySet

from .models import Invitation, Membership, Team, TeamMembership

if TYPE_CHECKING:
    from okrplatform.accounts.models import User


def memberships_of_user(user: User) -> QuerySet[Membership]:
    """Every organisation the user belongs to, for the organisation switcher (crosses tenants
    on purpose, and only ever for the user's own memberships)."""
    return (
        Membership.unscoped.filter(user=user)
        .select_related("organization")
        .order_by("organization__name")
    )


def member_list() -> QuerySet[Membership]:
    return Membership.objects.select_related("user").order_by("user__full_name", "user__email")


def member_get(pk: int) -> Membership | None:
    return Membership.objects.select_related("user").filter(pk=pk).first()


def pending_invitations() -> QuerySet[Invitation]:
    return Invitation.objects.pending().select_related("invited_by")


def invitation_get(pk: int) -> Invitation | None:
    return Invitation.objects.filter(pk=pk).first()


def team_list() -> QuerySet[Team]:
    return Team.objects.select_related("lead", "parent").annotate(
        member_count=Count("team_memberships")
    )


def team_get(pk: int) -> Team | None:
    return (
        Team.objects.select_related("lead", "parent")
        .prefetch_related(
            Prefetch(
                "team_memberships",
                queryset=TeamMembership.objects.select_related("user").order_by("user__full_name"),
            ),
            Prefetch("children", queryset=Team.objects.order_by("name")),
        )
        .filter(pk=pk)
        .first()
    )


def team_tree(teams: list[Team]) -> list[tuple[Team, int]]:
    """Teams in tree order with their depth, for indented lists and choice fields."""
    children: dict[int | None, list[Team]] = {}
    for team in teams:
        children.setdefault(team.parent_id, []).append(team)
    ordered: list[tuple[Team, int]] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for team in sorted(children.get(parent_id, []), key=lambda t: t.name.lower()):
            ordered.append((team, depth))
            walk(team.pk, depth + 1)

    walk(None, 0)
    return ordered


def users_of_organization() -> QuerySet[User]:
    from okrplatform.accounts.models import User

    return User.objects.filter(memberships__in=Membership.objects.all()).order_by("full_name")
