"""API writes for KPIs: create, update (and archive), set the target range, record or delete one
value. The views validate the shape and call ``kpis.services``; every rule lives there."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from kpis import services
from kpis.models import (
    KPI,
    Aggregation,
    KPIValue,
    TargetKind,
    UnitKind,
    UpdateFrequency,
    ValueSource,
)
from kpis.selectors import prefetch_current_targets
from okrplatform.api.serializers import (
    AwareDateTimeField,
    MemberField,
    StrictSerializer,
    validated,
)
from okrplatform.tenancy.models import Team

from .kpis import KPISerializer, KPIViewSet, TargetSerializer
from .values import KPIValueSerializer, KPIValueViewSet


def _number(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=20, decimal_places=6, **kwargs)


class KPIWriteSerializer(StrictSerializer):
    name = serializers.CharField(max_length=200)
    key = serializers.SlugField(max_length=80, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    owner_team = serializers.PrimaryKeyRelatedField[Team](
        queryset=Team.objects.all(), required=False, allow_null=True
    )
    owner = MemberField(required=False, allow_null=True)
    unit_kind = serializers.ChoiceField(UnitKind.choices, required=False)
    currency_code = serializers.CharField(max_length=3, required=False, allow_blank=True)
    unit_suffix = serializers.CharField(max_length=20, required=False, allow_blank=True)
    decimal_places = serializers.IntegerField(min_value=0, max_value=6, required=False)
    update_frequency = serializers.ChoiceField(UpdateFrequency.choices, required=False)
    aggregation = serializers.ChoiceField(Aggregation.choices, required=False)
    hysteresis_periods = serializers.IntegerField(min_value=1, max_value=12, required=False)


class KPIUpdateSerializer(KPIWriteSerializer):
    archived = serializers.BooleanField(required=False, help_text="Archive or restore the KPI")


class TargetWriteSerializer(StrictSerializer):
    kind = serializers.ChoiceField(TargetKind.choices)
    lower = _number(required=False, allow_null=True)
    upper = _number(required=False, allow_null=True)
    tolerance = _number(required=False, allow_null=True)
    effective_from = serializers.DateField(
        help_text="The target holds from the period containing this date onwards"
    )


class KPIValueWriteSerializer(StrictSerializer):
    kpi = serializers.PrimaryKeyRelatedField[KPI](queryset=KPI.objects.all())
    timestamp = AwareDateTimeField()
    value = _number()
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


def _kpi_out(kpi: KPI) -> dict[str, Any]:
    prefetch_current_targets([kpi])
    return dict(KPISerializer(kpi).data)


class KPIWriteViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, KPIViewSet):
    """KPIs: read by everyone; created and changed by members (their teams' KPIs), admins, and
    read-write keys (acting as the admin who created them)."""

    http_method_names = ["get", "post", "patch", "head", "options"]

    @extend_schema(request=KPIWriteSerializer, responses={201: KPISerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(KPIWriteSerializer, request.data)
        kpi = services.kpi_create(actor=self.access.actor(), **data)
        return Response(_kpi_out(kpi), status=status.HTTP_201_CREATED)

    @extend_schema(request=KPIUpdateSerializer, responses=KPISerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        kpi = self.get_object()
        data = dict(validated(KPIUpdateSerializer, request.data, partial=True))
        actor = self.access.actor()
        archived = data.pop("archived", None)
        if data:
            kpi = services.kpi_update(actor=actor, kpi=kpi, **data)
        if archived is not None:
            kpi = services.kpi_archive(actor=actor, kpi=kpi, archived=archived)
        return Response(_kpi_out(kpi))

    @extend_schema(request=TargetWriteSerializer, responses={201: TargetSerializer})
    @action(detail=True, methods=["post"], url_path="targets", url_name="targets")
    def targets(self, request: Request, pk: str | None = None) -> Response:
        """Set the target range from a period on (replacing one set for that same period)."""
        kpi = self.get_object()
        data = validated(TargetWriteSerializer, request.data)
        target = services.kpi_target_set(actor=self.access.actor(), kpi=kpi, **data)
        return Response(TargetSerializer(target).data, status=status.HTTP_201_CREATED)


class KPIValueWriteViewSet(mixins.CreateModelMixin, mixins.DestroyModelMixin, KPIValueViewSet):
    """One point at a time (``/kpi-values/bulk`` for many). Recording at a timestamp that has a
    point replaces it. With an API key the value carries no person's rights, as in bulk."""

    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[KPIValue]:
        return super().get_queryset().select_related("kpi")

    @extend_schema(request=KPIValueWriteSerializer, responses={201: KPIValueSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(KPIValueWriteSerializer, request.data)
        access = self.access
        point = services.kpi_value_record(
            actor=access.membership,  # None for a key: scope-checked by the permission
            kpi=data["kpi"],
            timestamp=data["timestamp"],
            value=data["value"],
            note=data.get("note", ""),
            source=ValueSource.API,
        )
        return Response(KPIValueSerializer(point).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: KPIValue) -> None:
        services.kpi_value_delete(actor=self.access.actor(), value=instance)
