"""API writes for OKRs: cycles (admins), objectives with their alignment (parents, KPIs,
pillar), key results, initiatives and check-ins. The views check the shape and call
``goals.services``, where every rule and permission lives; a PATCH fills what it leaves out
from the stored object, because the services take the whole object. Objectives, key results
and initiatives can be deleted by whoever may change them (admins, the owning team's members,
the objective's lead; never viewers or read-only keys), except in a closed cycle."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from goals import services
from goals.api import (
    CheckInSerializer,
    CheckInViewSet,
    CycleSerializer,
    CycleViewSet,
    InitiativeSerializer,
    InitiativeViewSet,
    KeyResultSerializer,
    KeyResultViewSet,
    ObjectiveSerializer,
    ObjectiveViewSet,
)
from goals.models import (
    ControlDirection,
    Cycle,
    CycleKind,
    CycleStatus,
    Initiative,
    InitiativeStatus,
    KeyResult,
    KeyResultKind,
    KeyResultStatus,
    Objective,
    ObjectiveStatus,
    StrategicPillar,
)
from kpis.models import KPI
from okrplatform.api.serializers import MemberField, StrictSerializer, validated
from okrplatform.tenancy.models import Team


def _number(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=20, decimal_places=6, **kwargs)


PATCH_ONLY = ["get", "post", "patch", "head", "options"]
WITH_DELETE = [*PATCH_ONLY, "delete"]


def _pk(model: Any, **kwargs: Any) -> Any:
    return serializers.PrimaryKeyRelatedField(queryset=model.objects.all(), **kwargs)


def _merged(instance: Any, data: dict[str, Any], names: list[str]) -> dict[str, Any]:
    return {name: data[name] if name in data else getattr(instance, name) for name in names}


class CycleWriteSerializer(StrictSerializer):
    name = serializers.CharField(max_length=80)
    kind = serializers.ChoiceField(CycleKind.choices)
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    parent = _pk(Cycle, required=False, allow_null=True)
    status = serializers.ChoiceField(
        CycleStatus.choices, required=False, help_text="planning or active; close in the app"
    )


class CycleWriteViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, CycleViewSet):
    """Cycles are admins' work (members get 403); closing and grading stays in the app."""

    http_method_names = PATCH_ONLY

    @extend_schema(request=CycleWriteSerializer, responses={201: CycleSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(CycleWriteSerializer, request.data)
        cycle = services.cycle_create(actor=self.access.actor(), **data)
        return Response(CycleSerializer(cycle).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CycleWriteSerializer(partial=True), responses=CycleSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        cycle = self.get_object()
        data = validated(CycleWriteSerializer, request.data, partial=True)
        fields = _merged(cycle, data, ["name", "kind", "start_date", "end_date", "parent"])
        cycle = services.cycle_update(
            actor=self.access.actor(), cycle=cycle, status=data.get("status"), **fields
        )
        return Response(CycleSerializer(cycle).data)


class ObjectiveWriteSerializer(StrictSerializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    cycle = _pk(Cycle)
    owner_team = _pk(Team, required=False, allow_null=True)
    lead = MemberField(required=False, allow_null=True)
    status = serializers.ChoiceField(ObjectiveStatus.choices, required=False)
    pillar = _pk(StrategicPillar, required=False, allow_null=True)
    parents = _pk(Objective, many=True, required=False)
    kpis = _pk(KPI, many=True, required=False)


OBJECTIVE_FIELDS = ["title", "description", "cycle", "owner_team", "lead", "status", "pillar"]


class ObjectiveWriteViewSet(
    mixins.CreateModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin, ObjectiveViewSet
):
    http_method_names = WITH_DELETE

    def _out(self, objective: Objective) -> dict[str, Any]:
        return dict(ObjectiveSerializer(self.get_queryset().get(pk=objective.pk)).data)

    @extend_schema(request=ObjectiveWriteSerializer, responses={201: ObjectiveSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(ObjectiveWriteSerializer, request.data)
        objective = services.objective_create(actor=self.access.actor(), **data)
        return Response(self._out(objective), status=status.HTTP_201_CREATED)

    @extend_schema(request=ObjectiveWriteSerializer(partial=True), responses=ObjectiveSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        objective = self.get_object()
        data = validated(ObjectiveWriteSerializer, request.data, partial=True)
        fields = _merged(objective, data, OBJECTIVE_FIELDS)
        fields["parents"] = data.get("parents", list(objective.parents.all()))
        fields["kpis"] = data.get("kpis", list(objective.kpis.all()))
        services.objective_update(actor=self.access.actor(), objective=objective, **fields)
        return Response(self._out(objective))

    def perform_destroy(self, instance: Objective) -> None:
        services.objective_delete(actor=self.access.actor(), objective=instance)


class KeyResultWriteSerializer(StrictSerializer):
    objective = _pk(Objective)
    title = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(KeyResultKind.choices, required=False)
    start_value = _number(required=False)
    target_value = _number(required=False)
    current_value = _number(required=False, allow_null=True)
    control_direction = serializers.ChoiceField(
        ControlDirection.choices, required=False, allow_blank=True
    )
    unit = serializers.CharField(max_length=20, required=False, allow_blank=True)
    weight = serializers.DecimalField(max_digits=6, decimal_places=2, required=False)
    lead = MemberField(required=False, allow_null=True)
    kpi = _pk(KPI, required=False, allow_null=True)


class KeyResultUpdateSerializer(KeyResultWriteSerializer):
    objective = None
    current_value = None  # type: ignore[assignment]  # moved by check-ins


KR_FIELDS = [
    "title", "kind", "start_value", "target_value", "control_direction", "unit", "weight",
    "lead", "kpi",
]  # fmt: skip


class KeyResultWriteViewSet(
    mixins.CreateModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin, KeyResultViewSet
):
    http_method_names = WITH_DELETE

    @extend_schema(request=KeyResultWriteSerializer, responses={201: KeyResultSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(KeyResultWriteSerializer, request.data)
        key_result = services.key_result_create(actor=self.access.actor(), **data)
        return Response(KeyResultSerializer(key_result).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=KeyResultUpdateSerializer(partial=True), responses=KeyResultSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        key_result = self.get_object()
        data = validated(KeyResultUpdateSerializer, request.data, partial=True)
        key_result = services.key_result_update(
            actor=self.access.actor(),
            key_result=key_result,
            **_merged(key_result, data, KR_FIELDS),
        )
        return Response(KeyResultSerializer(key_result).data)

    def perform_destroy(self, instance: KeyResult) -> None:
        services.key_result_delete(actor=self.access.actor(), key_result=instance)


class InitiativeWriteSerializer(StrictSerializer):
    objective = _pk(Objective)
    title = serializers.CharField(max_length=200)
    key_result = _pk(KeyResult, required=False, allow_null=True)
    lead = MemberField(required=False, allow_null=True)
    status = serializers.ChoiceField(InitiativeStatus.choices, required=False)
    progress = serializers.IntegerField(min_value=0, max_value=100, required=False)
    due_date = serializers.DateField(required=False, allow_null=True)


class InitiativeUpdateSerializer(InitiativeWriteSerializer):
    objective = None


INITIATIVE_FIELDS = ["title", "key_result", "lead", "status", "progress", "due_date"]


class InitiativeWriteViewSet(
    mixins.CreateModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin, InitiativeViewSet
):
    http_method_names = WITH_DELETE

    @extend_schema(request=InitiativeWriteSerializer, responses={201: InitiativeSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(InitiativeWriteSerializer, request.data)
        initiative = services.initiative_create(actor=self.access.actor(), **data)
        return Response(InitiativeSerializer(initiative).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=InitiativeUpdateSerializer(partial=True), responses=InitiativeSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        initiative: Initiative = self.get_object()
        data = validated(InitiativeUpdateSerializer, request.data, partial=True)
        initiative = services.initiative_update(
            actor=self.access.actor(),
            initiative=initiative,
            **_merged(initiative, data, INITIATIVE_FIELDS),
        )
        return Response(InitiativeSerializer(initiative).data)

    def perform_destroy(self, instance: Initiative) -> None:
        services.initiative_delete(actor=self.access.actor(), initiative=instance)


class CheckInWriteSerializer(StrictSerializer):
    key_result = _pk(KeyResult)
    value = _number(required=False, allow_null=True, help_text="Milestones: 1 done, 0 not done")
    status = serializers.ChoiceField(KeyResultStatus.choices, required=False, allow_blank=True)
    confidence = serializers.IntegerField(
        min_value=1, max_value=10, required=False, allow_null=True
    )
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class CheckInWriteViewSet(mixins.CreateModelMixin, CheckInViewSet):
    """Check-ins are a log: created, never edited."""

    http_method_names = ["get", "post", "head", "options"]

    @extend_schema(request=CheckInWriteSerializer, responses={201: CheckInSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(CheckInWriteSerializer, request.data)
        check_in = services.check_in_create(actor=self.access.actor(), **data)
        return Response(CheckInSerializer(check_in).data, status=status.HTTP_201_CREATED)
