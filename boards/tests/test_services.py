"""Board services: who may change a board, and what each change does."""

from __future__ import annotations

import pytest

from boards import services
from boards.models import Board, BoardItem, BoardSection
from boards.tests.helpers import make_board, make_kpi
from okrplatform.errors import DomainError, PermissionDeniedError
from okrplatform.tenancy.models import Membership, Organization, Team
from tests.factories import MembershipFactory, TeamFactory, TeamMembershipFactory


@pytest.fixture
def team(org: Organization, member: Membership) -> Team:
    team = TeamFactory(organization=org, name="Support")
    TeamMembershipFactory(team=team, user=member.user)
    return team


def _order(board: Board, section: BoardSection | None = None) -> list[str]:
    return list(
        BoardItem.unscoped.filter(board=board, section=section)
        .order_by("position")
        .values_list("kpi__name", flat=True)
    )


def test_member_creates_a_board_for_their_team(
    scope: Organization, member: Membership, team: Team
) -> None:
    board = services.board_create(actor=member, name="  Support health ", owner_team=team)
    assert (board.name, board.owner_team, board.created_by) == ("Support health", team, member.user)
    assert services.board_can_edit(actor=member, board=board)


def test_member_cannot_give_a_board_to_a_team_they_are_not_in(
    scope: Organization, member: Membership
) -> None:
    other_team = TeamFactory(organization=scope, name="Sales")
    with pytest.raises(PermissionDeniedError) as error:
        services.board_create(actor=member, name="Sales", owner_team=other_team)
    assert error.value.field == "owner_team"
    assert not Board.unscoped.exists()


def test_viewer_cannot_create(scope: Organization, viewer: Membership) -> None:
    with pytest.raises(PermissionDeniedError):
        services.board_create(actor=viewer, name="Mine")


def test_names_are_unique_per_organisation_case_insensitively(
    scope: Organization, admin: Membership
) -> None:
    services.board_create(actor=admin, name="Finance")
    with pytest.raises(DomainError, match="already a board") as error:
        services.board_create(actor=admin, name="finance")
    assert error.value.field == "name"


def test_same_name_in_another_organisation_is_fine(
    scope: Organization, admin: Membership, other_org: Organization
) -> None:
    Board.unscoped.create(organization=other_org, name="Finance")
    assert services.board_create(actor=admin, name="Finance").pk


@pytest.mark.parametrize(
    ("who", "in_team", "allowed"),
    [
        ("admin", False, True),
        ("owner", False, True),
        ("member", True, True),
        ("member", False, False),
        ("viewer", True, False),
    ],
)
def test_who_may_edit_a_team_board(
    request: pytest.FixtureRequest, scope: Organization, who: str, in_team: bool, allowed: bool
) -> None:
    actor: Membership = request.getfixturevalue(who)
    team = TeamFactory(organization=scope, name="Marketing")
    if in_team:
        TeamMembershipFactory(team=team, user=actor.user)
    board = make_board(scope, "Marketing", [], owner_team=team)
    assert services.board_can_edit(actor=actor, board=board) is allowed
    if allowed:
        services.board_update(
            actor=actor, board=board, name="Growth", description="", owner_team=team
        )
        assert Board.unscoped.get(pk=board.pk).name == "Growth"
    else:
        with pytest.raises(PermissionDeniedError):
            services.board_update(
                actor=actor, board=board, name="Growth", description="", owner_team=team
            )
        with pytest.raises(PermissionDeniedError):
            services.board_delete(actor=actor, board=board)
        assert Board.unscoped.get(pk=board.pk).name == "Marketing"


def test_a_board_without_team_is_edited_by_its_creator_and_admins(
    scope: Organization, member: Membership, admin: Membership
) -> None:
    board = services.board_create(actor=member, name="My watch list")
    other = MembershipFactory(organization=scope, role="member")
    assert services.board_can_edit(actor=member, board=board)
    assert services.board_can_edit(actor=admin, board=board)
    assert not services.board_can_edit(actor=other, board=board)


