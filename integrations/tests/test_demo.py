from __future__ import annotations

from integrations import demo
from integrations.models import DataSource, Integration, SourceStatus
from kpis.models import KPIValue, ValueSource
from tests.factories import KPIFactory


def test_demo_seed_builds_a_working_push_source(org, scope) -> None:
    kpi = KPIFactory(organization=org, name=demo.DEMO_KPI)
    demo.seed(org)
    source = DataSource.objects.get(kpi=kpi)
    assert source.integration.provider == "push"
    assert source.status == SourceStatus.OK
    assert source.last_success_at is not None
    assert KPIValue.objects.filter(kpi=kpi, source=ValueSource.INTEGRATION).count() == 1
    assert Integration.objects.count() == 2
