"""Many KPIs refreshed at once (kpis/evaluation_many.py) end exactly as when each is refreshed on
its own, in a number of queries that does not grow with the KPIs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from goals.models import KeyResult
from goals.tests.factories import KeyResultFactory, ObjectiveFactory
from kpis.models import KPI, HealthChange, KPIPeriod
from kpis.services import PointInput, kpi_values_record_many
from okrplatform.tenancy.models import Organization
from tests.factories import KPIFactory, KPITargetFactory

pytestmark = pytest.mark.django_db

START = datetime(2024, 1, 1, 9, tzinfo=UTC)

# (frequency, aggregation, hysteresis, target kind, lower, upper): one KPI of each.
SHAPES = [
    ("daily", "last", 1, "at_least", 40, None),
    ("daily", "average", 2, "at_most", None, 60),
    ("weekly", "sum", 1, "between", 100, 400),
    ("daily", "last", 3, "between", 20, 70),
    ("monthly", "max", 2, "at_least", 55, None),
]


def _kpis(organization: Organization, tag: str) -> list[KPI]:
    kpis = []
    for index, (frequency, aggregation, hysteresis, kind, lower, upper) in enumerate(SHAPES):
        kpi = KPIFactory(
            organization=organization,
            name=f"{tag} {index}",
            update_frequency=frequency,
            aggregation=aggregation,
            hysteresis_periods=hysteresis,
        )
        KPITargetFactory(
            organization=organization,
            kpi=kpi,
            kind=kind,
            lower=lower,
            upper=upper,
            effective_from=START.date(),
        )
        kpis.append(kpi)
    return kpis


def _history(kpi: KPI, index: int) -> list[PointInput]:
    """Sixty days that cross the targets now and then (each KPI its own rhythm)."""
    return [
        PointInput(kpi.pk, START + timedelta(days=day), 30 + (day * (index + 3)) % 50)
        for day in range(60)
    ]


def _batch(kpi: KPI, index: int) -> list[PointInput]:
    """A write into the middle of the history (the walk cascades forward), and a new point."""
    return [
        PointInput(kpi.pk, START + timedelta(days=20 + index), 95),
        PointInput(kpi.pk, START + timedelta(days=21 + index), 5),
        PointInput(kpi.pk, START + timedelta(days=70), 45 + index),
    ]


def _state(kpi: KPI) -> tuple[object, ...]:
    kpi = KPI.unscoped.get(pk=kpi.pk)
    periods = list(
        KPIPeriod.unscoped.filter(kpi=kpi)
        .order_by("period_start")
        .values_list("period_start", "value", "last_timestamp", "raw_health", "health")
    )
    changes = list(
        HealthChange.unscoped.filter(kpi=kpi)
        .order_by("period_start", "changed_at")
        .values_list("from_health", "to_health", "changed_at", "period_start", "value")
    )
    key_results = list(KeyResult.unscoped.filter(kpi=kpi).values_list("current_value", flat=True))
    return (
        kpi.health,
        kpi.latest_value,
        kpi.latest_value_at,
        kpi.health_since,
        periods,
        changes,
        key_results,
    )


def test_a_batch_over_many_kpis_ends_as_kpi_by_kpi(scope: Organization, write_path: str) -> None:
    together, alone = _kpis(scope, "together"), _kpis(scope, "alone")
    objective = ObjectiveFactory(organization=scope)
    for kpi in together + alone:
        KeyResultFactory(objective=objective, kpi=kpi, target_value=Decimal(100))
    for index, (a, b) in enumerate(zip(together, alone, strict=True)):
        kpi_values_record_many(organization_id=scope.pk, points=_history(a, index))
        kpi_values_record_many(organization_id=scope.pk, points=_history(b, index))

    kpi_values_record_many(
        organization_id=scope.pk,
        points=[point for index, kpi in enumerate(together) for point in _batch(kpi, index)],
    )
    for index, kpi in enumerate(alone):
        kpi_values_record_many(organization_id=scope.pk, points=_batch(kpi, index))

    for a, b in zip(together, alone, strict=True):
        assert _state(a) == _state(b)
        assert HealthChange.unscoped.filter(kpi=a).exists()  # the shapes do change health


def test_a_batch_costs_the_same_queries_for_few_kpis_or_many(scope: Organization) -> None:
    def cost(count: int) -> int:
        kpis = [KPIFactory(organization=scope, update_frequency="daily") for _ in range(count)]
        for kpi in kpis:
            KPITargetFactory(organization=scope, kpi=kpi, kind="at_least", lower=10)
        points = [PointInput(kpi.pk, START, 50) for kpi in kpis]
        with CaptureQueriesContext(connection) as queries:
            kpi_values_record_many(organization_id=scope.pk, points=points)
        return len(queries)

    assert cost(3) == cost(12)
