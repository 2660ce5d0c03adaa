"""Objectives and their alignment: to parent objectives (several allowed), KPIs and a pillar."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction

from goals.models import (
    Cycle,
    Objective,
    ObjectiveAlignment,
    ObjectiveKPI,
    ObjectiveStatus,
    StrategicPillar,
)
from kpis.models import KPI
from okrplatform.errors import DomainError
from okrplatform.tenancy.models import Membership, Team
from okrplatform.webhooks import payloads
from okrplatform.webhooks.events import emit

from .checks import require_editable, require_own, required_text
from .permissions import require_team_owner

if TYPE_CHECKING:
    from okrplatform.accounts.models import User


def _descendant_ids(objective_id: int) -> set[int]:
    """Every objective aligned below ``objective_id``, however deep (one query for the edges)."""
    children: dict[int, list[int]] = {}
    for child_id, parent_id in ObjectiveAlignment.objects.values_list("child_id", "parent_id"):
        children.setdefault(parent_id, []).append(child_id)
    found: set[int] = set()
    stack = [objective_id]
    while stack:
        for child_id in children.get(stack.pop(), []):
            if child_id not in found:
                found.add(child_id)
                stack.append(child_id)
    return found


def _check_parents(objective: Objective, parents: Iterable[Objective]) -> list[Objective]:
    parents = list(parents)
    descendants = _descendant_ids(objective.pk) if objective.pk else set()
    for parent in parents:
        require_own(
            objective.organization_id,
            parent,
            "Align only to objectives of your organisation.",
            field="parents",
        )
        if parent.pk == objective.pk:
            raise DomainError("An objective cannot be aligned to itself.", field="parents")
        if parent.pk in descendants:
            raise DomainError(
                f"“{parent}” is already aligned below “{objective}”: aligning to it would make a loop.",
                field="parents",
            )
    return parents


def _check_kpis(objective: Objective, kpis: Iterable[KPI]) -> list[KPI]:
    kpis = list(kpis)
    for kpi in kpis:
        require_own(
            objective.organization_id, kpi, "Align only to KPIs of your organisation.", field="kpis"
        )
    return kpis


def _check_fields(
    actor: Membership,
    *,
    title: str,
    cycle: Cycle,
    owner_team: Team | None,
    pillar: StrategicPillar | None,
    status: str,
) -> str:
    """The clean title. The objective's own cycle is checked open first, when it has one, so a
    closed ``cycle`` here is always a move into it."""
    title = required_text(title, "Say where you want to go: give the objective a title.")
    for value, field in ((cycle, "cycle"), (owner_team, "owner_team"), (pillar, "pillar")):
        require_own(actor.organization_id, value, "Choose from your organisation.", field=field)
    if status not in ObjectiveStatus.values:
        raise DomainError("Choose draft, active or closed.", field="status")
    if cycle.is_closed:
        raise DomainError(f"{cycle.name} is closed: choose an open cycle.", field="cycle")
    return title


def _check_alignment(
    objective: Objective, parents: Iterable[Objective], kpis: Iterable[KPI]
) -> tuple[list[Objective], list[KPI]]:
    return _check_parents(objective, parents), _check_kpis(objective, kpis)


def _set_parents(objective: Objective, parents: list[Objective]) -> None:
    ObjectiveAlignment.objects.filter(child=objective).exclude(parent__in=parents).delete()
    existing = set(
        ObjectiveAlignment.objects.filter(child=objective).values_list("parent_id", flat=True)
    )
    ObjectiveAlignment.objects.bulk_create(
        ObjectiveAlignment(organization_id=objective.organization_id, child=objective, parent=p)
        for p in parents
        if p.pk not in existing
    )


def _set_alignment(objective: Objective, parents: list[Objective], kpis: list[KPI]) -> None:
    """Exactly these parents and KPIs (checked with ``_check_alignment``) from now on."""
    _set_parents(objective, parents)
    _set_kpis(objective, kpis)


def _set_kpis(objective: Objective, kpis: list[KPI]) -> None:
    ObjectiveKPI.objects.filter(objective=objective).exclude(kpi__in=kpis).delete()
    existing = set(
        ObjectiveKPI.objects.filter(objective=objective).values_list("kpi_id", flat=True)
    )
    ObjectiveKPI.objects.bulk_create(
        ObjectiveKPI(organization_id=objective.organization_id, objective=objective, kpi=kpi)
        for kpi in kpis
        if kpi.pk not in existing
    )


@transaction.atomic
def objective_create(
    *,
    actor: Membership,
    title: str,
    cycle: Cycle,
    owner_team: Team | None = None,
    lead: User | None = None,
    description: str = "",
    status: str = ObjectiveStatus.DRAFT,
    pillar: StrategicPillar | None = None,
    parents: Iterable[Objective] = (),
    kpis: Iterable[KPI] = (),
) -> Objective:
    require_team_owner(actor, owner_team)
    clean_title = _check_fields(
        actor, title=title, cycle=cycle, owner_team=owner_team, pillar=pillar, status=status
    )
    objective = Objective(
        organization_id=actor.organization_id,
        title=clean_title,
        description=description.strip(),
        cycle=cycle,
        owner_team=owner_team,
        lead=lead if lead is not None else actor.user,
        status=status,
        pillar=pillar,
    )
    checked_parents, checked_kpis = _check_alignment(objective, parents, kpis)
    objective.save()
    _set_alignment(objective, checked_parents, checked_kpis)
    emit(objective.organization_id, "objective.created", payloads.objective(objective))
    return objective


@transaction.atomic
def objective_update(
    *,
    actor: Membership,
    objective: Objective,
    title: str,
    cycle: Cycle,
    owner_team: Team | None = None,
    lead: User | None = None,
    description: str = "",
    status: str = ObjectiveStatus.DRAFT,
    pillar: StrategicPillar | None = None,
    parents: Iterable[Objective] = (),
    kpis: Iterable[KPI] = (),
) -> Objective:
    require_editable(actor, objective)
    if owner_team != objective.owner_team:
        require_team_owner(actor, owner_team)
    clean_title = _check_fields(
        actor, title=title, cycle=cycle, owner_team=owner_team, pillar=pillar, status=status
    )
    checked_parents, checked_kpis = _check_alignment(objective, parents, kpis)
    previous_status = objective.status
    objective.title, objective.description = clean_title, description.strip()
    objective.cycle, objective.owner_team, objective.lead = cycle, owner_team, lead
    objective.status, objective.pillar = status, pillar
    objective.save()
    _set_alignment(objective, checked_parents, checked_kpis)
    if objective.status != previous_status:
        emit(
            objective.organization_id,
            "objective.status_changed",
            payloads.objective(objective, previous_status=previous_status),
        )
    return objective


@transaction.atomic
def objective_align(*, actor: Membership, objective: Objective, parent: Objective) -> None:
    """Add one parent, keeping the others."""
    require_editable(actor, objective)
    _check_parents(objective, [parent])
    ObjectiveAlignment.objects.get_or_create(
        organization_id=objective.organization_id, child=objective, parent=parent
    )


@transaction.atomic
def objective_align_kpi(*, actor: Membership, objective: Objective, kpi: KPI) -> None:
    require_editable(actor, objective)
    _check_kpis(objective, [kpi])
    ObjectiveKPI.objects.get_or_create(
        organization_id=objective.organization_id, objective=objective, kpi=kpi
    )


@transaction.atomic
def objective_delete(*, actor: Membership, objective: Objective) -> None:
    """Deletes its key results, check-ins and initiatives too; a closed cycle's stay as graded."""
    require_editable(actor, objective)
    objective.delete()
