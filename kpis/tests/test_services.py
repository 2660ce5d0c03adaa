"""KPI services: values, upserts, targets over time, health history, and bad input."""

from __future__ import annotations

import random
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D  # noqa: N817 - reads like the numbers in the rules

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kpis import services
from kpis.health import aggregate, evaluate, smooth, target_for_period
from kpis.models import KPI, Health, HealthChange, KPIPeriod, KPITarget, KPIValue
from kpis.periods import period_start
from kpis.validation import QUANTUM
from okrplatform.errors import DomainError
from okrplatform.tenancy.models import Membership, Organization
from tests.factories import KPIFactory, KPITargetFactory

pytestmark = pytest.mark.django_db


def month(year: int, number: int, day: int = 15) -> datetime:
    return datetime(year, number, day, 12, tzinfo=UTC)


def monthly_kpi(org: Organization, **kwargs: object) -> KPI:
    return KPIFactory(organization=org, update_frequency="monthly", **kwargs)


def record(actor: Membership, kpi: KPI, when: datetime, value: object) -> KPIValue:
    return services.kpi_value_record(actor=actor, kpi=kpi, timestamp=when, value=value)


def expected_state(kpi: KPI) -> tuple[list[tuple[date, D, str]], list[tuple[str, str, date]]]:
    """The period series and health changes recomputed from scratch with the pure rules."""
    kpi.refresh_from_db()
    by_period: dict[date, list[D]] = {}
    for value in KPIValue.objects.filter(kpi=kpi).order_by("timestamp"):
        by_period.setdefault(period_start(kpi.update_frequency, value.timestamp), []).append(
            value.value
        )
    targets = list(KPITarget.objects.filter(kpi=kpi))
    starts = sorted(by_period)
    values = [aggregate(kpi.aggregation, by_period[start]).quantize(QUANTUM) for start in starts]  # type: ignore[union-attr]
    raw = [evaluate(target_for_period(targets, s), v) for s, v in zip(starts, values, strict=True)]
    healths = smooth(raw, kpi.hysteresis_periods)
    series = [(s, v, h.value) for s, v, h in zip(starts, values, healths, strict=True)]
    changes, previous = [], Health.NO_DATA
    for start, health in zip(starts, healths, strict=True):
        if health != previous:
            changes.append((previous.value, health.value, start))
        previous = health
    return series, changes  # type: ignore[return-value]


def stored_state(kpi: KPI) -> tuple[list[tuple[date, D, str]], list[tuple[str, str, date]]]:
    series = [
        (p.period_start, p.value, p.health)
        for p in KPIPeriod.objects.filter(kpi=kpi).order_by("period_start")
    ]
    changes = [
        (c.from_health, c.to_health, c.period_start)
        for c in HealthChange.objects.filter(kpi=kpi).order_by("period_start")
    ]
    return series, changes  # type: ignore[return-value]


# --- recording values and health -------------------------------------------------------------


def test_recording_the_same_point_twice_updates_it(scope: Organization, owner: Membership) -> None:
    kpi = monthly_kpi(scope)
    record(owner, kpi, month(2026, 3), "41")
    record(owner, kpi, month(2026, 3), "42.5")
    assert KPIValue.objects.filter(kpi=kpi).count() == 1
    kpi.refresh_from_db()
    assert kpi.latest_value == D("42.5")
    assert kpi.last_recorded_at is not None


def test_health_changes_are_recorded_with_period_and_value(
    scope: Organization, owner: Membership
) -> None:
    kpi = monthly_kpi(scope)
    KPITargetFactory(kpi=kpi, kind="at_most", lower=None, upper=30, tolerance=5)
    record(owner, kpi, month(2026, 1), 20)
    record(owner, kpi, month(2026, 2), 33)
    record(owner, kpi, month(2026, 3), 52)
    kpi.refresh_from_db()
    assert kpi.health == Health.UNHEALTHY
    assert kpi.latest_value == 52
    assert kpi.health_since == month(2026, 3)
    changes = list(HealthChange.objects.filter(kpi=kpi).order_by("period_start"))
    assert [(c.from_health, c.to_health, c.period_start, c.value) for c in changes] == [
        ("no_data", "healthy", date(2026, 1, 1), 20),
        ("healthy", "at_risk", date(2026, 2, 1), 33),
        ("at_risk", "unhealthy", date(2026, 3, 1), 52),
    ]


def test_values_inside_a_period_are_aggregated(scope: Organization, owner: Membership) -> None:
    kpi = monthly_kpi(scope, aggregation="sum")
    KPITargetFactory(kpi=kpi, kind="at_least", lower=100)
    for day in (1, 10, 20):
        record(owner, kpi, month(2026, 5, day), 40)
    kpi.refresh_from_db()
    assert kpi.latest_value == 120
    assert kpi.health == Health.HEALTHY
    assert KPIPeriod.objects.filter(kpi=kpi).count() == 1


