"""Telling people a KPI turned unhealthy: its owner, the lead of its owner team, and the
organisation's admins and owners, in-app and by email (``okrplatform.notifications``).

One notice per health change, never one per run or per value:

- ``evaluation.periods_refresh`` reports a turn only when the KPI's current health becomes
  unhealthy under its row lock (it was something else before this write), so re-syncing the
  same numbers, or writing more bad values into an unhealthy KPI, reports nothing;
- the notice's key is the KPI and the period whose value made it unhealthy, so a turn that
  happens again for the same period (a value corrected and then restored) is not announced again;
- bulk writes collect the turns of all their KPIs and send them here once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from okrplatform.notifications.models import NotificationKind
from okrplatform.notifications.services import NoticeDraft, notifications_send
from okrplatform.tenancy.models import Membership
from okrplatform.tenancy.roles import Role

from .formatting import format_target, format_value
from .health import target_for_period
from .models import KPI, Health, KPITarget
from .periods import period_label


@dataclass(frozen=True)
class HealthTurn:
    """A KPI whose current health just became unhealthy, and the change that made it so."""

    kpi_id: int
    from_health: str
    period_start: date | None
    value: Decimal | None


def _describe(kpi: KPI, turn: HealthTurn, targets: list[KPITarget]) -> str:
    if turn.period_start is None:
        return f"“{kpi.name}” is outside its target range."
    period = period_label(kpi.update_frequency, turn.period_start)
    target = target_for_period(targets, turn.period_start)
    against = f" against the target {format_target(target, kpi)}" if target else ""
    was = Health(turn.from_health).label.lower() if turn.from_health in Health.values else ""
    before = f" It was {was} before." if was and turn.from_health != Health.NO_DATA else ""
    return f"{period}: {format_value(turn.value, kpi)}{against}.{before}"


def kpi_unhealthy_notify(*, organization_id: int, turns: Sequence[HealthTurn]) -> None:
    """Notify the people responsible for each KPI in ``turns`` (at most one turn per KPI)."""
    if not turns:
        return
    kpis = {
        kpi.pk: kpi
        for kpi in KPI.unscoped.select_related("owner_team").filter(
            organization_id=organization_id, pk__in={turn.kpi_id for turn in turns}
        )
    }
    targets: dict[int, list[KPITarget]] = {}
    for target in KPITarget.unscoped.filter(
        organization_id=organization_id, kpi_id__in=list(kpis)
    ).order_by("effective_from"):
        targets.setdefault(target.kpi_id, []).append(target)
    admins = set(
        Membership.unscoped.filter(
            organization_id=organization_id, role__in=[Role.OWNER, Role.ADMIN]
        ).values_list("user_id", flat=True)
    )
    drafts: list[NoticeDraft] = []
    for turn in turns:
        kpi = kpis.get(turn.kpi_id)
        if kpi is None:
            continue
        people = set(admins)
        if kpi.owner_id is not None:
            people.add(kpi.owner_id)
        if kpi.owner_team is not None and kpi.owner_team.lead_id is not None:
            people.add(kpi.owner_team.lead_id)
        key = f"kpi-unhealthy:{kpi.pk}:{turn.period_start.isoformat() if turn.period_start else ''}"
        body = _describe(kpi, turn, targets.get(kpi.pk, []))
        drafts.extend(
            NoticeDraft(
                recipient_id=user_id,
                kind=NotificationKind.KPI_UNHEALTHY,
                title=f"“{kpi.name}” is unhealthy",
                body=body,
                link_name="kpis:kpi-detail",
                link_args=(kpi.pk,),
                dedupe_key=key,
            )
            for user_id in sorted(people)
        )
    # notifications_send keeps only current members: an owner who left hears nothing.
    notifications_send(organization_id=organization_id, drafts=drafts)
