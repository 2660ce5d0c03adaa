"""The health rules as pure functions: aggregation, targets over time, tolerance, hysteresis,
overdue, distance from target, and the periods they work on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal as D  # noqa: N817 - reads like the numbers in the rules
from zoneinfo import ZoneInfo

import pytest

from kpis.health import (
    aggregate,
    evaluate,
    is_overdue,
    next_health,
    off_target,
    smooth,
    target_for_period,
)
from kpis.models import Health
from kpis.periods import (
    last_completed_period_start,
    period_end,
    period_label,
    period_start,
    previous_period_start,
)

H, R, U, N = Health.HEALTHY, Health.AT_RISK, Health.UNHEALTHY, Health.NO_DATA


@dataclass
class Target:
    kind: str
    lower: D | None = None
    upper: D | None = None
    tolerance: D | None = None
    effective_from: date = date(2020, 1, 1)


@dataclass
class Kpi:
    update_frequency: str = "monthly"
    archived: bool = False
    latest_value_at: datetime | None = None
    created_at: datetime = field(default_factory=lambda: datetime(2020, 1, 1, tzinfo=UTC))


# --- aggregation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("aggregation", "expected"),
    [("last", D(2)), ("sum", D(15)), ("average", D(5)), ("min", D(2)), ("max", D(9))],
)
def test_each_aggregation_of_a_period(aggregation: str, expected: D) -> None:
    assert aggregate(aggregation, [D(4), D(9), D(2)]) == expected


def test_an_empty_period_aggregates_to_nothing() -> None:
    assert aggregate("sum", []) is None


def test_unknown_aggregation_is_refused() -> None:
    with pytest.raises(ValueError, match="median"):
        aggregate("median", [D(1)])


# --- targets over time and the verdict --------------------------------------------------------


def test_the_target_of_a_period_is_the_latest_that_started_by_then() -> None:
    old = Target("at_most", upper=D(30), effective_from=date(2026, 1, 1))
    new = Target("at_most", upper=D(20), effective_from=date(2027, 3, 1))
    targets = [new, old]  # order must not matter
    assert target_for_period(targets, date(2025, 12, 1)) is None
    assert target_for_period(targets, date(2026, 1, 1)) is old
    assert target_for_period(targets, date(2027, 2, 1)) is old
    assert target_for_period(targets, date(2027, 3, 1)) is new
    # history is judged against the target of its day: 25 was fine in 2026, not after March 2027
    assert evaluate(target_for_period(targets, date(2026, 6, 1)), D(25)) == H
    assert evaluate(target_for_period(targets, date(2027, 4, 1)), D(25)) == U


@pytest.mark.parametrize(
    ("target", "value", "expected"),
    [
        (Target("at_least", lower=D(90), tolerance=D(5)), D(90), H),
        (Target("at_least", lower=D(90), tolerance=D(5)), D(85), R),
        (Target("at_least", lower=D(90), tolerance=D(5)), D("84.99"), U),
        (Target("at_most", upper=D(30), tolerance=D(10)), D(30), H),
        (Target("at_most", upper=D(30), tolerance=D(10)), D(40), R),
        (Target("at_most", upper=D(30), tolerance=D(10)), D(52), U),
        (Target("between", lower=D(40), upper=D(60), tolerance=D(5)), D(50), H),
        (Target("between", lower=D(40), upper=D(60), tolerance=D(5)), D(36), R),
        (Target("between", lower=D(40), upper=D(60), tolerance=D(5)), D(64), R),
        (Target("between", lower=D(40), upper=D(60), tolerance=D(5)), D(66), U),
        (Target("between", lower=D(40), upper=D(60), tolerance=D(5)), D(30), U),
        # without a tolerance there is no amber: any miss is unhealthy
        (Target("at_least", lower=D(90)), D("89.9"), U),
        (Target("at_least", lower=D(90), tolerance=D(0)), D("89.9"), U),
    ],
)
def test_tolerance_band_makes_near_misses_at_risk(
    target: Target, value: D, expected: Health
) -> None:
    assert evaluate(target, value) == expected


def test_no_target_or_no_value_is_no_data() -> None:
    assert evaluate(None, D(1)) == N
    assert evaluate(Target("at_least", lower=D(1)), None) == N
    # a target missing the bound its kind needs judges nothing (never "healthy")
    assert evaluate(Target("at_most", lower=D(30)), D(52)) == N
    assert evaluate(Target("between", lower=D(30)), D(52)) == N


def test_how_far_off_target_absolute_and_relative() -> None:
    reply_time = Target("at_most", upper=D(30))
    miss = off_target(reply_time, D(52))
    assert miss is not None
    assert miss.absolute == D(22)
    assert miss.bound == D(30)
    assert miss.relative is not None
    assert round(miss.relative, 3) == D("0.733")
    below = off_target(Target("between", lower=D(40), upper=D(60)), D(30))
    assert below is not None
    assert (below.absolute, below.bound) == (D(10), D(40))
    assert off_target(reply_time, D(29)) is None
    zero_bound = off_target(Target("at_most", upper=D(0)), D(3))
    assert zero_bound is not None
    assert zero_bound.relative is None


# --- hysteresis ----------------------------------------------------------------------------------


def test_without_hysteresis_every_period_counts() -> None:
    assert smooth([H, U, H, R], periods=1) == [H, U, H, R]


def test_hysteresis_needs_n_consecutive_periods_to_change() -> None:
    raw = [H, U, H, U, U, U, H, H]
    assert smooth(raw, periods=3) == [H, H, H, H, H, U, U, U]
    assert smooth(raw, periods=2) == [H, H, H, H, U, U, U, H]


def test_hysteresis_needs_agreement_not_just_difference() -> None:
    # at risk then unhealthy then at risk: three periods away from healthy, but they disagree
    assert smooth([H, R, U, R], periods=2) == [H, H, H, H]
    assert smooth([H, R, U, U], periods=2) == [H, H, H, U]


def test_the_first_verdict_and_no_data_apply_at_once() -> None:
    assert smooth([U, U], periods=3) == [U, U]
    assert next_health(U, [U, N], 3) == N


# --- overdue ---------------------------------------------------------------------------------


NOW = datetime(2027, 4, 10, 12, tzinfo=UTC)


def test_monthly_kpi_without_a_value_for_last_month_is_overdue() -> None:
    assert is_overdue(Kpi(latest_value_at=datetime(2027, 2, 28, tzinfo=UTC)), NOW)
    assert not is_overdue(Kpi(latest_value_at=datetime(2027, 3, 1, tzinfo=UTC)), NOW)
    assert not is_overdue(Kpi(latest_value_at=datetime(2027, 4, 2, tzinfo=UTC)), NOW)


@pytest.mark.parametrize(
    ("frequency", "latest", "overdue"),
    [
        ("daily", datetime(2027, 4, 9, 8, tzinfo=UTC), False),
        ("daily", datetime(2027, 4, 8, 23, tzinfo=UTC), True),
        ("weekly", datetime(2027, 3, 29, tzinfo=UTC), False),  # Monday of last week
        ("weekly", datetime(2027, 3, 28, tzinfo=UTC), True),
        ("quarterly", datetime(2027, 1, 15, tzinfo=UTC), False),
        ("quarterly", datetime(2026, 12, 31, tzinfo=UTC), True),
    ],
)
def test_overdue_follows_the_frequency(frequency: str, latest: datetime, overdue: bool) -> None:
    assert is_overdue(Kpi(update_frequency=frequency, latest_value_at=latest), NOW) is overdue


def test_a_new_kpi_is_not_overdue_before_its_first_period_ends() -> None:
    assert not is_overdue(Kpi(created_at=datetime(2027, 4, 1, tzinfo=UTC)), NOW)
    assert is_overdue(Kpi(created_at=datetime(2027, 2, 20, tzinfo=UTC)), NOW)
    assert not is_overdue(Kpi(archived=True), NOW)


# --- periods ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frequency", "start", "end", "previous", "label"),
    [
        ("daily", date(2027, 3, 31), date(2027, 4, 1), date(2027, 3, 30), "31 Mar 2027"),
        ("weekly", date(2027, 3, 29), date(2027, 4, 5), date(2027, 3, 22), "Week of 29 Mar 2027"),
        ("monthly", date(2027, 12, 1), date(2028, 1, 1), date(2027, 11, 1), "December 2027"),
        ("quarterly", date(2027, 10, 1), date(2028, 1, 1), date(2027, 7, 1), "Q4 2027"),
    ],
)
def test_period_arithmetic(
    frequency: str, start: date, end: date, previous: date, label: str
) -> None:
    assert period_end(frequency, start) == end
    assert previous_period_start(frequency, start) == previous
    assert period_label(frequency, start) == label
    assert period_start(frequency, datetime.combine(end, datetime.min.time(), UTC)) == end


def test_periods_follow_the_organisation_time_zone() -> None:
    late_evening_utc = datetime(2027, 3, 31, 23, 30, tzinfo=UTC)
    assert period_start("monthly", late_evening_utc) == date(2027, 3, 1)
    assert period_start("monthly", late_evening_utc, ZoneInfo("Europe/Berlin")) == date(2027, 4, 1)
    assert period_start("weekly", datetime(2027, 4, 4, 12, tzinfo=UTC)) == date(2027, 3, 29)
    assert period_start("quarterly", datetime(2027, 8, 15, tzinfo=UTC)) == date(2027, 7, 1)
    assert last_completed_period_start("monthly", NOW) == date(2027, 3, 1)


def test_periods_refuse_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="aware"):
        period_start("daily", datetime(2027, 1, 1))
