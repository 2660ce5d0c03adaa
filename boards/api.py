"""API (read): KPI boards with their sections and the KPIs on them, in board order."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from rest_framework import serializers
from rest_framework.routers import BaseRouter

from boards.models import Board, BoardItem, BoardSection
from okrplatform.api.views import OrganizationReadOnlyViewSet


class BoardSectionSerializer(serializers.ModelSerializer[BoardSection]):
    class Meta:
        model = BoardSection
        fields = ["id", "title", "position"]
        read_only_fields = fields


class BoardItemSerializer(serializers.ModelSerializer[BoardItem]):
    class Meta:
        model = BoardItem
        fields = ["kpi", "section", "position"]
        read_only_fields = fields


class BoardSerializer(serializers.ModelSerializer[Board]):
    sections = BoardSectionSerializer(many=True, read_only=True)
    items = BoardItemSerializer(many=True, read_only=True)

    class Meta:
        model = Board
        fields = [
            "id",
            "name",
            "description",
            "owner_team",
            "sections",
            "items",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class BoardViewSet(OrganizationReadOnlyViewSet):
    serializer_class = BoardSerializer
    queryset = Board.objects.all()
    filterset_fields = ["owner_team"]
    ordering_fields = ["name", "id"]
    ordering = ["name", "id"]

    def get_queryset(self) -> QuerySet[Board]:
        return Board.objects.prefetch_related(
            Prefetch("sections", queryset=BoardSection.objects.order_by("position", "pk")),
            Prefetch("items", queryset=BoardItem.objects.order_by("position", "pk")),
        ).order_by("name", "id")


def register(router: BaseRouter) -> list[Any]:
    router.register("boards", BoardViewSet, basename="board")
    return []
