"""Cycles: creating them, starting them, and closing them with grades and carry-over."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from goals import progress
from goals.models import (
    Cycle,
    CycleKind,
    CycleStatus,
    KeyResult,
    Objective,
    ObjectiveAlignment,
    ObjectiveKPI,
    ObjectiveStatus,
)
from okrplatform.errors import DomainError
from okrplatform.tenancy.models import Membership

from .checks import required_text
from .permissions import require_admin


def _validate(
    *,
    name: str,
    kind: str,
    start_date: date,
    end_date: date,
    parent: Cycle | None,
    actor: Membership,
) -> str:
    name = required_text(name, "Give the cycle a name, e.g. “Q3 2026”.", field="name")
    if kind not in CycleKind.values:
        raise DomainError("Choose quarter, year or custom.", field="kind")
    if end_date < start_date:
        raise DomainError("The cycle must end on or after its start.", field="end_date")
    if parent is not None:
        if parent.organization_id != actor.organization_id:
            raise DomainError("Choose a year of your organisation.", field="parent")
        if parent.start_date > start_date or parent.end_date < end_date:
            raise DomainError(
                f"The cycle must lie inside {parent.name} ({parent.start_date} – {parent.end_date}).",
                field="parent",
            )
    return name


@transaction.atomic
def cycle_create(
    *,
    actor: Membership,
    name: str,
    kind: str,
    start_date: date,
    end_date: date,
    parent: Cycle | None = None,
    status: str = CycleStatus.PLANNING,
) -> Cycle:
    require_admin(actor, "manage cycles")
    clean_name = _validate(
        name=name, kind=kind, start_date=start_date, end_date=end_date, parent=parent, actor=actor
    )
    if status == CycleStatus.CLOSED:
        raise DomainError("A new cycle is planning or active; close it at its end.", field="status")
    return Cycle.objects.create(
        organization_id=actor.organization_id,
        name=clean_name,
        kind=kind,
        start_date=start_date,
        end_date=end_date,
        parent=parent,
        status=status,
    )


@transaction.atomic
def cycle_update(
    *,
    actor: Membership,
    cycle: Cycle,
    name: str,
    kind: str,
    start_date: date,
    end_date: date,
    parent: Cycle | None = None,
    status: str | None = None,
) -> Cycle:
    require_admin(actor, "manage cycles")
    if parent is not None and parent.pk == cycle.pk:
        raise DomainError("A cycle cannot sit inside itself.", field="parent")
    cycle.name = _validate(
        name=name, kind=kind, start_date=start_date, end_date=end_date, parent=parent, actor=actor
    )
    cycle.kind, cycle.start_date, cycle.end_date, cycle.parent = kind, start_date, end_date, parent
    if status is not None and status != cycle.status:
        if CycleStatus.CLOSED in (status, cycle.status):
            raise DomainError("Close a cycle with “Close and grade”.", field="status")
        cycle.status = status
    cycle.save()
    return cycle


def _grade(raw: Decimal | None, key_result: KeyResult) -> Decimal:
    if raw is None:
        return progress.suggested_grade(progress.key_result_progress(key_result))
    if raw < 0 or raw > 1:
        raise DomainError(
            f"Grade “{key_result}” between 0.0 and 1.0.", field=f"grade_{key_result.pk}"
        )
    return raw.quantize(Decimal("0.01"))


@transaction.atomic
def cycle_close(
    *,
    actor: Membership,
    cycle: Cycle,
    grades: Mapping[int, Decimal | None] | None = None,
    carry_over: Iterable[int] = (),
    next_cycle: Cycle | None = None,
) -> list[Objective]:
    """Grade every key result (``grades`` by KR id; missing ones get the suggested grade), score
    each objective, close them and the cycle, and copy the objectives in ``carry_over`` (ids)
    into ``next_cycle`` as drafts. Returns the copies."""
    require_admin(actor, "close cycles")
    if cycle.is_closed:
        raise DomainError(f"{cycle.name} is already closed.")
    carry_ids = set(carry_over)
    if carry_ids and next_cycle is None:
        raise DomainError(
            "Choose the cycle that receives the carried objectives.", field="next_cycle"
        )
    if next_cycle is not None and (next_cycle.pk == cycle.pk or next_cycle.is_closed):
        raise DomainError(
            "Carry objectives into an open cycle other than this one.", field="next_cycle"
        )
    grades = grades or {}
    objectives = list(
        Objective.objects.filter(cycle=cycle).prefetch_related("key_results").order_by("pk")
    )
    for objective in objectives:
        key_results = list(objective.key_results.all())
        for key_result in key_results:
            key_result.grade = _grade(grades.get(key_result.pk), key_result)
        KeyResult.objects.bulk_update(key_results, ["grade"])
        objective.score = progress.score(
            (kr.grade, kr.weight) for kr in key_results if kr.grade is not None
        )
        objective.status = ObjectiveStatus.CLOSED
    Objective.objects.bulk_update(objectives, ["score", "status"])
    cycle.status = CycleStatus.CLOSED
    cycle.closed_at = timezone.now()
    cycle.save(update_fields=["status", "closed_at"])
    if next_cycle is None:
        return []
    return [_carry(objective, next_cycle) for objective in objectives if objective.pk in carry_ids]


def _carry(objective: Objective, into: Cycle) -> Objective:
    """A draft copy in ``into``: unfinished key results start from where they ended."""
    copy = Objective.objects.create(
        organization_id=objective.organization_id,
        title=objective.title,
        description=objective.description,
        cycle=into,
        owner_team_id=objective.owner_team_id,
        lead_id=objective.lead_id,
        pillar_id=objective.pillar_id,
        status=ObjectiveStatus.DRAFT,
        carried_from=objective,
    )
    for kpi_id in ObjectiveKPI.objects.filter(objective=objective).values_list("kpi_id", flat=True):
        ObjectiveKPI.objects.create(
            organization_id=copy.organization_id, objective=copy, kpi_id=kpi_id
        )
    # Parents in a longer cycle (the year) still hold; parents in the closed quarter do not.
    for parent_id in ObjectiveAlignment.objects.filter(
        child=objective, parent__cycle__end_date__gte=into.start_date
    ).values_list("parent_id", flat=True):
        ObjectiveAlignment.objects.create(
            organization_id=copy.organization_id, child=copy, parent_id=parent_id
        )
    for key_result in objective.key_results.all():
        if progress.key_result_progress(key_result) >= 1.0:
            continue
        start = key_result.start_value
        if key_result.kind in ("metric", "percentage") and key_result.current_value is not None:
            start = key_result.current_value
        KeyResult.objects.create(
            organization_id=copy.organization_id,
            objective=copy,
            title=key_result.title,
            kind=key_result.kind,
            start_value=start,
            target_value=key_result.target_value,
            current_value=key_result.current_value,
            control_direction=key_result.control_direction,
            unit=key_result.unit,
            weight=key_result.weight,
            lead_id=key_result.lead_id,
            kpi_id=key_result.kpi_id,
            position=key_result.position,
        )
    return copy
