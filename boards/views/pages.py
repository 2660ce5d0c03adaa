"""Board pages: the list, the "All KPIs" view, a board's cards (full page or HTMX fragment)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from boards import services
from boards.cards import board_cards
from boards.forms import BoardFilterForm, BoardForm
from boards.home import url_or_empty
from boards.models import Board
from boards.page_query import BoardPage, board_page
from kpis.models import KPI
from okrplatform.errors import DomainError
from okrplatform.forms import add_domain_error
from okrplatform.tenancy.models import Team
from okrplatform.tenancy.permissions import action_required, current_membership
from okrplatform.tenancy.roles import Action


def board_or_404(pk: int) -> Board:
    board = Board.objects.select_related("owner_team").filter(pk=pk).first()
    if board is None:
        raise Http404("No such board.")
    return board


@action_required(Action.EDIT_CONTENT, on_methods=("POST",))
@require_http_methods(["GET", "POST"])
def board_list(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Every board, the "All KPIs" view first, and the form to create one."""
    membership = current_membership(request)
    form = BoardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            board = services.board_create(actor=membership, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"Board “{board.name}” created. Add its KPIs next.")
            return redirect("boards:board-items", org_slug=org_slug, pk=board.pk)
    boards = (
        Board.objects.select_related("owner_team")
        .annotate(kpi_count=Count("items", filter=Q(items__kpi__archived=False)))
        .order_by("name")
    )
    context = {
        "boards": boards,
        "all_kpi_count": KPI.objects.filter(archived=False).count(),
        "form": form,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "boards/board_list.html", context, status=status)


def _board_page(request: HttpRequest, page: BoardPage | None) -> HttpResponse:
    """A board's page (``page``), or the "All KPIs" view (None)."""
    membership = current_membership(request)
    organization = membership.organization
    board = page.board if page is not None else None
    if page is not None:
        teams = page.teams
    else:
        teams = list(Team.objects.order_by("name", "pk").values_list("pk", "name"))
    filters = BoardFilterForm(request.GET or None, teams=teams, board_order=board is not None)
    chosen = filters.values()
    sections = page.sections if page is not None else None
    cards = board_cards(board, organization_slug=organization.slug, sections=sections, **chosen)
    if board is None:
        page_url = reverse("boards:all-kpis", kwargs={"org_slug": organization.slug})
        entry_url = reverse("boards:all-grid-entry", kwargs={"org_slug": organization.slug})
        can_edit = False
    else:
        page_url = reverse(
            "boards:board-detail", kwargs={"org_slug": organization.slug, "pk": board.pk}
        )
        entry_url = reverse(
            "boards:grid-entry", kwargs={"org_slug": organization.slug, "pk": board.pk}
        )
        in_team = getattr(board, "user_in_owner_team", None)
        team_ids: list[int] | None = None if in_team is None else []
        if in_team and board.owner_team_id is not None:
            team_ids = [board.owner_team_id]
        can_edit = services.board_can_edit(actor=membership, board=board, team_ids=team_ids)
    query = request.GET.urlencode()
    context: dict[str, Any] = {
        "board": board,
        "board_title": board.name if board else "All KPIs",
        "cards": cards,
        "filter_fields": filters.options(),
        "filtering": bool(chosen["team_id"] or chosen["health"]),
        "page_url": page_url,
        "refresh_url": f"{page_url}?{query}" if query else page_url,
        "entry_url": entry_url,
        "can_edit": can_edit,
        "can_enter": membership.can(Action.EDIT_CONTENT),
        "kpi_list_url": url_or_empty("kpis:kpi-list", organization.slug),
    }
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request:
        return render(request, "boards/board.html#cards", context)
    return render(request, "boards/board.html", context)


@require_GET
def all_kpis(request: HttpRequest, org_slug: str) -> HttpResponse:
    return _board_page(request, None)


def board_detail(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    # Looked up before the method check: a foreign id is a 404 whatever the method.
    page = board_page(pk, user_id=current_membership(request).user_id)
    if page is None:
        raise Http404("No such board.")
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    return _board_page(request, page)