def test_add_remove_and_move_kpis(scope: Organization, admin: Membership) -> None:
    board = services.board_create(actor=admin, name="Company")
    a, b, c = (make_kpi(scope, name) for name in ("A", "B", "C"))
    for kpi in (a, b, c):
        services.board_kpi_add(actor=admin, board=board, kpi=kpi)
    assert _order(board) == ["A", "B", "C"]

    services.board_kpi_move(actor=admin, board=board, kpi=c, position=0, section=None)
    assert _order(board) == ["C", "A", "B"]
    services.board_kpi_move(actor=admin, board=board, kpi=c, position=99, section=None)
    assert _order(board) == ["A", "B", "C"]

    section = services.board_section_create(actor=admin, board=board, title="Money")
    services.board_kpi_move(actor=admin, board=board, kpi=a, position=0, section=section)
    assert _order(board) == ["B", "C"]
    assert _order(board, section) == ["A"]

    services.board_kpi_remove(actor=admin, board=board, kpi=b)
    assert _order(board) == ["C"]
    assert make_kpi(scope, "B again").pk  # the KPI itself is untouched by leaving a board


def test_a_kpi_is_once_per_board_but_on_many_boards(scope: Organization, admin: Membership) -> None:
    kpi = make_kpi(scope, "Churn")
    first = services.board_create(actor=admin, name="One")
    second = services.board_create(actor=admin, name="Two")
    services.board_kpi_add(actor=admin, board=first, kpi=kpi)
    services.board_kpi_add(actor=admin, board=second, kpi=kpi)
    with pytest.raises(DomainError, match="already on this board"):
        services.board_kpi_add(actor=admin, board=first, kpi=kpi)
    assert BoardItem.unscoped.filter(kpi=kpi).count() == 2


def test_foreign_and_archived_kpis_are_refused(
    scope: Organization, admin: Membership, other_org: Organization
) -> None:
    board = services.board_create(actor=admin, name="Company")
    with pytest.raises(DomainError, match="this organisation"):
        services.board_kpi_add(actor=admin, board=board, kpi=make_kpi(other_org, "Theirs"))
    with pytest.raises(DomainError, match="archived"):
        services.board_kpi_add(actor=admin, board=board, kpi=make_kpi(scope, "Old", archived=True))
    assert not BoardItem.unscoped.exists()


def test_a_section_of_another_board_is_refused(scope: Organization, admin: Membership) -> None:
    board = services.board_create(actor=admin, name="One")
    other_section = services.board_section_create(
        actor=admin, board=services.board_create(actor=admin, name="Two"), title="Elsewhere"
    )
    with pytest.raises(DomainError, match="another board"):
        services.board_kpi_add(
            actor=admin, board=board, kpi=make_kpi(scope, "K"), section=other_section
        )


def test_sections_rename_and_delete_keep_their_kpis(scope: Organization, admin: Membership) -> None:
    board = services.board_create(actor=admin, name="Company")
    loose = make_kpi(scope, "Loose")
    services.board_kpi_add(actor=admin, board=board, kpi=loose)
    section = services.board_section_create(actor=admin, board=board, title="Sales")
    second = services.board_section_create(actor=admin, board=board, title="Support")
    assert (section.position, second.position) == (0, 1)
    for name in ("Revenue", "Deals"):
        services.board_kpi_add(actor=admin, board=board, kpi=make_kpi(scope, name), section=section)

    services.board_section_rename(actor=admin, section=section, title=" Revenue team ")
    assert BoardSection.unscoped.get(pk=section.pk).title == "Revenue team"
    with pytest.raises(DomainError):
        services.board_section_rename(actor=admin, section=section, title="  ")

    services.board_section_delete(actor=admin, section=section)
    assert not BoardSection.unscoped.filter(pk=section.pk).exists()
    assert _order(board) == ["Loose", "Revenue", "Deals"]


def test_viewer_cannot_change_items_or_sections(
    scope: Organization, admin: Membership, viewer: Membership
) -> None:
    board = services.board_create(actor=admin, name="Company")
    kpi = make_kpi(scope, "K")
    with pytest.raises(PermissionDeniedError):
        services.board_kpi_add(actor=viewer, board=board, kpi=kpi)
    with pytest.raises(PermissionDeniedError):
        services.board_section_create(actor=viewer, board=board, title="S")
    assert not BoardItem.unscoped.exists()
    assert not BoardSection.unscoped.exists()
