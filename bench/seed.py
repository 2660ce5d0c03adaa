"""Seed one organisation for the board benchmark: 200 KPIs x 5,000 values, loaded with COPY.

Values go in with PostgreSQL's COPY (the bulk path ARCHITECTURE.md measured at ~390k rows/s);
the period series, each KPI's current state and its health are then derived in SQL, the way
``kpis.evaluation`` would have left them, so the board reads realistic rows.
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.db import connection

from boards.models import Board, BoardItem, BoardSection
from kpis.models import KPI, KPITarget
from okrplatform.tenancy.models import Membership, Organization, Team
from tests.factories import UserFactory

FREQUENCIES = ["daily"] * 5 + ["weekly"] * 5 + ["monthly"] * 8 + ["quarterly"] * 2
SPACING = {  # distance between two points: 5,000 points cover a few years of history
    "daily": timedelta(hours=4),
    "weekly": timedelta(hours=8),
    "monthly": timedelta(hours=12),
    "quarterly": timedelta(days=1),
}
UNITS = [
    ("number", "", "", 0),
    ("percentage", "", "", 1),
    ("currency", "EUR", "", 0),
    ("duration", "", "", 0),
    ("custom", "", "NPS", 0),
]
TEAMS = ["Sales", "Marketing", "Support", "Product", "Finance"]


@dataclass
class Seeded:
    organization: Organization
    owner: Membership
    board: Board
    kpi_count: int
    value_count: int


def _copy_values(organization_id: int, kpis: list[KPI], values_per_kpi: int, now: datetime) -> int:
    rng = random.Random(42)  # noqa: S311 - benchmark data, not secrets
    recorded = now.isoformat()
    total = 0
    with connection.cursor() as cursor:
        copy_sql = (
            "COPY kpis_kpivalue (organization_id, kpi_id, timestamp, value, source, note, "
            "recorded_at) FROM STDIN"
        )
        with cursor.copy(copy_sql) as copy:
            for kpi in kpis:
                buffer = io.StringIO()
                step = SPACING[kpi.update_frequency]
                start = now - step * values_per_kpi
                base = rng.uniform(50, 5000)
                for index in range(values_per_kpi):
                    moment = start + step * (index + 1)
                    value = (
                        base * (1 + 0.15 * math.sin(index / 40)) + rng.uniform(-0.05, 0.05) * base
                    )
                    buffer.write(
                        f"{organization_id}\t{kpi.pk}\t{moment.isoformat()}\t{value:.2f}\t"
                        f"integration\t\t{recorded}\n"
                    )
                copy.write(buffer.getvalue())
                total += values_per_kpi
    return total


DERIVE_SQL = """
INSERT INTO kpis_kpiperiod (organization_id, kpi_id, period_start, value, last_timestamp,
                            raw_health, health)
SELECT v.organization_id, v.kpi_id, p.start,
       (array_agg(v.value ORDER BY v.timestamp DESC))[1], max(v.timestamp), 'no_data', 'no_data'
FROM kpis_kpivalue v
JOIN kpis_kpi k ON k.id = v.kpi_id
CROSS JOIN LATERAL (SELECT CASE k.update_frequency
        WHEN 'daily' THEN date_trunc('day', v.timestamp)
        WHEN 'weekly' THEN date_trunc('week', v.timestamp)
        WHEN 'monthly' THEN date_trunc('month', v.timestamp)
        ELSE date_trunc('quarter', v.timestamp) END::date AS start) p
WHERE v.organization_id = %(org)s
GROUP BY v.organization_id, v.kpi_id, p.start;

UPDATE kpis_kpiperiod p SET raw_health = j.verdict, health = j.verdict
FROM (
  SELECT p2.id, CASE
      WHEN t.kind = 'at_least' AND p2.value >= t.lower THEN 'healthy'
      WHEN t.kind = 'at_most' AND p2.value <= t.upper THEN 'healthy'
      WHEN t.kind = 'between' AND p2.value BETWEEN t.lower AND t.upper THEN 'healthy'
      WHEN t.kind = 'at_least' AND p2.value >= t.lower - coalesce(t.tolerance, 0) THEN 'at_risk'
      WHEN t.kind = 'at_most' AND p2.value <= t.upper + coalesce(t.tolerance, 0) THEN 'at_risk'
      WHEN t.kind = 'between' AND p2.value BETWEEN t.lower - coalesce(t.tolerance, 0)
                                               AND t.upper + coalesce(t.tolerance, 0) THEN 'at_risk'
      ELSE 'unhealthy' END AS verdict
  FROM kpis_kpiperiod p2
  CROSS JOIN LATERAL (SELECT kind, lower, upper, tolerance FROM kpis_kpitarget t
                      WHERE t.kpi_id = p2.kpi_id AND t.effective_from <= p2.period_start
                      ORDER BY t.effective_from DESC LIMIT 1) t
  WHERE p2.organization_id = %(org)s
) j
WHERE p.id = j.id;

