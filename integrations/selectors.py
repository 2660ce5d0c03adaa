"""Reads for the integrations pages: org-scoped querysets with what their templates touch."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from .models import DataSource, Integration, SourceStatus, SyncRun

RUN_LOG_LENGTH = 50


def integration_list() -> QuerySet[Integration]:
    return Integration.objects.annotate(
        source_count=Count("data_sources"),
        attention_count=Count(
            "data_sources", filter=Q(data_sources__status=SourceStatus.NEEDS_ATTENTION)
        ),
    ).order_by("name")


def integration_get(pk: int) -> Integration | None:
    return Integration.objects.filter(pk=pk).first()


def data_source_list(integration: Integration | None = None) -> QuerySet[DataSource]:
    sources = DataSource.objects.select_related("kpi", "integration")
    if integration is not None:
        sources = sources.filter(integration=integration)
    return sources.order_by("kpi__name", "pk")


def data_source_get(pk: int) -> DataSource | None:
    return DataSource.objects.select_related("kpi", "integration").filter(pk=pk).first()


def run_log(source: DataSource) -> QuerySet[SyncRun]:
    return SyncRun.objects.filter(data_source=source).order_by("-scheduled_for")[:RUN_LOG_LENGTH]


def run_get(pk: int) -> SyncRun | None:
    return SyncRun.objects.select_related("data_source").filter(pk=pk).first()
