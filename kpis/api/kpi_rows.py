"""The KPI lists' rows as plain dicts: the fast path of ``GET /api/v1/kpis/`` (and of the OKR
candidates), the same JSON as ``KPISerializer``.

Loading a page of KPIs and their targets as model instances and serializing them field by field
was two thirds of the list's time under gunicorn (``make bench``, API list). Here the page is one
``values()`` query, built by the view's usual filters, ordering and cursor paginator, and each row
a dict built by one small function. The current target comes with the page:

- PostgreSQL: in the same query, a correlated subquery (an index scan of the KPI's few targets)
  returning the target as a text array. Hand-written SQL, so it filters on the bound
  organisation itself, which fails closed when none is bound.
- Anywhere else (SQLite): one more query for the page's targets, picked in Python.

On PostgreSQL the timestamps are also read as text, formatted by the database and parsed by
``datetime.fromisoformat``: Django's own loader for ``timestamptz`` is pure Python and cost as
much as the rest of the query (1.1 of 1.5 ms for a page of 51 KPIs). The rows still hold
datetimes under the model's names, so the cursor paginator reads its positions as before.

``KPISerializer`` stays the source of truth: it describes the response in the OpenAPI schema and
serves the detail view, and ``kpis/tests/test_api_kpi_rows.py`` checks both paths give its JSON
byte for byte, for every target kind and health. The conversions repeat what DRF's fields do for
the serializer's column types: datetimes in the current time zone as ISO 8601 (``Z`` for UTC),
decimals quantized to the column's places and written out in full (``COERCE_DECIMAL_TO_STRING``),
dates as ISO 8601.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import QuerySet, TextField
from django.db.models.expressions import RawSQL
from django.db.models.query import ValuesIterable
from django.utils import timezone

from kpis.models import KPI, VALUE_DECIMAL_PLACES, VALUE_MAX_DIGITS, KPITarget, UpdateFrequency
from kpis.periods import period_start
from okrplatform.tenancy.scope import current_organization_id

Row = dict[str, Any]

# The current target of a row: (kind, lower, upper, tolerance, effective_from), or None.
TARGET = "current_target"
# The fields of one KPI in the API, in order: ``KPISerializer.Meta.fields`` is this list, so the
# fast path and the serializer cannot drift apart.
KPI_FIELDS = (
    "id",
    "key",
    "name",
    "description",
    "owner_team",
    "owner",
    "unit_kind",
    "currency_code",
    "unit_suffix",
    "decimal_places",
    "update_frequency",
    "aggregation",
    "archived",
    "health",
    "health_since",
    "latest_value",
    "latest_value_at",
    "last_recorded_at",
    TARGET,
    "created_at",
)
_FOREIGN_KEYS = {"owner_team", "owner"}
# The table columns those fields read (the target is joined or queried apart).
KPI_COLUMNS = tuple(
    f"{field}_id" if field in _FOREIGN_KEYS else field for field in KPI_FIELDS if field != TARGET
)
TargetRow = tuple[str, decimal.Decimal | None, decimal.Decimal | None, decimal.Decimal | None, date]

# What DRF's DecimalField(max_digits=20, decimal_places=6) quantizes with.
_QUANTUM = decimal.Decimal(".1") ** VALUE_DECIMAL_PLACES
_CONTEXT = decimal.getcontext().copy()
_CONTEXT.prec = VALUE_MAX_DIGITS


def _period_starts(now: datetime) -> dict[str, date]:
    return {frequency: period_start(frequency, now) for frequency in UpdateFrequency.values}


# --- The page's query ---------------------------------------------------------------------------

_TARGET_SQL = f"""(
    SELECT ARRAY[t.kind, t.lower::text, t.upper::text, t.tolerance::text,
                 t.effective_from::text]
    FROM {KPITarget._meta.db_table} t
    WHERE t.organization_id = %s AND t.kpi_id = {KPI._meta.db_table}.id
      AND t.effective_from <= (CASE {KPI._meta.db_table}.update_frequency {{branches}} END)
    ORDER BY t.effective_from DESC LIMIT 1
)"""  # noqa: S608 - only our own table names are interpolated; values are parameters


TIME_COLUMNS = ("health_since", "latest_value_at", "last_recorded_at", "created_at")
_AS_TEXT = "_text"
# UTC, to the microsecond, whatever the session's DateStyle.
_TIME_TEXT_SQL = "to_char(%s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')"


class _TimesFromTextIterable(ValuesIterable):
    """``values()`` rows whose ``TIME_COLUMNS`` were read as UTC text: parsed back into aware
    datetimes, under the columns' own names."""

    def __iter__(self) -> Iterator[Row]:
        for row in super().__iter__():
            for column in TIME_COLUMNS:
                text = row.pop(column + _AS_TEXT)
                row[column] = (
                    None if text is None else datetime.fromisoformat(text).replace(tzinfo=UTC)
                )
            yield row


