"""Reads for KPIs: org-scoped querysets with what their pages need, and no N+1."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from .health import target_for_period
from .models import KPI, Health, HealthChange, KPIPeriod, KPITarget, KPIValue, UpdateFrequency
from .periods import last_completed_period_start, period_bounds, period_start

OVERDUE = "overdue"


def overdue_q(now: datetime | None = None) -> Q:
    """KPIs with no value for the last completed period of their frequency (see
    ``health.is_overdue``), as a filter: one condition per frequency, so it stays one query."""
    now = now or timezone.now()
    condition = Q()
    for frequency in UpdateFrequency.values:
        due_from, due_to = period_bounds(frequency, last_completed_period_start(frequency, now))
        condition |= Q(update_frequency=frequency) & (
            Q(latest_value_at__lt=due_from) | Q(latest_value_at__isnull=True, created_at__lt=due_to)
        )
    return Q(archived=False) & condition


def kpi_list(
    *,
    team_id: int | None = None,
    health: str | None = None,
    include_archived: bool = False,
) -> QuerySet[KPI]:
    """KPIs with their team and owner; ``health`` is a Health value or "overdue"."""
    kpis = KPI.objects.select_related("owner_team", "owner").order_by("name")
    if not include_archived:
        kpis = kpis.filter(archived=False)
    if team_id is not None:
        kpis = kpis.filter(owner_team_id=team_id)
    if health == OVERDUE:
        kpis = kpis.filter(overdue_q())
    elif health in Health.values:
        kpis = kpis.filter(health=health)
    return kpis


def kpi_get(pk: int) -> KPI | None:
    return KPI.objects.select_related("owner_team", "owner").filter(pk=pk).first()


def kpi_value_get(pk: int, *, kpi: KPI | None = None) -> KPIValue | None:
    values = KPIValue.objects.select_related("kpi", "author").filter(pk=pk)
    if kpi is not None:
        values = values.filter(kpi=kpi)
    return values.first()


def kpi_values(kpi: KPI, since: datetime | None = None) -> QuerySet[KPIValue]:
    """The KPI's points, newest first, with their authors and the runs that fetched them."""
    values = (
        KPIValue.objects.filter(kpi=kpi)
        .select_related("author", "sync_run__data_source__integration")
        .order_by("-timestamp")
    )
    if since is not None:
        values = values.filter(timestamp__gte=since)
    return values


def kpi_periods(kpi: KPI) -> QuerySet[KPIPeriod]:
    """The KPI's period series (aggregated value and health per period), oldest first."""
    return KPIPeriod.objects.filter(kpi=kpi).order_by("period_start")


def kpi_health_history(kpi: KPI) -> QuerySet[HealthChange]:
    return HealthChange.objects.filter(kpi=kpi).order_by("-period_start", "-changed_at")


def kpi_targets(kpi: KPI) -> list[KPITarget]:
    return list(KPITarget.objects.filter(kpi=kpi).order_by("effective_from"))


def current_target(kpi: KPI, now: datetime | None = None) -> KPITarget | None:
    """The target that holds for the KPI's current period."""
    return target_for_period(
        kpi_targets(kpi), period_start(kpi.update_frequency, now or timezone.now())
    )


def current_targets(
    kpis: Iterable[KPI], now: datetime | None = None
) -> dict[int, KPITarget | None]:
    """The current target of each KPI, from one query whatever their number."""
    kpis = list(kpis)
    now = now or timezone.now()
    targets: dict[int, list[KPITarget]] = {}
    for target in KPITarget.objects.filter(kpi__in=[kpi.pk for kpi in kpis]):
        targets.setdefault(target.kpi_id, []).append(target)
    return {
        kpi.pk: target_for_period(targets.get(kpi.pk, []), period_start(kpi.update_frequency, now))
        for kpi in kpis
    }


def prefetch_current_targets(kpis: Sequence[KPI], now: datetime | None = None) -> Sequence[KPI]:
    """Set ``kpi.current_target`` on each KPI (one query in all)."""
    by_kpi = current_targets(kpis, now)
    for kpi in kpis:
        kpi.current_target = by_kpi[kpi.pk]  # type: ignore[attr-defined]
    return kpis
