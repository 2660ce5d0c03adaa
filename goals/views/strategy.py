"""The strategy page (ultimate goal, strategic pillars, OKR settings) and cycle management."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from goals import rollup, selectors, services
from goals.forms import CycleCloseForm, CycleForm, GoalSettingsForm, PillarForm
from goals.models import StrategicPillar
from goals.progress import key_result_progress, suggested_grade
from okrplatform.errors import DomainError
from okrplatform.forms import add_domain_error
from okrplatform.tenancy.permissions import action_required, current_membership
from okrplatform.tenancy.roles import Action

from .common import cycle_or_404


def _pillar_or_404(pk: int) -> StrategicPillar:
    pillar = StrategicPillar.objects.filter(pk=pk).first()
    if pillar is None:
        raise Http404("No such pillar.")
    return pillar


def _strategy_page(request: HttpRequest, status: int = 200, **forms: Any) -> HttpResponse:
    settings = selectors.goal_settings()
    context = {
        "pillars": selectors.pillar_list(),
        "pillar_form": forms.get("pillar_form") or PillarForm(),
        "settings_form": forms.get("settings_form")
        or GoalSettingsForm(
            initial={
                "automatic_status": settings.automatic_status,
                "initiatives_count_towards_progress": settings.initiatives_count_towards_progress,
                "children_count_towards_progress": settings.children_count_towards_progress,
            }
        ),
    }
    return render(request, "goals/strategy.html", context, status=status)


@action_required(Action.MANAGE_ORGANIZATION, on_methods=("POST",))
@require_http_methods(["GET", "POST"])
def strategy(request: HttpRequest, org_slug: str) -> HttpResponse:
    """GET: the strategy. POST (admins): the OKR settings."""
    if request.method != "POST":
        return _strategy_page(request)
    form = GoalSettingsForm(request.POST)
    if form.is_valid():
        try:
            services.goal_settings_update(actor=current_membership(request), **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "OKR settings saved.")
            return redirect("goals:strategy", org_slug=org_slug)
    return _strategy_page(request, status=400, settings_form=form)


@action_required(Action.MANAGE_ORGANIZATION)
@require_POST
def pillar_create(request: HttpRequest, org_slug: str) -> HttpResponse:
    form = PillarForm(request.POST)
    if form.is_valid():
        try:
            pillar = services.pillar_create(actor=current_membership(request), **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"Pillar “{pillar.name}” added.")
            return redirect("goals:strategy", org_slug=org_slug)
    return _strategy_page(request, status=400, pillar_form=form)


@action_required(Action.MANAGE_ORGANIZATION)
@require_POST
def pillar_edit(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    pillar = _pillar_or_404(pk)
    form = PillarForm(request.POST)
    if form.is_valid():
        try:
            services.pillar_update(
                actor=current_membership(request), pillar=pillar, **form.cleaned_data
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Pillar saved.")
    else:
        messages.error(request, "Give the pillar a name.")
    return redirect("goals:strategy", org_slug=org_slug)


@action_required(Action.MANAGE_ORGANIZATION)
@require_POST
def pillar_move(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    pillar = _pillar_or_404(pk)
    offset = -1 if request.POST.get("direction") == "up" else 1
    services.pillar_move(actor=current_membership(request), pillar=pillar, offset=offset)
    return redirect("goals:strategy", org_slug=org_slug)


@action_required(Action.MANAGE_ORGANIZATION)
@require_POST
def pillar_delete(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    pillar = _pillar_or_404(pk)
    services.pillar_delete(actor=current_membership(request), pillar=pillar)
    messages.success(request, f"Pillar “{pillar.name}” deleted; its objectives keep going.")
    return redirect("goals:strategy", org_slug=org_slug)


# --- Cycles -----------------------------------------------------------------------------------


@action_required(Action.MANAGE_ORGANIZATION, on_methods=("POST",))
@require_http_methods(["GET", "POST"])
def cycle_list(request: HttpRequest, org_slug: str) -> HttpResponse:
    form = CycleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cycle = services.cycle_create(actor=current_membership(request), **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"Cycle “{cycle.name}” created.")
            return redirect("goals:cycle-list", org_slug=org_slug)
    status = 400 if request.method == "POST" else 200
    context = {"cycles": selectors.cycle_list(), "form": form, "current": selectors.cycle_current()}
    return render(request, "goals/cycle_list.html", context, status=status)


@action_required(Action.MANAGE_ORGANIZATION)
@require_http_methods(["GET", "POST"])
def cycle_edit(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    cycle = cycle_or_404(pk)
    initial = {
        "name": cycle.name,
        "kind": cycle.kind,
        "start_date": cycle.start_date,
        "end_date": cycle.end_date,
        "parent": cycle.parent_id,
        "status": cycle.status,
    }
    form = CycleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.cycle_update(
                actor=current_membership(request), cycle=cycle, **form.cleaned_data
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Cycle saved.")
            return redirect("goals:cycle-list", org_slug=org_slug)
    status = 400 if request.method == "POST" else 200
    return render(request, "goals/cycle_edit.html", {"form": form, "cycle": cycle}, status=status)


@action_required(Action.MANAGE_ORGANIZATION)
@require_http_methods(["GET", "POST"])
def cycle_close(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    """Grade every key result (suggested from progress, editable), then close the cycle and
    carry the chosen unfinished objectives into the next one."""
    cycle = cycle_or_404(pk)
    if cycle.is_closed:
        messages.info(request, f"{cycle.name} is already closed.")
        return redirect("goals:cycle-list", org_slug=org_slug)
    objectives = list(selectors.cycle_objectives(cycle))
    rollup.annotate_objectives(objectives, selectors.goal_settings())
    for objective in objectives:
        for key_result in objective.key_results.all():
            key_result.suggested_grade = suggested_grade(key_result_progress(key_result))  # type: ignore[attr-defined]
    form = CycleCloseForm(request.POST or None, cycle=cycle, objectives=objectives)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        grades = {
            key_result.pk: data[f"grade_{key_result.pk}"]
            for objective in objectives
            for key_result in objective.key_results.all()
        }
        carry = [o.pk for o in objectives if data.get(f"carry_{o.pk}")]
        try:
            copies = services.cycle_close(
                actor=current_membership(request),
                cycle=cycle,
                grades=grades,
                carry_over=carry,
                next_cycle=data["next_cycle"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            carried = f" {len(copies)} objective(s) carried over as drafts." if copies else ""
            messages.success(request, f"{cycle.name} is closed and graded.{carried}")
            return redirect("goals:cycle-list", org_slug=org_slug)
    rows = [
        {
            "objective": objective,
            "carry": form[f"carry_{objective.pk}"],
            "grades": [(kr, form[f"grade_{kr.pk}"]) for kr in objective.key_results.all()],
        }
        for objective in objectives
    ]
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "goals/cycle_close.html",
        {"cycle": cycle, "form": form, "rows": rows},
        status=status,
    )
