"""The OKRs of a cycle, an objective's page, creating and editing objectives, and “Draft an OKR”
from an unhealthy KPI."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST

from goals import charts, rollup, selectors, services
from goals.card_html import Links, objective_card
from goals.forms import ObjectiveForm
from goals.models import Objective, ObjectiveStatus
from goals.objective_rows import Filters, edges_of, objective_rows
from kpis.selectors import kpi_get, prefetch_current_targets
from okrplatform.errors import DomainError
from okrplatform.forms import add_domain_error
from okrplatform.tenancy.permissions import action_required, current_membership
from okrplatform.tenancy.roles import Action
from okrplatform.tenancy.selectors import team_list, users_of_organization

from .common import int_param, objective_or_404, require_editor


def objective_list(request: HttpRequest, org_slug: str) -> HttpResponse:
    """The OKRs of a cycle (the current one by default), grouped by owner, with filters.

    The cards come from one read (``goals.objective_rows``) and are written in Python
    (``goals.card_html``): a cycle holds hundreds of objectives."""
    cycles = list(selectors.cycle_list())
    cycle_id = int_param(request, "cycle")
    cycle = next((c for c in cycles if c.pk == cycle_id), None) or selectors.cycle_current(
        cycles=cycles
    )
    team_param = request.GET.get("team", "")
    status = request.GET.get("status", "")
    lead_id = int_param(request, "lead")
    groups: list[dict[str, Any]] = []
    if cycle is not None:
        rows = objective_rows(
            Filters(
                cycle_ids=[cycle.pk],
                team_id=int(team_param) if team_param.isdigit() else None,
                company_only=team_param == "company",
                lead_id=lead_id,
                status=status or None,
            )
        )
        # Every objective whose progress counts towards another's is on this page.
        rollup.annotate_rows(rows, selectors.goal_settings(), edges=edges_of(rows))
        can_edit = services.objective_editor(current_membership(request))
        links = Links.of(org_slug)
        groups = [
            {
                "name": name,
                "count": len(members),
                "percent": group_percent,
                "cards": mark_safe(  # noqa: S308 - objective_card escapes what it writes
                    "".join(objective_card(row, links, can_edit=can_edit(row)) for row in members)
                ),
            }
            for name, members, group_percent in rollup.group_rows_by_owner(rows)
        ]
    context = {
        "cycle": cycle,
        "cycles": cycles,
        "groups": groups,
        "teams": team_list(),
        "leads": users_of_organization(),
        "statuses": ObjectiveStatus.choices,
        "filters": {"team": team_param, "status": status, "lead": lead_id},
        "kr_form": None,
    }
    return render(request, "goals/objective_list.html", context)


@action_required(Action.EDIT_CONTENT)
@require_http_methods(["GET", "POST"])
def objective_create(request: HttpRequest, org_slug: str) -> HttpResponse:
    current = selectors.cycle_current()
    initial: dict[str, Any] = {"cycle": current.pk if current else None}
    initial["lead"] = request.user.pk
    if (parent_id := int_param(request, "parent")) is not None:
        initial["parents"] = [parent_id]
    if (team_id := int_param(request, "team")) is not None:
        initial["owner_team"] = team_id
    form = ObjectiveForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            objective = services.objective_create(
                actor=current_membership(request), **form.cleaned_data
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request, f"Objective “{objective.title}” created. Add its key results."
            )
            return redirect("goals:objective-detail", org_slug=org_slug, pk=objective.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "goals/objective_form.html", {"form": form}, status=status)


@action_required(Action.EDIT_CONTENT)
@require_http_methods(["GET", "POST"])
def objective_edit(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    objective = objective_or_404(pk)
    require_editor(request, objective)
    if objective.cycle.is_closed:
        # The service refuses it too; say so rather than offer a form that can only fail.
        context = {"objective": objective, "cycle_closed": True}
        status = 400 if request.method == "POST" else 200
        return render(request, "goals/objective_form.html", context, status=status)
    initial = {
        "title": objective.title,
        "description": objective.description,
        "cycle": objective.cycle_id,
        "owner_team": objective.owner_team_id,
        "lead": objective.lead_id,
        "status": objective.status,
        "pillar": objective.pillar_id,
        "parents": list(objective.parents.values_list("pk", flat=True)),
        "kpis": list(objective.kpis.values_list("pk", flat=True)),
    }
    form = ObjectiveForm(request.POST or None, initial=initial, objective=objective)
    if request.method == "POST" and form.is_valid():
        try:
            services.objective_update(
                actor=current_membership(request), objective=objective, **form.cleaned_data
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Objective saved.")
            return redirect("goals:objective-detail", org_slug=org_slug, pk=pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "goals/objective_form.html", {"form": form, "objective": objective}, status=status
    )


@action_required(Action.EDIT_CONTENT)
@require_POST
def objective_delete(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    objective = objective_or_404(pk)
    try:
        services.objective_delete(actor=current_membership(request), objective=objective)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("goals:objective-detail", org_slug=org_slug, pk=pk)
    messages.success(request, f"Objective “{objective.title}” deleted.")
    return redirect("goals:objective-list", org_slug=org_slug)


def objective_context(request: HttpRequest, objective: Objective) -> dict[str, Any]:
    """Everything the objective page and its HTMX sections show (a fixed number of queries)."""
    settings = selectors.goal_settings()
    children = list(objective.children.all())
    family = [objective, *children]
    rollup.annotate_objectives([objective], settings)
    key_results = list(objective.key_results.all())
    history = selectors.check_ins_of(key_results)
    for key_result in key_results:
        check_ins = history.get(key_result.pk, [])
        key_result.check_ins_list = check_ins  # type: ignore[attr-defined]
        key_result.last_check_in = check_ins[-1] if check_ins else None  # type: ignore[attr-defined]
        key_result.chart = charts.history_chart(  # type: ignore[attr-defined]
            start_date=objective.cycle.start_date,
            end_date=objective.cycle.end_date,
            start_value=key_result.start_value,
            target_value=key_result.target_value,
            check_ins=[(c.created_at, c.value) for c in check_ins if c.value is not None],
        )
        key_result.repeats = services.key_result_repeats_last_cycle(key_result)  # type: ignore[attr-defined]
    kpis = list(objective.kpis.all())
    prefetch_current_targets(kpis)
    membership = current_membership(request)
    return {
        "objective": objective,
        "key_results": key_results,
        "children": children,
        "family_size": len(family),
        "kpis": kpis,
        "can_edit": services.objective_can_edit(membership, objective),
        "detail": True,
    }


def objective_detail(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    objective = selectors.objective_get(pk)
    if objective is None:
        raise Http404("No such objective.")
    context = objective_context(request, objective)
    context["kr_form"] = None
    context["initiative_form"] = None
    return render(request, "goals/objective_detail.html", context)


@action_required(Action.EDIT_CONTENT)
@require_POST
def draft_from_kpi(request: HttpRequest, org_slug: str, kpi_pk: int) -> HttpResponse:
    """“Draft an OKR” on an unhealthy KPI: a draft objective aligned to it, then its page."""
    kpi = kpi_get(kpi_pk)
    if kpi is None:
        raise Http404("No such KPI.")
    try:
        objective = services.objective_draft_from_kpi(actor=current_membership(request), kpi=kpi)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("goals:objective-list", org_slug=org_slug)
    messages.success(
        request,
        f"Draft objective for “{kpi.name}” in {objective.cycle.name}: reword it, add key results, "
        "then make it active.",
    )
    return redirect("goals:objective-detail", org_slug=org_slug, pk=objective.pk)
