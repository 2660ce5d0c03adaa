"""Filters shared by the API's lists."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from rest_framework import filters as drf_filters
from rest_framework.request import Request


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


class FilterBackend(filters.DjangoFilterBackend):
    """django-filter's backend, skipped when the query names none of the view's filters.

    Building and validating a FilterSet's form (a deep copy of every filter, a new form class) is
    a fifth of a 50-row list's time under gunicorn (``make bench``, API list), and with no filter
    in the query it filters nothing. A parameter that merely starts with a filter's name counts
    as naming it, so filters whose widgets read suffixed names (``_min``, ``_after``) still run.
    """

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: Any) -> Any:
        if not self.names_a_filter(request, queryset, view):
            return queryset
        return super().filter_queryset(request, queryset, view)

    def names_a_filter(self, request: Request, queryset: QuerySet[Any], view: Any) -> bool:
        filterset_class = self.get_filterset_class(view, queryset)
        return filterset_class is None or any(
            parameter.startswith(name)
            for parameter in request.query_params
            for name in filterset_class.base_filters
        )


class OrderingFilter(drf_filters.OrderingFilter):
    """DRF's ``?ordering=``, made total: an ordering that does not end in ``id`` gets it as a
    tiebreaker, in the direction of the last field.

    Cursor pages resume after the last row's position; when many rows share a value (``health``,
    ``name``) and the database may return ties in any order, a page could repeat rows of the
    previous one and skip others. With ``id`` last the order is the same on every request.
    """

    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: Any) -> Any:
        ordering = super().get_ordering(request, queryset, view)
        if not ordering:
            return ordering
        fields = [str(field) for field in ordering]
        if fields[-1].lstrip("-") in {"id", "pk"}:
            return fields
        tiebreaker = "-id" if fields[-1].startswith("-") else "id"
        return [*fields, tiebreaker]
