"""KPI values (read): one KPI's or every KPI's points over a time range, newest first."""

from __future__ import annotations

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from rest_framework import serializers

from kpis.models import KPIValue
from okrplatform.api.filters import UTCDateTimeFilter
from okrplatform.api.views import OrganizationReadOnlyViewSet


class KPIValueSerializer(serializers.ModelSerializer[KPIValue]):
    class Meta:
        model = KPIValue
        fields = ["id", "kpi", "timestamp", "value", "source", "note", "recorded_at"]
        read_only_fields = fields


class KPIValueFilter(filters.FilterSet):
    kpi_key = filters.CharFilter(field_name="kpi__key", lookup_expr="iexact", label="KPI key")
    since = UTCDateTimeFilter(
        field_name="timestamp", lookup_expr="gte", label="From this time (inclusive)"
    )
    until = UTCDateTimeFilter(
        field_name="timestamp", lookup_expr="lt", label="Up to this time (exclusive)"
    )

    class Meta:
        model = KPIValue
        fields = ["kpi", "kpi_key", "since", "until", "source"]


class KPIValueViewSet(OrganizationReadOnlyViewSet):
    serializer_class = KPIValueSerializer
    queryset = KPIValue.objects.all()
    filterset_class = KPIValueFilter
    ordering_fields = ["timestamp", "id"]
    ordering = ["-timestamp", "-id"]

    def get_queryset(self) -> QuerySet[KPIValue]:
        return KPIValue.objects.order_by("-timestamp", "-id")
