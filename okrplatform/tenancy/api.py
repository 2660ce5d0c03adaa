"""API: the organisation (read), its teams (read) and members (read; admins change roles and
remove members, from a signed-in session)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from okrplatform.api.views import (
    OrganizationAPIView,
    OrganizationReadOnlyViewSet,
    OrganizationViewSet,
)
from okrplatform.tenancy import services
from okrplatform.tenancy.models import Membership, Organization, Team
from okrplatform.tenancy.roles import Action, Role


class OrganizationSerializer(serializers.ModelSerializer[Organization]):
    class Meta:
        model = Organization
        fields = ["id", "name", "slug", "ultimate_goal", "created_at"]
        read_only_fields = fields


class OrganizationView(OrganizationAPIView):
    """The organisation the key (or the ``X-Organization`` header) belongs to."""

    @extend_schema(responses=OrganizationSerializer)
    def get(self, request: Request) -> Response:
        return Response(OrganizationSerializer(self.access.organization).data)


class TeamSerializer(serializers.ModelSerializer[Team]):
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Team
        fields = ["id", "name", "description", "parent", "lead", "member_count"]
        read_only_fields = fields


class TeamFilter(filters.FilterSet):
    class Meta:
        model = Team
        fields = ["parent", "lead"]


class TeamViewSet(OrganizationReadOnlyViewSet):
    serializer_class = TeamSerializer
    queryset = Team.objects.all()
    filterset_class = TeamFilter
    ordering_fields = ["name", "id"]
    ordering = ["name", "id"]

    def get_queryset(self) -> QuerySet[Team]:
        return Team.objects.annotate(member_count=Count("team_memberships")).order_by("name", "id")


class MemberSerializer(serializers.ModelSerializer[Membership]):
    email = serializers.EmailField(source="user.email", read_only=True)
    full_name = serializers.CharField(source="user.full_name", read_only=True)
    role = serializers.ChoiceField(choices=Role.choices)

    class Meta:
        model = Membership
        fields = ["id", "user", "email", "full_name", "role", "joined_at"]
        read_only_fields = ["id", "user", "email", "full_name", "joined_at"]


class MemberFilter(filters.FilterSet):
    class Meta:
        model = Membership
        fields = ["role"]


class MemberViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    OrganizationViewSet,
):
    """Members and their roles. Changing a role or removing someone needs an admin's session."""

    serializer_class = MemberSerializer
    queryset = Membership.objects.all()
    filterset_class = MemberFilter
    write_action = Action.MANAGE_MEMBERS
    ordering_fields = ["joined_at", "id"]
    ordering = ["id"]
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Membership]:
        return Membership.objects.select_related("user").order_by("id")

    def perform_update(self, serializer: Any) -> None:
        services.membership_change_role(
            actor=self.access.signed_in_member(),
            membership=serializer.instance,
            role=serializer.validated_data.get("role", serializer.instance.role),
        )

    def perform_destroy(self, instance: Membership) -> None:
        services.membership_remove(actor=self.access.signed_in_member(), membership=instance)


def register(router: BaseRouter) -> list[Any]:
    from django.urls import path

    router.register("teams", TeamViewSet, basename="team")
    router.register("members", MemberViewSet, basename="member")
    return [path("organization/", OrganizationView.as_view(), name="organization")]
