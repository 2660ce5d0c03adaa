"""Builders for board tests: KPIs with targets, period series and values, created unscoped."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from boards.models import Board, BoardItem, BoardSection
from kpis.models import KPI, Health, KPIPeriod, KPITarget, KPIValue
from okrplatform.tenancy.models import Organization, Team


def make_kpi(organization: Organization, name: str, **fields: Any) -> KPI:
    fields.setdefault("update_frequency", "monthly")
    return KPI.unscoped.create(organization=organization, name=name, **fields)


def set_target(
    kpi: KPI,
    kind: str,
    lower: str | None = None,
    upper: str | None = None,
    effective_from: date = date(2000, 1, 1),
) -> KPITarget:
    return KPITarget.unscoped.create(
        organization_id=kpi.organization_id,
        kpi=kpi,
        kind=kind,
        lower=Decimal(lower) if lower is not None else None,
        upper=Decimal(upper) if upper is not None else None,
        effective_from=effective_from,
    )


def add_series(
    kpi: KPI,
    values: list[str | int],
    *,
    end: date,
    health: str = Health.HEALTHY,
    recorded_at: datetime | None = None,
) -> None:
    """Monthly periods (and one value each) ending at ``end``, oldest first; updates the KPI's
    denormalised state the way kpis.services would."""
    periods, points = [], []
    month_index = end.year * 12 + end.month - 1 - (len(values) - 1)
    for raw in values:
        start = date(month_index // 12, month_index % 12 + 1, 1)
        timestamp = datetime(start.year, start.month, start.day, tzinfo=UTC)
        value = Decimal(str(raw))
        periods.append(
            KPIPeriod(
                organization_id=kpi.organization_id,
                kpi=kpi,
                period_start=start,
                value=value,
                last_timestamp=timestamp,
                raw_health=health,
                health=health,
            )
        )
        points.append(
            KPIValue(organization_id=kpi.organization_id, kpi=kpi, timestamp=timestamp, value=value)
        )
        month_index += 1
    KPIPeriod.unscoped.bulk_create(periods)
    KPIValue.unscoped.bulk_create(points)
    kpi.latest_value = periods[-1].value
    kpi.latest_value_at = points[-1].timestamp
    kpi.last_recorded_at = recorded_at or points[-1].timestamp + timedelta(days=1)
    kpi.health = health
    kpi.save()


def make_board(
    organization: Organization,
    name: str,
    kpis: list[KPI],
    *,
    owner_team: Team | None = None,
    section: BoardSection | None = None,
) -> Board:
    board = Board.unscoped.create(organization=organization, name=name, owner_team=owner_team)
    BoardItem.unscoped.bulk_create(
        BoardItem(organization=organization, board=board, kpi=kpi, position=i, section=section)
        for i, kpi in enumerate(kpis)
    )
    return board
