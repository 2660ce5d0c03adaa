"""The members and teams pages run the same number of queries for 3 rows as for 30."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from okrplatform.tenancy.models import Membership
from okrplatform.tenancy.roles import Role
from tests.factories import (
    InvitationFactory,
    MembershipFactory,
    TeamFactory,
    TeamMembershipFactory,
)

MaxQueries = Callable[[int], AbstractContextManager[Any]]
# Session, user, membership, the page's data, the switcher. The home page has no fixed budget:
# later features add their widgets to it; it must only stay flat.
BUDGET = 12


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def _add_members(owner: Membership, count: int) -> None:
    for index in range(count):
        membership = MembershipFactory(
            organization=owner.organization, role=[Role.ADMIN, Role.MEMBER, Role.VIEWER][index % 3]
        )
        InvitationFactory(organization=owner.organization, invited_by=membership.user)


def _add_teams(owner: Membership, count: int) -> None:
    parent = None
    for index in range(count):
        lead = MembershipFactory(organization=owner.organization).user
        team = TeamFactory(organization=owner.organization, parent=parent, lead=lead)
        TeamMembershipFactory(team=team, user=lead)
        parent = team if index % 2 == 0 else None


@pytest.mark.parametrize(
    ("url", "add_rows"),
    [
        ("/acme/members/", _add_members),
        ("/acme/teams/", _add_teams),
        ("/acme/", _add_teams),
        ("/acme/", _add_members),
    ],
    ids=["members", "teams", "home-teams", "home-members"],
)
def test_query_count_stays_flat_as_rows_grow(
    owner_client: Client,
    owner: Membership,
    django_assert_max_num_queries: MaxQueries,
    url: str,
    add_rows: Callable[[Membership, int], None],
) -> None:
    add_rows(owner, 3)
    few = _queries(owner_client, url)
    if url != "/acme/":
        assert few <= BUDGET

    add_rows(owner, 27)
    with django_assert_max_num_queries(few):
        response = owner_client.get(url)
    assert response.status_code == 200


def test_team_detail_query_count_stays_flat(
    owner_client: Client, owner: Membership, django_assert_max_num_queries: MaxQueries
) -> None:
    team = TeamFactory(organization=owner.organization)
    for _ in range(3):
        TeamMembershipFactory(
            team=team, user=MembershipFactory(organization=owner.organization).user
        )
        TeamFactory(organization=owner.organization, parent=team)
    few = _queries(owner_client, f"/acme/teams/{team.pk}/")

    for _ in range(27):
        TeamMembershipFactory(
            team=team, user=MembershipFactory(organization=owner.organization).user
        )
        TeamFactory(organization=owner.organization, parent=team)
    with django_assert_max_num_queries(few):
        owner_client.get(f"/acme/teams/{team.pk}/")
