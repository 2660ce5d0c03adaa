"""The one query behind a board's cards, in two implementations that return the same rows.

- PostgreSQL: hand-written SQL with two LATERAL joins (the target that holds today; the last
  ``SPARKLINE_PERIODS`` period values as an ``array_agg``). Each is an index scan of a handful of
  rows per KPI, however long the history. Written by hand rather than with the ORM's
  ``ArraySubquery`` because building and compiling that annotated queryset cost ~2.5 ms per
  request, a fifth of the query itself (``make bench``).
- Anywhere else (SQLite): the ORM, with the sparklines from one extra windowed query, so the
  number of queries stays constant there too.

``boards/tests/test_card_query.py`` runs both on PostgreSQL and checks they agree. Tenancy fails
closed in both: the raw SQL takes the organisation from ``current_organization_id()``, which
raises when none is bound, and filters every table on it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import F, OuterRef, Q, Subquery, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from kpis.models import KPI, Health, KPIPeriod, KPITarget, UpdateFrequency
from kpis.periods import last_completed_period_start, period_bounds
from okrplatform.tenancy.models import Team
from okrplatform.tenancy.scope import current_organization_id

from .models import Board, BoardItem

SPARKLINE_PERIODS = 24
OVERDUE = "overdue"


@dataclass(slots=True)
class KPIRow:
    """One KPI as the card query returns it (attribute names fit ``kpis.formatting``)."""

    id: int
    name: str
    unit_kind: str
    currency_code: str
    unit_suffix: str
    decimal_places: int
    health: str
    latest_value: Decimal | None
    last_recorded_at: datetime | None
    is_overdue: bool | None
    team_id: int | None
    team_name: str | None
    owner_name: str | None
    owner_email: str | None
    target_kind: str | None
    target_lower: Decimal | None
    target_upper: Decimal | None
    spark: list[Decimal] | None = None  # newest first
    section_id: int | None = None
    position: int = 0


def _due(now: datetime) -> dict[str, tuple[datetime, datetime]]:
    """Per frequency, the last completed period as a [from, to) range: a KPI is overdue when its
    newest point is older than ``from`` (or, with no point at all, it was created before ``to``)."""
    return {
        frequency: period_bounds(frequency, last_completed_period_start(frequency, now))
        for frequency in UpdateFrequency.values
    }


def overdue_q(now: datetime) -> Q:
    """``kpis.health.is_overdue`` as an ORM filter."""
    condition = Q(pk__in=[])
    for frequency, (due_from, due_to) in _due(now).items():
        condition |= Q(update_frequency=frequency) & (
            Q(latest_value_at__lt=due_from) | Q(latest_value_at__isnull=True, created_at__lt=due_to)
        )
    return Q(archived=False) & condition


# --- PostgreSQL ---------------------------------------------------------------------------------

_TABLES = {
    "kpi": KPI._meta.db_table,
    "target": KPITarget._meta.db_table,
    "period": KPIPeriod._meta.db_table,
    "item": BoardItem._meta.db_table,
    "team": Team._meta.db_table,
    "user": get_user_model()._meta.db_table,
}

_SQL = """
SELECT k.id, k.name, k.unit_kind, k.currency_code, k.unit_suffix, k.decimal_places, k.health,
       k.latest_value, k.last_recorded_at, {overdue} AS is_overdue,
       k.owner_team_id, t.name, u.full_name, u.email,
       tg.kind, tg.lower, tg.upper, sp.vals, {item_columns}
