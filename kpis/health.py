"""The health rules, as pure functions: no database, so every rule is tested on its own.

- A period's value is the aggregation (last, sum, average, min, max) of the points inside it.
- That value is judged against the target that held at the period's start (targets change over
  time; history keeps being judged against the target of its day).
- A tolerance band outside the range makes near misses "at risk" rather than unhealthy.
- Hysteresis: a KPI's health changes only once N consecutive periods *with data* agree, so a noisy
  KPI does not flap. Leaving or entering "no data" is immediate: there is nothing to debounce.
- Overdue: no value for the last completed period of the KPI's update frequency.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol, TypeVar

from .models import Aggregation, Health, TargetKind
from .periods import last_completed_period_start, local_date, period_end


class TargetLike(Protocol):
    kind: str
    lower: Decimal | None
    upper: Decimal | None
    tolerance: Decimal | None
    effective_from: date


class OverdueLike(Protocol):
    update_frequency: str
    archived: bool
    latest_value_at: datetime | None
    created_at: datetime


_T = TypeVar("_T", bound=TargetLike)


def aggregate(aggregation: str, values: Sequence[Decimal]) -> Decimal | None:
    """The period value of ``values`` (in timestamp order: "last" takes the final one)."""
    if not values:
        return None
    if aggregation == Aggregation.LAST:
        return values[-1]
    if aggregation == Aggregation.SUM:
        return sum(values, Decimal(0))
    if aggregation == Aggregation.AVERAGE:
        return sum(values, Decimal(0)) / len(values)
    if aggregation == Aggregation.MIN:
        return min(values)
    if aggregation == Aggregation.MAX:
        return max(values)
    raise ValueError(f"Unknown aggregation: {aggregation!r}")


def target_for_period(targets: Iterable[_T], period_start: date) -> _T | None:
    """The target with the latest ``effective_from`` on or before ``period_start``, if any."""
    best: _T | None = None
    for target in targets:
        if target.effective_from <= period_start and (
            best is None or target.effective_from > best.effective_from
        ):
            best = target
    return best


def _tolerance(target: TargetLike) -> Decimal:
    return target.tolerance if target.tolerance is not None and target.tolerance > 0 else Decimal(0)


def is_complete(target: TargetLike) -> bool:
    """A target has the bound(s) its kind needs (services refuse others; rows written around
    them must not pass for healthy)."""
    needs_lower = target.kind in (TargetKind.AT_LEAST, TargetKind.BETWEEN)
    needs_upper = target.kind in (TargetKind.AT_MOST, TargetKind.BETWEEN)
    return not (needs_lower and target.lower is None) and not (needs_upper and target.upper is None)


def shortfall(target: TargetLike, value: Decimal) -> Decimal:
    """How far ``value`` lies outside the target range (0 inside it)."""
    below = (
        target.lower - value
        if target.kind != TargetKind.AT_MOST and target.lower is not None
        else 0
    )
    above = (
        value - target.upper
        if target.kind != TargetKind.AT_LEAST and target.upper is not None
        else 0
    )
    return max(Decimal(below), Decimal(above), Decimal(0))


def evaluate(target: TargetLike | None, value: Decimal | None) -> Health:
    """Healthy inside the range, at risk within the tolerance outside it, else unhealthy."""
    if target is None or value is None or not is_complete(target):
        return Health.NO_DATA
    miss = shortfall(target, value)
    if miss == 0:
        return Health.HEALTHY
    if miss <= _tolerance(target):
        return Health.AT_RISK
    return Health.UNHEALTHY


@dataclass(frozen=True)
class OffTarget:
    """How far a value misses its range: ``absolute`` in the KPI's unit, ``relative`` as a
    fraction of the bound it missed (None when that bound is 0)."""

    absolute: Decimal
    relative: Decimal | None
    bound: Decimal


def off_target(target: TargetLike | None, value: Decimal | None) -> OffTarget | None:
    """The miss of ``value`` against ``target``; None when inside the range or not judgeable."""
    if target is None or value is None:
        return None
    miss = shortfall(target, value)
    if miss == 0:
        return None
    below = target.kind != TargetKind.AT_MOST and target.lower is not None and value < target.lower
    bound = target.lower if below else target.upper
    assert bound is not None  # a miss always has the bound it missed  # noqa: S101
    relative = None if bound == 0 else miss / abs(bound)
    return OffTarget(absolute=miss, relative=relative, bound=bound)


def next_health(previous: Health | str, recent_raw: Sequence[Health | str], periods: int) -> Health:
    """The KPI's health after a period, given its health before and the raw verdicts of the
    most recent data periods (oldest first, the new period last).

    It changes to the new verdict only when the last ``periods`` verdicts all agree with it.
    """
    raw = Health(recent_raw[-1])
    if Health.NO_DATA in (previous, raw) or raw == previous:
        return raw
    window = recent_raw[-max(periods, 1) :]
    if len(window) >= periods and all(verdict == raw for verdict in window):
        return raw
    return Health(previous)


def smooth(
    raw: Sequence[Health | str], periods: int, initial: Health = Health.NO_DATA
) -> list[Health]:
    """The health after each period of a whole series of raw verdicts (see ``next_health``)."""
    healths: list[Health] = []
    previous = initial
    for index in range(len(raw)):
        previous = next_health(previous, raw[max(0, index - periods + 1) : index + 1], periods)
        healths.append(previous)
    return healths


def is_overdue(kpi: OverdueLike, now: datetime) -> bool:
    """No value for the last completed period of the KPI's frequency (e.g. a monthly KPI with
    nothing for last month). A KPI created after that period ended is not overdue yet."""
    if kpi.archived:
        return False
    due_period = last_completed_period_start(kpi.update_frequency, now)
    if kpi.latest_value_at is not None:
        return local_date(kpi.latest_value_at) < due_period
    return local_date(kpi.created_at) < period_end(kpi.update_frequency, due_period)
