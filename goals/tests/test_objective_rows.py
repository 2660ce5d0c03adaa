"""The rows behind the cycle page and the alignment map: the hand-written PostgreSQL query and the
portable ORM one return the same rows, in a constant number of queries, for one organisation
only; and the cards written from them escape what people typed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from goals.alignment import build_map
from goals.card_html import Links, map_nodes, objective_card
from goals.models import Cycle, Objective, ObjectiveAlignment, ObjectiveKPI, ObjectiveStatus
from goals.objective_rows import Filters, edges_of, objective_rows, rows_portable, rows_postgresql
from goals.rollup import annotate_rows
from goals.selectors import goal_settings, pillar_list
from goals.tests.factories import (
    CycleFactory,
    GoalsKPIFactory,
    InitiativeFactory,
    KeyResultFactory,
    ObjectiveFactory,
    PillarFactory,
)
from okrplatform.tenancy.models import Organization, Team
from okrplatform.tenancy.scope import TenantScopeError, organization_scope
from tests.factories import MembershipFactory, TeamFactory

pytestmark = pytest.mark.django_db
# The hand-written query is PostgreSQL's; the portable path runs everywhere.
postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL SQL")


@dataclass
class World:
    cycle: Cycle
    team: Team
    company: Objective
    child: Objective
    draft: Objective
    lead_id: int


def _world(organization: Organization, count: int = 0) -> World:
    """A cycle with a company objective, a team objective aligned to it and following KPIs, a
    draft with no key results, and ``count`` more objectives with a bit of everything."""
    today = date.today()
    cycle = CycleFactory(
        organization=organization,
        start_date=date(today.year, 1, 1),
        end_date=date(today.year, 12, 31),
    )
    team = TeamFactory(organization=organization, name=f"Support {cycle.pk}")
    lead = MembershipFactory(organization=organization).user
    pillar = PillarFactory(organization=organization, name="Delight")
    reply = GoalsKPIFactory(organization=organization, name="Reply time", health="unhealthy")
    nps = GoalsKPIFactory(organization=organization, name="NPS", health="healthy")
    company = ObjectiveFactory(
        organization=organization, cycle=cycle, title="Grow <revenue>", pillar=pillar, lead=lead
    )
    child = ObjectiveFactory(organization=organization, cycle=cycle, owner_team=team, title="Help")
    draft = ObjectiveFactory(
        organization=organization, cycle=cycle, title="Draft", status=ObjectiveStatus.DRAFT
    )
    ObjectiveAlignment.unscoped.create(organization=organization, child=child, parent=company)
    ObjectiveAlignment.unscoped.create(organization=organization, child=draft, parent=company)
    for kpi in (reply, nps):
        ObjectiveKPI.unscoped.create(organization=organization, objective=child, kpi=kpi)
    KeyResultFactory(objective=company, start_value=0, target_value=3, current_value=1, weight=2)
    KeyResultFactory(objective=company, kind="milestone", current_value=1, position=1)
    KeyResultFactory(objective=child, start_value=60, target_value=30, current_value=52, kpi=reply)
    KeyResultFactory(objective=child, kind="control", target_value=40, control_direction="at_least")
    InitiativeFactory(objective=child, status="in_progress", progress=50)
    InitiativeFactory(objective=child, status="blocked", progress=0)
    for index in range(count):
        extra = ObjectiveFactory(
            organization=organization,
            cycle=cycle,
            owner_team=team if index % 2 else None,
            pillar=pillar if index % 3 else None,
        )
        ObjectiveAlignment.unscoped.create(organization=organization, child=extra, parent=company)
        ObjectiveKPI.unscoped.create(organization=organization, objective=extra, kpi=nps)
        for position in range(3):
            KeyResultFactory(objective=extra, current_value=position * 20, position=position)
        InitiativeFactory(objective=extra, progress=index)
    return World(cycle, team, company, child, draft, lead.pk)


@pytest.fixture
def world(scope: Organization) -> World:
    return _world(scope, count=4)


def _cases(world: World) -> list[Filters]:
    return [
        Filters(cycle_ids=[world.cycle.pk]),
        Filters(pks=[world.child.pk, world.draft.pk]),
        Filters(cycle_ids=[world.cycle.pk], team_id=world.team.pk),
        Filters(cycle_ids=[world.cycle.pk], company_only=True),
        Filters(cycle_ids=[world.cycle.pk], lead_id=world.lead_id),
        Filters(cycle_ids=[world.cycle.pk], status=ObjectiveStatus.DRAFT),
    ]


@postgresql_only
def test_both_implementations_agree(world: World) -> None:
    for filters in _cases(world):
        raw = rows_postgresql(filters)
        assert raw, filters  # every case selects something, so agreement is not vacuous
        assert raw == rows_portable(filters), filters


def test_rows_carry_what_the_cards_show(world: World) -> None:
    rows = {row.pk: row for row in objective_rows(Filters(cycle_ids=[world.cycle.pk]))}
    company, child, draft = rows[world.company.pk], rows[world.child.pk], rows[world.draft.pk]
    assert (company.pillar_name, company.lead_id, company.team_name) == (
        "Delight",
        world.lead_id,
        None,
    )
    assert [kr.kind for kr in company.key_results] == ["metric", "milestone"]
    assert [kr.kpi_name for kr in child.key_results] == ["Reply time", None]
    assert [(k.name, k.health) for k in child.kpis] == [
        ("NPS", "healthy"),
        ("Reply time", "unhealthy"),
    ]
    assert [(p.pk, p.title) for p in child.parents] == [(world.company.pk, "Grow <revenue>")]
    assert [(i.status, i.progress) for i in child.initiatives] == [
        ("in_progress", 50),
        ("blocked", 0),
    ]
    assert (draft.key_results, draft.status) == ([], ObjectiveStatus.DRAFT)


def test_progress_matches_the_model_rollup(world: World) -> None:
    from goals.rollup import annotate_objectives
    from goals.selectors import alignment_edges, cycle_objectives

    settings = goal_settings()
    rows = objective_rows(Filters(cycle_ids=[world.cycle.pk]))
    annotate_rows(rows, settings, edges=edges_of(rows))
    objectives = list(cycle_objectives(world.cycle))
    annotate_objectives(objectives, settings, edges=alignment_edges())
    expected = {
        o.pk: (
            o.percent,
            o.display_status,
            [(kr.percent, kr.display_status) for kr in o.key_results.all()],
        )  # type: ignore[attr-defined]
        for o in objectives
    }
    assert {
        row.pk: (
            row.percent,
            row.display_status,
            [(kr.percent, kr.display_status) for kr in row.key_results],
        )
        for row in rows
    } == expected
    assert expected[world.company.pk][0] > 0  # not all zero: the comparison means something


@pytest.mark.parametrize(
    "query", [pytest.param(rows_postgresql, marks=postgresql_only), rows_portable]
)
def test_queries_do_not_grow_with_objectives(scope: Organization, query) -> None:  # type: ignore[no-untyped-def]
    world = _world(scope, count=1)
    with CaptureQueriesContext(connection) as few:
        assert len(query(Filters(cycle_ids=[world.cycle.pk]))) == 4
    more = _world(scope, count=40)
    with CaptureQueriesContext(connection) as many:
        assert len(query(Filters(cycle_ids=[more.cycle.pk]))) == 43
    assert len(many.captured_queries) == len(few.captured_queries)
    if query is rows_postgresql:
        assert len(few.captured_queries) == 1


@postgresql_only
def test_raw_query_refuses_to_run_without_an_organisation(org: Organization) -> None:
    with pytest.raises(TenantScopeError):
        rows_postgresql(Filters())


@postgresql_only
def test_raw_query_never_returns_another_organisations_rows(
    org: Organization, other_org: Organization
) -> None:
    with organization_scope(other_org.pk):
        theirs = _world(other_org, count=2)
    with organization_scope(org.pk):
        ours = _world(org, count=2)
        # Asked for their cycle and their objectives by id, it still answers with nothing.
        assert rows_postgresql(Filters(cycle_ids=[theirs.cycle.pk])) == []
        assert rows_postgresql(Filters(pks=[theirs.company.pk, theirs.child.pk])) == []
        assert rows_postgresql(Filters(pks=[])) == []  # an empty list selects nothing
        # Everything: only ours, and nothing of theirs inside our rows.
        rows = rows_postgresql(Filters())
        assert {row.pk for row in rows} == set(Objective.objects.values_list("pk", flat=True))
        assert {row.cycle_id for row in rows} == {ours.cycle.pk}
        their_kpis = set(
            ObjectiveKPI.unscoped.filter(organization=other_org).values_list("kpi_id", flat=True)
        )
        assert not {kpi.pk for row in rows for kpi in row.kpis} & their_kpis
        assert {parent.pk for row in rows for parent in row.parents} <= {row.pk for row in rows}


def test_cards_and_nodes_escape_what_people_typed(world: World) -> None:
    rows = objective_rows(Filters(cycle_ids=[world.cycle.pk]))
    annotate_rows(rows, goal_settings(), edges=edges_of(rows))
    links = Links(objectives="/acme/okrs/", kpis="/acme/kpis/")
    company = next(row for row in rows if row.pk == world.company.pk)
    card = objective_card(company, links, can_edit=True)
    assert "Grow &lt;revenue&gt;" in card
    assert "<revenue>" not in card
    assert f'hx-get="/acme/okrs/{company.pk}/key-results/new/"' in card
    assert "Check in" in card
    assert "Check in" not in objective_card(company, links, can_edit=False)
    branches = build_map(rows, list(pillar_list()), edges_of(rows))
    tree = "".join(map_nodes(branch.roots, links) for branch in branches)
    assert "Grow &lt;revenue&gt;" in tree
    assert "<revenue>" not in tree
    assert tree.count('<li class="okr-map-node">') == len(rows)
