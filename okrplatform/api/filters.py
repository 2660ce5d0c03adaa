"""Filters shared by the API's lists."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db.models import QuerySet
from django_filters import rest_framework as filters


class UTCDateTimeFilter(filters.IsoDateTimeFilter):
    """An ISO 8601 time filter that compares in UTC: PostgreSQL refuses some offsets Python
    accepts (e.g. +22:29), which must be a non-match, never a server error."""

    def filter(self, qs: QuerySet[Any], value: datetime | None) -> QuerySet[Any]:
        if value is not None:
            try:
                value = value.astimezone(UTC)
            except (OverflowError, ValueError):
                return qs.none()
        return super().filter(qs, value)  # type: ignore[no-any-return]
