"""The boards' objects in the tenant-isolation suite's world (tests/isolation/world.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from boards.models import BoardSection
from boards.tests.helpers import add_series, make_board, make_kpi, set_target


def extend_world(world: Any, marker: str) -> None:
    """A KPI with history and a target, on a team board with a section, all carrying ``marker``."""
    organization = world.organization
    kpi = make_kpi(
        organization, f"{marker} Reply time", owner_team=world.team, unit_kind="duration"
    )
    set_target(kpi, "at_most", upper="30")
    add_series(kpi, [20, 25, 41], end=date(2026, 9, 1), health="unhealthy")
    board = make_board(organization, f"{marker} Support board", [], owner_team=world.team)
    section = BoardSection.unscoped.create(
        organization=organization, board=board, title=f"{marker} Speed"
    )
    make_board_item = board.items.model.unscoped.create
    make_board_item(organization=organization, board=board, kpi=kpi, section=section, position=0)
    world.extra.update(board=board, board_kpi=kpi, board_section=section)
