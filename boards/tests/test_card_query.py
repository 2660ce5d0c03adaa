"""The hand-written PostgreSQL card query and the portable ORM one return the same rows."""

from __future__ import annotations

import pytest
from django.utils import timezone

from boards.card_query import rows_portable, rows_postgresql
from boards.tests.conftest import BoardWorld
from okrplatform.tenancy.models import Organization
from okrplatform.tenancy.scope import TenantScopeError


def _normalised(rows: list) -> list[tuple]:
    return sorted(
        (
            r.id, r.name, r.health, r.latest_value, bool(r.is_overdue), r.team_id, r.team_name,
            r.owner_name, r.target_kind, r.target_lower, r.target_upper, r.spark, r.section_id,
            r.position,
        )
        for r in rows
    )  # fmt: skip


@pytest.mark.parametrize(
    ("on_board", "team", "health"),
    [
        (True, None, ""),
        (False, None, ""),
        (True, "support", ""),
        (False, None, "overdue"),
        (True, None, "unhealthy"),
        (False, "sales", "healthy"),
    ],
)
def test_both_implementations_agree(
    scope: Organization, world: BoardWorld, on_board: bool, team: str | None, health: str
) -> None:
    board = world.board if on_board else None
    team_id = getattr(world, team).pk if team else None
    now = timezone.now()
    raw = rows_postgresql(board, team_id=team_id, health=health, now=now)
    orm = rows_portable(board, team_id=team_id, health=health, now=now)
    assert raw  # every case selects something, so agreement is not vacuous
    assert _normalised(raw) == _normalised(orm)


def test_sparkline_is_newest_first_and_capped(scope: Organization, world: BoardWorld) -> None:
    (revenue,) = rows_postgresql(None, team_id=world.sales.pk, health="", now=timezone.now())
    assert revenue.spark is not None
    assert revenue.spark[:2] == [125500, 120000]
    assert len(revenue.spark) == 12


def test_raw_query_refuses_to_run_without_an_organisation(world: BoardWorld) -> None:
    with pytest.raises(TenantScopeError):
        rows_postgresql(None, team_id=None, health="", now=timezone.now())


def test_raw_query_never_returns_another_organisations_kpis(
    world: BoardWorld, other_org: Organization
) -> None:
    from okrplatform.tenancy.scope import organization_scope

    with organization_scope(other_org.pk):
        assert rows_postgresql(None, team_id=None, health="", now=timezone.now()) == []
        assert rows_postgresql(world.board, team_id=None, health="", now=timezone.now()) == []