def test_target_change_judges_history_against_the_target_of_its_day(
    scope: Organization, owner: Membership
) -> None:
    kpi = monthly_kpi(scope)
    services.kpi_target_set(
        actor=owner, kpi=kpi, kind="at_most", upper="30", effective_from=date(2026, 1, 1)
    )
    for number in range(1, 7):
        record(owner, kpi, month(2026, number), 25)
    kpi.refresh_from_db()
    assert kpi.health == Health.HEALTHY
    # From April (set with a mid-month date: it snaps to the period start) the bar is 20.
    target = services.kpi_target_set(
        actor=owner, kpi=kpi, kind="at_most", upper="20", effective_from=date(2026, 4, 17)
    )
    assert target.effective_from == date(2026, 4, 1)
    healths = dict(KPIPeriod.objects.filter(kpi=kpi).values_list("period_start", "health"))
    assert healths[date(2026, 3, 1)] == Health.HEALTHY
    assert healths[date(2026, 4, 1)] == Health.UNHEALTHY
    kpi.refresh_from_db()
    assert kpi.health == Health.UNHEALTHY
    assert stored_state(kpi) == expected_state(kpi)


def test_hysteresis_is_applied_when_values_arrive(scope: Organization, owner: Membership) -> None:
    kpi = monthly_kpi(scope, hysteresis_periods=2)
    KPITargetFactory(kpi=kpi, kind="at_least", lower=90)
    for number, value in enumerate([95, 80, 95, 80, 80], start=1):
        record(owner, kpi, month(2026, number), value)
        kpi.refresh_from_db()
        assert kpi.health == (Health.UNHEALTHY if number == 5 else Health.HEALTHY), number
    assert kpi.health_since == month(2026, 5)


@pytest.mark.parametrize(("seed", "hysteresis"), [(7, 3), (11, 1), (23, 2), (42, 4)])
def test_random_edits_keep_the_stored_series_equal_to_a_full_recompute(
    scope: Organization,
    owner: Membership,
    seed: int,
    hysteresis: int,
    write_path: str,
) -> None:
    """The incremental path (touched periods + hysteresis window) agrees with recomputing
    everything from scratch after every write, delete and target change, through both the
    PostgreSQL writes and the portable ones SQLite uses."""
    kpi = monthly_kpi(scope, hysteresis_periods=hysteresis, aggregation="average")
    KPITargetFactory(kpi=kpi, kind="between", lower=40, upper=60, tolerance=5)
    rng = random.Random(seed)  # noqa: S311 - a reproducible test sequence
    for step in range(60):
        when = month(2024 + rng.randrange(2), rng.randrange(1, 13), rng.randrange(1, 28))
        action = rng.random()
        if action < 0.7:
            record(owner, kpi, when, rng.choice([30, 38, 50, 50, 50, 63, 70]))
        elif action < 0.85:
            points = list(KPIValue.objects.filter(kpi=kpi).order_by("timestamp"))
            if points:
                victim = rng.choice(points)
                services.kpi_value_delete(actor=owner, value=victim)
        else:
            services.kpi_target_set(
                actor=owner,
                kpi=kpi,
                kind="at_least",
                lower=rng.choice([35, 45, 55]),
                effective_from=when.date(),
            )
        stored, expected = stored_state(kpi), expected_state(kpi)
        assert stored[0] == expected[0], step
        assert stored[1] == expected[1], step


def test_changing_the_frequency_rebuilds_the_periods(
    scope: Organization, owner: Membership
) -> None:
    kpi = monthly_kpi(scope, aggregation="sum")
    for number in (1, 2, 3, 4):
        record(owner, kpi, month(2026, number), 10)
    services.kpi_update(actor=owner, kpi=kpi, update_frequency="quarterly")
    assert list(KPIPeriod.objects.filter(kpi=kpi).values_list("period_start", "value")) == [
        (date(2026, 1, 1), 30),
        (date(2026, 4, 1), 10),
    ]


def test_deleting_the_only_value_returns_to_no_data(scope: Organization, owner: Membership) -> None:
    kpi = monthly_kpi(scope)
    KPITargetFactory(kpi=kpi)
    point = record(owner, kpi, month(2026, 1), 5)
    services.kpi_value_delete(actor=owner, value=point)
    kpi.refresh_from_db()
    assert (kpi.health, kpi.latest_value, kpi.health_since) == (Health.NO_DATA, None, None)
    assert not HealthChange.objects.filter(kpi=kpi).exists()


