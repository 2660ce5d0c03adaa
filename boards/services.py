"""Writes for boards, their sections and the KPIs on them.

Who may edit a board (the rule lives in ``board_can_edit``, so pages and any future API agree):
admins and owners always; members of the board's owner team; for a board without an owner team,
the member who created it. Viewers only read. Creating a board needs the member role, and a
member may only give it a team they belong to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import Max

from kpis.models import KPI
from okrplatform.errors import DomainError, PermissionDeniedError
from okrplatform.tenancy.models import Membership, Team, TeamMembership
from okrplatform.tenancy.roles import Action

from .models import Board, BoardItem, BoardSection

if TYPE_CHECKING:
    from collections.abc import Iterable


def _team_ids_of(actor: Membership) -> set[int]:
    return set(
        TeamMembership.unscoped.filter(
            organization_id=actor.organization_id, user_id=actor.user_id
        ).values_list("team_id", flat=True)
    )


def board_can_edit(
    *, actor: Membership, board: Board, team_ids: Iterable[int] | None = None
) -> bool:
    """Whether ``actor`` may change ``board``; pass ``team_ids`` when already known."""
    if actor.organization_id != board.organization_id or not actor.can(Action.EDIT_CONTENT):
        return False
    if actor.can(Action.MANAGE_TEAMS):  # admins and owners
        return True
    if board.owner_team_id is None:
        return board.created_by_id == actor.user_id
    return board.owner_team_id in (_team_ids_of(actor) if team_ids is None else set(team_ids))


def _require_edit(actor: Membership, board: Board) -> None:
    if not board_can_edit(actor=actor, board=board):
        raise PermissionDeniedError(
            "Only admins and members of the board's team can change this board."
        )


def _check_team(actor: Membership, owner_team: Team | None) -> None:
    if owner_team is None:
        return
    if owner_team.organization_id != actor.organization_id:
        raise DomainError("Choose a team of this organisation.", field="owner_team")
    if not actor.can(Action.MANAGE_TEAMS) and owner_team.pk not in _team_ids_of(actor):
        raise PermissionDeniedError(
            f"You are not in {owner_team.name}: choose one of your teams, or ask an admin.",
            field="owner_team",
        )


def _clean_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise DomainError("Give the board a name.", field="name")
    return name


def _save_board(board: Board) -> Board:
    try:
        with transaction.atomic():
            board.save()
    except IntegrityError as error:
        raise DomainError(
            f"There is already a board called “{board.name}”; choose another name.", field="name"
        ) from error
    return board


@transaction.atomic
def board_create(
    *, actor: Membership, name: str, description: str = "", owner_team: Team | None = None
) -> Board:
    if not actor.can(Action.EDIT_CONTENT):
        raise PermissionDeniedError("Viewers can read boards but not create them.")
    _check_team(actor, owner_team)
    board = Board(
        organization_id=actor.organization_id,
        name=_clean_name(name),
        description=description.strip(),
        owner_team=owner_team,
        created_by_id=actor.user_id,
    )
    return _save_board(board)


@transaction.atomic
def board_update(
    *, actor: Membership, board: Board, name: str, description: str, owner_team: Team | None
) -> Board:
    _require_edit(actor, board)
    if owner_team != board.owner_team:
        _check_team(actor, owner_team)
    board.name = _clean_name(name)
    board.description = description.strip()
    board.owner_team = owner_team
    return _save_board(board)


@transaction.atomic
def board_delete(*, actor: Membership, board: Board) -> None:
    _require_edit(actor, board)
    board.delete()


# --- KPIs on a board ------------------------------------------------------------------------


def _check_section(board: Board, section: BoardSection | None) -> None:
    if section is not None and section.board_id != board.pk:
        raise DomainError("That section belongs to another board.", field="section")


def _items_of_section(board: Board, section_id: int | None) -> list[BoardItem]:
    return list(
        BoardItem.unscoped.select_for_update()
        .filter(organization_id=board.organization_id, board=board, section_id=section_id)
        .order_by("position", "pk")
    )


def _renumber(items: list[BoardItem]) -> None:
    for position, item in enumerate(items):
        item.position = position
    BoardItem.unscoped.bulk_update(items, ["position", "section"])


@transaction.atomic
def board_kpi_add(
    *, actor: Membership, board: Board, kpi: KPI, section: BoardSection | None = None
) -> BoardItem:
    """Put ``kpi`` at the end of ``board`` (of ``section`` when given)."""
    _require_edit(actor, board)
    if kpi.organization_id != board.organization_id:
        raise DomainError("Choose a KPI of this organisation.", field="kpi")
    if kpi.archived:
        raise DomainError(f"“{kpi.name}” is archived; restore it first.", field="kpi")
    _check_section(board, section)
    last = BoardItem.unscoped.filter(
        organization_id=board.organization_id, board=board, section=section
    ).aggregate(last=Max("position"))["last"]
    try:
        with transaction.atomic():
            return BoardItem.unscoped.create(
                organization_id=board.organization_id,
                board=board,
                kpi=kpi,
                section=section,
                position=0 if last is None else last + 1,
            )
    except IntegrityError as error:
        raise DomainError(f"“{kpi.name}” is already on this board.", field="kpi") from error


def _item_of(board: Board, kpi: KPI) -> BoardItem:
    item = BoardItem.unscoped.filter(
        organization_id=board.organization_id, board=board, kpi=kpi
    ).first()
    if item is None:
        raise DomainError(f"“{kpi.name}” is not on this board.", field="kpi")
    return item


@transaction.atomic
def board_kpi_remove(*, actor: Membership, board: Board, kpi: KPI) -> None:
    _require_edit(actor, board)
    _item_of(board, kpi).delete()


@transaction.atomic
def board_kpi_move(
    *,
    actor: Membership,
    board: Board,
    kpi: KPI,
    position: int,
    section: BoardSection | None,
) -> BoardItem:
    """Move ``kpi`` to index ``position`` (0 = first, clamped) among ``section``'s KPIs."""
    _require_edit(actor, board)
    _check_section(board, section)
    item = _item_of(board, kpi)
    section_id = section.pk if section is not None else None
    if item.section_id != section_id:
        _renumber([i for i in _items_of_section(board, item.section_id) if i.pk != item.pk])
    siblings = [i for i in _items_of_section(board, section_id) if i.pk != item.pk]
    item.section = section
    siblings.insert(max(0, min(position, len(siblings))), item)
    _renumber(siblings)
    return item


