"""What a board's page reads besides its cards: the board with the reader's membership of its
team, its sections and the organisation's teams (for the filter bar), in one statement.

- PostgreSQL: one hand-written query, the sections and teams as ``json_agg`` arrays. As three
  ORM querysets they cost about a tenth of the board page in ``make bench``, mostly in building
  and compiling them, not in PostgreSQL.
- Anywhere else (SQLite): those three querysets.

``boards/tests/test_page_query.py`` runs both on PostgreSQL and checks they agree. Tenancy fails
closed in both: the raw SQL takes the organisation from ``current_organization_id()``, which
raises when none is bound, and filters every table on it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Exists, OuterRef

from okrplatform.tenancy.models import Team, TeamMembership
from okrplatform.tenancy.scope import current_organization_id

from .models import Board, BoardSection


@dataclass(frozen=True)
class BoardPage:
    # ``board.user_in_owner_team``: whether the reader belongs to the board's team (all that
    # ``services.board_can_edit`` needs to know about their teams).
    board: Board
    sections: list[tuple[int, str]]  # (pk, title) in the board's order
    teams: list[tuple[int, str]]  # (pk, name) of every team, by name


_BOARD_FIELDS = ["id", "organization_id", "name", "description", "owner_team_id"]
_BOARD_FIELDS += ["created_by_id", "created_at", "updated_at"]

_SQL = f"""
SELECT {", ".join(f"b.{name}" for name in _BOARD_FIELDS)}, t.name,
  EXISTS (SELECT 1 FROM {TeamMembership._meta.db_table} tm
          WHERE tm.organization_id = %(org)s AND tm.team_id = b.owner_team_id
            AND tm.user_id = %(user)s),
  (SELECT coalesce(json_agg(json_build_array(s.id, s.title) ORDER BY s.position, s.id), '[]')
   FROM {BoardSection._meta.db_table} s WHERE s.organization_id = %(org)s AND s.board_id = b.id),
  (SELECT coalesce(json_agg(json_build_array(tt.id, tt.name) ORDER BY tt.name, tt.id), '[]')
   FROM {Team._meta.db_table} tt WHERE tt.organization_id = %(org)s)
FROM {Board._meta.db_table} b
LEFT JOIN {Team._meta.db_table} t ON t.id = b.owner_team_id AND t.organization_id = %(org)s
WHERE b.organization_id = %(org)s AND b.id = %(board)s
"""  # noqa: S608 - only our own table and column names are interpolated


def board_page_postgresql(pk: int, *, user_id: int) -> BoardPage | None:
    organization_id = current_organization_id()
    with connection.cursor() as cursor:
        cursor.execute(_SQL, {"org": organization_id, "user": user_id, "board": pk})
        row = cursor.fetchone()
    if row is None:
        return None
    count = len(_BOARD_FIELDS)
    board = Board.from_db(connection.alias, _BOARD_FIELDS, row[:count])
    team_name, in_team, sections, teams = row[count:]
    if board.owner_team_id is not None:
        # Only the name is shown; any other field of the team loads on access (deferred).
        board.owner_team = Team.from_db(
            connection.alias,
            ["id", "organization_id", "name"],
            [board.owner_team_id, organization_id, team_name],
        )
    board.user_in_owner_team = in_team  # type: ignore[attr-defined]
    return BoardPage(
        board=board,
        sections=[(section_id, title) for section_id, title in sections],
        teams=[(team_id, name) for team_id, name in teams],
    )


def board_page_portable(pk: int, *, user_id: int) -> BoardPage | None:
    board = (
        Board.objects.select_related("owner_team")
        .annotate(
            user_in_owner_team=Exists(
                TeamMembership.objects.filter(team_id=OuterRef("owner_team_id"), user_id=user_id)
            )
        )
        .filter(pk=pk)
        .first()
    )
    if board is None:
        return None
    sections = BoardSection.objects.filter(board=board).order_by("position", "pk")
    return BoardPage(
        board=board,
        sections=list(sections.values_list("pk", "title")),
        teams=list(Team.objects.order_by("name", "pk").values_list("pk", "name")),
    )


def board_page(pk: int, *, user_id: int) -> BoardPage | None:
    """Board ``pk`` of the current organisation with what its page shows, or None."""
    read = board_page_postgresql if connection.vendor == "postgresql" else board_page_portable
    return read(pk, user_id=user_id)