def kpi_values(kpis: QuerySet[KPI], now: datetime) -> QuerySet[KPI, Row]:
    """The rows of ``kpis`` for ``kpi_rows``: one query per page, whatever its size."""
    if connection.vendor != "postgresql":
        portable: QuerySet[KPI, Row] = kpis.values(*KPI_COLUMNS)
        return portable
    table = KPI._meta.db_table
    times = {  # our own table and column names only, no values
        column + _AS_TEXT: RawSQL(_TIME_TEXT_SQL % f"{table}.{column}", (), TextField())  # noqa: S611
        for column in TIME_COLUMNS
    }
    rows: QuerySet[KPI, Row] = kpis.values(
        *(column for column in KPI_COLUMNS if column not in TIME_COLUMNS), **times
    )
    rows._iterable_class = _TimesFromTextIterable
    params: list[Any] = [current_organization_id()]
    branches = []
    for frequency, start in _period_starts(now).items():
        branches.append("WHEN %s THEN %s::date")
        params += [frequency, start]
    sql = _TARGET_SQL.format(branches=" ".join(branches))
    target = RawSQL(sql, params, output_field=ArrayField(TextField()))  # noqa: S611 - see _TARGET_SQL
    with_target: QuerySet[KPI, Row] = rows.annotate(**{TARGET: target})
    return with_target


def _target_from_sql(target: list[str | None] | None) -> TargetRow | None:
    if target is None:
        return None
    kind, lower, upper, tolerance, effective_from = target
    return (
        str(kind),
        None if lower is None else decimal.Decimal(lower),
        None if upper is None else decimal.Decimal(upper),
        None if tolerance is None else decimal.Decimal(tolerance),
        date.fromisoformat(str(effective_from)),
    )


def _targets_queried(kpis: Sequence[Row], now: datetime) -> dict[int, TargetRow]:
    """The portable path: each KPI's target for its current period
    (``kpis.health.target_for_period``), from one query for the page."""
    if not kpis:
        return {}
    starts = _period_starts(now)
    start_of_kpi = {row["id"]: starts[row["update_frequency"]] for row in kpis}
    targets = (
        KPITarget.objects.filter(kpi_id__in=start_of_kpi, effective_from__lte=max(starts.values()))
        .order_by("kpi_id", "effective_from")
        .values_list("kpi_id", "kind", "lower", "upper", "tolerance", "effective_from")
    )
    current: dict[int, TargetRow] = {}
    for kpi_id, *target in targets:  # oldest first: a later one that already holds replaces it
        if target[4] <= start_of_kpi[kpi_id]:
            current[kpi_id] = tuple(target)
    return current


# --- The rows -----------------------------------------------------------------------------------


def _decimal(value: decimal.Decimal | None) -> str | None:
    if value is None:
        return None
    return f"{value.quantize(_QUANTUM, context=_CONTEXT):f}"


def _datetime(value: datetime | None, zone: tzinfo) -> str | None:
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _target(target: TargetRow | None) -> Row | None:
    if target is None:
        return None
    kind, lower, upper, tolerance, effective_from = target
    return {
        "kind": kind,
        "lower": _decimal(lower),
        "upper": _decimal(upper),
        "tolerance": _decimal(tolerance),
        "effective_from": effective_from.isoformat(),
    }


def kpi_rows(kpis: Sequence[Row], now: datetime) -> list[Row]:
    """``KPISerializer(kpis, many=True).data`` for rows of ``kpi_values`` (same ``now``)."""
    zone = timezone.get_current_timezone()
    targets: dict[int, TargetRow | None]
    if kpis and TARGET in kpis[0]:
        targets = {kpi["id"]: _target_from_sql(kpi[TARGET]) for kpi in kpis}
    else:
        targets = {**_targets_queried(kpis, now)}
    return [
        {
            "id": kpi["id"],
            "key": kpi["key"],
            "name": kpi["name"],
            "description": kpi["description"],
            "owner_team": kpi["owner_team_id"],
            "owner": kpi["owner_id"],
            "unit_kind": kpi["unit_kind"],
            "currency_code": kpi["currency_code"],
            "unit_suffix": kpi["unit_suffix"],
            "decimal_places": kpi["decimal_places"],
            "update_frequency": kpi["update_frequency"],
            "aggregation": kpi["aggregation"],
            "archived": kpi["archived"],
            "health": kpi["health"],
            "health_since": _datetime(kpi["health_since"], zone),
            "latest_value": _decimal(kpi["latest_value"]),
            "latest_value_at": _datetime(kpi["latest_value_at"], zone),
            "last_recorded_at": _datetime(kpi["last_recorded_at"], zone),
            "current_target": _target(targets.get(kpi["id"])),
            "created_at": _datetime(kpi["created_at"], zone),
        }
        for kpi in kpis
    ]
