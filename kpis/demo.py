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
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from okrplatform.tenancy.models import Organization, Team

from .ingest import PointInput, kpi_values_record_many
from .models import KPI, KPITarget, ValueSource
from .periods import last_completed_period_start, period_bounds, period_end, previous_period_start

HISTORY_DAYS = 730


@dataclass(frozen=True)
class Spec:
    name: str
    team: str
    unit: str  # unit_kind, or "EUR" for currency, or "custom:<suffix>"
    frequency: str
    target: tuple[str, float | None, float | None, float | None]  # kind, lower, upper, tolerance
    start: float  # value two years ago
    current: float  # value of the last completed period
    noise: float  # relative noise of a period's value
    decimals: int = 0
    description: str = ""
    aggregation: str = "last"
    daily_points: bool = False  # daily points, aggregated into the KPI's period
    hysteresis: int = 1
    overdue_periods: int = 0  # the last N completed periods have no value
    earlier_target: tuple[str, float | None, float | None, float | None] | None = None


SPECS = [
    # Sales
    Spec(
        "Monthly recurring revenue (MRR)",
        "Sales",
        "EUR",
        "monthly",
        ("at_least", 250_000, None, 10_000),
        181_000,
        262_400,
        0.01,
        description="Sum of active subscriptions on the last day of the month.",
        earlier_target=("at_least", 200_000, None, 10_000),
    ),
    Spec(
        "New bookings",
        "Sales",
        "EUR",
        "monthly",
        ("at_least", 60_000, None, 6_000),
        48_000,
        56_500,
        0.08,
    ),
    Spec(
        "Win rate",
        "Sales",
        "percentage",
        "monthly",
        ("at_least", 25, None, 3),
        21,
        27.4,
        0.06,
        decimals=1,
    ),
    Spec(
        "Sales cycle length",
        "Sales",
        "custom:days",
        "monthly",
        ("at_most", None, 45, 5),
        41,
        52,
        0.05,
        description="Median days from first meeting to signed contract.",
    ),
    Spec(
        "Pipeline coverage",
        "Sales",
        "custom:×",
        "weekly",
        ("at_least", 3, None, 0.5),
        3.4,
        2.7,
        0.05,
        decimals=1,
    ),
    Spec(
        "Sales-accepted leads", "Sales", "number", "weekly", ("at_least", 40, None, 5), 34, 46, 0.1
    ),
    # Marketing
    Spec(
        "Website unique visitors",
        "Marketing",
        "number",
        "weekly",
        ("at_least", 21_000, None, 2_000),
        2_400,
        3_250,
        0.12,
        aggregation="sum",
        daily_points=True,
        description="Daily unique visitors from the analytics export, summed per week.",
    ),
    Spec(
        "Marketing-qualified leads",
        "Marketing",
        "number",
        "weekly",
        ("at_least", 120, None, 10),
        130,
        96,
        0.08,
    ),
    Spec(
        "Cost per lead",
        "Marketing",
        "EUR",
        "monthly",
        ("at_most", None, 85, 10),
        97,
        78,
        0.05,
        decimals=2,
    ),
    Spec(
        "Knowledge-base visitors",
        "Marketing",
        "number",
        "weekly",
        ("at_least", 8_000, None, 800),
        5_100,
        6_900,
        0.07,
    ),
    Spec(
        "Email open rate",
        "Marketing",
        "percentage",
        "monthly",
        ("between", 25, 45, 3),
        31,
        34.5,
        0.05,
        decimals=1,
        overdue_periods=2,
    ),
    Spec(
        "Organic search share",
        "Marketing",
        "percentage",
        "monthly",
        ("at_least", 40, None, 4),
        35,
        42,
        0.04,
        decimals=1,
    ),
    # Support
    Spec(
        "Average first reply time",
        "Support",
        "duration",
        "daily",
        ("at_most", None, 30, 10),
        24,
        52,
        0.15,
        hysteresis=3,
        description="Mean minutes until a customer's first human reply, per day.",
    ),
    Spec(
        "Support tickets",
        "Support",
        "custom:tickets",
        "monthly",
        ("at_most", None, 1_000, 100),
        850,
        1_200,
        0.05,
    ),
    Spec(
        "Customer satisfaction (CSAT)",
        "Support",
        "percentage",
        "weekly",
        ("at_least", 85, None, 3),
        88,
        83.2,
        0.02,
        decimals=1,
    ),
    Spec(
        "First contact resolution",
        "Support",
        "percentage",
        "monthly",
        ("at_least", 70, None, 5),
        66,
        73,
        0.03,
    ),
    Spec(
        "Backlog older than 48 h",
        "Support",
        "custom:tickets",
        "daily",
        ("at_most", None, 25, 10),
        18,
        19,
        0.25,
    ),
    Spec(
        "Order accuracy",
        "Support",
        "percentage",
        "weekly",
        ("at_least", 99, None, 0.5),
        98.6,
        99.4,
        0.002,
        decimals=1,
        description="Orders shipped without a correction, as a share of all orders.",
    ),
    # Product
    Spec(
        "Weekly active users",
        "Product",
        "number",
        "weekly",
        ("at_least", 12_000, None, 1_000),
        8_200,
        12_900,
        0.04,
    ),
    Spec(
        "Uptime",
        "Product",
        "percentage",
        "monthly",
        ("at_least", 99.9, None, 0.05),
        99.95,
        99.87,
        0.0003,
        decimals=2,
    ),
    Spec(
        "Report feature adoption",
        "Product",
        "percentage",
        "monthly",
        ("at_least", 30, None, 3),
        12,
        24,
        0.05,
        decimals=1,
    ),
    Spec(
        "Crash-free sessions",
        "Product",
        "percentage",
        "daily",
        ("at_least", 99.5, None, 0.2),
        99.6,
        99.8,
        0.001,
        decimals=2,
        hysteresis=2,
    ),
    Spec(
        "Page load time (p95)",
        "Product",
        "custom:ms",
        "daily",
        ("at_most", None, 1_200, 200),
        1_450,
        980,
        0.08,
        hysteresis=3,
    ),
    Spec(
        "Net Promoter Score",
        "Product",
        "custom:NPS",
        "quarterly",
        ("at_least", 40, None, 5),
        31,
        46,
        0.05,
    ),
    # Finance
    Spec(
        "Cash runway",
        "Finance",
        "custom:months",
        "monthly",
        ("at_least", 18, None, 3),
        24,
        16.5,
        0.02,
        decimals=1,
    ),
    Spec(
        "Monthly net burn",
        "Finance",
        "EUR",
        "monthly",
        ("at_most", None, 400_000, 25_000),
        310_000,
        372_000,
        0.04,
    ),
    Spec(
        "Gross margin",
        "Finance",
        "percentage",
        "monthly",
        ("between", 70, 85, 2),
        72,
        78.5,
        0.015,
        decimals=1,
    ),
    Spec(
        "Days sales outstanding",
        "Finance",
        "custom:days",
        "monthly",
        ("at_most", None, 45, 5),
        51,
        43,
        0.05,
        overdue_periods=2,
    ),
    Spec(
        "Customer churn",
        "Finance",
        "percentage",
        "monthly",
        ("at_most", None, 2, 0.5),
        3.1,
        2.9,
        0.06,
        decimals=2,
        earlier_target=("at_most", None, 3, 0.5),
    ),
    Spec(
        "Customer acquisition cost",
        "Finance",
        "EUR",
        "quarterly",
        ("at_most", None, 1_500, 150),
        1_900,
        1_420,
        0.04,
    ),
]


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
    """A seeded walk from ``start`` to ``current`` with a little seasonality and noise; the
    last three points sit on ``current`` so the demo's health is what the spec says."""
    rng = random.Random(zlib.crc32(spec.name.encode()))  # noqa: S311 - demo data
    values = []
    for index in range(count):
        progress = index / max(count - 1, 1)
        trend = spec.start + (spec.current - spec.start) * progress**1.6
        season = math.sin(index / max(count, 1) * 4 * math.pi) * spec.noise * 0.5
        values.append(trend * (1 + season + rng.gauss(0, spec.noise)))
    for offset in range(1, min(3, count) + 1):
        values[-offset] = spec.current
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
