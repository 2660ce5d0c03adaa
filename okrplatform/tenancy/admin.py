from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import Invitation, Membership, Organization, Team, TeamMembership


class UnscopedAdmin(admin.ModelAdmin[Any]):
    """Staff see every organisation's rows: the admin is the operator's tool, not a tenant's."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset: QuerySet[Any] = self.model.unscoped.all()
        return queryset


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin[Organization]):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]


@admin.register(Membership)
class MembershipAdmin(UnscopedAdmin):
    list_display = ["user", "organization", "role", "joined_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "organization__name"]
    raw_id_fields = ["user"]


@admin.register(Team)
class TeamAdmin(UnscopedAdmin):
    list_display = ["name", "organization", "parent", "lead"]
    search_fields = ["name", "organization__name"]


@admin.register(TeamMembership)
class TeamMembershipAdmin(UnscopedAdmin):
    list_display = ["team", "user", "organization"]


@admin.register(Invitation)
class InvitationAdmin(UnscopedAdmin):
    list_display = [
        "email",
        "organization",
        "role",
        "created_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
    ]
    exclude = ["token"]
