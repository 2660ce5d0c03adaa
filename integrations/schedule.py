"""When a data source runs next. Slots are deterministic (aligned to the clock), so two
dispatchers computing the same slot agree, and the unique (data source, slot) run holds."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from croniter import croniter

from okrplatform.errors import DomainError

from .models import ScheduleKind

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
MIN_INTERVAL_MINUTES = 5


def schedule_validate(
    *, kind: str, interval_minutes: int | None, at: time | None, cron: str
) -> None:
    if kind == ScheduleKind.INTERVAL and (interval_minutes or 0) < MIN_INTERVAL_MINUTES:
        raise DomainError(
            f"Run at most every {MIN_INTERVAL_MINUTES} minutes.", field="schedule_interval_minutes"
        )
    if kind == ScheduleKind.DAILY and at is None:
        raise DomainError("Choose the time of day to run.", field="schedule_time")
    if kind == ScheduleKind.CRON and not (cron and croniter.is_valid(cron)):
        raise DomainError(
            "Not a valid cron expression (five fields, e.g. “*/15 * * * *”).",
            field="schedule_cron",
        )


def next_slot(
    *,
    kind: str,
    after: datetime,
    interval_minutes: int = 60,
    at: time | None = None,
    cron: str = "",
) -> datetime | None:
    """The first slot strictly after ``after`` (an aware datetime), or None for no schedule."""
    after = after.astimezone(UTC)
    if kind == ScheduleKind.INTERVAL:
        step = timedelta(minutes=max(interval_minutes, MIN_INTERVAL_MINUTES))
        periods = (after - EPOCH) // step + 1
        return EPOCH + periods * step
    if kind == ScheduleKind.HOURLY:
        return after.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    if kind == ScheduleKind.DAILY:
        at = at or time(6, 0)
        candidate = datetime.combine(after.date(), at.replace(tzinfo=None), tzinfo=UTC)
        return candidate if candidate > after else candidate + timedelta(days=1)
    if kind == ScheduleKind.CRON:
        slot: datetime = croniter(cron, after).get_next(datetime)
        return slot.astimezone(UTC)
    return None
