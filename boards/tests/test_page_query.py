"""What a board's page reads besides its cards: the hand-written PostgreSQL query and the portable
ORM one return the same board, sections and teams, and never another organisation's."""

from __future__ import annotations

import pytest
from django.db import connection

from boards.models import Board, BoardSection
from boards.page_query import BoardPage, board_page_portable, board_page_postgresql
from boards.tests.conftest import BoardWorld
from boards.tests.helpers import make_board
from okrplatform.tenancy.models import Membership, Organization
from okrplatform.tenancy.scope import TenantScopeError, organization_scope
from tests.factories import TeamFactory

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the fast path is PostgreSQL's"
)


def _flat(page: BoardPage) -> tuple[object, ...]:
    board = page.board
    team = board.owner_team.name if board.owner_team_id else None
    return (
        [(field.attname, getattr(board, field.attname)) for field in Board._meta.concrete_fields],
        team,
        board.user_in_owner_team,  # type: ignore[attr-defined]
        page.sections,
        page.teams,
    )


def test_both_implementations_agree(
    scope: Organization, world: BoardWorld, member: Membership, owner: Membership
) -> None:
    BoardSection.unscoped.create(organization=scope, board=world.board, title="Later", position=5)
    for user_id, in_team in ((member.user_id, True), (owner.user_id, False)):
        raw = board_page_postgresql(world.board.pk, user_id=user_id)
        orm = board_page_portable(world.board.pk, user_id=user_id)
        assert raw is not None
        assert orm is not None
        assert raw.board.user_in_owner_team is in_team  # type: ignore[attr-defined]
        assert _flat(raw) == _flat(orm)
    assert raw.sections == [(world.section.pk, "Money"), (raw.sections[1][0], "Later")]
    assert raw.teams == [(world.sales.pk, "Sales"), (world.support.pk, "Support")]


def test_a_board_without_team_or_sections(scope: Organization, member: Membership) -> None:
    board = make_board(scope, "Loose", [])
    raw = board_page_postgresql(board.pk, user_id=member.user_id)
    assert raw is not None
    assert (raw.board.owner_team, raw.sections, raw.teams) == (None, [], [])
    assert raw.board.user_in_owner_team is False  # type: ignore[attr-defined]
    assert _flat(raw) == _flat(board_page_portable(board.pk, user_id=member.user_id))  # type: ignore[arg-type]


def test_a_missing_board_is_none(scope: Organization, member: Membership) -> None:
    assert board_page_postgresql(0, user_id=member.user_id) is None
    assert board_page_portable(0, user_id=member.user_id) is None


def test_raw_query_refuses_to_run_without_an_organisation(
    world: BoardWorld, member: Membership
) -> None:
    with pytest.raises(TenantScopeError):
        board_page_postgresql(world.board.pk, user_id=member.user_id)


def test_raw_query_never_reads_another_organisations_rows(
    world: BoardWorld, member: Membership, other_org: Organization
) -> None:
    with organization_scope(other_org.pk):
        TeamFactory(organization=other_org, name="Theirs")
        assert board_page_postgresql(world.board.pk, user_id=member.user_id) is None
        theirs = make_board(other_org, "Theirs", [])
        page = board_page_postgresql(theirs.pk, user_id=member.user_id)
    assert page is not None
    assert [name for _, name in page.teams] == ["Theirs"]  # not Support or Sales
    assert page.sections == []
