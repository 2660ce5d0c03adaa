"""DELETE of objectives, key results and initiatives: through goals' services, so the owning
team's members, the objective's lead and admins may; viewers, other teams and read-only keys get
a problem-details 403 and nothing is deleted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from goals.models import Cycle, CycleStatus, Initiative, KeyResult, Objective
from okrplatform.api.errors import PROBLEM_CONTENT_TYPE
from okrplatform.api.models import APIKeyScope
from tests.api.conftest import issue_key
from tests.factories import TeamFactory, TeamMembershipFactory


def _session(membership, slug: str) -> Client:
    client = Client(HTTP_X_ORGANIZATION=slug)
    client.force_login(membership.user)
    return client


def _okr(org, team, *, cycle_status: str = CycleStatus.ACTIVE) -> tuple[Objective, KeyResult]:
    today = timezone.localdate()
    cycle = Cycle.unscoped.create(
        organization=org,
        name="Q",
        start_date=today - timedelta(days=10),
        end_date=today + timedelta(days=80),
        status=cycle_status,
    )
    objective = Objective.unscoped.create(
        organization=org, title="Ship it", cycle=cycle, owner_team=team
    )
    key_result = KeyResult.unscoped.create(
        organization=org, objective=objective, title="Ten", start_value=0, target_value=10
    )
    Initiative.unscoped.create(organization=org, objective=objective, title="Work")
    return objective, key_result


@pytest.fixture
def team(org, member):
    team = TeamFactory(organization=org)
    TeamMembershipFactory(team=team, user=member.user)
    return team


def test_a_member_of_the_owning_team_deletes_an_initiative_a_key_result_and_the_objective(
    member, org, team
) -> None:
    objective, key_result = _okr(org, team)
    client = _session(member, org.slug)
    initiative = Initiative.unscoped.get(objective=objective)
    assert client.delete(f"/api/v1/initiatives/{initiative.pk}/").status_code == 204
    assert client.delete(f"/api/v1/key-results/{key_result.pk}/").status_code == 204
    assert not Initiative.unscoped.exists()
    assert not KeyResult.unscoped.exists()
    assert client.delete(f"/api/v1/objectives/{objective.pk}/").status_code == 204
    assert not Objective.unscoped.exists()
    assert client.get(f"/api/v1/objectives/{objective.pk}/").status_code == 404


def test_an_admins_key_deletes_an_objective_with_its_key_results(owner, org) -> None:
    objective, _key_result = _okr(org, TeamFactory(organization=org))
    response = issue_key(owner).delete(f"/api/v1/objectives/{objective.pk}/")
    assert response.status_code == 204
    assert not Objective.unscoped.exists()
    assert not KeyResult.unscoped.exists()
    assert not Initiative.unscoped.exists()


def _refused(response, words: str) -> None:
    assert response.status_code == 403
    assert response["Content-Type"].startswith(PROBLEM_CONTENT_TYPE)
    assert words in response.json()["detail"]


def test_viewers_other_teams_and_read_only_keys_delete_nothing(member, viewer, owner, org) -> None:
    objective, key_result = _okr(org, TeamFactory(organization=org, name="Growth"))
    initiative = Initiative.unscoped.get(objective=objective)
    urls = [
        f"/api/v1/initiatives/{initiative.pk}/",
        f"/api/v1/key-results/{key_result.pk}/",
        f"/api/v1/objectives/{objective.pk}/",
    ]
    read_key = issue_key(owner, APIKeyScope.READ_ONLY)
    for url in urls:
        _refused(_session(member, org.slug).delete(url), "Growth")
        _refused(_session(viewer, org.slug).delete(url), "")
        _refused(read_key.delete(url), "read only")
    assert (Objective.unscoped.count(), KeyResult.unscoped.count()) == (1, 1)
    assert Initiative.unscoped.count() == 1


def test_a_closed_cycles_key_result_is_kept_with_a_problem(owner, org) -> None:
    _objective, key_result = _okr(org, None, cycle_status=CycleStatus.CLOSED)
    response = issue_key(owner).delete(f"/api/v1/key-results/{key_result.pk}/")
    assert response.status_code == 400
    assert response["Content-Type"].startswith(PROBLEM_CONTENT_TYPE)
    assert "closed" in response.json()["detail"]
    assert KeyResult.unscoped.filter(pk=key_result.pk).exists()


def test_a_closed_cycles_objective_is_kept_with_a_problem(owner, member, org, team) -> None:
    objective, key_result = _okr(org, team, cycle_status=CycleStatus.CLOSED)
    url = f"/api/v1/objectives/{objective.pk}/"
    for client in (issue_key(owner), _session(member, org.slug)):
        response = client.delete(url)
        assert response.status_code == 400
        assert response["Content-Type"].startswith(PROBLEM_CONTENT_TYPE)
        assert "This cycle is closed" in response.json()["detail"]
    assert Objective.unscoped.filter(pk=objective.pk).exists()
    assert KeyResult.unscoped.filter(pk=key_result.pk).exists()
    assert Initiative.unscoped.filter(objective=objective).exists()
