"""Django admin for staff; credentials never appear (the ciphertext fields are excluded)."""

from __future__ import annotations

from django.contrib import admin

from okrplatform.tenancy.admin import UnscopedAdmin

from .models import DataSource, Integration, SyncRun


@admin.register(Integration)
class IntegrationAdmin(UnscopedAdmin):
    list_display = ["name", "provider", "organization", "updated_at"]
    list_filter = ["provider"]
    exclude = ["credentials_ciphertext"]


@admin.register(DataSource)
class DataSourceAdmin(UnscopedAdmin):
    list_display = ["pk", "kpi", "integration", "status", "next_run_at", "last_success_at"]
    list_filter = ["status", "enabled"]
    exclude = ["push_secret_ciphertext"]
    raw_id_fields = ["kpi", "integration"]


@admin.register(SyncRun)
class SyncRunAdmin(UnscopedAdmin):
    list_display = ["pk", "data_source", "scheduled_for", "status", "attempts", "values_written"]
    list_filter = ["status"]
    raw_id_fields = ["data_source"]
