"""What the KPI page reads: the hand-written PostgreSQL queries and the portable ORM ones return
the same rows, never another organisation's, and the page's query count does not grow with
values, targets, health changes, data sources or aligned OKRs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from goals.kpi_okrs import kpi_okrs_portable, kpi_okrs_postgresql
from goals.models import ObjectiveKPI
from goals.tests.factories import CycleFactory, KeyResultFactory, ObjectiveFactory
from integrations.tests.factories import DataSourceFactory, SyncRunFactory
from kpis import selectors, services
from kpis.models import KPI, ValueSource
from kpis.page_data import (
    KPIPageData,
    kpi_for_page,
    kpi_page_postgresql,
    page_data_portable,
    page_data_postgresql,
)
from kpis.services import PointInput, kpi_values_record_many
from okrplatform.tenancy.models import Membership, Organization
from okrplatform.tenancy.scope import TenantScopeError, organization_scope
from tests.factories import KPIFactory, KPITargetFactory, TeamFactory

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the fast path is PostgreSQL's"
)

START = datetime(2025, 1, 1, tzinfo=UTC)


def a_busy_kpi(org: Organization, owner: Membership, *, days: int, targets: int) -> KPI:
    """A daily KPI with ``days`` values (synced, imported and typed), ``targets`` targets, the
    health changes its values cause, two data sources and OKRs aligned to it."""
    source = DataSourceFactory(organization=org, integration__name="Warehouse")
    kpi = source.kpi
    kpi.update_frequency = "daily"
    kpi.save()
    DataSourceFactory(organization=org, kpi=kpi, integration__provider="csv")
    for index in range(targets):
        KPITargetFactory(
            kpi=kpi,
            kind="between",
            lower=40 + index,
            upper=60 + index,
            tolerance=5,
            effective_from=date(2024, 1, 1) + timedelta(days=30 * index),
        )
    run = SyncRunFactory(data_source=source)
    # Values swinging across the target make health changes, one every few days.
    points = [
        PointInput(kpi.pk, START + timedelta(days=day), 50 if day % 6 < 3 else 90)
        for day in range(days)
    ]
    kpi_values_record_many(
        organization_id=org.pk,
        points=points[: days // 2],
        source=ValueSource.INTEGRATION,
        sync_run_id=run.pk,
    )
    kpi_values_record_many(organization_id=org.pk, points=points[days // 2 :], source="import")
    with organization_scope(org.pk):
        services.kpi_value_record(
            actor=owner, kpi=kpi, timestamp=START + timedelta(days=days), value=55, note="typed"
        )
    team = TeamFactory(organization=org, name="Growth")
    for index in range(2):
        cycle = CycleFactory(organization=org, start_date=date(2026, 1 + 3 * index, 1))
        objective = ObjectiveFactory(organization=org, cycle=cycle, owner_team=team)
        ObjectiveKPI.unscoped.create(organization=org, objective=objective, kpi=kpi)
        KeyResultFactory(objective=ObjectiveFactory(organization=org, cycle=cycle), kpi=kpi)
    return kpi


@postgresql_only
def test_both_implementations_agree(scope: Organization, owner: Membership) -> None:
    kpi = a_busy_kpi(scope, owner, days=40, targets=3)
    raw = page_data_postgresql(kpi, values_shown=24, changes_shown=5)
    orm = page_data_portable(kpi, values_shown=24, changes_shown=5)
    # Every part has rows, so agreement is not vacuous.
    assert len(raw.periods) == raw.value_count == 41
    assert (len(raw.values), len(raw.changes), len(raw.sources)) == (24, 5, 2)
    assert {value.source for value in raw.values} == {"manual", "import", "integration"}
    assert raw.periods == orm.periods
    assert raw.values == orm.values
    assert raw.value_count == orm.value_count
    assert raw.changes == orm.changes
    assert raw.sources == orm.sources
    fields = ("pk", "kind", "lower", "upper", "tolerance", "effective_from", "created_at")
    assert [[getattr(t, f) for f in fields] for t in raw.targets] == [
        [getattr(t, f) for f in fields] for t in orm.targets
    ]
    assert len(raw.targets) == 3


@postgresql_only
def test_synced_values_carry_their_run(scope: Organization, owner: Membership) -> None:
    kpi = a_busy_kpi(scope, owner, days=10, targets=1)
    raw = page_data_postgresql(kpi, values_shown=24, changes_shown=24)
    synced = [value for value in raw.values if value.source == ValueSource.INTEGRATION]
    assert len(synced) == 5
    assert {value.integration_name for value in synced} == {"Warehouse"}
    assert synced == [
        value
        for value in page_data_portable(kpi, values_shown=24, changes_shown=24).values
        if value.source == ValueSource.INTEGRATION
    ]
    (typed,) = [value for value in raw.values if value.source == "manual"]
    assert typed.author_name == (owner.user.full_name or owner.user.email)
    assert typed.note == "typed"


@postgresql_only
def test_aligned_okrs_agree(scope: Organization, owner: Membership) -> None:
    kpi = a_busy_kpi(scope, owner, days=3, targets=1)
    raw, orm = kpi_okrs_postgresql(kpi), kpi_okrs_portable(kpi)
    # Aligned directly (2) and through a key result (2), newest cycle first.
    assert (len(raw.objectives), len(raw.key_results)) == (4, 2)
    assert raw.objectives[0].team_name in ("Growth", "")
    assert raw == orm


@postgresql_only
def test_raw_queries_refuse_to_run_without_an_organisation(
    org: Organization, owner: Membership
) -> None:
    kpi = KPIFactory(organization=org)
    with pytest.raises(TenantScopeError):
        page_data_postgresql(kpi, values_shown=24, changes_shown=24)
    with pytest.raises(TenantScopeError):
        kpi_okrs_postgresql(kpi)


@postgresql_only
def test_raw_queries_never_read_another_organisations_rows(
    org: Organization, owner: Membership, other_org: Organization
) -> None:
    with organization_scope(org.pk):
        kpi = a_busy_kpi(org, owner, days=5, targets=2)
    with organization_scope(other_org.pk):
        data = page_data_postgresql(kpi, values_shown=24, changes_shown=24)
        okrs = kpi_okrs_postgresql(kpi)
    assert (data.targets, data.periods, data.values, data.changes, data.sources) == (
        [],
        [],
        [],
        [],
        [],
    )
    assert data.value_count == 0
    assert (okrs.objectives, okrs.key_results) == ([], [])


def test_kpi_page_queries_do_not_grow_with_history(
    owner_client: Client,
    org: Organization,
    owner: Membership,
    write_path: str,
    django_assert_max_num_queries: object,
) -> None:
    small = KPIFactory(organization=org, update_frequency="daily")
    with organization_scope(org.pk):
        big = a_busy_kpi(org, owner, days=120, targets=6)

    def page_queries(kpi: KPI) -> int:
        address = reverse("kpis:kpi-detail", args=[org.slug, kpi.pk])
        owner_client.get(address)  # the first visit also writes the session
        with CaptureQueriesContext(connection) as captured:
            response = owner_client.get(address)
        assert response.status_code == 200
        return len(captured)

    assert page_queries(big) == page_queries(small)
    budget = 9 if write_path == "native" else 16
    address = reverse("kpis:kpi-detail", args=[org.slug, big.pk])
    with django_assert_max_num_queries(budget):  # type: ignore[operator]
        content = owner_client.get(address).content.decode()
    for shown in ("Warehouse", "Growth", "typed", "latest 24 of 121"):
        assert shown in content


@postgresql_only
def test_the_kpi_read_by_hand_is_the_selectors_kpi(scope: Organization, owner: Membership) -> None:
    kpi = a_busy_kpi(scope, owner, days=3, targets=1)
    kpi.owner_team = TeamFactory(organization=scope, name="Support")
    kpi.owner = owner.user
    kpi.save()
    by_hand, orm = kpi_for_page(kpi.pk), selectors.kpi_get(kpi.pk)
    assert by_hand is not None
    assert orm is not None
    fields = [field.attname for field in KPI._meta.concrete_fields]
    assert [getattr(by_hand, name) for name in fields] == [getattr(orm, name) for name in fields]
    assert by_hand.latest_value is not None
    assert by_hand.owner_team is not None
    assert by_hand.owner_team.name == "Support"
    assert by_hand.owner is not None
    assert by_hand.owner.full_name == owner.user.full_name
    assert by_hand.get_health_display() == orm.get_health_display()


@postgresql_only
def test_the_kpi_read_by_hand_stays_in_its_organisation(
    org: Organization, other_org: Organization
) -> None:
    kpi = KPIFactory(organization=org)
    with pytest.raises(TenantScopeError):
        kpi_for_page(kpi.pk)
    with organization_scope(other_org.pk):
        assert kpi_for_page(kpi.pk) is None
    with organization_scope(org.pk):
        assert kpi_for_page(kpi.pk) == kpi


def _comparable(data: KPIPageData) -> tuple[object, ...]:
    fields = ("pk", "kind", "lower", "upper", "tolerance", "effective_from", "created_at")
    targets = [[getattr(target, field) for field in fields] for target in data.targets]
    return (targets, data.periods, data.values, data.value_count, data.changes, data.sources)


@postgresql_only
def test_the_page_in_one_query_is_the_kpi_and_its_page_data(
    scope: Organization, owner: Membership
) -> None:
    kpi = a_busy_kpi(scope, owner, days=40, targets=3)
    kpi.owner = owner.user
    kpi.save()
    page = kpi_page_postgresql(kpi.pk, values_shown=24, changes_shown=5)
    assert page is not None
    in_one, data = page
    alone = kpi_for_page(kpi.pk)
    assert alone is not None
    fields = [field.attname for field in KPI._meta.concrete_fields]
    assert [getattr(in_one, name) for name in fields] == [getattr(alone, name) for name in fields]
    assert in_one.owner is not None
    assert alone.owner is not None
    assert in_one.owner.full_name == alone.owner.full_name
    assert len(data.periods) == 41
    assert _comparable(data) == _comparable(
        page_data_postgresql(kpi, values_shown=24, changes_shown=5)
    )
    assert _comparable(data) == _comparable(
        page_data_portable(kpi, values_shown=24, changes_shown=5)
    )


@postgresql_only
def test_the_page_in_one_query_of_a_kpi_without_history(scope: Organization) -> None:
    kpi = KPIFactory(organization=scope)
    page = kpi_page_postgresql(kpi.pk, values_shown=24, changes_shown=24)
    assert page is not None
    assert page[0] == kpi
    assert _comparable(page[1]) == ([], [], [], 0, [], [])
    assert kpi_page_postgresql(0, values_shown=24, changes_shown=24) is None


@postgresql_only
def test_the_page_in_one_query_stays_in_its_organisation(
    org: Organization, owner: Membership, other_org: Organization
) -> None:
    with organization_scope(org.pk):
        kpi = a_busy_kpi(org, owner, days=5, targets=2)
    with pytest.raises(TenantScopeError):
        kpi_page_postgresql(kpi.pk, values_shown=24, changes_shown=24)
    with organization_scope(other_org.pk):
        assert kpi_page_postgresql(kpi.pk, values_shown=24, changes_shown=24) is None
