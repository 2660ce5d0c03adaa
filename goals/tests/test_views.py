"""OKR pages: they render, inline drafting works through HTMX, roles are enforced, and the
cycle page and alignment map keep a constant number of queries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from goals.models import (
    CheckIn,
    CycleStatus,
    Initiative,
    KeyResult,
    Objective,
    ObjectiveAlignment,
    ObjectiveKPI,
    ObjectiveStatus,
    StrategicPillar,
)
from goals.tests.factories import (
    CheckInFactory,
    CycleFactory,
    GoalsKPIFactory,
    InitiativeFactory,
    KeyResultFactory,
    KPITargetFactory,
    ObjectiveFactory,
    PillarFactory,
)
from tests.factories import TeamFactory, TeamMembershipFactory

pytestmark = pytest.mark.django_db


def url(name, org, **kwargs):
    return reverse(f"goals:{name}", kwargs={"org_slug": org.slug, **kwargs})


@pytest.fixture
def cycle(org):
    today = date.today()
    return CycleFactory(
        organization=org,
        name="This year",
        start_date=date(today.year, 1, 1),
        end_date=date(today.year, 12, 31),
    )


@pytest.fixture
def team(org, member):
    team = TeamFactory(organization=org, name="Support")
    TeamMembershipFactory(team=team, user=member.user)
    return team


@pytest.fixture
def objective(org, cycle, team):
    return ObjectiveFactory(organization=org, cycle=cycle, owner_team=team, title="Help customers")


def test_cycle_page_groups_by_owner_with_progress(member_client, org, cycle, objective):
    company = ObjectiveFactory(organization=org, cycle=cycle, title="Grow revenue")
    KeyResultFactory(
        objective=objective, start_value=0, target_value=10, current_value=5, status="on_track"
    )
    response = member_client.get(url("objective-list", org))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.index("Company") < body.index("Support")
    assert company.title in body
    assert objective.title in body
    assert 'value="50"' in body  # the progress bar
    assert "On track" in body


def test_cycle_page_filters_by_team(member_client, org, cycle, objective):
    ObjectiveFactory(organization=org, cycle=cycle, title="Grow revenue")
    response = member_client.get(url("objective-list", org), {"team": objective.owner_team_id})
    body = response.content.decode()
    assert "Help customers" in body
    assert "Grow revenue" not in body


def test_objective_page_shows_krs_chart_kpis_parents(member_client, org, cycle, objective):
    parent = ObjectiveFactory(organization=org, cycle=cycle, title="Company goal")
    ObjectiveAlignment.objects.model.unscoped.create(
        organization=org, child=objective, parent=parent
    )
    kpi = GoalsKPIFactory(organization=org, name="Reply time", health="unhealthy")
    ObjectiveKPI.unscoped.create(organization=org, objective=objective, kpi=kpi)
    kr = KeyResultFactory(objective=objective, title="Cut tickets", current_value=30)
    CheckInFactory(key_result=kr, value=10)
    CheckInFactory(key_result=kr, value=30)
    InitiativeFactory(objective=objective, title="Write help articles")
    response = member_client.get(url("objective-detail", org, pk=objective.pk))
    body = response.content.decode()
    assert response.status_code == 200
    for text in (
        "Cut tickets",
        "Company goal",
        "Reply time",
        "Unhealthy",
        "Write help articles",
        "<polyline",
    ):
        assert text in body


def test_member_adds_a_key_result_inline_with_htmx(member_client, org, objective):
    response = member_client.get(
        url("key-result-create", org, pk=objective.pk), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "<html" not in response.content.decode()  # a fragment
    assert 'id="key-results"' in response.content.decode()
    response = member_client.post(
        url("key-result-create", org, pk=objective.pk),
        {
            "title": "Reduce tickets",
            "kind": "metric",
            "start_value": "1,200",
            "target_value": "800",
            "weight": "1",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "Reduce tickets" in response.content.decode()
    assert KeyResult.unscoped.get().target_value == 800


def test_refused_key_result_comes_back_with_its_error(member_client, org, objective):
    response = member_client.post(
        url("key-result-create", org, pk=objective.pk),
        {"title": "Flat", "kind": "metric", "start_value": "5", "target_value": "5", "weight": "1"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "target equals the start" in response.content.decode()
    assert not KeyResult.unscoped.exists()


def test_check_in_form_is_preset_and_records(member_client, org, objective):
    kr = KeyResultFactory(objective=objective, current_value=Decimal("42.5"))
    response = member_client.get(url("check-in", org, pk=kr.pk), HTTP_HX_REQUEST="true")
    assert 'value="42.5"' in response.content.decode()
    response = member_client.post(
        url("check-in", org, pk=kr.pk),
        {"value": "60", "status": "on_track", "comment": "Good week"},
    )
    assert response.status_code == 302
    kr.refresh_from_db()
    assert kr.current_value == 60
    assert CheckIn.unscoped.get().comment == "Good week"


def test_initiative_inline(member_client, org, objective):
    response = member_client.post(
        url("initiative-create", org, pk=objective.pk),
        {"title": "Write 40 help articles", "status": "in_progress", "progress": "25"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "Write 40 help articles" in response.content.decode()
    assert Initiative.unscoped.get().progress == 25


def test_create_objective_aligned_to_a_parent(member_client, org, cycle, team, scope):
    parent = ObjectiveFactory(organization=org, cycle=cycle, title="Company goal")
    response = member_client.post(
        url("objective-create", org),
        {
            "title": "Team goal",
            "cycle": cycle.pk,
            "owner_team": team.pk,
            "status": "draft",
            "parents": [parent.pk],
        },
    )
    assert response.status_code == 302
    objective = Objective.unscoped.get(title="Team goal")
    assert list(objective.parents.all()) == [parent]


def test_member_cannot_edit_another_teams_objective(member_client, org, cycle):
    theirs = ObjectiveFactory(
        organization=org, cycle=cycle, owner_team=TeamFactory(organization=org)
    )
    assert member_client.get(url("objective-edit", org, pk=theirs.pk)).status_code == 403
    assert member_client.get(url("key-result-create", org, pk=theirs.pk)).status_code == 403


def test_objective_of_a_closed_cycle_says_so_instead_of_offering_edits(
    member_client, org, cycle, objective
):
    cycle.status = CycleStatus.CLOSED
    cycle.save()
    edit_url = url("objective-edit", org, pk=objective.pk)
    page = member_client.get(url("objective-detail", org, pk=objective.pk)).content.decode()
    assert "This cycle is closed:" in page
    assert edit_url not in page
    response = member_client.get(edit_url)
    assert response.status_code == 200
    assert "This cycle is closed:" in response.content.decode()
    assert 'name="title"' not in response.content.decode()
    response = member_client.post(edit_url, {"title": "Renamed", "cycle": cycle.pk})
    assert response.status_code == 400
    objective.refresh_from_db()
    assert objective.title == "Help customers"


def test_objective_of_a_closed_cycle_cannot_be_deleted(member_client, org, cycle, objective):
    key_result = KeyResultFactory(objective=objective)
    cycle.status = CycleStatus.CLOSED
    cycle.save()
    delete_url = url("objective-delete", org, pk=objective.pk)
    page = member_client.get(url("objective-detail", org, pk=objective.pk)).content.decode()
    assert delete_url not in page  # no button that can only fail
    response = member_client.post(delete_url, follow=True)
    assert response.redirect_chain[-1][0] == url("objective-detail", org, pk=objective.pk)
    body = response.content.decode()
    assert '<p class="flash flash-error">This cycle is closed:' in body
    assert "deleted" not in body
    assert Objective.unscoped.filter(pk=objective.pk).exists()
    assert KeyResult.unscoped.filter(pk=key_result.pk).exists()


def test_objective_of_an_open_cycle_is_deleted_from_its_page(member_client, org, objective):
    delete_url = url("objective-delete", org, pk=objective.pk)
    assert (
        delete_url
        in member_client.get(url("objective-detail", org, pk=objective.pk)).content.decode()
    )
    response = member_client.post(delete_url)
    assert response.status_code == 302
    assert not Objective.unscoped.filter(pk=objective.pk).exists()


def test_viewer_reads_but_cannot_write(viewer_client, org, objective):
    assert viewer_client.get(url("objective-list", org)).status_code == 200
    assert viewer_client.get(url("objective-detail", org, pk=objective.pk)).status_code == 200
    assert viewer_client.get(url("alignment-map", org)).status_code == 200
    assert viewer_client.get(url("strategy", org)).status_code == 200
    response = viewer_client.post(url("objective-create", org), {"title": "x"})
    assert response.status_code == 403
    assert viewer_client.post(url("cycle-list", org), {"name": "x"}).status_code == 403


def test_admin_manages_cycles_pillars_and_closes(admin_client_, org, cycle, objective):
    response = admin_client_.post(
        url("cycle-list", org),
        {
            "name": "Next quarter",
            "kind": "quarterly",
            "start_date": "2099-01-01",
            "end_date": "2099-03-31",
            "status": "planning",
        },
    )
    assert response.status_code == 302
    response = admin_client_.post(url("pillar-create", org), {"name": "Delight customers"})
    assert response.status_code == 302
    assert StrategicPillar.unscoped.get().name == "Delight customers"
    kr = KeyResultFactory(objective=objective, current_value=50)
    response = admin_client_.get(url("cycle-close", org, pk=cycle.pk))
    assert response.status_code == 200
    assert 'value="0.5"' in response.content.decode()  # the suggested grade
    following = cycle.__class__.unscoped.get(name="Next quarter")
    response = admin_client_.post(
        url("cycle-close", org, pk=cycle.pk),
        {f"grade_{kr.pk}": "0.6", f"carry_{objective.pk}": "on", "next_cycle": following.pk},
    )
    assert response.status_code == 302
    kr.refresh_from_db()
    assert kr.grade == Decimal("0.6")
    assert Objective.unscoped.filter(cycle=following, carried_from=objective).exists()


def test_member_cannot_manage_cycles(member_client, org, cycle):
    assert member_client.get(url("cycle-close", org, pk=cycle.pk)).status_code == 403


def test_draft_from_kpi_view(member_client, org, cycle, team, scope):
    kpi = GoalsKPIFactory(
        organization=org, name="Reply time", owner_team=team, latest_value=52, health="unhealthy"
    )
    KPITargetFactory(kpi=kpi, kind="at_most", upper=30)
    response = member_client.post(url("draft-from-kpi", org, kpi_pk=kpi.pk))
    objective = Objective.unscoped.get()
    assert response.status_code == 302
    assert response["Location"] == url("objective-detail", org, pk=objective.pk)
    assert objective.status == ObjectiveStatus.DRAFT
    assert objective.key_results.get().kpi == kpi


def test_alignment_map_tree(member_client, org, cycle, team):
    pillar = PillarFactory(organization=org, name="Delight customers")
    company = ObjectiveFactory(organization=org, cycle=cycle, title="Company goal", pillar=pillar)
    child = ObjectiveFactory(organization=org, cycle=cycle, title="Team goal", owner_team=team)
    ObjectiveAlignment.unscoped.create(organization=org, child=child, parent=company)
    kpi = GoalsKPIFactory(organization=org, name="Reply time", health="unhealthy")
    ObjectiveKPI.unscoped.create(organization=org, objective=child, kpi=kpi)
    body = member_client.get(url("alignment-map", org)).content.decode()
    assert (
        body.index("Delight customers")
        < body.index("Company goal")
        < body.index("Team goal")
        < body.index("Reply time")
    )
    assert "<details" in body


def _populate(org, cycle, team, count):
    pillar = PillarFactory(organization=org)
    kpi = GoalsKPIFactory(organization=org, health="unhealthy")
    parent = None
    for index in range(count):
        objective = ObjectiveFactory(
            organization=org, cycle=cycle, owner_team=team if index % 2 else None, pillar=pillar
        )
        if parent is not None:
            ObjectiveAlignment.unscoped.create(organization=org, child=objective, parent=parent)
        ObjectiveKPI.unscoped.create(organization=org, objective=objective, kpi=kpi)
        for _ in range(3):
            KeyResultFactory(objective=objective, current_value=10, kpi=kpi)
        InitiativeFactory(objective=objective)
        parent = objective if index % 2 == 0 else parent


@pytest.mark.parametrize("page", ["objective-list", "alignment-map"])
def test_query_count_is_flat(member_client, org, cycle, team, page, django_assert_max_num_queries):  # noqa: PLR0917
    _populate(org, cycle, team, 10)
    member_client.get(url(page, org))  # warm caches (sessions, content types)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert member_client.get(url(page, org)).status_code == 200
    _populate(org, cycle, team, 90)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = member_client.get(url(page, org))
    assert response.status_code == 200
    assert response.content.decode().count("okr-progress-wrap") >= 100


def test_kpi_page_lists_aligned_objectives_and_offers_a_draft(
    member_client, org, cycle, objective, team
):
    kpi = GoalsKPIFactory(organization=org, name="Reply time", owner_team=team, health="unhealthy")
    ObjectiveKPI.unscoped.create(organization=org, objective=objective, kpi=kpi)
    body = member_client.get(reverse("kpis:kpi-detail", args=[org.slug, kpi.pk])).content.decode()
    assert "Help customers" in body
    assert url("draft-from-kpi", org, kpi_pk=kpi.pk) in body


def test_home_shows_okr_progress_by_team(member_client, org, cycle, objective):
    KeyResultFactory(objective=objective, start_value=0, target_value=4, current_value=1)
    body = member_client.get(reverse("tenancy:home", args=[org.slug])).content.decode()
    assert "OKR progress" in body
    assert 'value="25"' in body


def test_cycle_page_card_drafts_key_results_and_checks_in_inline(member_client, org, objective):
    target = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": f"objective-{objective.pk}"}
    body = member_client.get(url("objective-list", org)).content.decode()
    assert f'hx-target="#objective-{objective.pk}"' in body
    response = member_client.get(url("key-result-create", org, pk=objective.pk), **target)
    body = response.content.decode()
    assert body.lstrip().startswith(f'<article class="card okr-card" id="objective-{objective.pk}"')
    assert f'hx-target="#objective-{objective.pk}"' in body  # the form posts back to the card
    response = member_client.post(
        url("key-result-create", org, pk=objective.pk),
        {
            "title": "Grow NPS",
            "kind": "metric",
            "start_value": "30",
            "target_value": "50",
            "weight": "1",
        },
        **target,
    )
    assert "Grow NPS" in response.content.decode()
    kr = KeyResult.unscoped.get()
    response = member_client.post(url("check-in", org, pk=kr.pk), {"value": "40"}, **target)
    body = response.content.decode()
    assert 'value="50"' in body  # the card's progress bar moved to 50 %
    assert body.count("<article") == 1
