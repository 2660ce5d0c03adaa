"""The board cards' count of open objectives aligned to each KPI: the hand-written PostgreSQL
query and the portable selector agree, and neither reads another organisation's rows."""

from __future__ import annotations

import pytest
from django.db import connection

from goals.kpi_okrs import open_objective_counts, open_objective_counts_postgresql
from goals.models import ObjectiveKPI, ObjectiveStatus
from goals.selectors import open_objective_counts_by_kpi
from goals.tests.factories import ObjectiveFactory
from kpis.models import KPI
from okrplatform.tenancy.models import Organization
from okrplatform.tenancy.scope import TenantScopeError, organization_scope
from tests.factories import KPIFactory

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the fast path is PostgreSQL's"
)


def _align(organization: Organization, kpi: KPI, *statuses: str) -> None:
    for status in statuses:
        objective = ObjectiveFactory(organization=organization, status=status)
        ObjectiveKPI.unscoped.create(organization=organization, objective=objective, kpi=kpi)


def _three_kpis(organization: Organization) -> list[KPI]:
    kpis = [KPIFactory(organization=organization) for _ in range(3)]
    _align(organization, kpis[0], ObjectiveStatus.ACTIVE, ObjectiveStatus.DRAFT)
    _align(organization, kpis[1], ObjectiveStatus.CLOSED, ObjectiveStatus.ACTIVE)
    _align(organization, kpis[2], ObjectiveStatus.CLOSED)
    return kpis


@postgresql_only
def test_both_implementations_agree(scope: Organization) -> None:
    kpis = _three_kpis(scope)
    ids = [kpi.pk for kpi in kpis]
    raw = open_objective_counts_postgresql(ids)
    assert raw == {kpis[0].pk: 2, kpis[1].pk: 1}  # closed objectives are history
    assert raw == open_objective_counts_by_kpi(ids) == open_objective_counts(ids)
    assert open_objective_counts_postgresql(ids[2:]) == {}


@postgresql_only
def test_raw_query_refuses_to_run_without_an_organisation(org: Organization) -> None:
    with pytest.raises(TenantScopeError):
        open_objective_counts_postgresql([1])


@postgresql_only
def test_raw_query_never_counts_another_organisations_objectives(
    org: Organization, other_org: Organization
) -> None:
    with organization_scope(org.pk):
        kpis = _three_kpis(org)
    with organization_scope(other_org.pk):
        assert open_objective_counts_postgresql([kpi.pk for kpi in kpis]) == {}
