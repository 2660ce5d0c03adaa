"""A page of ``GET /api/v1/kpis/`` as one hand-written PostgreSQL statement: the fast path of the
plain list (no filter named in the query; any ordering, any cursor).

With the ORM, building and compiling the page's query was a fifth of the list's CPU time, the
same again as everything else the view does (``make bench``, API list). Here the statement is
written once per ordering shape, and PostgreSQL also writes the values as the API shows them:
times as ISO 8601 in UTC (``Z``, microseconds only when there are some, as Python's
``isoformat``), decimals as the column's text (``numeric(20, 6)`` always has six places, which is
what DRF's ``DecimalField`` quantizes to), dates as ``YYYY-MM-DD``. So a row needs no conversion
in Python while the current time zone is UTC (the default); in another zone its times are
converted, as DRF would.

The page's KPIs are sorted and cut first, then their current targets joined (a LATERAL index scan
for the page's rows only), so the formatting and the target lookups run for the page's rows, not
for every KPI of the organisation. Every table is filtered on the bound organisation, which fails
closed when none is bound. ``kpis/tests/test_api_kpi_rows.py`` checks this path answers what the
ORM path and ``KPISerializer`` answer.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from django.db import connection
from django.utils import timezone

from kpis.models import KPI, KPITarget
from okrplatform.api.keyset import KeysetPage, SortKey, order_by_sql, position_sql
from okrplatform.tenancy.scope import current_organization_id

from .kpi_rows import KPI_FIELDS, TARGET, Row, _period_starts

KPI_TABLE = KPI._meta.db_table
TARGET_TABLE = KPITarget._meta.db_table
_TIME_FIELDS = frozenset({"health_since", "latest_value_at", "last_recorded_at", "created_at"})
_DECIMAL_FIELDS = frozenset({"latest_value"})
_FOREIGN_KEYS = frozenset({"owner_team", "owner"})
# The row's columns up to the target (the target's five come last, created_at before them).
_HEAD_FIELDS = KPI_FIELDS[: KPI_FIELDS.index(TARGET)]
_TAIL_FIELDS = KPI_FIELDS[KPI_FIELDS.index(TARGET) + 1 :]
_TIME_INDEXES = tuple(
    index for index, name in enumerate(_HEAD_FIELDS + _TAIL_FIELDS) if name in _TIME_FIELDS
)


def _utc_iso(column: str) -> str:
    """``column`` (a timestamptz) as ``datetime.isoformat()`` writes it in UTC, ``Z`` for the
    offset as DRF does; NULL stays NULL."""
    return (
        f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS')"
        f" || CASE WHEN date_trunc('second', {column}) = {column} THEN ''"
        f" ELSE to_char({column} AT TIME ZONE 'UTC', '.US') END || 'Z'"
    )


def _select(field: str) -> str:
    column = f"k.{field}_id" if field in _FOREIGN_KEYS else f"k.{field}"
    if field in _TIME_FIELDS:
        return _utc_iso(column)
    if field in _DECIMAL_FIELDS:
        return f"{column}::text"
    return column


_SELECT = ",\n       ".join(_select(field) for field in _HEAD_FIELDS + _TAIL_FIELDS)
# Our own table and column names only; every value is a parameter.
_PAGE_SQL = f"""
SELECT {_SELECT},
       t.kind, t.lower::text, t.upper::text, t.tolerance::text,
       to_char(t.effective_from, 'YYYY-MM-DD')
FROM (
    SELECT * FROM {KPI_TABLE} k
    WHERE k.organization_id = %s AND {{position}}
    ORDER BY {{order}}
    LIMIT %s
) k
LEFT JOIN LATERAL (
    SELECT t.kind, t.lower, t.upper, t.tolerance, t.effective_from
    FROM {TARGET_TABLE} t
    WHERE t.organization_id = %s AND t.kpi_id = k.id
      AND t.effective_from <= (CASE k.update_frequency {{branches}} END)
    ORDER BY t.effective_from DESC
    LIMIT 1
) t ON TRUE
ORDER BY {{order}}
"""  # noqa: S608


def _in_zone(text: str | None, zone: tzinfo) -> str | None:
    if text is None:
        return None
    shown = datetime.fromisoformat(text).astimezone(zone).isoformat()
    return shown[:-6] + "Z" if shown.endswith("+00:00") else shown


def kpi_page_rows(paginator: KeysetPage, now: datetime) -> list[Row]:
    """The page ``paginator`` stands at (it gets the rows back for its links), as the API's
    rows: ``KPISerializer``'s JSON for each KPI."""
    organization_id = current_organization_id()
    keys = paginator.walk_keys
    position, position_params = "TRUE", list[Any]()
    if paginator.at is not None:
        position, position_params = position_sql(keys, paginator.at.position, "k")
    branches, branch_params = [], list[Any]()
    for frequency, start in _period_starts(now).items():
        branches.append("WHEN %s THEN %s::date")
        branch_params += [frequency, start]
    sql = _PAGE_SQL.format(
        position=position, order=order_by_sql(keys, "k"), branches=" ".join(branches)
    )
    params = [organization_id, *position_params, paginator.fetch_size, organization_id]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *branch_params])
        fetched = cursor.fetchall()
    zone = timezone.get_current_timezone()
    if str(zone) != "UTC":  # PostgreSQL wrote UTC; positions read any offset alike
        fetched = [_times_in_zone(values, zone) for values in fetched]
    rows = [_row(values) for values in fetched]
    return paginator.paginate_rows(rows, [_position(row, keys) for row in rows])


def _times_in_zone(values: tuple[Any, ...], zone: tzinfo) -> tuple[Any, ...]:
    shown = list(values)
    for index in _TIME_INDEXES:
        shown[index] = _in_zone(shown[index], zone)
    return tuple(shown)


_HEAD = len(_HEAD_FIELDS)
_TARGET_START = _HEAD + len(_TAIL_FIELDS)


def _row(values: tuple[Any, ...]) -> Row:
    row = dict(zip(_HEAD_FIELDS, values[:_HEAD], strict=True))
    kind, lower, upper, tolerance, effective_from = values[_TARGET_START:]
    row[TARGET] = (
        None
        if kind is None
        else {
            "kind": kind,
            "lower": lower,
            "upper": upper,
            "tolerance": tolerance,
            "effective_from": effective_from,
        }
    )
    row.update(zip(_TAIL_FIELDS, values[_HEAD:_TARGET_START], strict=True))
    return row


def _position(row: Row, keys: tuple[SortKey, ...]) -> tuple[Any, ...]:
    return tuple(row[key.field] for key in keys)