UPDATE kpis_kpi k SET latest_value = last.value, latest_value_at = last.last_timestamp,
       last_recorded_at = last.last_timestamp, health = last.health,
       health_since = last.last_timestamp
FROM (SELECT DISTINCT ON (kpi_id) kpi_id, value, last_timestamp, health
      FROM kpis_kpiperiod WHERE organization_id = %(org)s
      ORDER BY kpi_id, period_start DESC) last
WHERE k.id = last.kpi_id;

ANALYZE kpis_kpivalue; ANALYZE kpis_kpiperiod; ANALYZE kpis_kpi; ANALYZE kpis_kpitarget;
ANALYZE boards_boarditem;
"""


def _targets(organization: Organization, kpis: list[KPI]) -> None:
    """Two targets each (an old one and the current one), placed so that roughly half the KPIs
    end up healthy and the rest at risk or unhealthy."""
    rng = random.Random(7)  # noqa: S311
    rows = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT kpi_id, avg(value) FROM kpis_kpivalue WHERE organization_id = %s GROUP BY kpi_id",
            [organization.pk],
        )
        means = {kpi_id: Decimal(mean) for kpi_id, mean in cursor.fetchall()}
    for index, kpi in enumerate(kpis):
        mean = means[kpi.pk].quantize(Decimal(1))
        kind = ["at_least", "at_most", "between"][index % 3]
        factor = Decimal(str(rng.uniform(0.85, 1.1)))
        for effective_from, shift in (
            (date(2000, 1, 1), Decimal("0.8")),
            (date(2025, 1, 1), factor),
        ):
            lower = (mean * shift).quantize(Decimal(1)) if kind != "at_most" else None
            upper = (
                (mean * shift * Decimal("1.2")).quantize(Decimal(1)) if kind != "at_least" else None
            )
            rows.append(
                KPITarget(
                    organization=organization,
                    kpi=kpi,
                    kind=kind,
                    lower=lower,
                    upper=upper,
                    tolerance=(mean * Decimal("0.05")).quantize(Decimal(1)),
                    effective_from=effective_from,
                )
            )
    KPITarget.unscoped.bulk_create(rows)


def seed(
    *,
    kpi_count: int = 200,
    values_per_kpi: int = 5000,
    slug: str = "bench",
    name: str = "Bench Corp",
) -> Seeded:
    now = datetime.now(tz=UTC).replace(microsecond=0)
    organization = Organization.objects.create(name=name, slug=slug)
    owner = Membership.unscoped.create(
        organization=organization, user=UserFactory(full_name="Bea Bench"), role="owner"
    )
    people = [UserFactory() for _ in range(10)]
    teams = [Team.unscoped.create(organization=organization, name=name) for name in TEAMS]
    kpis = KPI.unscoped.bulk_create(
        KPI(
            organization=organization,
            name=f"{TEAMS[index % 5]} KPI {index:03}",
            owner_team=teams[index % 5],
            owner=people[index % 10],
            unit_kind=UNITS[index % 5][0],
            currency_code=UNITS[index % 5][1],
            unit_suffix=UNITS[index % 5][2],
            decimal_places=UNITS[index % 5][3],
            update_frequency=FREQUENCIES[index % len(FREQUENCIES)],
        )
        for index in range(kpi_count)
    )
    value_count = _copy_values(organization.pk, kpis, values_per_kpi, now)
    _targets(organization, kpis)
    with connection.cursor() as cursor:
        for statement in filter(str.strip, DERIVE_SQL.split(";")):
            cursor.execute(statement, {"org": organization.pk})
    board = Board.unscoped.create(
        organization=organization, name="Company health", owner_team=teams[0]
    )
    sections = [
        BoardSection.unscoped.create(organization=organization, board=board, title=name, position=i)
        for i, name in enumerate(TEAMS[:4])
    ]
    BoardItem.unscoped.bulk_create(
        BoardItem(
            organization=organization,
            board=board,
            kpi=kpi,
            position=index,
            section=sections[index % 5] if index % 5 < 4 else None,
        )
        for index, kpi in enumerate(kpis)
    )
    return Seeded(organization, owner, board, kpi_count, value_count)
