"""The scoring rules on their own: no database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal as D  # noqa: N817 - short numbers in tables

import pytest

from goals import progress
from goals.models import ControlDirection, KeyResultKind, KeyResultStatus


@dataclass
class KR:
    kind: str = KeyResultKind.METRIC
    start_value: D = D(0)
    target_value: D = D(100)
    current_value: D | None = None
    control_direction: str = ""


@pytest.mark.parametrize(
    ("start", "target", "current", "expected"),
    [
        (D(0), D(100), D(25), 0.25),
        (D(0), D(100), D(100), 1.0),
        (D(0), D(100), D(150), 1.0),  # overshoot is clamped
        (D(0), D(100), D(-10), 0.0),  # going backwards is clamped
        (D(1200), D(800), D(1000), 0.5),  # a decrease: 1,200 → 800, now 1,000
        (D(1200), D(800), D(1300), 0.0),
        (D(1200), D(800), D(700), 1.0),
        (D(80), D(90), D(83), 0.3),
        (D(0), D(100), None, 0.0),  # no value yet counts as the start
    ],
)
def test_metric_progress(start: D, target: D, current: D | None, expected: float) -> None:
    assert progress.metric_progress(start, target, current) == pytest.approx(expected)


def test_metric_progress_with_target_equal_to_start_is_zero_not_a_division_error() -> None:
    assert progress.metric_progress(D(5), D(5), D(5)) == 0.0


def test_direction_is_inferred_from_start_and_target() -> None:
    assert progress.direction(D(1200), D(800)) == progress.Direction.DECREASE
    assert progress.direction(D(80), D(90)) == progress.Direction.INCREASE


@pytest.mark.parametrize(("current", "expected"), [(None, 0.0), (D(0), 0.0), (D(1), 1.0)])
def test_milestone_is_done_or_not(current: D | None, expected: float) -> None:
    kr = KR(
        kind=KeyResultKind.MILESTONE, start_value=D(0), target_value=D(1), current_value=current
    )
    assert progress.key_result_progress(kr) == expected


@pytest.mark.parametrize(
    ("control_direction", "current", "met"),
    [
        (ControlDirection.AT_LEAST, D(95), True),
        (ControlDirection.AT_LEAST, D(90), True),
        (ControlDirection.AT_LEAST, D(89), False),
        (ControlDirection.AT_MOST, D(30), True),
        (ControlDirection.AT_MOST, D(31), False),
        (ControlDirection.AT_MOST, None, False),
    ],
)
def test_control_key_result(control_direction: str, current: D | None, met: bool) -> None:
    threshold = D(90) if control_direction == ControlDirection.AT_LEAST else D(30)
    kr = KR(
        kind=KeyResultKind.CONTROL,
        target_value=threshold,
        current_value=current,
        control_direction=control_direction,
    )
    assert progress.key_result_progress(kr) == (1.0 if met else 0.0)


def test_percentage_key_result_behaves_like_a_metric() -> None:
    kr = KR(
        kind=KeyResultKind.PERCENTAGE, start_value=D(80), target_value=D(90), current_value=D(85)
    )
    assert progress.key_result_progress(kr) == pytest.approx(0.5)


def test_weighted_mean() -> None:
    assert progress.weighted_mean([(1.0, D(1)), (0.0, D(3))]) == pytest.approx(0.25)
    assert progress.weighted_mean([(0.5, D(2)), (0.5, D(1))]) == pytest.approx(0.5)
    assert progress.weighted_mean([]) is None


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 1, 1), 1 / 90),
        (date(2025, 12, 1), 0.0),  # before the cycle
        (date(2026, 3, 31), 1.0),
        (date(2026, 6, 1), 1.0),  # after the cycle
        (date(2026, 2, 14), 45 / 90),
    ],
)
def test_expected_progress(today: date, expected: float) -> None:
    assert progress.expected_progress(date(2026, 1, 1), date(2026, 3, 31), today) == pytest.approx(
        expected
    )


@pytest.mark.parametrize(
    ("actual", "expected", "status"),
    [
        (1.0, 0.3, KeyResultStatus.ACCOMPLISHED),
        (0.5, 0.5, KeyResultStatus.ON_TRACK),
        (0.7, 0.5, KeyResultStatus.ON_TRACK),  # ahead of pace
        (0.41, 0.5, KeyResultStatus.ON_TRACK),  # 9 points behind
        (0.35, 0.5, KeyResultStatus.NEEDS_ATTENTION),  # 15 points behind
        (0.2, 0.5, KeyResultStatus.OFF_TRACK),  # 30 points behind
        (0.0, 0.0, KeyResultStatus.ON_TRACK),  # cycle not started
    ],
)
def test_pace_status(actual: float, expected: float, status: str) -> None:
    assert progress.pace_status(actual, expected) == status


def test_pace_status_of_a_milestone_worries_only_near_the_end() -> None:
    kr = KR(kind=KeyResultKind.MILESTONE, start_value=D(0), target_value=D(1), current_value=D(0))
    assert progress.key_result_pace_status(kr, 0.3) == KeyResultStatus.ON_TRACK
    assert progress.key_result_pace_status(kr, 0.6) == KeyResultStatus.NEEDS_ATTENTION
    assert progress.key_result_pace_status(kr, 0.95) == KeyResultStatus.OFF_TRACK
    kr.current_value = D(1)
    assert progress.key_result_pace_status(kr, 0.95) == KeyResultStatus.ACCOMPLISHED


def test_pace_status_of_a_control_is_where_it_stands() -> None:
    kr = KR(
        kind=KeyResultKind.CONTROL,
        target_value=D(30),
        control_direction=ControlDirection.AT_MOST,
        current_value=D(45),
    )
    assert progress.key_result_pace_status(kr, 0.1) == KeyResultStatus.OFF_TRACK
    kr.current_value = D(20)
    assert progress.key_result_pace_status(kr, 0.1) == KeyResultStatus.ON_TRACK


def test_weakest_status() -> None:
    assert (
        progress.weakest_status(
            [KeyResultStatus.ON_TRACK, KeyResultStatus.OFF_TRACK, KeyResultStatus.ACCOMPLISHED]
        )
        == KeyResultStatus.OFF_TRACK
    )
    assert (
        progress.weakest_status([KeyResultStatus.ACCOMPLISHED, "", KeyResultStatus.NEEDS_ATTENTION])
        == KeyResultStatus.NEEDS_ATTENTION
    )
    assert progress.weakest_status(["", ""]) == ""
    assert progress.weakest_status([]) == ""


@pytest.mark.parametrize(
    ("actual", "grade"),
    [(0.0, D("0.0")), (0.34, D("0.3")), (0.35, D("0.4")), (0.7, D("0.7")), (1.0, D("1.0"))],
)
def test_suggested_grade_rounds_to_a_tenth(actual: float, grade: D) -> None:
    assert progress.suggested_grade(actual) == grade


def test_score_is_the_weighted_mean_of_grades() -> None:
    assert progress.score([(D("1.0"), D(1)), (D("0.4"), D(2))]) == D("0.60")
    assert progress.score([]) is None


def test_percent() -> None:
    assert progress.percent(0.256) == 26
    assert progress.percent(None) == 0
    assert progress.percent(1.7) == 100
