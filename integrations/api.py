"""API for admins: integrations (credentials write-only: accepted, encrypted, never returned),
data sources (a push source's secret is returned once, on creation) and sync runs (read).

Every route needs ``manage_integrations``, reads included (settings name internal hosts): an
admin's or owner's signed-in session. API keys and members' sessions get 403. The views check
the shape and call ``integrations.services``, the last gate for every rule.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from integrations import services
from integrations.models import DataSource, Integration, Provider, ScheduleKind, SyncRun
from integrations.providers import provider_get
from kpis.models import KPI
from okrplatform.api.serializers import StrictSerializer, validated
from okrplatform.api.views import OrganizationReadOnlyViewSet, OrganizationViewSet
from okrplatform.tenancy.roles import Action


class IntegrationSerializer(serializers.ModelSerializer[Integration]):
    has_credentials = serializers.BooleanField(read_only=True)
    settings = serializers.DictField(read_only=True, help_text="Non-secret settings")

    class Meta:
        model = Integration
        fields = ["id", "provider", "name", "settings", "has_credentials", "created_at"]
        read_only_fields = fields


class IntegrationWriteSerializer(StrictSerializer):
    provider = serializers.ChoiceField(Provider.choices)
    name = serializers.CharField(max_length=120)
    settings = serializers.DictField(required=False, help_text="The provider's settings")
    credentials = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        write_only=True,
        help_text="Secrets (token, password, api_key): stored encrypted, never returned. "
        "On update, a secret left out keeps its stored value.",
    )


class IntegrationUpdateSerializer(IntegrationWriteSerializer):
    provider = None  # type: ignore[assignment]


def _fields(provider: str, data: dict[str, Any]) -> dict[str, Any]:
    """The one flat dict the services take, refusing a secret in ``settings`` (it would be
    stored, but it belongs in ``credentials``) and anything unknown in ``credentials``."""
    secret_names = provider_get(provider).secret_fields
    settings: dict[str, Any] = data.get("settings", {})
    credentials: dict[str, str] = data.get("credentials", {})
    misplaced = sorted(set(settings) & set(secret_names))
    if misplaced:
        raise serializers.ValidationError(
            {f"settings.{name}": ["Send secrets in credentials."] for name in misplaced}
        )
    unknown = sorted(set(credentials) - set(secret_names))
    if unknown:
        raise serializers.ValidationError(
            {f"credentials.{name}": ["Not a secret of this provider."] for name in unknown}
        )
    return {**settings, **credentials}


class IntegrationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    OrganizationViewSet,
):
    serializer_class = IntegrationSerializer
    queryset = Integration.objects.all()
    read_action = Action.MANAGE_INTEGRATIONS
    write_action = Action.MANAGE_INTEGRATIONS
    filterset_fields = ["provider"]
    ordering_fields = ["name", "id"]
    ordering = ["name", "id"]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Integration]:
        return Integration.objects.order_by("name", "id")

    @extend_schema(request=IntegrationWriteSerializer, responses={201: IntegrationSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(IntegrationWriteSerializer, request.data)
        integration = services.integration_create(
            actor=self.access.actor(),
            provider=data["provider"],
            name=data["name"],
            fields=_fields(data["provider"], data),
        )
        return Response(IntegrationSerializer(integration).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=IntegrationUpdateSerializer(partial=True), responses=IntegrationSerializer
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        integration = self.get_object()
        data = dict(validated(IntegrationUpdateSerializer, request.data, partial=True))
        data.setdefault("settings", dict(integration.settings))
        integration = services.integration_update(
            actor=self.access.actor(),
            integration=integration,
            name=data.get("name", integration.name),
            fields=_fields(integration.provider, data),
        )
        return Response(IntegrationSerializer(integration).data)

    def perform_destroy(self, instance: Integration) -> None:
        services.integration_delete(actor=self.access.actor(), integration=instance)


SCHEDULE_FIELDS = ["schedule_kind", "schedule_interval_minutes", "schedule_time", "schedule_cron"]


class DataSourceSerializer(serializers.ModelSerializer[DataSource]):
    extraction = serializers.DictField(read_only=True)

    class Meta:
        model = DataSource
        fields = [
            "id", "integration", "kpi", "extraction", "enabled", *SCHEDULE_FIELDS, "status",
            "next_run_at", "last_success_at", "failing_since", "last_error", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class DataSourceCreatedSerializer(DataSourceSerializer):
    push_secret = serializers.CharField(
        read_only=True, allow_null=True, help_text="Push sources only: shown this once"
    )

    class Meta(DataSourceSerializer.Meta):
        fields = [*DataSourceSerializer.Meta.fields, "push_secret"]
        read_only_fields = fields


class DataSourceWriteSerializer(StrictSerializer):
    integration = serializers.PrimaryKeyRelatedField[Integration](
        queryset=Integration.objects.all()
    )
    kpi = serializers.PrimaryKeyRelatedField[KPI](queryset=KPI.objects.all())
    extraction = serializers.DictField(required=False)
    enabled = serializers.BooleanField(required=False)
    schedule_kind = serializers.ChoiceField(ScheduleKind.choices, required=False)
    schedule_interval_minutes = serializers.IntegerField(
        min_value=1, max_value=100_000, required=False
    )
    schedule_time = serializers.TimeField(required=False, allow_null=True)
    schedule_cron = serializers.CharField(max_length=120, required=False, allow_blank=True)


class DataSourceUpdateSerializer(DataSourceWriteSerializer):
    integration = None  # type: ignore[assignment]
    kpi = None  # type: ignore[assignment]


class DataSourceViewSet(IntegrationViewSet):
    serializer_class = DataSourceSerializer  # type: ignore[assignment]
    queryset = DataSource.objects.all()  # type: ignore[assignment]
    filterset_fields = ["integration", "kpi", "status", "enabled"]
    ordering_fields = ["id", "next_run_at"]
    ordering = ["id"]

    def get_queryset(self) -> QuerySet[DataSource]:  # type: ignore[override]
        return DataSource.objects.select_related("integration").order_by("id")

    @extend_schema(request=DataSourceWriteSerializer, responses={201: DataSourceCreatedSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = dict(validated(DataSourceWriteSerializer, request.data))
        source, secret = services.data_source_create(
            actor=self.access.actor(),
            integration=data.pop("integration"),
            kpi=data.pop("kpi"),
            extraction=data.pop("extraction", {}),
            enabled=data.pop("enabled", True),
            **data,
        )
        source.push_secret = secret  # type: ignore[attr-defined]
        body = DataSourceCreatedSerializer(source).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=DataSourceUpdateSerializer(partial=True), responses=DataSourceSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        source = self.get_object()
        data = validated(DataSourceUpdateSerializer, request.data, partial=True)
        schedule = {name: data.get(name, getattr(source, name)) for name in SCHEDULE_FIELDS}
        source = services.data_source_update(
            actor=self.access.actor(),
            source=source,
            extraction=data.get("extraction", source.extraction),
            enabled=data.get("enabled", source.enabled),
            **schedule,
        )
        return Response(DataSourceSerializer(source).data)

    def perform_destroy(self, instance: DataSource) -> None:  # type: ignore[override]
        services.data_source_delete(actor=self.access.actor(), source=instance)


class SyncRunSerializer(serializers.ModelSerializer[SyncRun]):
    class Meta:
        model = SyncRun
        fields = [
            "id", "data_source", "scheduled_for", "trigger", "status", "attempts",
            "values_written", "started_at", "finished_at", "duration_ms", "error",
        ]  # fmt: skip
        read_only_fields = fields


class SyncRunViewSet(OrganizationReadOnlyViewSet):
    serializer_class = SyncRunSerializer
    queryset = SyncRun.objects.all()
    read_action = Action.MANAGE_INTEGRATIONS
    filterset_fields = ["data_source", "status", "trigger"]
    ordering_fields = ["scheduled_for", "id"]
    ordering = ["-scheduled_for", "-id"]

    def get_queryset(self) -> QuerySet[SyncRun]:
        return SyncRun.objects.order_by("-scheduled_for", "-id")


def register(router: BaseRouter) -> list[Any]:
    router.register("integrations", IntegrationViewSet, basename="integration")
    router.register("data-sources", DataSourceViewSet, basename="data-source")
    router.register("sync-runs", SyncRunViewSet, basename="sync-run")
    return []
