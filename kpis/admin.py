"""Operator admin for KPIs. Read-mostly: values and health are written through kpis.services,
so the derived state (periods, health changes) stays consistent; the admin shows it."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from okrplatform.tenancy.admin import UnscopedAdmin

from .models import KPI, HealthChange, KPIPeriod, KPITarget, KPIValue


class KPITargetInline(admin.TabularInline):  # type: ignore[type-arg]
    model = KPITarget
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "lower", "upper", "tolerance", "effective_from", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(KPI)
class KPIAdmin(UnscopedAdmin):
    list_display = [
        "name",
        "organization",
        "owner_team",
        "update_frequency",
        "health",
        "latest_value",
        "archived",
    ]
    list_filter = ["health", "update_frequency", "archived"]
    search_fields = ["name", "key", "organization__name"]
    raw_id_fields = ["owner", "owner_team"]
    readonly_fields = [
        "health",
        "health_since",
        "latest_value",
        "latest_value_at",
        "last_recorded_at",
    ]
    inlines = [KPITargetInline]


class _ReadOnlyAdmin(UnscopedAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(KPIValue)
class KPIValueAdmin(_ReadOnlyAdmin):
    list_display = ["kpi", "timestamp", "value", "source", "author", "recorded_at"]
    list_filter = ["source"]
    search_fields = ["kpi__name"]
    raw_id_fields = ["kpi", "author"]


@admin.register(KPIPeriod)
class KPIPeriodAdmin(_ReadOnlyAdmin):
    list_display = ["kpi", "period_start", "value", "raw_health", "health"]
    list_filter = ["health"]
    search_fields = ["kpi__name"]


@admin.register(HealthChange)
class HealthChangeAdmin(_ReadOnlyAdmin):
    list_display = ["kpi", "from_health", "to_health", "period_start", "value", "changed_at"]
    list_filter = ["to_health"]
    search_fields = ["kpi__name"]
