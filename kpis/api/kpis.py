"""KPIs (read): definition, current target range, health and latest value; OKR candidates."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django.utils import timezone
from django_filters import rest_framework as filters
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from kpis.candidates import candidate_kpis, kpi_ids_with_active_aligned_objective
from kpis.models import KPI, Health, KPITarget
from kpis.selectors import prefetch_current_targets
from okrplatform.api.views import OrganizationReadOnlyViewSet

from .kpi_rows import KPI_FIELDS, kpi_rows, kpi_values


class TargetSerializer(serializers.ModelSerializer[KPITarget]):
    class Meta:
        model = KPITarget
        fields = ["kind", "lower", "upper", "tolerance", "effective_from"]
        read_only_fields = fields


class KPISerializer(serializers.ModelSerializer[KPI]):
    # Declared: the key may be blank, which the slug pattern of the schema would refuse.
    key = serializers.CharField(read_only=True, allow_blank=True)
    # A nested field, bound once per list: a serializer built per KPI (in a method field) rebuilt
    # its fields 50 times a page, a third of the list's time (make bench, API list).
    current_target = TargetSerializer(read_only=True, allow_null=True)

    class Meta:
        model = KPI
        fields = list(KPI_FIELDS)
        read_only_fields = fields


class KPIFilter(filters.FilterSet):
    key = filters.CharFilter(field_name="key", lookup_expr="iexact")
    health = filters.ChoiceFilter(choices=Health.choices)

    class Meta:
        model = KPI
        fields = ["key", "health", "owner_team", "owner", "archived", "update_frequency"]


class KPIReadOnlyViewSet(OrganizationReadOnlyViewSet):
    """Lists take the fast path of ``kpi_rows``: the usual filters, ordering and cursor page, over
    ``values()`` rather than model instances, and rows built as plain dicts (one query for any
    page size on PostgreSQL, two elsewhere). ``serializer_class`` still describes the response
    (schema) and serves the detail.
    """

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        now = timezone.now()
        page = self.paginate_queryset(kpi_values(self.filter_queryset(self.get_queryset()), now))
        if page is None:  # never, with CursorPage as every list's paginator
            raise ImproperlyConfigured("KPI lists are paginated.")
        return self.get_paginated_response(kpi_rows(page, now))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        kpi = self.get_object()
        prefetch_current_targets([kpi])
        return Response(KPISerializer(kpi).data)


class KPIViewSet(KPIReadOnlyViewSet):
    """KPIs with their target range, health and latest value. Archived KPIs are included;
    filter with ``archived=false``."""

    serializer_class = KPISerializer
    queryset = KPI.objects.all()
    filterset_class = KPIFilter
    ordering_fields = ["name", "health", "latest_value_at", "id"]
    ordering = ["name", "id"]

    def get_queryset(self) -> QuerySet[KPI]:
        return KPI.objects.order_by("name", "id")


class OKRCandidateViewSet(KPIReadOnlyViewSet):
    """Unhealthy KPIs that no active Objective addresses yet and nobody dismissed or snoozed:
    candidates for a new OKR, longest unhealthy first."""

    serializer_class = KPISerializer
    queryset = KPI.objects.all()
    filterset_class = KPIFilter
    ordering_fields = ["health_since", "name", "id"]
    ordering = ["health_since", "id"]

    def get_queryset(self) -> QuerySet[KPI]:
        candidates = candidate_kpis(today=timezone.localdate())
        aligned = kpi_ids_with_active_aligned_objective(
            list(candidates.values_list("pk", flat=True))
        )
        return candidates.exclude(pk__in=aligned).order_by("health_since", "id")
