"""Demo KPIs for `make run`: thirty gauges across the demo teams, two years of plausible history.

Called by ``manage.py seed_demo`` inside the organisation's scope. The history is generated from
a seeded random walk towards each KPI's current value, and written through the same bulk path as
an import (``kpi_values_record_many``), so health, health changes and the period series are real.
Some KPIs end unhealthy or at risk, a few are overdue, and two had their target changed.
"""

from __future__ import annotations

import math
import random
import zlib
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from okrplatform.tenancy.models import Organization, Team

from .demo_data import SPECS, Spec
from .ingest import PointInput, kpi_values_record_many
from .models import KPI, KPITarget, ValueSource
from .periods import last_completed_period_start, period_bounds, period_end, previous_period_start

HISTORY_DAYS = 730


def _unit_fields(unit: str) -> dict[str, str]:
    if unit == "EUR":
        return {"unit_kind": "currency", "currency_code": "EUR"}
    if unit.startswith("custom:"):
        return {"unit_kind": "custom", "unit_suffix": unit.removeprefix("custom:")}
    return {"unit_kind": unit}


def _decimal(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _period_starts(frequency: str, now: datetime, spec: Spec) -> list[date]:
    """The periods with data: two years back up to the last completed one (minus overdue)."""
    last = last_completed_period_start(frequency, now)
    for _ in range(spec.overdue_periods):
        last = previous_period_start(frequency, last)
    first = last_completed_period_start(frequency, now - timedelta(days=HISTORY_DAYS))
    starts = []
    day = first
    while day <= last:
        starts.append(day)
        day = period_end(frequency, day)
    return starts


def _series(spec: Spec, count: int) -> list[float]:
    """A seeded walk from ``start`` to ``current`` with a little seasonality and noise."""
    rng = random.Random(zlib.crc32(spec.name.encode()))  # noqa: S311 - demo data
    values = []
    for index in range(count):
        progress = index / max(count - 1, 1)
        trend = spec.start + (spec.current - spec.start) * progress**1.6
        season = math.sin(index / max(count, 1) * 4 * math.pi) * spec.noise * 0.5
        values.append(trend * (1 + season + rng.gauss(0, spec.noise)))
    # The last three points close in on ``current`` (so hysteresis settles on the health the
    # spec says) without repeating it, so boards show a real change on the previous period.
    approach = {3: 0.12, 2: 0.05, 1: 0.0}
    for offset in range(min(3, count), 0, -1):
        drift = (spec.current - spec.start) * approach[offset]
        values[-offset] = spec.current - drift
    return values


def _points(kpi: KPI, spec: Spec, now: datetime) -> list[PointInput]:
    starts = _period_starts(spec.frequency, now, spec)
    if spec.daily_points:
        first_day = period_bounds(spec.frequency, starts[0])[0]
        days = (period_bounds(spec.frequency, starts[-1])[1] - first_day).days
        timestamps = [first_day + timedelta(days=offset) for offset in range(days)]
    else:
        timestamps = [period_bounds(spec.frequency, start)[0] for start in starts]
    quantum = Decimal(1).scaleb(-spec.decimals)
    return [
        PointInput(kpi.pk, when, Decimal(str(value)).quantize(quantum))
        for when, value in zip(timestamps, _series(spec, len(timestamps)), strict=True)
    ]


def seed(organization: Organization) -> list[KPI]:
    """Create the demo KPIs with their targets and history (runs inside the org's scope)."""
    teams = {team.name: team for team in Team.objects.select_related("lead")}
    now = timezone.now()
    kpis, points = [], []
    for spec in SPECS:
        team = teams.get(spec.team)
        kpi = KPI.objects.create(
            organization=organization,
            name=spec.name,
            description=spec.description,
            owner_team=team,
            owner=team.lead if team else None,
            decimal_places=spec.decimals,
            update_frequency=spec.frequency,
            aggregation=spec.aggregation,
            hysteresis_periods=spec.hysteresis,
            **_unit_fields(spec.unit),
        )
        starts = _period_starts(spec.frequency, now, spec)
        changes = [(starts[0], spec.earlier_target)] if spec.earlier_target else []
        current_from = starts[len(starts) * 2 // 3] if spec.earlier_target else starts[0]
        for effective_from, (kind, lower, upper, tolerance) in [
            *changes,
            (current_from, spec.target),
        ]:
            KPITarget.objects.create(
                organization=organization,
                kpi=kpi,
                kind=kind,
                lower=_decimal(lower),
                upper=_decimal(upper),
                tolerance=_decimal(tolerance),
                effective_from=effective_from,
            )
        kpis.append(kpi)
        points.extend(_points(kpi, spec, now))
    kpi_values_record_many(
        organization_id=organization.pk, points=points, source=ValueSource.IMPORT
    )
    return kpis
