"""Inline drafting with HTMX: key results, initiatives and check-ins, added and edited without
leaving the page. Each view answers an HTMX request with the section it changed (re-rendered,
with the open form and its errors when the input was refused) and a plain request with a page
or a redirect, so everything also works without JavaScript."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_http_methods, require_POST

from goals import rollup, selectors, services
from goals.card_html import CardForms, Links, objective_card
from goals.forms import CheckInForm, InitiativeForm, KeyResultForm
from goals.models import KeyResultKind, Objective
from goals.objective_rows import Filters, objective_rows
from okrplatform.errors import DomainError
from okrplatform.forms import add_domain_error
from okrplatform.tenancy.permissions import action_required, current_membership
from okrplatform.tenancy.roles import Action

from .common import initiative_or_404, key_result_or_404, objective_or_404, require_editor
from .objectives import objective_context


def _objective_fresh(objective: Objective) -> Objective:
    full = selectors.objective_get(objective.pk)
    assert full is not None  # noqa: S101 - it was just found in this request
    return full


def _page_context(
    request: HttpRequest, objective: Objective, extra: dict[str, Any]
) -> dict[str, Any]:
    """The objective page's context with every inline form closed but the ones in ``extra``."""
    context = objective_context(request, objective)
    context.update({"kr_form": None, "initiative_form": None, "check_in_form": None})
    context.update(extra)
    return context


def _section(
    request: HttpRequest, objective: Objective, partial: str, **extra: Any
) -> HttpResponse:
    """The objective's key results or initiatives section, fresh from the database; or its
    card when the request came from a card of the cycle page."""
    full = _objective_fresh(objective)
    if request.htmx.target == f"objective-{objective.pk}":  # type: ignore[attr-defined]
        return _card(request, full, **extra)
    context = _page_context(request, full, extra)
    section = render_to_string(f"goals/objective_detail.html#{partial}", context, request)
    # The objective's progress and status in the page header change too: swapped out of band.
    context["oob"] = True
    summary = render_to_string("goals/objective_detail.html#objective-summary", context, request)
    return HttpResponse(section + summary)


def _card(request: HttpRequest, objective: Objective, **extra: Any) -> HttpResponse:
    """The objective's card of the cycle page (``goals.card_html``), with the form ``extra``
    opens rendered inside it."""
    rows = objective_rows(Filters(pks=[objective.pk]))
    rollup.annotate_rows(rows, selectors.goal_settings())
    links = Links.of(request.resolver_match.kwargs["org_slug"])  # type: ignore[union-attr]
    context = {"objective": objective, "hx_target": f"#objective-{objective.pk}", **extra}
    forms = CardForms()
    if extra.get("check_in_form") is not None:
        key_result = next(
            kr for kr in objective.key_results.all() if kr.pk == extra["check_in_for"]
        )
        forms = CardForms(
            check_in_for=key_result.pk,
            check_in=render_to_string(
                "goals/_check_in_form.html", {**context, "kr": key_result}, request
            ),
        )
    elif extra.get("kr_form") is not None:
        action_url = f"{links.objective(objective.pk)}key-results/new/"
        forms = CardForms(
            key_result=render_to_string(
                "goals/_kr_form.html", {**context, "action_url": action_url}, request
            )
        )
    elif extra.get("initiative_form") is not None:
        action_url = f"{links.objective(objective.pk)}initiatives/new/"
        forms = CardForms(
            initiative=render_to_string(
                "goals/_initiative_form.html", {**context, "action_url": action_url}, request
            )
        )
    can_edit = services.objective_can_edit(current_membership(request), rows[0])
    return HttpResponse(objective_card(rows[0], links, can_edit=can_edit, forms=forms))


def _done(request: HttpRequest, objective: Objective, partial: str, message: str) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        return _section(request, objective, partial)
    messages.success(request, message)
    org_slug = request.resolver_match.kwargs["org_slug"]  # type: ignore[union-attr]
    return redirect("goals:objective-detail", org_slug=org_slug, pk=objective.pk)


def _form_response(
    request: HttpRequest, objective: Objective, partial: str, **extra: Any
) -> HttpResponse:
    """The open form: empty on GET, with its errors after a refused POST (400)."""
    if request.htmx:  # type: ignore[attr-defined]
        # HTMX swaps only 2xx answers: the refused form comes back as 200 with its errors.
        return _section(request, objective, partial, **extra)
    context = _page_context(request, _objective_fresh(objective), extra)
    status = 400 if request.method == "POST" else 200
    return render(request, "goals/objective_detail.html", context, status=status)


_NOT_SAVED = object()


def _save_submitted(request: HttpRequest, form: Any, save: Callable[[dict[str, Any]], Any]) -> Any:
    """``save(cleaned_data)`` for a valid POST; ``_NOT_SAVED`` for a GET, an invalid form or a
    service that refused (its error is then shown next to the field it names)."""
    if request.method != "POST" or not form.is_valid():
        return _NOT_SAVED
    try:
        return save(form.cleaned_data)
    except DomainError as error:
        add_domain_error(form, error)
        return _NOT_SAVED


