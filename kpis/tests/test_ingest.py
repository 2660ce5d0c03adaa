"""Bulk recording of many points for many KPIs: counts, idempotency, all-or-nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kpis.models import KPI, Health, HealthChange, KPIPeriod, KPIValue
from kpis.services import PointInput, kpi_values_record_many
from okrplatform.errors import DomainError
from okrplatform.tenancy.models import Organization
from tests.factories import KPIFactory, KPITargetFactory

pytestmark = pytest.mark.django_db

START = datetime(2024, 1, 1, 9, tzinfo=UTC)


def daily_points(kpi: KPI, days: int, value: int = 50) -> list[PointInput]:
    return [PointInput(kpi.pk, START + timedelta(days=day), value) for day in range(days)]


def test_bulk_upsert_counts_and_is_idempotent(scope: Organization, write_path: str) -> None:
    first = KPIFactory(organization=scope, update_frequency="daily")
    second = KPIFactory(organization=scope, update_frequency="weekly", aggregation="sum")
    KPITargetFactory(kpi=second, kind="at_least", lower=300)
    points = daily_points(first, 30) + daily_points(second, 28)

    result = kpi_values_record_many(organization_id=scope.pk, points=points, source="import")
    assert (result.created, result.updated) == (58, 0)
    again = kpi_values_record_many(organization_id=scope.pk, points=points, source="import")
    assert (again.created, again.updated) == (0, 58)

    assert KPIValue.objects.count() == 58
    assert KPIPeriod.objects.filter(kpi=first).count() == 30
    # 4 full weeks of 7 × 50: judged healthy against "at least 300"
    weeks = list(KPIPeriod.objects.filter(kpi=second).values_list("value", "health"))
    assert weeks == [(350, "healthy")] * 4
    assert HealthChange.objects.filter(kpi=second).count() == 1


def test_bulk_updates_change_values_and_health(scope: Organization, write_path: str) -> None:
    kpi = KPIFactory(organization=scope, update_frequency="daily")
    KPITargetFactory(kpi=kpi, kind="at_most", upper=30)
    kpi_values_record_many(organization_id=scope.pk, points=daily_points(kpi, 5, 20), source="api")
    kpi.refresh_from_db()
    assert kpi.health == Health.HEALTHY
    last = PointInput(kpi.pk, START + timedelta(days=4), "52", note="outage")
    result = kpi_values_record_many(organization_id=scope.pk, points=[last], source="api")
    assert (result.created, result.updated) == (0, 1)
    kpi.refresh_from_db()
    assert (kpi.health, kpi.latest_value) == (Health.UNHEALTHY, 52)
    assert KPIValue.objects.get(kpi=kpi, timestamp=last.timestamp).note == "outage"


def test_duplicate_points_in_one_batch_keep_the_last(scope: Organization) -> None:
    kpi = KPIFactory(organization=scope)
    when = START
    result = kpi_values_record_many(
        organization_id=scope.pk,
        points=[PointInput(kpi.pk, when, 1), PointInput(kpi.pk, when, 2)],
        source="api",
    )
    assert result.written == 1
    assert KPIValue.objects.get(kpi=kpi).value == 2


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (PointInput(0, START, 1), "Point 3: no such KPI"),
        (PointInput(-1, START, "abc"), "Point 3: no such KPI"),
        ("nan", "Point 3: NaN"),
        ("Infinity", "Point 3: Infinity"),
        ("twelve", "Point 3: “twelve” is not a number."),
        ("future", "Point 3: .* is in the future"),
    ],
)
def test_one_bad_point_refuses_the_batch_and_writes_nothing(
    scope: Organization, bad: object, message: str
) -> None:
    kpi = KPIFactory(organization=scope)
    kpi_values_record_many(
        organization_id=scope.pk, points=[PointInput(kpi.pk, START, 7)], source="api"
    )
    if isinstance(bad, PointInput):
        point = bad
    elif bad == "future":
        point = PointInput(kpi.pk, timezone.now() + timedelta(days=30), 1)
    else:
        point = PointInput(kpi.pk, START + timedelta(days=40), bad)  # type: ignore[arg-type]
    points = [PointInput(kpi.pk, START, 8), PointInput(kpi.pk, START + timedelta(days=1), 9), point]
    with pytest.raises(DomainError, match=message):
        kpi_values_record_many(organization_id=scope.pk, points=points, source="api")
    assert list(KPIValue.objects.values_list("value", flat=True)) == [7]


def test_another_organisations_kpi_is_unknown(scope: Organization, other_org: Organization) -> None:
    foreign = KPIFactory(organization=other_org)
    with pytest.raises(DomainError, match="no such KPI"):
        kpi_values_record_many(
            organization_id=scope.pk, points=[PointInput(foreign.pk, START, 1)], source="api"
        )
    assert not KPIValue.unscoped.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the fast path is PostgreSQL's")
def test_postgresql_writes_a_chunk_in_one_statement(scope: Organization) -> None:
    kpis = KPIFactory.create_batch(3, organization=scope, update_frequency="daily")
    points = [point for kpi in kpis for point in daily_points(kpi, 400)]
    with CaptureQueriesContext(connection) as queries:
        result = kpi_values_record_many(organization_id=scope.pk, points=points, source="import")
    assert result.created == 1200
    upserts = [
        q["sql"]
        for q in queries.captured_queries
        if "ON CONFLICT" in q["sql"] and '"kpis_kpivalue"' in q["sql"]
    ]
    assert len(upserts) == 1
    assert "unnest" in upserts[0]
    assert KPIValue.objects.count() == 1200
    assert KPIPeriod.objects.count() == 1200
