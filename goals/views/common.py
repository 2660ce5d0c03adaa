"""Helpers shared by the OKR views: lookups that answer 404, and the editor check."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from goals import selectors
from goals.models import Cycle, Initiative, KeyResult, Objective
from goals.services import objective_can_edit
from okrplatform.tenancy.permissions import current_membership


def objective_or_404(pk: int) -> Objective:
    objective = selectors.objective_plain_get(pk)
    if objective is None:
        raise Http404("No such objective.")
    return objective


def key_result_or_404(pk: int) -> KeyResult:
    key_result = selectors.key_result_get(pk)
    if key_result is None:
        raise Http404("No such key result.")
    return key_result


def initiative_or_404(pk: int) -> Initiative:
    initiative = selectors.initiative_get(pk)
    if initiative is None:
        raise Http404("No such initiative.")
    return initiative


def cycle_or_404(pk: int) -> Cycle:
    cycle = selectors.cycle_get(pk)
    if cycle is None:
        raise Http404("No such cycle.")
    return cycle


def require_editor(request: HttpRequest, objective: Objective) -> None:
    """A form for changing an objective is only shown to those who may change it."""
    membership = current_membership(request)
    if not objective_can_edit(membership, objective):
        raise PermissionDenied("You can read this objective but not change it.")


def int_param(request: HttpRequest, name: str) -> int | None:
    raw = request.GET.get(name, "")
    return int(raw) if raw.isdigit() else None