# --- Sections -------------------------------------------------------------------------------


def _clean_title(title: str) -> str:
    title = title.strip()
    if not title:
        raise DomainError("Give the section a title.", field="title")
    return title


@transaction.atomic
def board_section_create(*, actor: Membership, board: Board, title: str) -> BoardSection:
    _require_edit(actor, board)
    last = BoardSection.unscoped.filter(
        organization_id=board.organization_id, board=board
    ).aggregate(last=Max("position"))["last"]
    return BoardSection.unscoped.create(
        organization_id=board.organization_id,
        board=board,
        title=_clean_title(title),
        position=0 if last is None else last + 1,
    )


@transaction.atomic
def board_section_rename(*, actor: Membership, section: BoardSection, title: str) -> BoardSection:
    _require_edit(actor, section.board)
    section.title = _clean_title(title)
    section.save(update_fields=["title"])
    return section


@transaction.atomic
def board_section_delete(*, actor: Membership, section: BoardSection) -> None:
    """Delete a section; its KPIs stay on the board, after the unheaded ones."""
    board = section.board
    _require_edit(actor, board)
    unheaded = _items_of_section(board, None)
    moved = _items_of_section(board, section.pk)
    for item in moved:
        item.section = None
    _renumber(unheaded + moved)
    section.delete()
