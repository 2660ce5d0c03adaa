"""The OKR scoring rules, as pure functions: no database, so each rule is tested on its own.

- Metric and percentage key results go "from X to Y": progress = (current − start) / (target −
  start), clamped to 0…1. Whether the number must rise or fall is inferred from start and target.
- A milestone is done (1) or not (0). A control key result ("stay above X") is met or not.
- An objective's progress is the weighted mean of its key results' progress.
- Status is either set by people at check-in or, when the organisation asks for it, derived from
  pace: actual progress against the progress expected for the time elapsed in the cycle.
- An objective shows the weakest status of its key results.
- At the close of a cycle a grade 0.0…1.0 is suggested from progress, rounded to a tenth.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Protocol

from .models import ControlDirection, KeyResultKind, KeyResultStatus


class Direction(StrEnum):
    INCREASE = "increase"
    DECREASE = "decrease"


class KeyResultLike(Protocol):
    kind: str
    start_value: Decimal
    target_value: Decimal
    current_value: Decimal | None
    control_direction: str


# Tolerated lag behind the expected pace before a key result needs attention, then is off track.
ON_TRACK_LAG = 0.10
NEEDS_ATTENTION_LAG = 0.25

# Worst first: the order in which an objective picks the status of its weakest key result.
STATUS_SEVERITY: list[str] = [
    KeyResultStatus.OFF_TRACK,
    KeyResultStatus.NEEDS_ATTENTION,
    KeyResultStatus.ON_TRACK,
    KeyResultStatus.ACCOMPLISHED,
]


def clamp(value: float, low: float = 0.0, high: float = 1.0) -> float:
    return max(low, min(high, value))


def direction(start: Decimal, target: Decimal) -> Direction:
    """A key result whose target is below its start is a decrease ("from 1,200 to 800")."""
    return Direction.DECREASE if target < start else Direction.INCREASE


def metric_progress(start: Decimal, target: Decimal, current: Decimal | None) -> float:
    """(current − start) / (target − start), clamped to 0…1; no value yet counts as the start.

    The same formula serves both directions: for a decrease both differences are negative.
    """
    if current is None or target == start:
        return 0.0
    return clamp(float((current - start) / (target - start)))


def milestone_progress(current: Decimal | None) -> float:
    return 1.0 if current is not None and current >= 1 else 0.0


def control_met(threshold: Decimal, control_direction: str, current: Decimal | None) -> bool:
    if current is None:
        return False
    if control_direction == ControlDirection.AT_MOST:
        return current <= threshold
    return current >= threshold


def key_result_progress(key_result: KeyResultLike) -> float:
    if key_result.kind == KeyResultKind.MILESTONE:
        return milestone_progress(key_result.current_value)
    if key_result.kind == KeyResultKind.CONTROL:
        met = control_met(
            key_result.target_value, key_result.control_direction, key_result.current_value
        )
        return 1.0 if met else 0.0
    return metric_progress(
        key_result.start_value, key_result.target_value, key_result.current_value
    )


def weighted_mean(items: Iterable[tuple[float, Decimal | float]]) -> float | None:
    """Mean of (progress, weight) pairs; None when there is nothing to average."""
    total = 0.0
    weights = 0.0
    for progress, weight in items:
        total += progress * float(weight)
        weights += float(weight)
    if weights <= 0:
        return None
    return total / weights


def expected_progress(start: date, end: date, today: date) -> float:
    """The share of the cycle elapsed at the end of ``today``, 0…1."""
    total_days = (end - start).days + 1
    elapsed_days = (today - start).days + 1
    return clamp(elapsed_days / total_days)


def pace_status(progress: float, expected: float) -> KeyResultStatus:
    """On track while actual progress lags the expected pace by at most 10 points."""
    if progress >= 1.0:
        return KeyResultStatus.ACCOMPLISHED
    lag = expected - progress
    if lag <= ON_TRACK_LAG:
        return KeyResultStatus.ON_TRACK
    if lag <= NEEDS_ATTENTION_LAG:
        return KeyResultStatus.NEEDS_ATTENTION
    return KeyResultStatus.OFF_TRACK


def key_result_pace_status(key_result: KeyResultLike, expected: float) -> KeyResultStatus:
    progress = key_result_progress(key_result)
    if key_result.kind == KeyResultKind.CONTROL:
        # A control key result is judged on where it stands now, not on a pace.
        return KeyResultStatus.ON_TRACK if progress >= 1.0 else KeyResultStatus.OFF_TRACK
    if key_result.kind == KeyResultKind.MILESTONE and progress < 1.0:
        # Nothing to measure until it is done: worry only as the end of the cycle nears.
        if expected < 0.5:
            return KeyResultStatus.ON_TRACK
        if expected < 0.9:
            return KeyResultStatus.NEEDS_ATTENTION
        return KeyResultStatus.OFF_TRACK
    return pace_status(progress, expected)


def weakest_status(statuses: Iterable[str]) -> str:
    """The worst of the statuses given; "" when none is set."""
    present = {status for status in statuses if status}
    for status in STATUS_SEVERITY:
        if status in present:
            return status
    return ""


def suggested_grade(progress: float) -> Decimal:
    """Progress rounded to a tenth: the usual 0.0…1.0 OKR grade."""
    return Decimal(str(clamp(progress))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def score(grades: Iterable[tuple[Decimal, Decimal]]) -> Decimal | None:
    """An objective's score: the weighted mean of its key results' (grade, weight), 2 places."""
    total = Decimal(0)
    weights = Decimal(0)
    for grade, weight in grades:
        total += grade * weight
        weights += weight
    if weights <= 0:
        return None
    return (total / weights).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def percent(progress: float | None) -> int:
    """A progress 0…1 as a whole percentage for display (None counts as 0)."""
    return round(clamp(progress or 0.0) * 100)
