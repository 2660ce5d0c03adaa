"""Reads for OKRs: org-scoped querysets with what their pages need, in a constant number of
queries whatever the number of objectives."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from kpis.models import KPI

from .models import (
    CheckIn,
    Cycle,
    CycleStatus,
    GoalSettings,
    Initiative,
    KeyResult,
    Objective,
    ObjectiveAlignment,
    ObjectiveKPI,
    ObjectiveStatus,
    StrategicPillar,
)


def goal_settings() -> GoalSettings:
    """The organisation's settings, or the defaults (unsaved) when it never changed them."""
    return GoalSettings.objects.first() or GoalSettings()


def pillar_list() -> QuerySet[StrategicPillar]:
    return StrategicPillar.objects.order_by("position", "name")


def cycle_list() -> QuerySet[Cycle]:
    return Cycle.objects.select_related("parent").order_by("-start_date", "kind")


def cycle_get(pk: int) -> Cycle | None:
    return Cycle.objects.select_related("parent").filter(pk=pk).first()


def cycle_current(
    today: date | None = None, *, cycles: Sequence[Cycle] | None = None
) -> Cycle | None:
    """The default cycle everywhere: the shortest active cycle running today (a quarter over its
    year), else the latest active one, else the next one being planned, else the latest.
    Pages that have loaded ``cycle_list()`` pass it as ``cycles`` to save the query."""
    today = today or timezone.localdate()
    if cycles is None:
        cycles = list(Cycle.objects.order_by("-start_date"))
    running = [
        c for c in cycles if c.status == CycleStatus.ACTIVE and c.start_date <= today <= c.end_date
    ]
    if running:
        return min(running, key=lambda c: (c.end_date - c.start_date, -c.pk))
    active = [c for c in cycles if c.status == CycleStatus.ACTIVE]
    if active:
        return active[0]
    planning = sorted(
        (c for c in cycles if c.status == CycleStatus.PLANNING), key=lambda c: c.start_date
    )
    if planning:
        return planning[0]
    return cycles[0] if cycles else None


def cycle_next(today: date | None = None) -> Cycle | None:
    """The cycle people draft in next: the earliest one being planned that has not ended."""
    today = today or timezone.localdate()
    return (
        Cycle.objects.filter(status=CycleStatus.PLANNING, end_date__gte=today)
        .order_by("start_date", "end_date")
        .first()
    )


def cycle_open_list() -> QuerySet[Cycle]:
    return Cycle.objects.exclude(status=CycleStatus.CLOSED).order_by("start_date")


def objective_queryset() -> QuerySet[Objective]:
    """Objectives with everything a card shows: owner, lead, cycle, pillar, key results with
    their KPI, initiatives, aligned KPIs and parents. A fixed number of queries."""
    return Objective.objects.select_related(
        "owner_team", "lead", "cycle", "pillar"
    ).prefetch_related(
        Prefetch(
            "key_results",
            queryset=KeyResult.objects.select_related("kpi", "lead").order_by("position", "pk"),
        ),
        Prefetch("initiatives", queryset=Initiative.objects.select_related("lead", "key_result")),
        Prefetch("kpis", queryset=KPI.objects.select_related("owner_team").order_by("name")),
        Prefetch("parents", queryset=Objective.objects.select_related("owner_team", "cycle")),
    )


def cycle_objectives(
    cycle: Cycle,
    *,
    team_id: int | None = None,
    company_only: bool = False,
    lead_id: int | None = None,
    status: str | None = None,
) -> QuerySet[Objective]:
    objectives = objective_queryset().filter(cycle=cycle)
    if company_only:
        objectives = objectives.filter(owner_team__isnull=True)
    elif team_id is not None:
        objectives = objectives.filter(owner_team_id=team_id)
    if lead_id is not None:
        objectives = objectives.filter(lead_id=lead_id)
    if status in ObjectiveStatus.values:
        objectives = objectives.filter(status=status)
    return objectives.order_by("owner_team__name", "title", "pk")


def objective_get(pk: int) -> Objective | None:
    return (
        objective_queryset()
        .prefetch_related(
            Prefetch(
                "children", queryset=Objective.objects.select_related("owner_team", "cycle", "lead")
            )
        )
        .filter(pk=pk)
        .first()
    )


def objective_plain_get(pk: int) -> Objective | None:
    return Objective.objects.select_related("cycle", "owner_team").filter(pk=pk).first()


def key_result_get(pk: int) -> KeyResult | None:
    return (
        KeyResult.objects.select_related("objective__cycle", "objective__owner_team", "kpi", "lead")
        .filter(pk=pk)
        .first()
    )


def initiative_get(pk: int) -> Initiative | None:
    return (
        Initiative.objects.select_related("objective__cycle", "objective__owner_team", "key_result")
        .filter(pk=pk)
        .first()
    )


def check_ins_of(key_results: Iterable[KeyResult]) -> dict[int, list[CheckIn]]:
    """Each key result's check-ins, oldest first (one query)."""
    history: dict[int, list[CheckIn]] = {}
    for check_in in (
        CheckIn.objects.filter(key_result__in=[kr.pk for kr in key_results])
        .select_related("author")
        .order_by("created_at", "pk")
    ):
        history.setdefault(check_in.key_result_id, []).append(check_in)
    return history


def parent_choices(exclude: Objective | None = None) -> QuerySet[Objective]:
    """Objectives another one may align to: open cycles, closed ones stay where they are."""
    objectives = (
        Objective.objects.exclude(cycle__status=CycleStatus.CLOSED)
        .select_related("owner_team", "cycle")
        .order_by("cycle__start_date", "owner_team__name", "title")
    )
    if exclude is not None:
        objectives = objectives.exclude(pk=exclude.pk)
    return objectives


def kpis_with_active_objective(kpi_ids: Iterable[int]) -> set[int]:
    """Of ``kpi_ids``, the KPIs an active objective is aligned to (they are being fixed, so they
    leave the OKR candidates list). One query."""
    ids = list(kpi_ids)
    if not ids:
        return set()
    return set(
        ObjectiveKPI.objects.filter(kpi_id__in=ids, objective__status=ObjectiveStatus.ACTIVE)
        .values_list("kpi_id", flat=True)
        .distinct()
    )


def open_objective_counts_by_kpi(kpi_ids: Sequence[int]) -> dict[int, int]:
    """``{kpi_id: number of draft or active objectives aligned to it}`` in one query, for the
    "aligned OKRs" figure on board cards (registered with boards in ``GoalsConfig.ready``)."""
    rows = (
        ObjectiveKPI.objects.filter(kpi_id__in=list(kpi_ids))
        .exclude(objective__status=ObjectiveStatus.CLOSED)
        .values("kpi_id")
        .annotate(count=Count("objective_id", distinct=True))
        .values_list("kpi_id", "count")
    )
    return dict(rows)


def objectives_of_kpi(kpi: KPI) -> QuerySet[Objective]:
    """Objectives aligned to a KPI, for the KPI's page."""
    return (
        Objective.objects.filter(Q(kpis=kpi) | Q(key_results__kpi=kpi))
        .select_related("owner_team", "cycle")
        .distinct()
        .order_by("-cycle__start_date", "title")
    )


def key_results_of_kpi(kpi: KPI) -> QuerySet[KeyResult]:
    return KeyResult.objects.filter(kpi=kpi).select_related(
        "objective__cycle", "objective__owner_team"
    )


def alignment_edges() -> list[tuple[int, int]]:
    return list(ObjectiveAlignment.objects.values_list("child_id", "parent_id"))