@action_required(Action.EDIT_CONTENT)
@require_http_methods(["GET", "POST"])
def key_result_create(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    objective = objective_or_404(pk)
    require_editor(request, objective)
    form = KeyResultForm(request.POST or None, initial={"lead": request.user.pk})
    key_result = _save_submitted(
        request,
        form,
        lambda data: services.key_result_create(
            actor=current_membership(request), objective=objective, **data
        ),
    )
    if key_result is not _NOT_SAVED:
        repeat = services.key_result_repeats_last_cycle(key_result)
        if repeat is not None:
            messages.warning(request, _repeat_warning(repeat))
        return _done(request, objective, "key-results", f"Key result “{key_result}” added.")
    return _form_response(request, objective, "key-results", kr_form=form, kr_editing=None)


def _repeat_warning(repeat: Any) -> str:
    return (
        f"This key result repeats one of {repeat.objective.cycle.name} with the same target. "
        "Business as usual belongs on a KPI board: consider turning it into a KPI."
    )


@action_required(Action.EDIT_CONTENT)
@require_http_methods(["GET", "POST"])
def key_result_edit(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    key_result = key_result_or_404(pk)
    objective = key_result.objective
    require_editor(request, objective)
    form = KeyResultForm(request.POST or None, initial=KeyResultForm.initial_for(key_result))
    saved = _save_submitted(
        request,
        form,
        lambda data: services.key_result_update(
            actor=current_membership(request), key_result=key_result, **data
        ),
    )
    if saved is not _NOT_SAVED:
        return _done(request, objective, "key-results", "Key result saved.")
    return _form_response(request, objective, "key-results", kr_form=form, kr_editing=key_result.pk)


@action_required(Action.EDIT_CONTENT)
@require_POST
def key_result_delete(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    key_result = key_result_or_404(pk)
    objective = key_result.objective
    try:
        services.key_result_delete(actor=current_membership(request), key_result=key_result)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("goals:objective-detail", org_slug=org_slug, pk=objective.pk)
    return _done(request, objective, "key-results", "Key result deleted.")


@action_required(Action.EDIT_CONTENT)
@require_http_methods(["GET", "POST"])
def check_in(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    """The check-in form: the value preset to the last one, a status, a confidence, a comment."""
    key_result = key_result_or_404(pk)
    objective = key_result.objective
    require_editor(request, objective)
    last = key_result.check_ins.order_by("-created_at", "-pk").first()
    initial = {
        "value": key_result.current_value.normalize()
        if key_result.current_value is not None
        else "",
        "done": key_result.current_value == 1,
        "status": key_result.status,
        "confidence": last.confidence if last else None,
    }
    form = CheckInForm(request.POST or None, initial=initial)

    def save(data: dict[str, Any]) -> Any:
        return services.check_in_create(
            actor=current_membership(request),
            key_result=key_result,
            value=data["done"] if key_result.kind == KeyResultKind.MILESTONE else data["value"],
            status=data["status"],
            confidence=data["confidence"],
            comment=data["comment"],
        )

    if _save_submitted(request, form, save) is not _NOT_SAVED:
        return _done(request, objective, "key-results", f"Checked in on “{key_result}”.")
    return _form_response(
        request, objective, "key-results", check_in_form=form, check_in_for=key_result.pk
    )


@action_required(Action.EDIT_CONTENT)
@require_http_methods(["GET", "POST"])
def initiative_create(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    objective = objective_or_404(pk)
    require_editor(request, objective)
    form = InitiativeForm(
        request.POST or None, objective=objective, initial={"lead": request.user.pk}
    )
    saved = _save_submitted(
        request,
        form,
        lambda data: services.initiative_create(
            actor=current_membership(request), objective=objective, **data
        ),
    )
    if saved is not _NOT_SAVED:
        return _done(request, objective, "initiatives", "Initiative added.")
    return _form_response(
        request, objective, "initiatives", initiative_form=form, initiative_editing=None
    )


@action_required(Action.EDIT_CONTENT)
@require_http_methods(["GET", "POST"])
def initiative_edit(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    initiative = initiative_or_404(pk)
    objective = initiative.objective
    require_editor(request, objective)
    initial = {
        "title": initiative.title,
        "key_result": initiative.key_result_id,
        "lead": initiative.lead_id,
        "status": initiative.status,
        "progress": initiative.progress,
        "due_date": initiative.due_date,
    }
    form = InitiativeForm(request.POST or None, objective=objective, initial=initial)
    saved = _save_submitted(
        request,
        form,
        lambda data: services.initiative_update(
            actor=current_membership(request), initiative=initiative, **data
        ),
    )
    if saved is not _NOT_SAVED:
        return _done(request, objective, "initiatives", "Initiative saved.")
    return _form_response(
        request, objective, "initiatives", initiative_form=form, initiative_editing=initiative.pk
    )


@action_required(Action.EDIT_CONTENT)
@require_POST
def initiative_delete(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    initiative = initiative_or_404(pk)
    objective = initiative.objective
    try:
        services.initiative_delete(actor=current_membership(request), initiative=initiative)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("goals:objective-detail", org_slug=org_slug, pk=objective.pk)
    return _done(request, objective, "initiatives", "Initiative deleted.")
