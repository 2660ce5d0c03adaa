"""Editing a board: its name and team, its KPIs and their order, its sections."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from boards import services
from boards.forms import (
    BoardForm,
    BoardKPIAddForm,
    BoardKPIMoveForm,
    BoardKPIRemoveForm,
    SectionForm,
    SectionTargetForm,
)
from boards.models import Board, BoardItem, BoardSection
from boards.views.pages import board_or_404
from okrplatform.errors import DomainError
from okrplatform.forms import add_domain_error
from okrplatform.tenancy.models import Membership
from okrplatform.tenancy.permissions import current_membership


def _editable_board(request: HttpRequest, pk: int) -> tuple[Membership, Board]:
    membership = current_membership(request)
    board = board_or_404(pk)
    if not services.board_can_edit(actor=membership, board=board):
        raise PermissionDenied("Only admins and members of the board's team can change this board.")
    return membership, board


@require_http_methods(["GET", "POST"])
def board_edit(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    membership, board = _editable_board(request, pk)
    initial = {"name": board.name, "description": board.description, "owner_team": board.owner_team}
    form = BoardForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.board_update(actor=membership, board=board, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Board saved.")
            return redirect("boards:board-detail", org_slug=org_slug, pk=pk)
    board = board_or_404(pk)  # a failed update may have touched the instance
    status = 400 if request.method == "POST" else 200
    return render(request, "boards/board_edit.html", {"board": board, "form": form}, status=status)


@require_POST
def board_delete(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    membership, board = _editable_board(request, pk)
    services.board_delete(actor=membership, board=board)
    messages.success(request, f"Board “{board.name}” deleted. Its KPIs and their history are kept.")
    return redirect("boards:board-list", org_slug=org_slug)


def _section_or_none(board: Board, section_id: int | None) -> BoardSection | None:
    if section_id is None:
        return None
    section = BoardSection.objects.filter(board=board, pk=section_id).first()
    if section is None:
        raise DomainError("That section is not on this board.", field="section")
    return section


def _item_of(board: Board, kpi_id: int) -> BoardItem:
    item = BoardItem.objects.select_related("kpi").filter(board=board, kpi_id=kpi_id).first()
    if item is None:
        raise DomainError("That KPI is not on this board.")
    return item


def _apply(action: str, data: Any, actor: Membership, board: Board) -> str:
    """Run one edit of the items page; returns the message to show, raises DomainError."""
    form: forms.Form
    if action == "add":
        form = BoardKPIAddForm(data, board_id=board.pk)
        if not form.is_valid():
            raise DomainError("Choose a KPI that is not on the board yet.", field="kpi")
        item = services.board_kpi_add(actor=actor, board=board, **form.cleaned_data)
        return f"“{item.kpi.name}” added."
    if action == "remove":
        form = BoardKPIRemoveForm(data)
        if not form.is_valid():
            raise DomainError("Choose a KPI.")
        item = _item_of(board, form.cleaned_data["kpi"])
        services.board_kpi_remove(actor=actor, board=board, kpi=item.kpi)
        return f"“{item.kpi.name}” removed from the board (the KPI itself is kept)."
    if action == "move":
        form = BoardKPIMoveForm(data)
        if not form.is_valid():
            raise DomainError("Choose where to move the KPI.")
        item = _item_of(board, form.cleaned_data["kpi"])
        section = _section_or_none(board, form.cleaned_data["section"])
        services.board_kpi_move(
            actor=actor,
            board=board,
            kpi=item.kpi,
            position=form.cleaned_data["position"],
            section=section,
        )
        return f"“{item.kpi.name}” moved."
    if action == "section-create":
        form = SectionForm(data)
        if not form.is_valid():
            raise DomainError("Give the section a title.", field="title")
        section = services.board_section_create(
            actor=actor, board=board, title=form.cleaned_data["title"]
        )
        return f"Section “{section.title}” added."
    if action in ("section-rename", "section-delete"):
        form = SectionTargetForm(data)
        if not form.is_valid():
            raise DomainError("Choose a section.")
        section = _section_or_none(board, form.cleaned_data["section"])
        assert section is not None  # noqa: S101 - the form requires the id
        if action == "section-delete":
            services.board_section_delete(actor=actor, section=section)
            return f"Section “{section.title}” deleted; its KPIs stay on the board."
        services.board_section_rename(
            actor=actor, section=section, title=form.cleaned_data["title"]
        )
        return "Section renamed."
    raise DomainError("Unknown action.")


@require_http_methods(["GET", "POST"])
def board_items(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    """The board's KPIs by section, to add, remove, reorder and group them."""
    membership, board = _editable_board(request, pk)
    add_form = BoardKPIAddForm(board_id=board.pk)
    section_form = SectionForm()
    status = 200
    if request.method == "POST":
        try:
            message = _apply(request.POST.get("action", ""), request.POST, membership, board)
        except DomainError as error:
            status = 400
            messages.error(request, error.message)
        else:
            messages.success(request, message)
            return redirect("boards:board-items", org_slug=org_slug, pk=pk)
    sections = list(BoardSection.objects.filter(board=board).order_by("position", "pk"))
    items = list(
        BoardItem.objects.filter(board=board, kpi__archived=False)
        .select_related("kpi", "kpi__owner_team")
        .order_by("position", "pk")
    )
    groups: list[dict[str, Any]] = [{"section": None, "items": []}]
    groups += [{"section": section, "items": []} for section in sections]
    by_section = {group["section"].pk if group["section"] else None: group for group in groups}
    for item in items:
        by_section.get(item.section_id, groups[0])["items"].append(item)
    context = {
        "board": board,
        "groups": groups,
        "sections": sections,
        "add_form": add_form,
        "section_form": section_form,
        "item_count": len(items),
    }
    return render(request, "boards/board_items.html", context, status=status)
