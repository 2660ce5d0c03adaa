"""The demo OKRs seed cleanly through the services, with or without the demo KPIs."""

from __future__ import annotations

from decimal import Decimal

import pytest

from goals import demo
from goals.models import CheckIn, Cycle, CycleStatus, KeyResult, Objective, ObjectiveKPI
from goals.tests.factories import GoalsKPIFactory
from okrplatform.tenancy.demo import seed_demo_organization
from okrplatform.tenancy.scope import organization_scope

pytestmark = pytest.mark.django_db


def test_demo_seeds_cycles_objectives_and_check_ins():
    login, _created = seed_demo_organization()
    organization = login.organization
    kpi = GoalsKPIFactory(
        organization=organization, name="Average first reply time", latest_value=Decimal(52)
    )
    with organization_scope(organization.pk):
        demo.seed(organization)
        statuses = sorted(Cycle.objects.values_list("status", flat=True))
        assert statuses.count(CycleStatus.CLOSED) == 1
        assert CycleStatus.PLANNING in statuses
        closed = Cycle.objects.get(status=CycleStatus.CLOSED)
        assert not KeyResult.objects.filter(objective__cycle=closed, grade__isnull=True).exists()
        assert Objective.objects.filter(carried_from__isnull=False).count() == 1
        assert Objective.objects.filter(owner_team__isnull=True).exists()
        assert (
            Objective.objects.filter(owner_team__name="Customer Success").get().parents.count() == 2
        )
        assert ObjectiveKPI.objects.filter(kpi=kpi).exists()
        assert KeyResult.objects.get(kpi=kpi).current_value == 52
        assert CheckIn.objects.count() > 20
        count = Objective.objects.count()
        demo.seed(organization)  # a second run changes nothing
        assert Objective.objects.count() == count
