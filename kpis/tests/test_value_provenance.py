"""Where values came from: the sync run on bulk writes (both write paths), cleared by later writes
of another kind, and shown on the KPI page (by whom, import, API, integration run with its link)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from integrations.tests.factories import DataSourceFactory, SyncRunFactory
from kpis import services
from kpis.models import KPIValue, ValueSource
from kpis.services import PointInput, kpi_values_record_many
from okrplatform.errors import DomainError
from okrplatform.tenancy.models import Membership, Organization
from okrplatform.tenancy.scope import organization_scope
from tests.factories import KPIFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

START = datetime(2025, 1, 1, tzinfo=UTC)


def test_bulk_writes_stamp_and_restamp_the_run(scope: Organization, write_path: str) -> None:
    source = DataSourceFactory(organization=scope, integration__name="Warehouse")
    first, second = (SyncRunFactory(data_source=source) for _ in range(2))
    kpi = source.kpi
    points = [PointInput(kpi.pk, START + timedelta(days=i), i) for i in range(3)]

    kpi_values_record_many(
        organization_id=scope.pk,
        points=points,
        source=ValueSource.INTEGRATION,
        sync_run_id=first.pk,
    )
    assert set(KPIValue.objects.values_list("sync_run_id", flat=True)) == {first.pk}

    # The next run rewrites one point: that point is now the second run's.
    kpi_values_record_many(
        organization_id=scope.pk,
        points=points[:1],
        source=ValueSource.INTEGRATION,
        sync_run_id=second.pk,
    )
    by_time = dict(KPIValue.objects.values_list("timestamp", "sync_run_id"))
    assert by_time == {
        START: second.pk,
        points[1].timestamp: first.pk,
        points[2].timestamp: first.pk,
    }

    # An API write over a synced point is the API's, not the run's.
    kpi_values_record_many(organization_id=scope.pk, points=points[1:2], source=ValueSource.API)
    assert KPIValue.objects.get(timestamp=points[1].timestamp).sync_run_id is None


def test_a_value_typed_over_a_synced_one_drops_the_run(
    scope: Organization, owner: Membership
) -> None:
    run = SyncRunFactory(data_source=DataSourceFactory(organization=scope))
    kpi = run.data_source.kpi
    kpi_values_record_many(
        organization_id=scope.pk,
        points=[PointInput(kpi.pk, START, 5)],
        source=ValueSource.INTEGRATION,
        sync_run_id=run.pk,
    )
    services.kpi_value_record(actor=owner, kpi=kpi, timestamp=START, value=6)
    point = KPIValue.objects.get()
    assert (point.source, point.sync_run_id, point.author_id) == ("manual", None, owner.user_id)


def test_a_run_of_another_organisation_is_refused(scope: Organization) -> None:
    foreign_run = SyncRunFactory(data_source=DataSourceFactory(organization=OrganizationFactory()))
    kpi = KPIFactory(organization=scope)
    with pytest.raises(DomainError, match="No such sync run"):
        kpi_values_record_many(
            organization_id=scope.pk,
            points=[PointInput(kpi.pk, START, 1)],
            source=ValueSource.INTEGRATION,
            sync_run_id=foreign_run.pk,
        )
    assert not KPIValue.unscoped.exists()


def test_deleting_the_run_keeps_the_values(scope: Organization) -> None:
    run = SyncRunFactory(data_source=DataSourceFactory(organization=scope))
    kpi_values_record_many(
        organization_id=scope.pk,
        points=[PointInput(run.data_source.kpi_id, START, 1)],
        source=ValueSource.INTEGRATION,
        sync_run_id=run.pk,
    )
    run.delete()
    assert KPIValue.objects.get().sync_run_id is None


def test_the_kpi_page_says_where_each_value_came_from(
    org: Organization, owner: Membership, owner_client: Client
) -> None:
    owner.user.full_name = "Ada Typist"
    owner.user.save()
    source = DataSourceFactory(organization=org, integration__name="Billing DB")
    run = SyncRunFactory(data_source=source, scheduled_for=datetime(2026, 3, 1, 6, tzinfo=UTC))
    kpi = source.kpi
    with organization_scope(org.pk):
        services.kpi_value_record(actor=owner, kpi=kpi, timestamp=START, value=1)
    for offset, source_kind, extra in (
        (1, ValueSource.IMPORT, {"author": owner.user}),
        (2, ValueSource.API, {}),
        (3, ValueSource.INTEGRATION, {"sync_run_id": run.pk}),
    ):
        kpi_values_record_many(
            organization_id=org.pk,
            points=[PointInput(kpi.pk, START + timedelta(days=31 * offset), offset)],
            source=source_kind,
            **extra,  # type: ignore[arg-type]
        )

    response = owner_client.get(reverse("kpis:kpi-detail", args=[org.slug, kpi.pk]))
    body = response.content.decode()
    run_log = reverse("integrations:source-detail", args=[org.slug, source.pk])
    assert f'<a href="{run_log}#run-{run.pk}">Billing DB · run of 2026-03-01 06:00 UTC</a>' in body
    assert 'CSV import<br><small class="muted">by Ada Typist</small>' in body
    assert 'Entered by hand<br><small class="muted">by Ada Typist</small>' in body
    assert '<td data-testid="value-origin">REST API</td>' in body
    # The data source card names the connection feeding the KPI.
    assert f'<a href="{run_log}">Billing DB</a>' in body

    log = owner_client.get(run_log).content.decode()
    assert f'id="run-{run.pk}"' in log