FROM {kpi} k {item_join}
LEFT JOIN {team} t ON t.id = k.owner_team_id
LEFT JOIN {user} u ON u.id = k.owner_id
LEFT JOIN LATERAL (
    SELECT kind, lower, upper FROM {target}
    WHERE organization_id = %(organization)s AND kpi_id = k.id AND effective_from <= %(today)s
    ORDER BY effective_from DESC LIMIT 1
) tg ON true
LEFT JOIN LATERAL (
    SELECT array_agg(value ORDER BY period_start DESC) AS vals FROM (
        SELECT value, period_start FROM {period}
        WHERE organization_id = %(organization)s AND kpi_id = k.id
        ORDER BY period_start DESC LIMIT %(points)s
    ) newest
) sp ON true
WHERE k.organization_id = %(organization)s AND NOT k.archived {filters}
"""

_ITEM_JOIN = (
    "JOIN {item} bi ON bi.kpi_id = k.id AND bi.organization_id = %(organization)s "
    "AND bi.board_id = %(board)s"
)


def _overdue_sql(params: dict[str, Any], now: datetime) -> str:
    branches = []
    for frequency, (due_from, due_to) in _due(now).items():
        params[f"due_from_{frequency}"], params[f"due_to_{frequency}"] = due_from, due_to
        branches.append(
            f"WHEN '{frequency}' THEN coalesce(k.latest_value_at < %(due_from_{frequency})s, "
            f"k.created_at < %(due_to_{frequency})s)"
        )
    return f"(CASE k.update_frequency {' '.join(branches)} ELSE false END)"


def rows_postgresql(
    board: Board | None, *, team_id: int | None, health: str, now: datetime
) -> list[KPIRow]:
    params: dict[str, Any] = {
        "organization": current_organization_id(),
        "today": timezone.localdate(now),
        "points": SPARKLINE_PERIODS,
    }
    overdue = _overdue_sql(params, now)
    filters = []
    if team_id is not None:
        params["team"] = team_id
        filters.append("AND k.owner_team_id = %(team)s")
    if health == OVERDUE:
        filters.append(f"AND {overdue}")
    elif health in Health.values:
        params["health"] = health
        filters.append("AND k.health = %(health)s")
    item_join, item_columns = "", "NULL, 0"
    if board is not None:
        params["board"] = board.pk
        item_join, item_columns = _ITEM_JOIN.format(**_TABLES), "bi.section_id, bi.position"
    sql = _SQL.format(
        overdue=overdue,
        item_columns=item_columns,
        item_join=item_join,
        filters=" ".join(filters),
        **_TABLES,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [KPIRow(*row) for row in cursor.fetchall()]


# --- Portable -----------------------------------------------------------------------------------


def rows_portable(
    board: Board | None, *, team_id: int | None, health: str, now: datetime
) -> list[KPIRow]:
    kpis = KPI.objects.filter(archived=False)
    item: dict[str, Any] = {}
    if board is not None:
        # The filter's join to board items is reused by the F() below: one row per KPI.
        kpis = kpis.filter(board_items__board=board)
        item = {"section_id": F("board_items__section_id"), "position": F("board_items__position")}
    if team_id is not None:
        kpis = kpis.filter(owner_team_id=team_id)
    if health == OVERDUE:
        kpis = kpis.filter(overdue_q(now))
    elif health in Health.values:
        kpis = kpis.filter(health=health)
    target = KPITarget.objects.filter(
        kpi=OuterRef("pk"), effective_from__lte=timezone.localdate(now)
    ).order_by("-effective_from")
    values = kpis.order_by().values(
        "id", "name", "unit_kind", "currency_code", "unit_suffix", "decimal_places", "health",
        "latest_value", "last_recorded_at",
        is_overdue=Q(overdue_q(now)),
        team_id=F("owner_team_id"),
        team_name=F("owner_team__name"),
        owner_name=F("owner__full_name"),
        owner_email=F("owner__email"),
        target_kind=Subquery(target.values("kind")[:1]),
        target_lower=Subquery(target.values("lower")[:1]),
        target_upper=Subquery(target.values("upper")[:1]),
        **item,
    )  # fmt: skip
    rows = [KPIRow(**row) for row in values]
    if rows:
        _fill_sparklines(rows)
    return rows


def _fill_sparklines(rows: list[KPIRow]) -> None:
    """The sparkline arrays without ArraySubquery: one windowed query for every KPI at once."""
    by_kpi: dict[int, list[Decimal]] = defaultdict(list)
    ranked = (
        KPIPeriod.objects.filter(kpi_id__in=[row.id for row in rows])
        .annotate(
            rank=Window(RowNumber(), partition_by=F("kpi_id"), order_by=F("period_start").desc())
        )
        .filter(rank__lte=SPARKLINE_PERIODS)
        .order_by("kpi_id", "-period_start")
        .values_list("kpi_id", "value")
    )
    for kpi_id, value in ranked:
        by_kpi[kpi_id].append(value)
    for row in rows:
        row.spark = by_kpi.get(row.id) or None


def kpi_rows(board: Board | None, *, team_id: int | None = None, health: str = "") -> list[KPIRow]:
    now = timezone.now()
    query = rows_postgresql if connection.vendor == "postgresql" else rows_portable
    return query(board, team_id=team_id, health=health, now=now)
