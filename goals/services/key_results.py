"""Key results, their check-ins and initiatives, and key results that follow a KPI."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from goals.models import (
    CheckIn,
    ControlDirection,
    CycleStatus,
    GoalSettings,
    Initiative,
    InitiativeStatus,
    KeyResult,
    KeyResultKind,
    KeyResultStatus,
    Objective,
)
from goals.progress import expected_progress, key_result_pace_status
from kpis.models import KPI
from kpis.validation import value_parse
from okrplatform.errors import DomainError
from okrplatform.tenancy.models import Membership
from okrplatform.webhooks import payloads
from okrplatform.webhooks.events import emit

from .checks import require_editable, require_own, required_text
from .permissions import require_objective_editor

if TYPE_CHECKING:
    from okrplatform.accounts.models import User


def _number(raw: object, field: str) -> Decimal:
    return value_parse(raw, field=field)


def _clean_key_result(
    objective: Objective,
    *,
    title: str,
    kind: str,
    start_value: object,
    target_value: object,
    control_direction: str,
    weight: object,
    kpi: KPI | None,
) -> tuple[str, Decimal, Decimal, str, Decimal]:
    title = required_text(title, "Say how progress is measured: give the key result a title.")
    if kind not in KeyResultKind.values:
        raise DomainError("Choose the type of key result.", field="kind")
    try:
        weight_number = Decimal(str(weight))
    except ArithmeticError:
        raise DomainError("Enter the weight as a number.", field="weight") from None
    if not weight_number.is_finite() or weight_number <= 0:
        raise DomainError("The weight must be above zero.", field="weight")
    if kind == KeyResultKind.MILESTONE:
        start, target, direction = Decimal(0), Decimal(1), ""
    elif kind == KeyResultKind.CONTROL:
        if control_direction not in ControlDirection.values:
            raise DomainError(
                "Choose “stay at or above” or “stay at or below”.", field="control_direction"
            )
        start, target, direction = (
            Decimal(0),
            _number(target_value, "target_value"),
            control_direction,
        )
    else:
        start = _number(start_value, "start_value")
        target = _number(target_value, "target_value")
        direction = ""
        if start == target:
            raise DomainError(
                "The target equals the start: there is no change to measure. "
                "To keep a number where it is, use a control key result or a KPI.",
                field="target_value",
            )
    require_own(objective.organization_id, kpi, "Link only KPIs of your organisation.", field="kpi")
    return title, start, target, direction, weight_number


@transaction.atomic
def key_result_create(
    *,
    actor: Membership,
    objective: Objective,
    title: str,
    kind: str = KeyResultKind.METRIC,
    start_value: object = 0,
    target_value: object = 1,
    current_value: object = None,
    control_direction: str = "",
    unit: str = "",
    weight: object = 1,
    lead: User | None = None,
    kpi: KPI | None = None,
) -> KeyResult:
    require_editable(actor, objective)
    title, start, target, direction, weight_number = _clean_key_result(
        objective,
        title=title,
        kind=kind,
        start_value=start_value,
        target_value=target_value,
        control_direction=control_direction,
        weight=weight,
        kpi=kpi,
    )
    current = None if current_value in (None, "") else _number(current_value, "current_value")
    if kpi is not None:
        current = kpi.latest_value
    last = objective.key_results.order_by("-position").values_list("position", flat=True).first()
    return KeyResult.objects.create(
        organization_id=objective.organization_id,
        objective=objective,
        title=title,
        kind=kind,
        start_value=start,
        target_value=target,
        current_value=current,
        control_direction=direction,
        unit=unit.strip(),
        weight=weight_number,
        lead=lead,
        kpi=kpi,
        position=0 if last is None else last + 1,
    )


@transaction.atomic
def key_result_update(
    *,
    actor: Membership,
    key_result: KeyResult,
    title: str,
    kind: str,
    start_value: object = 0,
    target_value: object = 1,
    control_direction: str = "",
    unit: str = "",
    weight: object = 1,
    lead: User | None = None,
    kpi: KPI | None = None,
) -> KeyResult:
    objective = key_result.objective
    require_editable(actor, objective)
    title, start, target, direction, weight_number = _clean_key_result(
        objective,
        title=title,
        kind=kind,
        start_value=start_value,
        target_value=target_value,
        control_direction=control_direction,
        weight=weight,
        kpi=kpi,
    )
    key_result.title, key_result.kind = title, kind
    key_result.start_value, key_result.target_value = start, target
    key_result.control_direction, key_result.unit = direction, unit.strip()
    key_result.weight, key_result.lead, key_result.kpi = weight_number, lead, kpi
    if kpi is not None:
        key_result.current_value = kpi.latest_value
    key_result.save()
    return key_result


@transaction.atomic
def key_result_delete(*, actor: Membership, key_result: KeyResult) -> None:
    require_editable(actor, key_result.objective)
    key_result.delete()


def key_results_follow_kpi(*, kpi_ids: Iterable[int]) -> int:
    """Copy each KPI's latest value into the open key results linked to it (one UPDATE).

    Called by the KPI write paths after a KPI's current state changes; returns the number of
    key results touched. Key results of closed cycles keep the value they were graded on.
    """
    ids = list(kpi_ids)
    if not ids:
        return 0
    latest = KPI.objects.filter(pk=OuterRef("kpi_id")).values("latest_value")[:1]
    return (
        KeyResult.objects.filter(kpi_id__in=ids)
        .exclude(objective__cycle__status=CycleStatus.CLOSED)
        .update(current_value=Subquery(latest))
    )


@transaction.atomic
def check_in_create(
    *,
    actor: Membership,
    key_result: KeyResult,
    value: object = None,
    status: str = "",
    confidence: int | None = None,
    comment: str = "",
    at: datetime | None = None,
) -> CheckIn:
    """Record progress on a key result: its new value (a KPI-linked one takes the KPI's), the
    status people see (computed from pace when the organisation enables automatic status)."""
    objective = key_result.objective
    require_objective_editor(actor, objective)
    cycle = objective.cycle
    if cycle.status == CycleStatus.CLOSED:
        raise DomainError(f"{cycle.name} is closed: check-ins are no longer possible.")
    if key_result.kpi_id is not None:
        number = key_result.kpi.latest_value if key_result.kpi else None
    elif key_result.kind == KeyResultKind.MILESTONE:
        number = Decimal(1) if value in (True, 1, "1", "true", "on", Decimal(1)) else Decimal(0)
    elif value is None or value == "":
        raise DomainError("Enter the new value.", field="value")
    else:
        number = _number(value, "value")
    if confidence is not None and not 1 <= confidence <= 10:
        raise DomainError("Confidence goes from 1 (unlikely) to 10 (certain).", field="confidence")
    key_result.current_value = number
    settings = GoalSettings.objects.first()
    if settings is not None and settings.automatic_status:
        today = timezone.localdate(at) if at else timezone.localdate()
        expected = expected_progress(cycle.start_date, cycle.end_date, today)
        status = key_result_pace_status(key_result, expected)
    elif status and status not in KeyResultStatus.values:
        raise DomainError("Choose a status.", field="status")
    if status:
        key_result.status = status
    key_result.save(update_fields=["current_value", "status"])
    check_in = CheckIn.objects.create(
        organization_id=key_result.organization_id,
        key_result=key_result,
        value=number,
        status=status,
        confidence=confidence,
        comment=comment.strip(),
        author=actor.user,
        created_at=at or timezone.now(),
    )
    emit(check_in.organization_id, "checkin.created", payloads.check_in(check_in))
    return check_in


def _clean_initiative(title: str, status: str, progress_percent: int) -> str:
    title = required_text(title, "Name the work: give the initiative a title.")
    if status not in InitiativeStatus.values:
        raise DomainError("Choose a status.", field="status")
    if not 0 <= progress_percent <= 100:
        raise DomainError("Progress goes from 0 to 100 %.", field="progress")
    return title


@transaction.atomic
def initiative_create(
    *,
    actor: Membership,
    objective: Objective,
    title: str,
    key_result: KeyResult | None = None,
    lead: User | None = None,
    status: str = InitiativeStatus.NOT_STARTED,
    progress: int = 0,
    due_date: date | None = None,
) -> Initiative:
    require_editable(actor, objective)
    clean_title = _clean_initiative(title, status, progress)
    if key_result is not None and key_result.objective_id != objective.pk:
        raise DomainError("Choose a key result of this objective.", field="key_result")
    return Initiative.objects.create(
        organization_id=objective.organization_id,
        objective=objective,
        key_result=key_result,
        title=clean_title,
        lead=lead,
        status=status,
        progress=100 if status == InitiativeStatus.DONE else progress,
        due_date=due_date,
    )


@transaction.atomic
def initiative_update(
    *,
    actor: Membership,
    initiative: Initiative,
    title: str,
    key_result: KeyResult | None = None,
    lead: User | None = None,
    status: str = InitiativeStatus.NOT_STARTED,
    progress: int = 0,
    due_date: date | None = None,
) -> Initiative:
    objective = initiative.objective
    require_editable(actor, objective)
    initiative.title = _clean_initiative(title, status, progress)
    if key_result is not None and key_result.objective_id != objective.pk:
        raise DomainError("Choose a key result of this objective.", field="key_result")
    initiative.key_result, initiative.lead, initiative.status = key_result, lead, status
    initiative.progress = 100 if status == InitiativeStatus.DONE else progress
    initiative.due_date = due_date
    initiative.save()
    return initiative


@transaction.atomic
def initiative_delete(*, actor: Membership, initiative: Initiative) -> None:
    require_editable(actor, initiative.objective)
    initiative.delete()


def key_result_repeats_last_cycle(key_result: KeyResult) -> KeyResult | None:
    """A key result of an earlier cycle, owned the same way, with the same title and target:
    business as usual, which belongs on a KPI board rather than in an OKR."""
    objective = key_result.objective
    return (
        KeyResult.objects.filter(
            objective__owner_team_id=objective.owner_team_id,
            objective__cycle__start_date__lt=objective.cycle.start_date,
            title__iexact=key_result.title,
            target_value=key_result.target_value,
        )
        .exclude(objective__cycle_id=objective.cycle_id)
        .select_related("objective__cycle")
        .order_by("-objective__cycle__start_date")
        .first()
    )