def test_recording_costs_the_same_whatever_the_history(
    scope: Organization, owner: Membership
) -> None:
    """O(values written): one new value costs the same queries after 12 or 240 periods."""

    def cost(history: int) -> int:
        kpi = monthly_kpi(scope, hysteresis_periods=2)
        KPITargetFactory(kpi=kpi, kind="at_least", lower=10)
        start = datetime(2000, 1, 1, tzinfo=UTC)
        services.kpi_values_record_many(
            organization_id=scope.pk,
            points=[
                services.PointInput(kpi.pk, start + timedelta(days=31 * i), 20 + i % 3)
                for i in range(history)
            ],
            source="import",
        )
        kpi.refresh_from_db()
        with CaptureQueriesContext(connection) as queries:
            record(owner, kpi, start + timedelta(days=31 * (history // 2)), 5)
        assert KPIPeriod.objects.filter(kpi=kpi).count() == history
        return len(queries)

    assert cost(12) == cost(240)


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("abc", "“abc” is not a number."),
        ("", "Enter a number."),
        ("NaN", "NaN (not a number) cannot be stored"),
        ("nan", "NaN (not a number) cannot be stored"),
        ("Infinity", "Infinity cannot be stored"),
        ("-inf", "Infinity cannot be stored"),
        (float("inf"), "Infinity cannot be stored"),
        ("1" * 15, "too many digits"),
        ("1,5", "“1,5” is not a number."),
    ],
)
def test_bad_values_are_refused_with_a_clear_message_and_nothing_is_lost(
    scope: Organization, owner: Membership, raw: object, message: str
) -> None:
    kpi = monthly_kpi(scope)
    record(owner, kpi, month(2026, 1), 7)
    with pytest.raises(DomainError, match=re.escape(message)) as error:
        record(owner, kpi, month(2026, 1), raw)
    assert error.value.field == "value"
    assert list(KPIValue.objects.filter(kpi=kpi).values_list("value", flat=True)) == [7]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1,234,567.5", D("1234567.5")), (" 42 ", D(42)), ("0.1234567", D("0.123457"))],
)
def test_value_parse_accepts_thousands_separators_and_rounds_beyond_six_places(
    raw: str, expected: D
) -> None:
    assert services.value_parse(raw) == expected


def test_far_future_timestamps_are_refused(scope: Organization, owner: Membership) -> None:
    kpi = monthly_kpi(scope)
    with pytest.raises(DomainError, match="in the future") as error:
        record(owner, kpi, timezone.now() + timedelta(days=3), 5)
    assert error.value.field == "timestamp"
    record(owner, kpi, timezone.now() + timedelta(hours=20), 5)  # a time zone ahead is fine
    assert KPIValue.objects.filter(kpi=kpi).count() == 1


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        (
            {"kind": "between", "lower": "60", "upper": "40"},
            "lower",
            "low bound (60) is above the high bound (40)",
        ),
        ({"kind": "between", "lower": "40"}, "upper", "Enter the high bound"),
        ({"kind": "at_least"}, "lower", "Enter the low bound"),
        ({"kind": "at_most", "upper": "30", "tolerance": "-1"}, "tolerance", "cannot be negative"),
        ({"kind": "at_most", "upper": "NaN"}, "upper", "NaN"),
        ({"kind": "roughly", "upper": "3"}, "kind", "Choose the type of target"),
    ],
)
def test_bad_targets_name_the_field_and_keep_the_old_target(
    scope: Organization, owner: Membership, kwargs: dict[str, str], field: str, message: str
) -> None:
    kpi = monthly_kpi(scope)
    services.kpi_target_set(
        actor=owner, kpi=kpi, kind="at_least", lower="5", effective_from=date(2026, 1, 1)
    )
    with pytest.raises(DomainError, match=re.escape(message)) as error:
        services.kpi_target_set(actor=owner, kpi=kpi, effective_from=date(2026, 1, 1), **kwargs)
    assert error.value.field == field
    assert list(KPITarget.objects.filter(kpi=kpi).values_list("kind", "lower")) == [("at_least", 5)]


def test_kpi_fields_are_validated(scope: Organization, owner: Membership) -> None:
    with pytest.raises(DomainError, match="Give the KPI a name") as error:
        services.kpi_create(actor=owner, name="  ")
    assert error.value.field == "name"
    with pytest.raises(DomainError, match="three-letter ISO code"):
        services.kpi_create(actor=owner, name="MRR", unit_kind="currency", currency_code="")
    services.kpi_create(
        actor=owner, name="MRR", key="mrr", unit_kind="currency", currency_code="eur"
    )
    with pytest.raises(DomainError, match="already uses the key") as error:
        services.kpi_create(actor=owner, name="MRR again", key="MRR")
    assert error.value.field == "key"
    assert KPI.objects.get(key="mrr").currency_code == "EUR"
