"""The OKR services: validation (nothing stored on bad input), alignment, check-ins, KPI links,
closing cycles and drafting from an unhealthy KPI."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from goals import selectors, services
from goals.models import (
    CheckIn,
    CycleStatus,
    GoalSettings,
    KeyResult,
    KeyResultKind,
    KeyResultStatus,
    Objective,
    ObjectiveAlignment,
    ObjectiveKPI,
    ObjectiveStatus,
)
from goals.tests.factories import (
    CycleFactory,
    GoalsKPIFactory,
    KeyResultFactory,
    KPITargetFactory,
    ObjectiveFactory,
)
from okrplatform.errors import DomainError, PermissionDeniedError
from tests.factories import TeamFactory, TeamMembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cycle(org, scope):
    return CycleFactory(organization=org)


@pytest.fixture
def objective(org, cycle):
    return ObjectiveFactory(organization=org, cycle=cycle)


def _kr(admin, objective, **overrides):
    fields = {"title": "Reduce tickets", "start_value": "1200", "target_value": "800"}
    fields.update(overrides)
    return services.key_result_create(actor=admin, objective=objective, **fields)


# --- Key results: bad input stores nothing ------------------------------------------------------


def test_key_result_with_target_equal_to_start_is_refused(admin, objective):
    with pytest.raises(DomainError) as error:
        _kr(admin, objective, start_value="5", target_value="5")
    assert error.value.field == "target_value"
    assert not KeyResult.objects.exists()


@pytest.mark.parametrize("weight", ["0", "-1", "abc"])
def test_key_result_weight_must_be_above_zero(admin, objective, weight):
    with pytest.raises(DomainError) as error:
        _kr(admin, objective, weight=weight)
    assert error.value.field == "weight"
    assert not KeyResult.objects.exists()


def test_control_key_result_needs_a_direction(admin, objective):
    with pytest.raises(DomainError) as error:
        _kr(admin, objective, kind=KeyResultKind.CONTROL, target_value="90")
    assert error.value.field == "control_direction"


def test_milestone_key_result_goes_from_0_to_1(admin, objective):
    kr = _kr(admin, objective, kind=KeyResultKind.MILESTONE, start_value="7", target_value="7")
    assert (kr.start_value, kr.target_value) == (0, 1)


def test_key_result_cannot_link_a_kpi_of_another_organisation(admin, objective, other_org):
    foreign = GoalsKPIFactory(organization=other_org)
    with pytest.raises(DomainError) as error:
        _kr(admin, objective, kpi=foreign)
    assert error.value.field == "kpi"
    assert not KeyResult.objects.exists()


# --- Alignment ---------------------------------------------------------------------------------


def test_objective_cannot_align_to_itself(admin, objective):
    with pytest.raises(DomainError):
        services.objective_align(actor=admin, objective=objective, parent=objective)
    assert not ObjectiveAlignment.objects.exists()


def test_alignment_cycle_through_descendants_is_refused(admin, org, cycle):
    company = ObjectiveFactory(organization=org, cycle=cycle, title="Company")
    team = ObjectiveFactory(organization=org, cycle=cycle, title="Team")
    squad = ObjectiveFactory(organization=org, cycle=cycle, title="Squad")
    services.objective_align(actor=admin, objective=team, parent=company)
    services.objective_align(actor=admin, objective=squad, parent=team)
    with pytest.raises(DomainError) as error:
        services.objective_align(actor=admin, objective=company, parent=squad)
    assert "loop" in error.value.message
    assert ObjectiveAlignment.objects.count() == 2


def test_multiple_parents_are_allowed_but_not_a_loop_through_the_second(admin, org, cycle):
    first = ObjectiveFactory(organization=org, cycle=cycle)
    second = ObjectiveFactory(organization=org, cycle=cycle)
    child = ObjectiveFactory(organization=org, cycle=cycle)
    grandchild = ObjectiveFactory(organization=org, cycle=cycle)
    services.objective_align(actor=admin, objective=child, parent=first)
    services.objective_align(actor=admin, objective=child, parent=second)
    services.objective_align(actor=admin, objective=grandchild, parent=child)
    assert {p.pk for p in child.parents.all()} == {first.pk, second.pk}
    with pytest.raises(DomainError):
        services.objective_align(actor=admin, objective=second, parent=grandchild)
    # Through update, with several parents at once: the loop is found and nothing changes.
    with pytest.raises(DomainError):
        services.objective_update(
            actor=admin,
            objective=first,
            title=first.title,
            cycle=cycle,
            status=first.status,
            parents=[second, grandchild],
        )
    assert not ObjectiveAlignment.objects.filter(child=first).exists()


def test_cannot_align_to_another_organisations_objective_or_kpi(admin, objective, other_org):
    foreign = ObjectiveFactory(organization=other_org)
    foreign_kpi = GoalsKPIFactory(organization=other_org)
    with pytest.raises(DomainError):
        services.objective_align(actor=admin, objective=objective, parent=foreign)
    with pytest.raises(DomainError):
        services.objective_align_kpi(actor=admin, objective=objective, kpi=foreign_kpi)
    assert not ObjectiveAlignment.unscoped.exists()
    assert not ObjectiveKPI.unscoped.exists()


def test_objective_create_with_foreign_parent_stores_nothing(admin, cycle, other_org):
    foreign = ObjectiveFactory(organization=other_org)
    count = Objective.unscoped.count()
    with pytest.raises(DomainError):
        services.objective_create(actor=admin, title="New", cycle=cycle, parents=[foreign])
    assert Objective.unscoped.count() == count


# --- Permissions -------------------------------------------------------------------------------


def test_member_edits_only_their_teams_objectives(member, org, cycle):
    mine = TeamFactory(organization=org, name="Support")
    theirs = TeamFactory(organization=org, name="Sales")
    TeamMembershipFactory(team=mine, user=member.user)
    objective = services.objective_create(
        actor=member, title="Help customers help themselves", cycle=cycle, owner_team=mine
    )
    assert objective.owner_team == mine
    with pytest.raises(PermissionDeniedError):
        services.objective_create(actor=member, title="Sell more", cycle=cycle, owner_team=theirs)
    with pytest.raises(PermissionDeniedError):
        services.objective_create(actor=member, title="Company", cycle=cycle, owner_team=None)
    other = ObjectiveFactory(organization=org, cycle=cycle, owner_team=theirs)
    with pytest.raises(PermissionDeniedError):
        _kr(member, other)


def test_viewer_changes_nothing(viewer, objective):
    with pytest.raises(PermissionDeniedError):
        _kr(viewer, objective)


# --- Check-ins ---------------------------------------------------------------------------------


def test_check_in_updates_value_and_status_and_keeps_history(admin, objective):
    kr = _kr(admin, objective)
    services.check_in_create(actor=admin, key_result=kr, value="1100", status="on_track")
    services.check_in_create(
        actor=admin, key_result=kr, value="1000", status="needs_attention", confidence=6
    )
    kr.refresh_from_db()
    assert kr.current_value == Decimal(1000)
    assert kr.status == KeyResultStatus.NEEDS_ATTENTION
    assert [c.value for c in CheckIn.objects.order_by("created_at")] == [1100, 1000]


def test_objective_in_a_closed_cycle_can_no_longer_change(admin, objective, cycle, org):
    parent = ObjectiveFactory(organization=org, cycle=cycle)
    kpi = GoalsKPIFactory(organization=org)
    cycle.status = CycleStatus.CLOSED
    cycle.save()
    with pytest.raises(DomainError) as error:
        services.objective_update(
            actor=admin, objective=objective, title="Renamed", cycle=cycle, status="active"
        )
    assert error.value.message.startswith("This cycle is closed:")
    with pytest.raises(DomainError):
        services.objective_align(actor=admin, objective=objective, parent=parent)
    with pytest.raises(DomainError):
        services.objective_align_kpi(actor=admin, objective=objective, kpi=kpi)
    objective.refresh_from_db()
    assert objective.title != "Renamed"
    assert not ObjectiveAlignment.objects.filter(child=objective).exists()
    assert not ObjectiveKPI.objects.filter(objective=objective).exists()
    with pytest.raises(DomainError) as error:
        services.objective_delete(actor=admin, objective=objective)
    assert error.value.message.startswith("This cycle is closed:")
    assert Objective.unscoped.filter(pk=objective.pk).exists()


def test_check_in_on_a_closed_cycle_is_refused(admin, objective, cycle):
    kr = _kr(admin, objective)
    cycle.status = CycleStatus.CLOSED
    cycle.save()
    with pytest.raises(DomainError) as error:
        services.check_in_create(actor=admin, key_result=kr, value="900")
    assert "closed" in error.value.message
    kr.refresh_from_db()
    assert kr.current_value is None
    assert not CheckIn.objects.exists()


def test_check_in_needs_a_value(admin, objective):
    kr = _kr(admin, objective)
    with pytest.raises(DomainError) as error:
        services.check_in_create(actor=admin, key_result=kr, value="")
    assert error.value.field == "value"


def test_automatic_status_comes_from_pace(admin, org, objective, cycle):
    GoalSettings.objects.create(organization=org, automatic_status=True)
    kr = _kr(admin, objective, start_value="0", target_value="100")
    # Half-way through the quarter with 10 % done: far behind.
    services.check_in_create(
        actor=admin,
        key_result=kr,
        value="10",
        status="on_track",
        at=datetime(2026, 5, 15, 12, tzinfo=UTC),
    )
    kr.refresh_from_db()
    assert kr.status == KeyResultStatus.OFF_TRACK


# --- KPI-linked key results --------------------------------------------------------------------


def test_kpi_linked_key_result_follows_the_kpi(admin, org, objective, cycle):
    kpi = GoalsKPIFactory(organization=org, latest_value=Decimal(52))
    kr = _kr(admin, objective, start_value="52", target_value="30", kpi=kpi)
    assert kr.current_value == 52
    closed_cycle = CycleFactory(organization=org, status=CycleStatus.CLOSED)
    closed_kr = KeyResultFactory(
        objective=ObjectiveFactory(organization=org, cycle=closed_cycle),
        kpi=kpi,
        current_value=Decimal(60),
    )
    kpi.latest_value = Decimal(41)
    kpi.save()
    assert services.key_results_follow_kpi(kpi_ids=[kpi.pk]) == 1
    kr.refresh_from_db()
    closed_kr.refresh_from_db()
    assert kr.current_value == 41
    assert closed_kr.current_value == 60  # graded values stay put


def test_check_in_of_kpi_linked_key_result_takes_the_kpi_value(admin, org, objective):
    kpi = GoalsKPIFactory(organization=org, latest_value=Decimal(45))
    kr = _kr(admin, objective, start_value="52", target_value="30", kpi=kpi)
    check_in = services.check_in_create(actor=admin, key_result=kr, value="999", comment="ok")
    assert check_in.value == 45


# --- Closing a cycle ---------------------------------------------------------------------------


def test_cycle_close_grades_scores_and_carries_over(admin, org, cycle, objective):
    done = _kr(admin, objective, start_value="0", target_value="10", weight="1")
    half = _kr(admin, objective, start_value="0", target_value="10", weight="3")
    KeyResult.objects.filter(pk=done.pk).update(current_value=10)
    KeyResult.objects.filter(pk=half.pk).update(current_value=5)
    following = CycleFactory(
        organization=org,
        status=CycleStatus.PLANNING,
        start_date=date(2026, 7, 1),
        end_date=date(2026, 9, 30),
    )
    copies = services.cycle_close(
        actor=admin,
        cycle=cycle,
        grades={half.pk: Decimal("0.4")},
        carry_over=[objective.pk],
        next_cycle=following,
    )
    done.refresh_from_db()
    half.refresh_from_db()
    objective.refresh_from_db()
    cycle.refresh_from_db()
    assert done.grade == Decimal("1.00")  # suggested from progress
    assert half.grade == Decimal("0.40")  # as given
    assert objective.score == Decimal("0.55")  # (1.0 × 1 + 0.4 × 3) / 4
    assert objective.status == ObjectiveStatus.CLOSED
    assert cycle.status == CycleStatus.CLOSED
    [copy] = copies
    assert copy.cycle == following
    assert copy.status == ObjectiveStatus.DRAFT
    assert copy.carried_from == objective
    [carried] = copy.key_results.all()  # the accomplished KR stays behind
    assert (carried.title, carried.start_value, carried.target_value) == (half.title, 5, 10)


def test_cycle_close_refuses_a_grade_out_of_range_and_stores_nothing(admin, cycle, objective):
    kr = _kr(admin, objective)
    with pytest.raises(DomainError):
        services.cycle_close(actor=admin, cycle=cycle, grades={kr.pk: Decimal("1.5")})
    cycle.refresh_from_db()
    kr.refresh_from_db()
    assert cycle.status == CycleStatus.ACTIVE
    assert kr.grade is None


def test_member_cannot_close_a_cycle(member, cycle):
    with pytest.raises(PermissionDeniedError):
        services.cycle_close(actor=member, cycle=cycle)


def test_key_result_repeating_last_cycle_is_detected(admin, org, cycle):
    earlier = CycleFactory(
        organization=org,
        start_date=date(2026, 1, 1),
        end_date=date(2026, 3, 31),
        status=CycleStatus.CLOSED,
    )
    old = KeyResultFactory(
        objective=ObjectiveFactory(organization=org, cycle=earlier),
        title="Keep NPS at 50",
        target_value=50,
    )
    new = _kr(
        admin,
        ObjectiveFactory(organization=org, cycle=cycle),
        title="keep nps at 50",
        start_value="40",
        target_value="50",
    )
    assert services.key_result_repeats_last_cycle(new) == old
    other = _kr(admin, new.objective, title="Raise NPS to 60", start_value="40", target_value="60")
    assert services.key_result_repeats_last_cycle(other) is None


# --- Draft an OKR from an unhealthy KPI --------------------------------------------------------


def test_draft_from_kpi(admin, org, cycle):
    team = TeamFactory(organization=org, name="Support")
    kpi = GoalsKPIFactory(
        organization=org,
        name="Reply time",
        owner_team=team,
        latest_value=Decimal(52),
        health="unhealthy",
    )
    KPITargetFactory(kpi=kpi, kind="at_most", upper=30)
    following = CycleFactory(
        organization=org,
        status=CycleStatus.PLANNING,
        start_date=date(2099, 1, 1),
        end_date=date(2099, 3, 31),
    )
    objective = services.objective_draft_from_kpi(actor=admin, kpi=kpi)
    assert objective.status == ObjectiveStatus.DRAFT
    assert objective.owner_team == team
    assert objective.cycle == following
    assert list(objective.kpis.all()) == [kpi]
    [kr] = objective.key_results.all()
    assert (kr.kpi, kr.start_value, kr.target_value, kr.current_value) == (kpi, 52, 30, 52)
    # Drafting again returns the same draft.
    assert services.objective_draft_from_kpi(actor=admin, kpi=kpi) == objective
    # A draft does not take the KPI off the candidates list; an active objective does.
    assert selectors.kpis_with_active_objective([kpi.pk]) == set()
    Objective.objects.filter(pk=objective.pk).update(status=ObjectiveStatus.ACTIVE)
    assert selectors.kpis_with_active_objective([kpi.pk]) == {kpi.pk}


def test_draft_from_kpi_below_a_between_range_aims_at_the_low_edge(admin, org, cycle):
    kpi = GoalsKPIFactory(organization=org, latest_value=Decimal(20))
    KPITargetFactory(kpi=kpi, kind="between", lower=40, upper=60)
    objective = services.objective_draft_from_kpi(actor=admin, kpi=kpi)
    assert objective.cycle == cycle  # no cycle being planned: the current one
    assert objective.key_results.get().target_value == 40


def test_draft_from_kpi_without_target_is_refused(admin, org, cycle):
    kpi = GoalsKPIFactory(organization=org, latest_value=Decimal(20))
    with pytest.raises(DomainError):
        services.objective_draft_from_kpi(actor=admin, kpi=kpi)
    assert not Objective.objects.exists()


def test_current_cycle_prefers_the_running_quarter_over_its_year(org, scope):
    year = CycleFactory(
        organization=org, kind="annual", start_date=date(2026, 1, 1), end_date=date(2026, 12, 31)
    )
    quarter = CycleFactory(
        organization=org, parent=year, start_date=date(2026, 4, 1), end_date=date(2026, 6, 30)
    )
    assert selectors.cycle_current(date(2026, 5, 1)) == quarter
    assert selectors.cycle_current(date(2026, 8, 1)) == year
    # Pages pass the cycles they have loaded already: the same answer.
    cycles = list(selectors.cycle_list())
    assert selectors.cycle_current(date(2026, 5, 1), cycles=cycles) == quarter
    assert selectors.cycle_current(date(2026, 8, 1), cycles=cycles) == year


def test_objective_editor_answers_as_objective_can_edit(  # noqa: PLR0917
    org, cycle, owner, member, viewer, django_assert_num_queries
):
    team = TeamFactory(organization=org)
    other = TeamFactory(organization=org)
    TeamMembershipFactory(team=team, user=member.user)
    objectives = [
        ObjectiveFactory(organization=org, cycle=cycle, owner_team=team),
        ObjectiveFactory(organization=org, cycle=cycle, owner_team=other),
        ObjectiveFactory(organization=org, cycle=cycle, owner_team=other, lead=member.user),
        ObjectiveFactory(organization=org, cycle=cycle),
    ]
    for membership, queries in ((owner, 0), (viewer, 0), (member, 1)):
        with django_assert_num_queries(queries):  # a member's teams once, for every objective
            can_edit = services.objective_editor(membership)
            answers = [can_edit(objective) for objective in objectives]
        assert answers == [services.objective_can_edit(membership, o) for o in objectives]
    assert answers == [True, False, True, False]  # the member's: their team's, and what they lead


def test_recording_a_kpi_value_moves_the_linked_key_result(admin, org, objective):
    from django.utils import timezone

    from kpis.services import kpi_value_record

    kpi = GoalsKPIFactory(organization=org, update_frequency="daily")
    kr = _kr(admin, objective, start_value="52", target_value="30", kpi=kpi)
    kpi_value_record(actor=None, kpi=kpi, timestamp=timezone.now(), value="44")
    kr.refresh_from_db()
    assert kr.current_value == 44
