"""``POST /api/v1/kpi-values/bulk``: upsert up to 10,000 points in one request.

The rule on invalid items: **all or nothing**. Every item is checked first; if any is invalid
the answer is 400 with one error per bad item (``points.<index>.<field>``) and nothing is
written, so a client fixes its batch and sends it again without working out which half landed.
Re-sending a batch is harmless: points are keyed by (KPI, timestamp), so the same batch twice
leaves the same state (the second answer counts them as ``updated``). Two points of one batch
with the same KPI and timestamp are allowed; the later one in the list wins.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from kpis.models import KPI, ValueSource
from kpis.services import PointInput, kpi_values_record_many, timestamp_validate, value_parse
from okrplatform.api.throttling import APIKeyRateThrottle, BulkWriteRateThrottle
from okrplatform.api.views import OrganizationAPIView
from okrplatform.errors import DomainError

MAX_POINTS = 10_000
POINT_FIELDS = frozenset({"kpi", "kpi_key", "timestamp", "value", "note"})
NOTE_MAX = 500


class BulkPointSerializer(serializers.Serializer[Any]):
    """For the schema; validation is hand-written below for speed (10,000 items)."""

    kpi = serializers.IntegerField(required=False, help_text="The KPI's id (or give kpi_key).")
    kpi_key = serializers.CharField(required=False, help_text="The KPI's key (or give kpi).")
    timestamp = serializers.DateTimeField(help_text="ISO 8601 with a time zone.")
    value = serializers.DecimalField(max_digits=20, decimal_places=6, coerce_to_string=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_MAX)


class BulkRequestSerializer(serializers.Serializer[Any]):
    points = serializers.ListField(child=BulkPointSerializer(), max_length=MAX_POINTS)


class BulkResultSerializer(serializers.Serializer[Any]):
    received = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    kpis = serializers.ListField(child=serializers.IntegerField())


def _timestamp(raw: object, now: datetime) -> datetime:
    if not isinstance(raw, str):
        raise DomainError("Give the timestamp as an ISO 8601 string with a time zone.")
    try:
        parsed = parse_datetime(raw)
    except ValueError:
        parsed = None
    if parsed is None:
        raise DomainError(f"“{raw[:40]}” is not an ISO 8601 timestamp.")
    if timezone.is_naive(parsed):
        raise DomainError("The timestamp has no time zone; add one, e.g. Z or +02:00.")
    try:
        parsed = parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        raise DomainError("The timestamp is out of range.") from None
    return timestamp_validate(parsed, now=now)


class _Batch:
    """Checks every item, collecting one error list per bad item, before anything is written."""

    def __init__(self, items: list[Any]) -> None:
        self.items = items
        self.errors: dict[int, dict[str, list[str]]] = {}
        self.points: list[PointInput] = []

    def _fail(self, index: int, field: str, message: str) -> None:
        self.errors.setdefault(index, {}).setdefault(field, []).append(message)

    def _kpi_lookups(self) -> tuple[set[int], dict[str, int]]:
        ids = {i["kpi"] for i in self.items if isinstance(i, dict) and type(i.get("kpi")) is int}
        keys = {
            i["kpi_key"].lower()
            for i in self.items
            # A NUL byte cannot be in a stored key, and PostgreSQL refuses it in a query.
            if isinstance(i, dict)
            and isinstance(i.get("kpi_key"), str)
            and "\x00" not in i["kpi_key"]
        }
        # The scoped manager: another organisation's ids are simply not found.
        known_ids = (
            set(KPI.objects.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
        )
        by_key: dict[str, int] = {}
        if keys:
            matching = KPI.objects.annotate(lower_key=Lower("key")).filter(lower_key__in=keys)
            by_key = dict(matching.values_list("lower_key", "pk"))
        return known_ids, by_key

    def check(self) -> None:
        known_ids, by_key = self._kpi_lookups()
        now = timezone.now()  # once: reading the clock per item cost more than parsing it
        for index, item in enumerate(self.items):
            if not isinstance(item, dict):
                self._fail(index, "non_field_errors", "Each point is an object.")
                continue
            for field in sorted(set(item) - POINT_FIELDS):
                self._fail(index, field, "Unknown field.")
            kpi_id = self._kpi_of(index, item, known_ids, by_key)
            try:
                timestamp = _timestamp(item.get("timestamp"), now)
            except DomainError as error:
                self._fail(index, "timestamp", error.message)
                timestamp = None
            value: Any = item.get("value")
            if isinstance(value, str | int | float) and not isinstance(value, bool):
                try:
                    value = value_parse(value)
                except DomainError as error:
                    self._fail(index, "value", error.message)
            else:
                self._fail(index, "value", "Give the value as a number.")
            note = item.get("note", "")
            if not isinstance(note, str) or len(note) > NOTE_MAX or "\x00" in note:
                self._fail(
                    index, "note", f"The note is text of at most {NOTE_MAX} characters, no NUL."
                )
            if index not in self.errors and kpi_id is not None and timestamp is not None:
                self.points.append(PointInput(kpi_id, timestamp, value, note))

    def _kpi_of(
        self, index: int, item: dict[str, Any], known_ids: set[int], by_key: dict[str, int]
    ) -> int | None:
        has_id, has_key = "kpi" in item, "kpi_key" in item
        if has_id == has_key:
            self._fail(index, "kpi", "Give either kpi (the KPI's id) or kpi_key, not both.")
            return None
        if has_id:
            raw = item["kpi"]
            if type(raw) is not int or raw not in known_ids:
                self._fail(index, "kpi", f"No KPI with id {str(raw)[:40]}.")
                return None
            return int(raw)
        raw = item["kpi_key"]
        kpi_id = by_key.get(raw.lower()) if isinstance(raw, str) else None
        if kpi_id is None:
            self._fail(index, "kpi_key", f"No KPI with key “{str(raw)[:80]}”.")
        return kpi_id


class KPIValueBulkView(OrganizationAPIView):
    throttle_classes = [APIKeyRateThrottle, BulkWriteRateThrottle]

    @extend_schema(
        request=BulkRequestSerializer,
        responses=BulkResultSerializer,
        description=__doc__,
        operation_id="kpi_values_bulk_upsert",
    )
    def post(self, request: Request) -> Response:
        body = request.data
        if not isinstance(body, dict) or set(body) != {"points"}:
            raise ValidationError({"points": ['Send {"points": [...]} and nothing else.']})
        items = body["points"]
        if not isinstance(items, list) or not items:
            raise ValidationError({"points": ["Give a non-empty list of points."]})
        if len(items) > MAX_POINTS:
            raise ValidationError(
                {"points": [f"At most {MAX_POINTS:,} points per request; this had {len(items):,}."]}
            )
        batch = _Batch(items)
        batch.check()
        if batch.errors:
            raise ValidationError({"points": {str(i): e for i, e in sorted(batch.errors.items())}})
        result = kpi_values_record_many(
            organization_id=self.access.organization.pk,
            points=batch.points,
            source=ValueSource.API,
            author=request.user if request.user.is_authenticated else None,
        )
        return Response(
            {
                "received": len(items),
                "created": result.created,
                "updated": result.updated,
                "kpis": sorted(result.kpi_ids),
            }
        )
