"""API: KPIs with their current target and health, KPI values (list by time range, bulk
upsert), and OKR candidates."""

from __future__ import annotations

from typing import Any

from rest_framework.routers import BaseRouter

from .bulk import KPIValueBulkView
from .kpis import OKRCandidateViewSet
from .writes import KPIValueWriteViewSet, KPIWriteViewSet


def register(router: BaseRouter) -> list[Any]:
    from django.urls import path

    router.register("kpis", KPIWriteViewSet, basename="kpi")
    router.register("okr-candidates", OKRCandidateViewSet, basename="okr-candidate")
    router.register("kpi-values", KPIValueWriteViewSet, basename="kpi-value")
    # Before the router's routes, so "bulk" is never read as a KPI value id.
    return [path("kpi-values/bulk", KPIValueBulkView.as_view(), name="kpi-value-bulk")]
