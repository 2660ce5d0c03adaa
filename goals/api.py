"""API (read): strategic pillars, cycles, objectives with their progress, key results,
initiatives and check-ins - what a BI tool needs to report OKR progress."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django_filters import rest_framework as filters
from rest_framework import serializers
from rest_framework.routers import BaseRouter

from goals.models import (
    CheckIn,
    ControlDirection,
    Cycle,
    Initiative,
    KeyResult,
    KeyResultStatus,
    Objective,
    StrategicPillar,
)
from goals.progress import key_result_progress, weighted_mean
from kpis.models import KPI
from okrplatform.api.filters import UTCDateTimeFilter
from okrplatform.api.views import OrganizationReadOnlyViewSet


class PillarSerializer(serializers.ModelSerializer[StrategicPillar]):
    class Meta:
        model = StrategicPillar
        fields = ["id", "name", "description", "position"]
        read_only_fields = fields


class CycleSerializer(serializers.ModelSerializer[Cycle]):
    class Meta:
        model = Cycle
        fields = ["id", "name", "kind", "start_date", "end_date", "parent", "status", "closed_at"]
        read_only_fields = fields


class KeyResultSerializer(serializers.ModelSerializer[KeyResult]):
    # Declared so the schema's enums include the blank value the model allows.
    status = serializers.ChoiceField(KeyResultStatus.choices, allow_blank=True, read_only=True)
    control_direction = serializers.ChoiceField(
        ControlDirection.choices, allow_blank=True, read_only=True
    )
    progress = serializers.SerializerMethodField(help_text="0–1, from start to target")

    class Meta:
        model = KeyResult
        fields = [
            "id", "objective", "title", "kind", "start_value", "target_value", "current_value",
            "control_direction", "unit", "weight", "lead", "kpi", "status", "grade", "progress",
        ]  # fmt: skip
        read_only_fields = fields

    def get_progress(self, key_result: KeyResult) -> float:
        return round(key_result_progress(key_result), 4)


class ObjectiveSerializer(serializers.ModelSerializer[Objective]):
    progress = serializers.SerializerMethodField(
        help_text="0–1, the weighted mean of its key results' progress; null without any"
    )
    key_results = serializers.PrimaryKeyRelatedField[KeyResult](many=True, read_only=True)
    parents = serializers.PrimaryKeyRelatedField[Objective](many=True, read_only=True)
    kpis = serializers.PrimaryKeyRelatedField[KPI](many=True, read_only=True)

    class Meta:
        model = Objective
        fields = [
            "id", "title", "description", "cycle", "owner_team", "lead", "status", "pillar",
            "parents", "kpis", "key_results", "score", "progress", "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_progress(self, objective: Objective) -> float | None:
        results = [(key_result_progress(kr), kr.weight) for kr in objective.key_results.all()]
        mean = weighted_mean(results)
        return round(mean, 4) if mean is not None else None


class CheckInSerializer(serializers.ModelSerializer[CheckIn]):
    status = serializers.ChoiceField(KeyResultStatus.choices, allow_blank=True, read_only=True)

    class Meta:
        model = CheckIn
        fields = [
            "id",
            "key_result",
            "value",
            "status",
            "confidence",
            "comment",
            "author",
            "created_at",
        ]
        read_only_fields = fields


class InitiativeSerializer(serializers.ModelSerializer[Initiative]):
    class Meta:
        model = Initiative
        fields = [
            "id", "objective", "key_result", "title", "lead", "status", "progress", "due_date",
        ]  # fmt: skip
        read_only_fields = fields


class PillarViewSet(OrganizationReadOnlyViewSet):
    serializer_class = PillarSerializer
    queryset = StrategicPillar.objects.all()
    ordering_fields = ["position", "id"]
    ordering = ["position", "id"]

    def get_queryset(self) -> QuerySet[StrategicPillar]:
        return StrategicPillar.objects.order_by("position", "id")


class CycleViewSet(OrganizationReadOnlyViewSet):
    serializer_class = CycleSerializer
    queryset = Cycle.objects.all()
    filterset_fields = ["status", "kind", "parent"]
    ordering_fields = ["start_date", "id"]
    ordering = ["-start_date", "-id"]

    def get_queryset(self) -> QuerySet[Cycle]:
        return Cycle.objects.order_by("-start_date", "-id")


class ObjectiveViewSet(OrganizationReadOnlyViewSet):
    serializer_class = ObjectiveSerializer
    queryset = Objective.objects.all()
    filterset_fields = ["cycle", "owner_team", "status", "pillar", "lead"]
    ordering_fields = ["created_at", "id"]
    ordering = ["id"]

    def get_queryset(self) -> QuerySet[Objective]:
        return Objective.objects.prefetch_related(
            Prefetch("key_results", queryset=KeyResult.objects.order_by("position", "pk")),
            Prefetch("parents", queryset=Objective.objects.only("pk")),
            "kpis",
        ).order_by("id")


class KeyResultFilter(filters.FilterSet):
    cycle = filters.NumberFilter(field_name="objective__cycle")

    class Meta:
        model = KeyResult
        fields = ["objective", "cycle", "kpi", "status", "lead"]


class KeyResultViewSet(OrganizationReadOnlyViewSet):
    serializer_class = KeyResultSerializer
    queryset = KeyResult.objects.all()
    filterset_class = KeyResultFilter
    ordering_fields = ["position", "id"]
    ordering = ["id"]

    def get_queryset(self) -> QuerySet[KeyResult]:
        return KeyResult.objects.order_by("id")


class InitiativeViewSet(OrganizationReadOnlyViewSet):
    serializer_class = InitiativeSerializer
    queryset = Initiative.objects.all()
    filterset_fields = ["objective", "key_result", "status", "lead"]
    ordering_fields = ["due_date", "id"]
    ordering = ["id"]

    def get_queryset(self) -> QuerySet[Initiative]:
        return Initiative.objects.order_by("id")


class CheckInFilter(filters.FilterSet):
    since = UTCDateTimeFilter(field_name="created_at", lookup_expr="gte")
    objective = filters.NumberFilter(field_name="key_result__objective")

    class Meta:
        model = CheckIn
        fields = ["key_result", "objective", "since"]


class CheckInViewSet(OrganizationReadOnlyViewSet):
    serializer_class = CheckInSerializer
    queryset = CheckIn.objects.all()
    filterset_class = CheckInFilter
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self) -> QuerySet[CheckIn]:
        return CheckIn.objects.order_by("-created_at", "-id")


def register(router: BaseRouter) -> list[Any]:
    # The writable viewsets extend the read ones above (goals/api_writes.py).
    from goals import api_writes

    router.register("strategic-pillars", PillarViewSet, basename="strategic-pillar")
    router.register("cycles", api_writes.CycleWriteViewSet, basename="cycle")
    router.register("objectives", api_writes.ObjectiveWriteViewSet, basename="objective")
    router.register("key-results", api_writes.KeyResultWriteViewSet, basename="key-result")
    router.register("initiatives", api_writes.InitiativeWriteViewSet, basename="initiative")
    router.register("check-ins", api_writes.CheckInWriteViewSet, basename="check-in")
    return []
