"""Two organisations full of objects, for the tenant-isolation suite.

Everything organisation A owns carries the marker ``QZALPHA`` in its visible text, so a page
rendered for organisation B can be searched for any leaked row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from okrplatform.tenancy.models import Invitation, Membership, Organization, Team
from okrplatform.tenancy.roles import Role
from tests.factories import (
    InvitationFactory,
    MembershipFactory,
    OrganizationFactory,
    TeamFactory,
    TeamMembershipFactory,
    UserFactory,
)

MARKER = "QZALPHA"


@dataclass
class TenantWorld:
    """One organisation's objects, reachable by the names the URL kwargs builders use."""

    organization: Organization
    owner: Membership
    member: Membership
    team: Team
    invitation: Invitation
    extra: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["extra"][name]
        except KeyError:
            raise AttributeError(name) from None


def build_world(slug: str, marker: str) -> TenantWorld:
    organization = OrganizationFactory(
        name=f"{marker} Org", slug=slug, ultimate_goal=f"{marker} goal"
    )
    owner = MembershipFactory(
        organization=organization,
        role=Role.OWNER,
        user=UserFactory(full_name=f"{marker} Owner", email=f"owner@{slug}.test"),
    )
    member = MembershipFactory(
        organization=organization,
        role=Role.MEMBER,
        user=UserFactory(full_name=f"{marker} Member", email=f"member@{slug}.test"),
    )
    parent = TeamFactory(organization=organization, name=f"{marker} Parent Team")
    team = TeamFactory(
        organization=organization, name=f"{marker} Team", parent=parent, lead=member.user
    )
    TeamMembershipFactory(team=team, user=member.user)
    invitation = InvitationFactory(organization=organization, email=f"{marker.lower()}@{slug}.test")
    world = TenantWorld(organization, owner, member, team, invitation)
    for extend in WORLD_EXTENSIONS:
        extend(world, marker)
    return world


# Features add their objects here: a function (world, marker) -> None that stores what it builds
# in ``world.extra`` so the kwargs builders in test_isolation.py can reach it.
WORLD_EXTENSIONS: list[Any] = []


def _api_objects(world: TenantWorld, marker: str) -> None:
    from tests.api.world import api_world_extend

    api_world_extend(world, marker)


WORLD_EXTENSIONS.append(_api_objects)


def _kpi_tools(world: TenantWorld, marker: str) -> None:
    """An unhealthy KPI (an OKR candidate) and a staged CSV import (kpis CSV import/candidates)."""
    from datetime import UTC, datetime

    from kpis.import_models import KPIImport
    from tests.factories import KPIFactory

    kpi = KPIFactory(
        organization=world.organization,
        name=f"{marker} Candidate KPI",
        owner_team=world.team,
        health="unhealthy",
        health_since=datetime(2025, 1, 1, tzinfo=UTC),
    )
    world.extra["candidate_kpi"] = kpi
    world.extra["kpi_import"] = KPIImport.unscoped.create(
        organization=world.organization,
        kpi=kpi,
        created_by=world.owner.user,
        file_name=f"{marker}.csv",
        date_format="iso",
        notes=[f"{marker} note"],
        points=[[kpi.pk, "2025-01-01T00:00:00+00:00", "1", ""]],
        create_count=1,
    )


WORLD_EXTENSIONS.append(_kpi_tools)

from boards.tests.isolation_world import extend_world as _boards_world  # noqa: E402

WORLD_EXTENSIONS.append(_boards_world)

from goals.tests.isolation_world import extend_world as _goals_world  # noqa: E402

WORLD_EXTENSIONS.append(_goals_world)

from kpis.tests.isolation_world import extend_world as _kpis_world  # noqa: E402

WORLD_EXTENSIONS.append(_kpis_world)

from integrations.tests.isolation_world import extend_world as _integrations_world  # noqa: E402

WORLD_EXTENSIONS.append(_integrations_world)

from okrplatform.notifications.tests.isolation_world import (  # noqa: E402
    extend_world as _notifications_world,
)

WORLD_EXTENSIONS.append(_notifications_world)

from okrplatform.webhooks.tests.isolation_world import extend_world as _webhooks_world  # noqa: E402

WORLD_EXTENSIONS.append(_webhooks_world)
