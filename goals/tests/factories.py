"""Factories for OKRs: one organisation passed down the whole graph."""

from __future__ import annotations

from datetime import UTC, date

import factory

from goals.models import (
    CheckIn,
    Cycle,
    CycleStatus,
    Initiative,
    KeyResult,
    Objective,
    ObjectiveStatus,
    StrategicPillar,
)
from kpis.models import KPI, KPITarget
from tests.factories import OrganizationFactory, TenantFactory


class CycleFactory(TenantFactory):
    class Meta:
        model = Cycle

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Q{n % 4 + 1} {2026 + n // 4}")
    kind = "quarterly"
    start_date = date(2026, 4, 1)
    end_date = date(2026, 6, 30)
    status = CycleStatus.ACTIVE


class PillarFactory(TenantFactory):
    class Meta:
        model = StrategicPillar

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Pillar {n}")
    position = factory.Sequence(lambda n: n)


class ObjectiveFactory(TenantFactory):
    class Meta:
        model = Objective

    organization = factory.SubFactory(OrganizationFactory)
    cycle = factory.SubFactory(CycleFactory, organization=factory.SelfAttribute("..organization"))
    title = factory.Sequence(lambda n: f"Objective {n}")
    status = ObjectiveStatus.ACTIVE


class KeyResultFactory(TenantFactory):
    class Meta:
        model = KeyResult

    objective = factory.SubFactory(ObjectiveFactory)
    organization = factory.SelfAttribute("objective.organization")
    title = factory.Sequence(lambda n: f"Key result {n}")
    kind = "metric"
    start_value = 0
    target_value = 100
    current_value = None


class InitiativeFactory(TenantFactory):
    class Meta:
        model = Initiative

    objective = factory.SubFactory(ObjectiveFactory)
    organization = factory.SelfAttribute("objective.organization")
    title = factory.Sequence(lambda n: f"Initiative {n}")


class CheckInFactory(TenantFactory):
    class Meta:
        model = CheckIn

    key_result = factory.SubFactory(KeyResultFactory)
    organization = factory.SelfAttribute("key_result.organization")
    value = 10
    created_at = factory.Faker("date_time_this_month", tzinfo=UTC)


class GoalsKPIFactory(TenantFactory):
    """A KPI as the OKR tests need it (the KPI app may have a richer factory)."""

    class Meta:
        model = KPI

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"KPI {n}")
    unit_kind = "duration"


class KPITargetFactory(TenantFactory):
    class Meta:
        model = KPITarget

    kpi = factory.SubFactory(GoalsKPIFactory)
    organization = factory.SelfAttribute("kpi.organization")
    kind = "at_most"
    upper = 30
    effective_from = date(2020, 1, 1)
