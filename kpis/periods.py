"""Reporting periods: the day, week (Monday first), month or quarter a KPI is judged over.

Periods are calendar dates in the organisation's time zone (``settings.TIME_ZONE``, UTC by
default): a value recorded at 23:30 UTC on 31 March belongs to April in Europe/Berlin. Ends are
exclusive, so ``[period_start, period_end)`` covers a period exactly.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

from django.utils import timezone

from .models import UpdateFrequency

MONTH_NAMES = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def _zone(tz: tzinfo | None) -> tzinfo:
    return tz if tz is not None else timezone.get_default_timezone()


def local_date(when: datetime, tz: tzinfo | None = None) -> date:
    if timezone.is_naive(when):
        raise ValueError("Periods need aware datetimes.")
    return when.astimezone(_zone(tz)).date()


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def start_of(frequency: str, day: date) -> date:
    """The first day of the period that contains ``day``."""
    if frequency == UpdateFrequency.DAILY:
        return day
    if frequency == UpdateFrequency.WEEKLY:
        return day - timedelta(days=day.weekday())
    if frequency == UpdateFrequency.MONTHLY:
        return day.replace(day=1)
    if frequency == UpdateFrequency.QUARTERLY:
        return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    raise ValueError(f"Unknown update frequency: {frequency!r}")


def period_start(frequency: str, when: datetime, tz: tzinfo | None = None) -> date:
    """The first day of the period ``when`` falls in, in the organisation's time zone."""
    return start_of(frequency, local_date(when, tz))


def period_end(frequency: str, start: date) -> date:
    """The first day *after* the period that starts on ``start`` (exclusive end)."""
    if frequency == UpdateFrequency.DAILY:
        return start + timedelta(days=1)
    if frequency == UpdateFrequency.WEEKLY:
        return start + timedelta(days=7)
    if frequency == UpdateFrequency.MONTHLY:
        return _add_months(start, 1)
    if frequency == UpdateFrequency.QUARTERLY:
        return _add_months(start, 3)
    raise ValueError(f"Unknown update frequency: {frequency!r}")


def previous_period_start(frequency: str, start: date) -> date:
    """The start of the period just before the one starting on ``start``."""
    return start_of(frequency, start - timedelta(days=1))


def period_bounds(
    frequency: str, start: date, tz: tzinfo | None = None
) -> tuple[datetime, datetime]:
    """The period as an aware ``[from, to)`` datetime range, for filtering timestamps."""
    zone = _zone(tz)
    end = period_end(frequency, start)
    return (
        datetime.combine(start, time.min).replace(tzinfo=zone),
        datetime.combine(end, time.min).replace(tzinfo=zone),
    )


def last_completed_period_start(frequency: str, now: datetime, tz: tzinfo | None = None) -> date:
    return previous_period_start(frequency, period_start(frequency, now, tz))


def period_label(frequency: str, start: date) -> str:
    """How people name a period: "12 Mar 2027", "Week of 8 Mar 2027", "March 2027", "Q1 2027"."""
    if frequency == UpdateFrequency.DAILY:
        return f"{start.day} {MONTH_NAMES[start.month - 1][:3]} {start.year}"
    if frequency == UpdateFrequency.WEEKLY:
        return f"Week of {start.day} {MONTH_NAMES[start.month - 1][:3]} {start.year}"
    if frequency == UpdateFrequency.MONTHLY:
        return f"{MONTH_NAMES[start.month - 1]} {start.year}"
    return f"Q{(start.month - 1) // 3 + 1} {start.year}"
