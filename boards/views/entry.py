"""Grid entry: type last period's values for a whole board at once."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from boards.entry import entry_rows, entry_submit
from boards.models import Board
from boards.views.pages import board_or_404
from okrplatform.tenancy.permissions import action_required, current_membership
from okrplatform.tenancy.roles import Action


def _grid_entry(request: HttpRequest, board: Board | None) -> HttpResponse:
    membership = current_membership(request)
    slug = membership.organization.slug
    board_url = (
        reverse("boards:board-detail", kwargs={"org_slug": slug, "pk": board.pk})
        if board is not None
        else reverse("boards:all-kpis", kwargs={"org_slug": slug})
    )
    rows = entry_rows(board, actor=membership)
    status = 200
    if request.method == "POST":
        result = entry_submit(rows, request.POST, actor=membership)
        if result.failed == 0 and result.saved > 0:
            messages.success(
                request, f"Saved {result.saved} value{'s' if result.saved != 1 else ''}."
            )
            return redirect(board_url)
        status = 400
        if result.failed == 0:
            messages.error(request, "Nothing to save: type at least one value.")
        else:
            saved = f"Saved {result.saved}; " if result.saved else ""
            messages.error(
                request,
                f"{saved}{result.failed} row{'s need' if result.failed != 1 else ' needs'} attention: "
                "see the messages next to the cells.",
            )
    context = {
        "board": board,
        "board_title": board.name if board is not None else "All KPIs",
        "board_url": board_url,
        "rows": rows,
        "editable_count": sum(row.editable for row in rows),
    }
    return render(request, "boards/grid_entry.html", context, status=status)


@action_required(Action.EDIT_CONTENT)
@require_http_methods(["GET", "POST"])
def grid_entry(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    return _grid_entry(request, board_or_404(pk))


@action_required(Action.EDIT_CONTENT)
@require_http_methods(["GET", "POST"])
def all_grid_entry(request: HttpRequest, org_slug: str) -> HttpResponse:
    return _grid_entry(request, None)
