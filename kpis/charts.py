"""The KPI page's history chart: inline SVG built on the server, no JavaScript library.

The whole period series is drawn as a line over the target band of each period: the band steps
where the target changed, so history reads against the target of its day. Only numbers and
escaped labels go into the markup; colours come from ``static/css/kpis.css`` by class name
(the CSP forbids inline styles). Health is also told in text (each point's <title>, the table
below the chart), never by colour alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .formatting import HasUnit, format_target, format_value
from .health import TargetLike
from .models import TargetKind, UpdateFrequency
from .periods import MONTH_NAMES, period_end, period_label

WIDTH, HEIGHT = 960, 320
LEFT, RIGHT, TOP, BOTTOM = 72, 16, 16, 36
MAX_MARKERS = 150  # beyond this, per-point markers are noise; the line says it all
FIXED_LENGTH_DAYS: dict[str, int] = {UpdateFrequency.DAILY: 1, UpdateFrequency.WEEKLY: 7}


class ChartPoint(NamedTuple):
    """One period of the series; a tuple, so database rows become points without a copy."""

    period_start: date
    value: Decimal
    health: str


def _nice_step(span: float, ticks: int) -> float:
    raw = span / max(ticks, 1)
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _y_domain(values: Sequence[float], bounds: Sequence[float]) -> tuple[float, float]:
    low, high = min(*values, *bounds), max(*values, *bounds)
    if high == low:
        spread = abs(high) * 0.1 or 1.0
        return low - spread, high + spread
    margin = (high - low) * 0.08
    return low - margin, high + margin


@dataclass
class _Frame:
    """The chart's scales: dates to x, values to y, over the plot area."""

    first: date
    last_end: date
    low: float
    high: float

    @property
    def plot_h(self) -> float:
        return HEIGHT - TOP - BOTTOM

    def x(self, day: date) -> float:
        span_days = max((self.last_end - self.first).days, 1)
        return LEFT + (day - self.first).days / span_days * (WIDTH - LEFT - RIGHT)

    def y(self, value: float) -> float:
        return TOP + self.plot_h - (value - self.low) / (self.high - self.low) * self.plot_h

    def y_clamped(self, value: float) -> float:
        return min(max(self.y(value), TOP), TOP + self.plot_h)


def _segments(
    targets: Sequence[TargetLike], first: date, last_end: date
) -> list[tuple[date, date, TargetLike]]:
    """Each target over the periods it governed, clipped to the chart's time range."""
    ordered = sorted(targets, key=lambda target: target.effective_from)
    segments = []
    for index, target in enumerate(ordered):
        seg_to = ordered[index + 1].effective_from if index + 1 < len(ordered) else last_end
        seg_from = max(target.effective_from, first)
        if seg_to > seg_from and seg_from < last_end:
            segments.append((seg_from, min(seg_to, last_end), target))
    return segments


def _bands(
    frame: _Frame, segments: list[tuple[date, date, TargetLike]], frequency: str, unit: HasUnit
) -> list[str]:
    """Target bands, the tolerance drawn first so the range itself lies on top of it."""
    parts = []
    bottom_edge = TOP + frame.plot_h
    for seg_from, seg_to, target in segments:
        x0, x1 = frame.x(seg_from), frame.x(seg_to)
        has_lower = target.kind != TargetKind.AT_MOST and target.lower is not None
        has_upper = target.kind != TargetKind.AT_LEAST and target.upper is not None
        lower = float(target.lower) if has_lower and target.lower is not None else None
        upper = float(target.upper) if has_upper and target.upper is not None else None
        tolerance = float(target.tolerance) if target.tolerance else 0.0
        top = TOP if upper is None else frame.y_clamped(upper)
        bottom = bottom_edge if lower is None else frame.y_clamped(lower)
        if tolerance:
            tol_top = TOP if upper is None else frame.y_clamped(upper + tolerance)
            tol_bottom = bottom_edge if lower is None else frame.y_clamped(lower - tolerance)
            parts.append(
                f'<rect class="chart-tolerance" x="{x0:.1f}" y="{tol_top:.1f}" '
                f'width="{x1 - x0:.1f}" height="{max(tol_bottom - tol_top, 0):.1f}"/>'
            )
        label = (
            f"{format_target(target, unit)} from {period_label(frequency, target.effective_from)}"
        )
        parts.append(
            f'<rect class="chart-band" x="{x0:.1f}" y="{top:.1f}" width="{x1 - x0:.1f}" '
            f'height="{max(bottom - top, 0):.1f}"><title>{escape(label)}</title></rect>'
        )
        for bound in (lower, upper):
            if bound is not None:
                y = frame.y_clamped(bound)
                parts.append(
                    f'<line class="chart-bound" x1="{x0:.1f}" y1="{y:.1f}" '
                    f'x2="{x1:.1f}" y2="{y:.1f}"/>'
                )
    return parts


