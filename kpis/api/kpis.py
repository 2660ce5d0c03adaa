"""KPIs (read): definition, current target range, health and latest value; OKR candidates."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone
from django_filters import rest_framework as filters
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from kpis.candidates import candidate_kpis, kpi_ids_with_active_aligned_objective
from kpis.models import KPI, Health, KPITarget
from kpis.selectors import prefetch_current_targets
from okrplatform.api.filters import FilterBackend, OrderingFilter
from okrplatform.api.keyset import KeysetPage
from okrplatform.api.views import OrganizationReadOnlyViewSet

from .kpi_page_sql import kpi_page_rows
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
    """Lists take the fast path of ``kpi_rows``: the usual filters and ordering over ``values()``
    rather than model instances, a keyset cursor page (``KeysetPage``), and rows built as plain
    dicts (one query for any page size on PostgreSQL, two elsewhere). On PostgreSQL a list whose
    query names no filter is one hand-written statement (``kpi_page_sql``) when the view allows
    it. ``serializer_class`` still describes the response (schema) and serves the detail.
    """

    pagination_class = KeysetPage
    queryset: QuerySet[KPI] = KPI.objects.all()  # compiled in the bound organisation
    ordering: list[str]
    # Whether the plain list (no filter named) may be read by ``kpi_page_rows``: only for a
    # queryset that is every KPI of the organisation.
    plain_list_by_sql = False

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        now = timezone.now()
        paginator = self.paginator
        assert isinstance(paginator, KeysetPage)  # noqa: S101 - set just above
        # The class's queryset (never run here): the backends only check its model. Building a
        # fresh one, with the tenant filter, cost a tenth of the plain list's time.
        every_kpi = self.queryset
        ordering = OrderingFilter().get_ordering(request, every_kpi, self) or self.ordering
        paginator.start(request, KPI, ordering)
        if (
            self.plain_list_by_sql
            and connection.vendor == "postgresql"
            and not FilterBackend().names_a_filter(request, every_kpi, self)
        ):
            return paginator.get_paginated_response(kpi_page_rows(paginator, now))
        queryset = paginator.page_query(self.filter_queryset(self.get_queryset()))
        fetched = list(kpi_values(queryset, now)[: paginator.fetch_size])
        keys = paginator.walk_keys
        positions = [tuple(row[key.field] for key in keys) for row in fetched]
        return paginator.get_paginated_response(
            kpi_rows(paginator.paginate_rows(fetched, positions), now)
        )

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        kpi = self.get_object()
        prefetch_current_targets([kpi])
        return Response(KPISerializer(kpi).data)


class KPIViewSet(KPIReadOnlyViewSet):
    """KPIs with their target range, health and latest value. Archived KPIs are included;
    filter with ``archived=false``."""

    serializer_class = KPISerializer
    filterset_class = KPIFilter
    ordering_fields = ["name", "health", "latest_value_at", "id"]
    ordering = ["name", "id"]
    plain_list_by_sql = True

    def get_queryset(self) -> QuerySet[KPI]:
        return KPI.objects.order_by("name", "id")


class OKRCandidateViewSet(KPIReadOnlyViewSet):
    """Unhealthy KPIs that no active Objective addresses yet and nobody dismissed or snoozed:
    candidates for a new OKR, longest unhealthy first."""

    serializer_class = KPISerializer
    filterset_class = KPIFilter
    ordering_fields = ["health_since", "name", "id"]
    ordering = ["health_since", "id"]

    def get_queryset(self) -> QuerySet[KPI]:
        candidates = candidate_kpis(today=timezone.localdate())
        aligned = kpi_ids_with_active_aligned_objective(
            list(candidates.values_list("pk", flat=True))
        )
        return candidates.exclude(pk__in=aligned).order_by("health_since", "id")
