"""Sparklines as inline SVG, built on the server from a KPI's recent period values.

Built with string formatting rather than a template: only numbers and one escaped label go into
the markup, and a board renders up to a few hundred of these per request. Colours come from
``static/css/boards.css`` through the class names (the CSP forbids inline styles).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 160
HEIGHT = 40
PAD = 3.0


def _domain(values: Sequence[float], bounds: Sequence[float]) -> tuple[float, float]:
    low = min(*values, *bounds) if bounds else min(values)
    high = max(*values, *bounds) if bounds else max(values)
    if high == low:  # a flat line sits in the middle of the box
        spread = abs(high) * 0.1 or 1.0
        return low - spread, high + spread
    margin = (high - low) * 0.05
    return low - margin, high + margin


def sparkline_svg(
    values: Sequence[Decimal],
    *,
    kind: str | None,
    lower: Decimal | None,
    upper: Decimal | None,
    label: str,
) -> SafeString:
    """``values`` oldest first; the target band (``kind`` at_least / at_most / between) shaded."""
    if not values:
        return mark_safe("")
    points = [float(v) for v in values]
    band_low = float(lower) if lower is not None and kind in ("at_least", "between") else None
    band_high = float(upper) if upper is not None and kind in ("at_most", "between") else None
    bounds = [b for b in (band_low, band_high) if b is not None]
    low, high = _domain(points, bounds)
    scale = (HEIGHT - 2 * PAD) / (high - low)

    def y_of(value: float) -> float:
        return HEIGHT - PAD - (value - low) * scale

    step = (WIDTH - 2 * PAD) / (len(points) - 1) if len(points) > 1 else 0.0
    coordinates = " ".join(
        f"{PAD + index * step:.1f},{y_of(value):.1f}" for index, value in enumerate(points)
    )
    parts = [
        f'<svg class="sparkline" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-label="{escape(label)}">'
    ]
    if bounds:
        top = 0.0 if band_high is None else max(0.0, y_of(band_high))
        bottom = float(HEIGHT) if band_low is None else min(float(HEIGHT), y_of(band_low))
        if bottom > top:
            parts.append(
                f'<rect class="sparkline-band" x="0" y="{top:.1f}" width="{WIDTH}" '
                f'height="{bottom - top:.1f}"/>'
            )
    if len(points) > 1:
        parts.append(f'<polyline class="sparkline-line" fill="none" points="{coordinates}"/>')
    last_x, last_y = coordinates.rsplit(" ", 1)[-1].split(",")
    parts.append(f'<circle class="sparkline-last" cx="{last_x}" cy="{last_y}" r="2.5"/></svg>')
    return mark_safe("".join(parts))  # noqa: S308 - numbers and an escaped label only