def _y_axis(frame: _Frame, unit: HasUnit) -> list[str]:
    """A few round values as grid lines with labels."""
    parts = []
    step = _nice_step(frame.high - frame.low, 4)
    tick = math.ceil(frame.low / step) * step
    while tick <= frame.high:
        y = frame.y(tick)
        text = escape(format_value(Decimal(str(round(tick, 6))), unit))
        parts.append(
            f'<line class="chart-grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}"/>'
            f'<text class="chart-label" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{text}</text>'
        )
        tick += step
    return parts


def _x_axis(frame: _Frame) -> list[str]:
    """Month (or year) starts, about eight labels at most."""
    parts = []
    months = max((frame.last_end - frame.first).days // 30, 1)
    every = next((n for n in (1, 2, 3, 6, 12, 24, 60) if months / n <= 8), 120)
    day = date(frame.first.year, frame.first.month, 1)
    baseline = TOP + frame.plot_h
    while day < frame.last_end:
        if day >= frame.first and (day.year * 12 + day.month - 1) % every == 0:
            x = frame.x(day)
            label = str(day.year) if every >= 12 else f"{MONTH_NAMES[day.month - 1][:3]} {day.year}"
            parts.append(
                f'<line class="chart-tick" x1="{x:.1f}" y1="{baseline}" x2="{x:.1f}" '
                f'y2="{baseline + 4}"/><text class="chart-label" x="{x:.1f}" '
                f'y="{HEIGHT - 12}" text-anchor="middle">{label}</text>'
            )
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return parts


def _middles(points: Sequence[ChartPoint], frequency: str) -> list[int]:
    """The middle day of each point's period (a date ordinal, rounded down like ``_Frame.x``'s
    dates): where its value is drawn."""
    fixed = FIXED_LENGTH_DAYS.get(frequency)
    if fixed is not None:  # the common long series: no calendar arithmetic per point
        return [point.period_start.toordinal() + fixed // 2 for point in points]
    return [
        start.toordinal() + (period_end(frequency, start) - start).days // 2
        for start, _value, _health in points
    ]


def _series(
    frame: _Frame,
    points: Sequence[ChartPoint],
    values: Sequence[float],
    frequency: str,
    unit: HasUnit,
) -> list[str]:
    """The value line, each point at the middle of its period; markers carry the health text.

    Thousands of points (5 years of daily values) go through two comprehensions of plain
    arithmetic: ``_Frame.x`` and ``_Frame.y`` inlined, the same operations in the same order."""
    origin, span_days = frame.first.toordinal(), max((frame.last_end - frame.first).days, 1)
    plot_w, plot_h, low, span = (
        WIDTH - LEFT - RIGHT,
        frame.plot_h,
        frame.low,
        frame.high - frame.low,
    )
    xs = [LEFT + (middle - origin) / span_days * plot_w for middle in _middles(points, frequency)]
    ys = [TOP + plot_h - (value - low) / span * plot_h for value in values]
    line = " ".join([f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True)])
    parts = [f'<polyline class="chart-line" fill="none" points="{line}"/>']
    first_marker = 0 if len(points) <= MAX_MARKERS else len(points) - 1
    for index in range(first_marker, len(points)):
        point = points[index]
        health = point.health.replace("_", " ")
        label = f"{period_label(frequency, point.period_start)}: {format_value(point.value, unit)} ({health})"
        parts.append(
            f'<circle class="chart-point chart-point-{escape(point.health)}" cx="{xs[index]:.1f}" '
            f'cy="{ys[index]:.1f}" r="4"><title>{escape(label)}</title></circle>'
        )
    return parts


def history_chart(
    points: Sequence[ChartPoint],
    targets: Sequence[TargetLike],
    *,
    frequency: str,
    unit: HasUnit,
    title: str,
) -> SafeString:
    """The SVG of ``points`` (oldest first) with each target's band over its own periods."""
    if not points:
        return mark_safe("")
    first, last_end = points[0].period_start, period_end(frequency, points[-1].period_start)
    segments = _segments(targets, first, last_end)
    bounds = [
        float(bound)
        for _from, _to, target in segments
        for bound in (target.lower, target.upper)
        if bound is not None
    ]
    values = [float(point.value) for point in points]
    low, high = _y_domain(values, bounds)
    frame = _Frame(first=first, last_end=last_end, low=low, high=high)
    current = max(targets, key=lambda target: target.effective_from) if targets else None
    latest = points[-1]
    description = (
        f"{len(points)} periods from {period_label(frequency, first)} to "
        f"{period_label(frequency, latest.period_start)}; latest {format_value(latest.value, unit)}"
        f", target {format_target(current, unit)}."
    )
    parts = [
        f'<svg class="kpi-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="kpi-chart-title kpi-chart-desc" preserveAspectRatio="xMidYMid meet">',
        f'<title id="kpi-chart-title">{escape(title)}</title>',
        f'<desc id="kpi-chart-desc">{escape(description)}</desc>',
        *_bands(frame, segments, frequency, unit),
        *_y_axis(frame, unit),
        *_x_axis(frame),
        *_series(frame, points, values, frequency, unit),
        "</svg>",
    ]
    return mark_safe("".join(parts))  # noqa: S308 - numbers and escaped text only
