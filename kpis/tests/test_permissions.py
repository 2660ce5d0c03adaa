"""Who may change which KPI: viewers nothing, members their teams' and their own KPIs, admins and
owners everything (docs/permissions.md, "KPIs")."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from kpis import services
from kpis.models import KPI, KPIValue
from okrplatform.errors import PermissionDeniedError
from okrplatform.tenancy.models import Membership, Organization, Team
from tests.factories import KPIFactory, TeamFactory, TeamMembershipFactory

pytestmark = pytest.mark.django_db

WHEN = datetime(2026, 3, 15, tzinfo=UTC)


@pytest.fixture
def support(scope: Organization, member: Membership) -> Team:
    team = TeamFactory(organization=scope, name="Support")
    TeamMembershipFactory(team=team, user=member.user)
    return team


@pytest.fixture
def sales(scope: Organization) -> Team:
    return TeamFactory(organization=scope, name="Sales")


def test_members_edit_their_teams_kpis(member: Membership, support: Team) -> None:
    kpi = KPIFactory(organization=support.organization, owner_team=support)
    services.kpi_value_record(actor=member, kpi=kpi, timestamp=WHEN, value=3)
    services.kpi_update(actor=member, kpi=kpi, name="Reply time")
    services.kpi_target_set(
        actor=member, kpi=kpi, kind="at_most", upper=30, effective_from=date(2026, 1, 1)
    )
    assert KPIValue.objects.filter(kpi=kpi).count() == 1


def test_members_cannot_touch_other_teams_kpis(
    member: Membership, support: Team, sales: Team
) -> None:
    kpi = KPIFactory(organization=sales.organization, owner_team=sales)
    point = services.kpi_value_record(actor=None, kpi=kpi, timestamp=WHEN, value=1)
    attempts = [
        lambda: services.kpi_value_record(actor=member, kpi=kpi, timestamp=WHEN, value=3),
        lambda: services.kpi_update(actor=member, kpi=kpi, name="Mine now"),
        lambda: services.kpi_archive(actor=member, kpi=kpi),
        lambda: services.kpi_value_delete(actor=member, value=point),
        lambda: services.kpi_target_set(
            actor=member, kpi=kpi, kind="at_least", lower=1, effective_from=date(2026, 1, 1)
        ),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDeniedError, match="Only members of Sales"):
            attempt()
    kpi.refresh_from_db()
    assert (kpi.name, kpi.archived) != ("Mine now", True)
    assert KPIValue.objects.get(kpi=kpi).value == 1


def test_members_edit_kpis_they_own_personally(member: Membership, sales: Team) -> None:
    kpi = KPIFactory(organization=sales.organization, owner_team=sales, owner=member.user)
    services.kpi_value_record(actor=member, kpi=kpi, timestamp=WHEN, value=3)
    assert KPIValue.objects.filter(kpi=kpi).exists()


def test_members_create_kpis_only_for_their_teams_or_themselves(
    member: Membership, support: Team, sales: Team
) -> None:
    with pytest.raises(PermissionDeniedError, match="own teams") as error:
        services.kpi_create(actor=member, name="Pipeline", owner_team=sales)
    assert error.value.field == "owner_team"
    with pytest.raises(PermissionDeniedError):
        services.kpi_create(actor=member, name="Orphan")
    services.kpi_create(actor=member, name="Backlog", owner_team=support)
    services.kpi_create(actor=member, name="My own", owner=member.user)
    assert set(KPI.objects.values_list("name", flat=True)) == {"Backlog", "My own"}
    backlog = KPI.objects.get(name="Backlog")
    with pytest.raises(PermissionDeniedError):
        services.kpi_update(actor=member, kpi=backlog, owner_team=sales)


def test_viewers_change_nothing(viewer: Membership, support: Team) -> None:
    kpi = KPIFactory(organization=support.organization, owner_team=support, owner=viewer.user)
    with pytest.raises(PermissionDeniedError, match="can read KPIs but not change them"):
        services.kpi_value_record(actor=viewer, kpi=kpi, timestamp=WHEN, value=3)
    with pytest.raises(PermissionDeniedError):
        services.kpi_create(actor=viewer, name="Nope", owner=viewer.user)
    assert not KPIValue.objects.exists()


@pytest.mark.parametrize("role", ["admin", "owner"])
def test_admins_and_owners_edit_everything(
    request: pytest.FixtureRequest, role: str, sales: Team
) -> None:
    actor: Membership = request.getfixturevalue(role)
    kpi = services.kpi_create(actor=actor, name="Pipeline", owner_team=sales)
    orphan = services.kpi_create(actor=actor, name="Cash runway")
    services.kpi_value_record(actor=actor, kpi=kpi, timestamp=WHEN, value=3)
    services.kpi_archive(actor=actor, kpi=orphan)
    orphan.refresh_from_db()
    assert orphan.archived
    assert services.kpi_can_edit(actor, orphan)
