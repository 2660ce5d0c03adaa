"""Reads for API keys (scoped to the bound organisation)."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import OrganizationAPIKey


def api_key_list() -> QuerySet[OrganizationAPIKey]:
    return OrganizationAPIKey.objects.select_related("created_by").order_by(
        "revoked_at", "-created_at"
    )


def api_key_get(pk: int) -> OrganizationAPIKey | None:
    return OrganizationAPIKey.objects.filter(pk=pk).first()
