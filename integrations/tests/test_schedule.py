from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from integrations.schedule import next_slot, schedule_validate
from okrplatform.errors import DomainError

AFTER = datetime(2026, 3, 10, 14, 7, 30, tzinfo=UTC)


def test_interval_slots_are_aligned_and_strictly_after() -> None:
    assert next_slot(kind="interval", after=AFTER, interval_minutes=15) == datetime(
        2026, 3, 10, 14, 15, tzinfo=UTC
    )
    exact = datetime(2026, 3, 10, 14, 15, tzinfo=UTC)
    assert next_slot(kind="interval", after=exact, interval_minutes=15) == datetime(
        2026, 3, 10, 14, 30, tzinfo=UTC
    )


def test_hourly_daily_cron_none() -> None:
    assert next_slot(kind="hourly", after=AFTER) == datetime(2026, 3, 10, 15, tzinfo=UTC)
    assert next_slot(kind="daily", after=AFTER, at=time(6, 30)) == datetime(
        2026, 3, 11, 6, 30, tzinfo=UTC
    )
    assert next_slot(kind="daily", after=AFTER, at=time(18, 0)) == datetime(
        2026, 3, 10, 18, tzinfo=UTC
    )
    assert next_slot(kind="cron", after=AFTER, cron="*/20 * * * *") == datetime(
        2026, 3, 10, 14, 20, tzinfo=UTC
    )
    assert next_slot(kind="none", after=AFTER) is None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        (
            {"kind": "interval", "interval_minutes": 1, "at": None, "cron": ""},
            "schedule_interval_minutes",
        ),
        ({"kind": "daily", "interval_minutes": None, "at": None, "cron": ""}, "schedule_time"),
        (
            {"kind": "cron", "interval_minutes": None, "at": None, "cron": "every day"},
            "schedule_cron",
        ),
    ],
)
def test_invalid_schedules(kwargs, field) -> None:
    with pytest.raises(DomainError) as caught:
        schedule_validate(**kwargs)
    assert caught.value.field == field
