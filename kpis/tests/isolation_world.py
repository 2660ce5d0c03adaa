"""The KPI pages' objects and URL kwargs in the tenant-isolation suite (tests/isolation/)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from kpis.models import KPIValue
from tests.factories import KPIFactory, KPITargetFactory


def extend_world(world: Any, marker: str) -> None:
    """A KPI with a target and one value, all carrying ``marker`` where text shows."""
    kpi = KPIFactory(organization=world.organization, name=f"{marker} Churn", owner_team=world.team)
    KPITargetFactory(kpi=kpi, kind="at_most", lower=None, upper=2, effective_from=date(2025, 1, 1))
    value = KPIValue.unscoped.create(
        organization=world.organization,
        kpi=kpi,
        value=3,
        timestamp=datetime(2026, 1, 1, tzinfo=UTC),
        note=f"{marker} value note",
    )
    world.extra.update(kpi=kpi, kpi_value=value)


OBJECT_KWARGS = {
    "kpis:kpi-detail": lambda w: {"pk": w.kpi.pk},
    "kpis:kpi-edit": lambda w: {"pk": w.kpi.pk},
    "kpis:kpi-archive": lambda w: {"pk": w.kpi.pk},
    "kpis:target-set": lambda w: {"pk": w.kpi.pk},
    "kpis:value-record": lambda w: {"pk": w.kpi.pk},
    "kpis:value-edit": lambda w: {"pk": w.kpi.pk, "value_pk": w.kpi_value.pk},
    "kpis:value-delete": lambda w: {"pk": w.kpi.pk, "value_pk": w.kpi_value.pk},
}
