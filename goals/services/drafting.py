"""“Draft an OKR” from an unhealthy KPI: the cue the dashboard gives the roadmap."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from goals import selectors
from goals.models import KeyResult, KeyResultKind, Objective, ObjectiveKPI, ObjectiveStatus
from kpis.formatting import format_value
from kpis.models import KPI, KPITarget, TargetKind, UnitKind
from okrplatform.errors import DomainError
from okrplatform.tenancy.models import Membership

from .permissions import require_team_owner


def back_in_range(target: KPITarget, value: Decimal) -> Decimal:
    """The nearest edge of the target range seen from ``value``."""
    if target.kind == TargetKind.AT_LEAST and target.lower is not None:
        return Decimal(target.lower)
    if target.kind == TargetKind.AT_MOST and target.upper is not None:
        return Decimal(target.upper)
    if target.lower is not None and value < target.lower:
        return Decimal(target.lower)
    if target.upper is not None:
        return Decimal(target.upper)
    raise DomainError("The KPI's target range is incomplete.")


def _unit(kpi: KPI) -> str:
    if kpi.unit_kind == UnitKind.PERCENTAGE:
        return "%"
    if kpi.unit_kind == UnitKind.CURRENCY:
        return kpi.currency_code.upper()
    if kpi.unit_kind == UnitKind.DURATION:
        return "min"
    return kpi.unit_suffix


@transaction.atomic
def objective_draft_from_kpi(*, actor: Membership, kpi: KPI) -> Objective:
    """A draft objective aligned to ``kpi`` (owned by the KPI's team, in the next cycle being
    planned or else the current one) with a key result linked to the KPI that goes from its
    current value back inside its target range. Drafting twice returns the first draft."""
    from kpis.selectors import current_target

    if kpi.organization_id != actor.organization_id:
        raise DomainError("Draft OKRs only from KPIs of your organisation.")
    require_team_owner(actor, kpi.owner_team)
    cycle = selectors.cycle_next() or selectors.cycle_current()
    if cycle is None or cycle.is_closed:
        raise DomainError(
            "There is no open cycle to draft in: an admin creates the next cycle first."
        )
    existing = (
        Objective.objects.filter(cycle=cycle, kpis=kpi, status=ObjectiveStatus.DRAFT)
        .order_by("pk")
        .first()
    )
    if existing is not None:
        return existing
    if kpi.latest_value is None:
        raise DomainError(f"“{kpi.name}” has no value yet: record one before drafting an OKR.")
    target = current_target(kpi)
    if target is None:
        raise DomainError(f"“{kpi.name}” has no target range: set one before drafting an OKR.")
    start = kpi.latest_value
    goal = back_in_range(target, start)
    if goal == start:
        raise DomainError(f"“{kpi.name}” already sits on the edge of its target range.")
    objective = Objective.objects.create(
        organization_id=kpi.organization_id,
        title=f"Bring {kpi.name} back on target",
        description=(
            f"{kpi.name} reads {format_value(start, kpi)}, outside its target range. "
            "Describe the change that will fix it."
        ),
        cycle=cycle,
        owner_team=kpi.owner_team,
        lead=actor.user,
        status=ObjectiveStatus.DRAFT,
    )
    ObjectiveKPI.objects.create(organization_id=kpi.organization_id, objective=objective, kpi=kpi)
    KeyResult.objects.create(
        organization_id=kpi.organization_id,
        objective=objective,
        title=f"{kpi.name} from {format_value(start, kpi)} to {format_value(goal, kpi)}",
        kind=KeyResultKind.METRIC,
        start_value=start,
        target_value=goal,
        current_value=start,
        unit=_unit(kpi),
        lead=actor.user,
        kpi=kpi,
    )
    return objective
