"""KPI pages: list, create/edit, the KPI page and its forms, roles, isolation, query budgets."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpis import services
from kpis.models import KPI, Health, KPITarget, KPIValue
from kpis.services import PointInput, kpi_values_record_many
from okrplatform.tenancy.models import Membership, Organization, Team
from okrplatform.tenancy.scope import organization_scope
from tests.factories import KPIFactory, KPITargetFactory, TeamFactory, TeamMembershipFactory

pytestmark = pytest.mark.django_db


def url(name: str, org: Organization, *args: int) -> str:
    return reverse(f"kpis:{name}", args=[org.slug, *args])


def with_history(org: Organization, kpi: KPI, count: int) -> None:
    start = datetime(2021, 1, 1, tzinfo=UTC)
    points = [PointInput(kpi.pk, start + timedelta(days=i), 20 + i % 17) for i in range(count)]
    kpi_values_record_many(organization_id=org.pk, points=points, source="import")


def queries_of(client: Client, address: str) -> int:
    client.get(address)  # the first visit also writes the session; count a steady-state visit
    with CaptureQueriesContext(connection) as captured:
        response = client.get(address)
    assert response.status_code == 200
    return len(captured)


@pytest.fixture
def support(org: Organization, member: Membership) -> Team:
    team = TeamFactory(organization=org, name="Support")
    TeamMembershipFactory(team=team, user=member.user)
    return team


@pytest.fixture
def reply_time(org: Organization, support: Team) -> KPI:
    kpi = KPIFactory(
        organization=org,
        name="Support reply time",
        owner_team=support,
        unit_kind="duration",
        update_frequency="monthly",
    )
    KPITargetFactory(
        kpi=kpi, kind="at_most", lower=None, upper=30, tolerance=5, effective_from=date(2020, 1, 1)
    )
    with organization_scope(org.pk):
        services.kpi_value_record(
            actor=None, kpi=kpi, timestamp=datetime(2026, 9, 1, tzinfo=UTC), value=52
        )
    return kpi


def test_kpi_list_shows_health_value_and_target(
    owner_client: Client, org: Organization, reply_time: KPI
) -> None:
    response = owner_client.get(url("kpi-list", org))
    content = response.content.decode()
    assert "Support reply time" in content
    assert "52 min" in content
    assert "≤ 30 min" in content
    assert 'class="health health-unhealthy">Unhealthy' in content
    assert "Overdue" in content  # nothing for October 2026 (today is after it)


def test_kpi_list_filters_by_team_and_health(
    owner_client: Client, org: Organization, reply_time: KPI
) -> None:
    other = KPIFactory(organization=org, name="Pipeline value")
    assert (
        "Pipeline value"
        not in owner_client.get(
            url("kpi-list", org), {"team": reply_time.owner_team_id}
        ).content.decode()
    )
    healthy = owner_client.get(url("kpi-list", org), {"health": Health.UNHEALTHY}).content.decode()
    assert "Support reply time" in healthy
    assert other.name not in healthy
    no_data = owner_client.get(url("kpi-list", org), {"health": Health.NO_DATA}).content.decode()
    assert other.name in no_data
    assert reply_time.name not in no_data


def test_kpi_list_filters_answer_htmx_with_the_table_only(
    owner_client: Client, org: Organization, reply_time: KPI
) -> None:
    response = owner_client.get(
        url("kpi-list", org), {"health": "unhealthy"}, HTTP_HX_REQUEST="true"
    )
    content = response.content.decode()
    assert content.lstrip().startswith('<section class="card" id="kpi-rows">')
    assert "Support reply time" in content
    assert "<html" not in content


def test_kpi_list_query_budget_is_flat(owner_client: Client, org: Organization) -> None:
    def page_queries(total: int) -> int:
        team = TeamFactory(organization=org)
        for _ in range(total - KPI.unscoped.filter(organization=org).count()):
            kpi = KPIFactory(organization=org, owner_team=team)
            KPITargetFactory(kpi=kpi)
        return queries_of(owner_client, url("kpi-list", org))

    few, many = page_queries(5), page_queries(50)
    assert few == many
    assert many <= 10


def test_kpi_page_shows_chart_values_history_and_forms(
    member_client: Client, org: Organization, reply_time: KPI
) -> None:
    content = member_client.get(url("kpi-detail", org, reply_time.pk)).content.decode()
    assert '<svg class="kpi-chart"' in content
    assert 'class="chart-band"' in content
    assert "September 2026: 52 min (unhealthy)" in content
    assert 'data-testid="value-table"' in content
    assert 'No data</span> → <span class="health health-unhealthy">Unhealthy' in content
    assert 'data-testid="value-form"' in content
    assert "No Objective is aligned to this KPI yet" in content


def test_kpi_page_query_budget_is_flat(owner_client: Client, org: Organization) -> None:
    def page_queries(values: int) -> int:
        kpi = KPIFactory(organization=org, update_frequency="daily")
        KPITargetFactory(kpi=kpi, kind="between", lower=25, upper=30, tolerance=2)
        with_history(org, kpi, values)
        return queries_of(owner_client, url("kpi-detail", org, kpi.pk))

    assert page_queries(10) == page_queries(1000)


def test_create_kpi_with_clear_errors(
    member_client: Client, org: Organization, support: Team
) -> None:
    bad = member_client.post(
        url("kpi-create", org),
        {
            "name": "Backlog",
            "unit_kind": "currency",
            "decimal_places": 0,
            "update_frequency": "weekly",
            "aggregation": "last",
            "hysteresis_periods": 1,
            "owner_team": support.pk,
        },
    )
    assert bad.status_code == 400
    assert "three-letter ISO code" in bad.content.decode()
    good = member_client.post(
        url("kpi-create", org),
        {
            "name": "Backlog",
            "unit_kind": "number",
            "decimal_places": 0,
            "update_frequency": "weekly",
            "aggregation": "last",
            "hysteresis_periods": 1,
            "owner_team": support.pk,
        },
    )
    kpi = KPI.unscoped.get(name="Backlog")
    assert good.status_code == 302
    assert good["Location"] == url("kpi-detail", org, kpi.pk)


def test_edit_kpi(member_client: Client, org: Organization, reply_time: KPI) -> None:
    assert member_client.get(url("kpi-edit", org, reply_time.pk)).status_code == 200
    data = {
        "name": "First reply time",
        "unit_kind": "duration",
        "decimal_places": 1,
        "update_frequency": "monthly",
        "aggregation": "average",
        "hysteresis_periods": 2,
        "owner_team": reply_time.owner_team_id,
    }
    assert member_client.post(url("kpi-edit", org, reply_time.pk), data).status_code == 302
    reply_time.refresh_from_db()
    assert (reply_time.name, reply_time.aggregation, reply_time.hysteresis_periods) == (
        "First reply time",
        "average",
        2,
    )


def test_record_a_value_and_refuse_bad_ones(
    member_client: Client, org: Organization, reply_time: KPI
) -> None:
    record = url("value-record", org, reply_time.pk)
    bad = member_client.post(record, {"period": "2026-10-01", "value": "NaN"})
    assert bad.status_code == 400
    assert "NaN (not a number) cannot be stored" in bad.content.decode()
    assert member_client.post(record, {"period": "2026-10-01", "value": "forty"}).status_code == 400
    assert KPIValue.unscoped.filter(kpi=reply_time).count() == 1
    good = member_client.post(record, {"period": "2026-10-01", "value": "28", "note": "new macros"})
    assert good.status_code == 302
    again = member_client.post(
        record, {"period": "2026-10-01", "value": "27"}
    )  # corrects, no duplicate
    assert again.status_code == 302
    assert KPIValue.unscoped.filter(kpi=reply_time).count() == 2
    reply_time.refresh_from_db()
    assert (reply_time.latest_value, reply_time.health) == (27, Health.HEALTHY)


def test_set_target_from_a_period_and_refuse_bad_ranges(
    member_client: Client, org: Organization, reply_time: KPI
) -> None:
    target = url("target-set", org, reply_time.pk)
    bad = member_client.post(
        target, {"kind": "between", "lower": "60", "upper": "40", "effective_from": "2026-09-01"}
    )
    assert bad.status_code == 400
    assert "The low bound (60) is above the high bound (40)." in bad.content.decode()
    good = member_client.post(
        target, {"kind": "at_most", "upper": "60", "effective_from": "2026-09-10"}
    )
    assert good.status_code == 302
    assert KPITarget.unscoped.filter(kpi=reply_time).count() == 2
    reply_time.refresh_from_db()
    assert reply_time.health == Health.HEALTHY


def test_edit_and_delete_a_value(member_client: Client, org: Organization, reply_time: KPI) -> None:
    point = KPIValue.unscoped.get(kpi=reply_time)
    edit = url("value-edit", org, reply_time.pk, point.pk)
    assert member_client.get(edit).status_code == 200
    assert member_client.post(edit, {"value": "Infinity"}).status_code == 400
    assert member_client.post(edit, {"value": "29", "note": "recount"}).status_code == 302
    point.refresh_from_db()
    assert (point.value, point.note) == (29, "recount")
    assert member_client.post(url("value-delete", org, reply_time.pk, point.pk)).status_code == 302
    assert not KPIValue.unscoped.filter(kpi=reply_time).exists()


def test_archive_and_restore(owner_client: Client, org: Organization, reply_time: KPI) -> None:
    owner_client.post(url("kpi-archive", org, reply_time.pk), {"archived": "on"})
    reply_time.refresh_from_db()
    assert reply_time.archived
    detail = url("kpi-detail", org, reply_time.pk)
    assert detail not in owner_client.get(url("kpi-list", org)).content.decode()
    assert detail in owner_client.get(url("kpi-list", org), {"archived": "1"}).content.decode()
    owner_client.post(url("kpi-archive", org, reply_time.pk), {})
    reply_time.refresh_from_db()
    assert not reply_time.archived


def test_viewers_read_but_cannot_write(
    viewer_client: Client, org: Organization, reply_time: KPI
) -> None:
    page = viewer_client.get(url("kpi-detail", org, reply_time.pk)).content.decode()
    assert 'data-testid="value-form"' not in page
    assert "New KPI" not in viewer_client.get(url("kpi-list", org)).content.decode()
    point = KPIValue.unscoped.get(kpi=reply_time)
    posts = [
        (url("value-record", org, reply_time.pk), {"period": "2026-10-01", "value": "1"}),
        (
            url("target-set", org, reply_time.pk),
            {"kind": "at_most", "upper": "1", "effective_from": "2026-01-01"},
        ),
        (url("value-edit", org, reply_time.pk, point.pk), {"value": "1"}),
        (url("value-delete", org, reply_time.pk, point.pk), {}),
        (url("kpi-archive", org, reply_time.pk), {"archived": "on"}),
        (url("kpi-edit", org, reply_time.pk), {"name": "x"}),
        (url("kpi-create", org), {"name": "x"}),
    ]
    for address, data in posts:
        assert viewer_client.post(address, data).status_code == 403, address
    assert KPIValue.unscoped.get(kpi=reply_time).value == 52


def test_members_of_other_teams_cannot_write(
    client: Client, org: Organization, owner: Membership, reply_time: KPI
) -> None:
    outsider = Membership.unscoped.create(
        organization=org,
        user=TeamMembershipFactory(team=TeamFactory(organization=org)).user,
        role="member",
    )
    client.force_login(outsider.user)
    response = client.post(
        url("value-record", org, reply_time.pk), {"period": "2026-10-01", "value": "1"}
    )
    assert response.status_code == 403
    assert (
        'data-testid="value-form"'
        not in client.get(url("kpi-detail", org, reply_time.pk)).content.decode()
    )


def test_other_organisations_get_404(
    other_client: Client, org: Organization, reply_time: KPI, other_member: Membership
) -> None:
    point = KPIValue.unscoped.get(kpi=reply_time)
    foreign = other_member.organization
    for address in [
        url("kpi-detail", foreign, reply_time.pk),
        url("kpi-edit", foreign, reply_time.pk),
        url("value-edit", foreign, reply_time.pk, point.pk),
        url("kpi-detail", org, reply_time.pk),
    ]:
        assert other_client.get(address).status_code == 404, address
    assert (
        other_client.post(url("value-delete", foreign, reply_time.pk, point.pk)).status_code == 404
    )
    assert reply_time.name not in other_client.get(url("kpi-list", foreign)).content.decode()
    assert KPIValue.unscoped.filter(pk=point.pk).exists()
