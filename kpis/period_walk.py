"""The forward walk that judges a KPI's periods (``evaluation.periods_refresh`` and
``evaluation_many.periods_refresh_many`` load what it reads and write what it plans): the rows it
walks over as plain data, the window of stored periods around a write, and the plan it makes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db import connection
from django.db.models import QuerySet, Value

from .health import evaluate, next_health, target_for_period
from .models import KPI, Health, KPIPeriod, KPITarget

CASCADE_CHUNK = 64


@dataclass
class PeriodRow:
    """A period of the series as the walk handles it (plain data: backfills walk thousands)."""

    pk: int | None
    period_start: date
    value: Decimal
    last_timestamp: datetime
    raw_health: str = ""
    health: str = ""


ROW_FIELDS = ("pk", "period_start", "value", "last_timestamp", "raw_health", "health")


def period_rows(queryset: QuerySet[KPIPeriod]) -> list[PeriodRow]:
    return [PeriodRow(*values) for values in queryset.values_list(*ROW_FIELDS)]


@dataclass
class PeriodChange:
    from_health: str
    to_health: str
    changed_at: datetime
    period_start: date
    value: Decimal


@dataclass
class Walk:
    """The running state of the forward pass over a KPI's periods."""

    targets: list[KPITarget]
    periods: int
    previous: Health
    recent_raw: list[Health]
    changes: list[PeriodChange] = field(default_factory=list)
    dirty: list[PeriodRow] = field(default_factory=list)

    def step(self, row: PeriodRow) -> bool:
        """Judge ``row``; True when its stored verdicts were already right."""
        raw = evaluate(target_for_period(self.targets, row.period_start), row.value)
        self.recent_raw = [*self.recent_raw, raw][-self.periods :]
        health = next_health(self.previous, self.recent_raw, self.periods)
        unchanged = row.pk is not None and row.raw_health == raw and row.health == health
        if not unchanged:
            row.raw_health, row.health = raw, health
            self.dirty.append(row)
        if health != self.previous:
            self.changes.append(
                PeriodChange(self.previous, health, row.last_timestamp, row.period_start, row.value)
            )
        self.previous = health
        return unchanged


def periods_after(kpi: KPI, after: date) -> QuerySet[KPIPeriod]:
    return KPIPeriod.objects.filter(kpi=kpi, period_start__gt=after).order_by("period_start")[
        :CASCADE_CHUNK
    ]


def rows_after(kpi: KPI, after: date, first: list[PeriodRow] | None = None) -> Iterator[PeriodRow]:
    """The periods after ``after``, a chunk at a time (``first``: the first chunk, read already)."""
    chunk = first if first is not None else period_rows(periods_after(kpi, after))
    while True:
        yield from chunk
        if len(chunk) < CASCADE_CHUNK:
            return
        chunk = period_rows(periods_after(kpi, chunk[-1].period_start))


@dataclass
class PeriodWindow:
    before: list[PeriodRow]  # the hysteresis window before the touched periods, oldest first
    within: list[PeriodRow]  # the stored periods from the first to the last touched one
    after: list[PeriodRow] | None  # the first chunk after them (None: not read)


def period_window(kpi: KPI, start: date, end: date, periods: int) -> PeriodWindow:
    """The stored periods a refresh walks over: the hysteresis window before ``start``, those
    from ``start`` to ``end`` and the first chunk after ``end`` (unless ``end`` is open). One
    query where the database allows (UNION ALL of the slices, each tagged), else one each."""
    periods_of_kpi = KPIPeriod.objects.filter(kpi=kpi)
    slices = [
        periods_of_kpi.filter(period_start__lt=start).order_by("-period_start")[:periods],
        periods_of_kpi.filter(period_start__gte=start, period_start__lte=end),
    ]
    if end != date.max:
        slices.append(periods_after(kpi, end))
    if connection.features.supports_slicing_ordering_in_compound:
        tagged = [
            query.annotate(part=Value(index)).values_list(*ROW_FIELDS, "part")
            for index, query in enumerate(slices)
        ]
        parts: list[list[PeriodRow]] = [[] for _ in slices]
        for *values, index in tagged[0].union(*tagged[1:], all=True):
            parts[index].append(PeriodRow(*values))
        parts[0].sort(key=lambda row: row.period_start, reverse=True)
        if len(parts) > 2:
            parts[2].sort(key=lambda row: row.period_start)
    else:
        parts = [period_rows(query) for query in slices]
    return PeriodWindow(
        before=parts[0][::-1], within=parts[1], after=parts[2] if len(parts) > 2 else None
    )


@dataclass
class RefreshPlan:
    """What a refresh writes: period rows to delete, rows to write, health changes to store,
    and the span whose stored health changes it replaces (when ``walked_stored``)."""

    removed: list[int]
    dirty: list[PeriodRow]
    changes: list[PeriodChange]
    walked_stored: bool
    walked_to: date


def refresh_plan(
    kpi: KPI,
    *,
    touched: set[date],
    aggregated: dict[date, tuple[Decimal, datetime]],
    window: PeriodWindow,
    targets: list[KPITarget],
    start: date,
    end: date,
) -> RefreshPlan:
    """Walk the periods from ``start`` forward with the hysteresis window before it: judge the
    touched and re-judged periods, then those after until the stored verdicts agree again
    (reading further chunks only if the first one after ``end`` does not suffice)."""
    periods = max(kpi.hysteresis_periods, 1)
    before = window.before
    walk = Walk(
        targets=targets,
        periods=periods,
        previous=Health(before[-1].health) if before else Health.NO_DATA,
        recent_raw=[Health(row.raw_health) for row in before],
    )
    stored = {row.period_start: row for row in window.within}
    removed = [stored.pop(day) for day in touched if day in stored and day not in aggregated]
    for day, (value, last_timestamp) in aggregated.items():
        row = stored.get(day)
        if row is None:
            stored[day] = PeriodRow(None, day, value, last_timestamp)
        elif row.value != value or row.last_timestamp != last_timestamp:
            row.value, row.last_timestamp, row.raw_health = value, last_timestamp, ""  # rewrite
    for day in sorted(stored):
        walk.step(stored[day])
    walked_to = max(stored) if stored else start
    walked_stored = bool(window.within)  # did the walk pass any period stored before this write?
    if end != date.max:
        for index, row in enumerate(rows_after(kpi, end, first=window.after)):
            walked_stored = True
            converged = walk.step(row)
            walked_to = row.period_start
            if converged and index >= periods - 1:
                break
    walked_to = max(walked_to, *touched) if touched else walked_to
    return RefreshPlan(
        removed=[row.pk for row in removed if row.pk is not None],
        dirty=walk.dirty,
        changes=walk.changes,
        walked_stored=walked_stored,
        walked_to=walked_to,
    )
