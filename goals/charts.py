"""The check-in history of a key result as an inline SVG line, computed on the server.

Coordinates are preformatted strings so the template only places them (no template maths).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.utils import timezone

WIDTH = 320
HEIGHT = 80
PAD = 6


@dataclass(frozen=True)
class Point:
    x: str
    y: str
    label: str


@dataclass(frozen=True)
class HistoryChart:
    width: int
    height: int
    points: str  # for <polyline points="…">
    dots: list[Point]
    start_y: str
    target_y: str
    description: str


def _day(moment: datetime) -> date:
    return timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()


def history_chart(
    *,
    start_date: date,
    end_date: date,
    start_value: Decimal,
    target_value: Decimal,
    check_ins: Sequence[tuple[datetime, Decimal]],
) -> HistoryChart | None:
    """Values over the cycle's days, scaled between the lowest and highest of start, target and
    every value; the start and target are horizontal guides. None without check-ins."""
    if not check_ins:
        return None
    values = [value for _, value in check_ins]
    low = min([start_value, target_value, *values])
    high = max([start_value, target_value, *values])
    span = (high - low) or Decimal(1)
    days = max((end_date - start_date).days, 1)

    def x_of(moment: datetime) -> float:
        offset = min(max((_day(moment) - start_date).days, 0), days)
        return PAD + (WIDTH - 2 * PAD) * offset / days

    def y_of(value: Decimal) -> float:
        return PAD + (HEIGHT - 2 * PAD) * float((high - value) / span)

    dots = [
        Point(
            f"{x_of(moment):.1f}",
            f"{y_of(value):.1f}",
            f"{_day(moment):%d %b}: {value.normalize():f}",
        )
        for moment, value in check_ins
    ]
    first, last = check_ins[0][1], check_ins[-1][1]
    return HistoryChart(
        width=WIDTH,
        height=HEIGHT,
        points=" ".join(f"{dot.x},{dot.y}" for dot in dots),
        dots=dots,
        start_y=f"{y_of(start_value):.1f}",
        target_y=f"{y_of(target_value):.1f}",
        description=(
            f"{len(check_ins)} check-in{'s' if len(check_ins) != 1 else ''}, "
            f"from {first.normalize():f} to {last.normalize():f}; target {target_value.normalize():f}."
        ),
    )
