"""The OKR candidates page and its actions (dismiss, snooze, restore). Thin: rules live in
``kpis.candidates``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from okrplatform.errors import DomainError, PermissionDeniedError
from okrplatform.forms import add_domain_error
from okrplatform.tenancy.models import Membership, Team
from okrplatform.tenancy.permissions import action_required, current_membership
from okrplatform.tenancy.roles import Action

from . import candidates, selectors
from .candidates_forms import CandidateDismissForm, CandidateSnoozeForm
from .models import KPI
from .services import editable_team_ids, kpi_can_edit


def _kpi_or_404(pk: int) -> KPI:
    kpi = selectors.kpi_get(pk)
    if kpi is None:
        raise Http404("No such KPI.")
    return kpi


def _team_id(request: HttpRequest, teams: list[Team]) -> int | None:
    raw = request.GET.get("team") or request.POST.get("team") or ""
    if raw.isdigit() and int(raw) in {team.pk for team in teams}:
        return int(raw)
    return None


def _list_url(org_slug: str, team_id: int | None) -> str:
    url = reverse("kpis:candidate-list", kwargs={"org_slug": org_slug})
    return f"{url}?team={team_id}" if team_id else url


def _page(
    request: HttpRequest, *, failed: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    membership = current_membership(request)
    teams = list(Team.objects.order_by("name"))
    team_id = _team_id(request, teams)
    team_ids = editable_team_ids(membership)
    now = timezone.now()
    hidden = list(
        candidates.hidden_candidate_decisions(today=timezone.localdate(now), team_id=team_id)
    )
    context = {
        "candidates": candidates.candidate_list(
            membership=membership, team_id=team_id, now=now, team_ids=team_ids
        ),
        "hidden": [
            (decision, kpi_can_edit(membership, decision.kpi, team_ids=team_ids))
            for decision in hidden
        ],
        "teams": teams,
        "team_id": team_id,
        "failed": failed,
        "dismiss_form": CandidateDismissForm(),
        "snooze_form": CandidateSnoozeForm(),
        "tomorrow": timezone.localdate(now) + timedelta(days=1),
    }
    return render(request, "kpis/candidate_list.html", context, status=status)


@require_GET
def candidate_list(request: HttpRequest, org_slug: str) -> HttpResponse:
    return _page(request)


def _act(
    request: HttpRequest, org_slug: str, pk: int, action: str, form: forms.Form | None
) -> HttpResponse:
    """Run ``action`` on the KPI's candidate; re-render the list with the errors when it fails."""
    kpi = _kpi_or_404(pk)  # before the form: a foreign id answers 404, not a form error
    raw_team = request.POST.get("team", "")
    back = _list_url(org_slug, int(raw_team) if raw_team.isdigit() else None)
    failed_page = {"kpi_id": kpi.pk, "action": action, "form": form}
    if form is not None and not form.is_valid():
        return _page(request, failed=failed_page, status=400)
    data = form.cleaned_data if form is not None else {}
    membership: Membership = current_membership(request)
    try:
        if action == "dismiss":
            candidates.candidate_dismiss(actor=membership, kpi=kpi, reason=data["reason"])
            message = f"“{kpi.name}” dismissed until it next turns unhealthy."
        elif action == "snooze":
            candidates.candidate_snooze(
                actor=membership, kpi=kpi, until=data["until"], reason=data["reason"]
            )
            message = f"“{kpi.name}” snoozed until {data['until']:%-d %B %Y}."
        else:
            candidates.candidate_restore(actor=membership, kpi=kpi)
            message = f"“{kpi.name}” is back on the candidates list."
    except PermissionDeniedError as error:
        raise PermissionDenied(error.message) from error
    except DomainError as error:
        if form is None:
            messages.error(request, error.message)
            return redirect(back)
        add_domain_error(form, error)
        return _page(request, failed=failed_page, status=400)
    messages.success(request, message)
    return redirect(back)


@action_required(Action.EDIT_CONTENT)
@require_POST
def candidate_dismiss(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    return _act(request, org_slug, pk, "dismiss", CandidateDismissForm(request.POST))


@action_required(Action.EDIT_CONTENT)
@require_POST
def candidate_snooze(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    return _act(request, org_slug, pk, "snooze", CandidateSnoozeForm(request.POST))


@action_required(Action.EDIT_CONTENT)
@require_POST
def candidate_restore(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    return _act(request, org_slug, pk, "restore", None)
