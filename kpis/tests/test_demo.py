"""The demo KPIs: thirty gauges with history, some unhealthy, at risk and overdue."""

from __future__ import annotations

import pytest
from django.utils import timezone

from kpis import demo
from kpis.health import is_overdue
from kpis.models import KPI, Health, KPITarget, KPIValue
from okrplatform.tenancy.models import Organization
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


def test_seed_creates_realistic_kpis_in_every_state(scope: Organization) -> None:
    for name in ("Sales", "Marketing", "Support", "Product", "Finance"):
        TeamFactory(organization=scope, name=name)
    kpis = demo.seed(scope)
    assert len(kpis) == 30
    healths = {kpi.name: kpi.health for kpi in KPI.objects.all()}
    assert healths["Average first reply time"] == Health.UNHEALTHY
    assert list(healths.values()).count(Health.AT_RISK) >= 3
    assert list(healths.values()).count(Health.UNHEALTHY) >= 3
    assert Health.NO_DATA not in healths.values()
    now = timezone.now()
    assert sum(is_overdue(kpi, now) for kpi in KPI.objects.all()) == 2
    assert KPIValue.objects.filter(kpi__name="Average first reply time").count() >= 700
    assert KPITarget.objects.filter(kpi__name="Customer churn").count() == 2
    assert not KPI.objects.filter(owner_team__isnull=True).exists()
