"""CSV export of KPI history and of every KPI's current value, safe to open in a spreadsheet.

Spreadsheets run a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (and some treat
a leading tab or carriage return the same way), so a note like ``=HYPERLINK(...)`` typed by one
person could run on another person's machine. Such cells get a leading single quote, which makes
the spreadsheet show them as text; plain numbers ("-12.5") are left alone so they stay numbers.
The import strips that quote again, so export → import round-trips.

Rows are produced lazily and the views stream them: a KPI with years of daily history never
sits in memory as one document.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal

from django.db.models import QuerySet

from kpis.models import KPI, KPIValue
from kpis.periods import local_date
from okrplatform.tenancy.scope import organization_scope

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
HISTORY_HEADER = ["timestamp", "value", "note", "source"]
CURRENT_HEADER = [
    "kpi",
    "name",
    "team",
    "owner",
    "timestamp",
    "value",
    "unit",
    "health",
    "health_since",
]
CHUNK = 2000


def cell_escape(cell: object) -> str:
    """``cell`` as text a spreadsheet shows but never evaluates."""
    text = "" if cell is None else str(cell)
    if text.startswith(FORMULA_TRIGGERS) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def value_text(value: Decimal | None) -> str:
    """A stored value without the trailing zeros of its six decimal places, never in E notation."""
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _timestamp_text(timestamp: datetime | None) -> str:
    return "" if timestamp is None else timestamp.isoformat()


def kpi_history_rows(kpi: KPI, *, organization_id: int) -> Iterator[list[str]]:
    """The header, then every point of ``kpi``, oldest first, as escaped cells.

    A streamed response iterates this after the view has returned and the request's tenant
    scope is gone, so the generator binds the organisation itself.
    """
    yield HISTORY_HEADER
    with organization_scope(organization_id):
        rows = (
            KPIValue.objects.filter(kpi=kpi)
            .order_by("timestamp")
            .values_list("timestamp", "value", "note", "source")
            .iterator(chunk_size=CHUNK)
        )
        for timestamp, value, note, source in rows:
            yield [_timestamp_text(timestamp), value_text(value), cell_escape(note), source]


def _unit(kpi: KPI) -> str:
    if kpi.unit_kind == "currency":
        return kpi.currency_code
    if kpi.unit_kind == "custom":
        return kpi.unit_suffix
    return kpi.get_unit_kind_display()


def current_values_rows(kpis: QuerySet[KPI], *, organization_id: int) -> Iterator[list[str]]:
    """The header, then one row per KPI with its latest value and health."""
    yield CURRENT_HEADER
    with organization_scope(organization_id):
        queryset: Iterable[KPI] = kpis.select_related("owner_team", "owner").iterator(
            chunk_size=CHUNK
        )
        for kpi in queryset:
            yield [
                cell_escape(kpi.key or kpi.name),
                cell_escape(kpi.name),
                cell_escape(kpi.owner_team.name if kpi.owner_team else ""),
                cell_escape(kpi.owner.get_full_name() if kpi.owner else ""),
                _timestamp_text(kpi.latest_value_at),
                value_text(kpi.latest_value),
                cell_escape(_unit(kpi)),
                kpi.health,
                local_date(kpi.health_since).isoformat() if kpi.health_since else "",
            ]
