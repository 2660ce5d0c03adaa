"""Sparklines as inline SVG, built on the server from a KPI's recent period values.

Built with string formatting rather than a template: only numbers and one escaped label go into
the markup, and a board renders up to a few hundred of these per request. Colours come from
``static/css/boards.css`` through the class names (the CSP forbids inline styles).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape

from django.utils.safestring import SafeString

WIDTH = 160  # CSS pixels
HEIGHT = 40
# Coordinates are drawn at ten times the pixel size so they can be written as integers (faster
# to format than floats, still 0.1 px precise); the stroke keeps its pixel width through
# ``vector-effect: non-scaling-stroke`` in boards.css.
SCALE = 10
PAD = 3.0 * SCALE


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
        return SafeString("")
    points = [float(v) for v in values]
    band_low = float(lower) if lower is not None and kind in ("at_least", "between") else None
    band_high = float(upper) if upper is not None and kind in ("at_most", "between") else None
    bounds = [b for b in (band_low, band_high) if b is not None]
    low, high = _domain(points, bounds)
    box_width, box_height = WIDTH * SCALE, HEIGHT * SCALE
    scale = (box_height - 2 * PAD) / (high - low)
    base = box_height - PAD + low * scale  # y of a value v is base - v * scale

    step = (box_width - 2 * PAD) / (len(points) - 1) if len(points) > 1 else 0.0
    coordinates = [
        f"{int(PAD + index * step)},{int(base - value * scale)}"
        for index, value in enumerate(points)
    ]
    parts = [
        f'<svg class="sparkline" viewBox="0 0 {box_width} {box_height}" width="{WIDTH}" '
        f'height="{HEIGHT}" role="img" aria-label="{escape(label)}">'
    ]
    if bounds:
        top = 0 if band_high is None else max(0, int(base - band_high * scale))
        bottom = box_height if band_low is None else min(box_height, int(base - band_low * scale))
        if bottom > top:
            parts.append(
                f'<rect class="sparkline-band" x="0" y="{top}" width="{box_width}" '
                f'height="{bottom - top}"/>'
            )
    if len(points) > 1:
        parts.append(
            f'<polyline class="sparkline-line" fill="none" points="{" ".join(coordinates)}"/>'
        )
    last_x, last_y = coordinates[-1].split(",")
    parts.append(f'<circle class="sparkline-last" cx="{last_x}" cy="{last_y}" r="25"/></svg>')
    # Numbers and an escaped label only; SafeString as in ``boards.card_html``.
    return SafeString("".join(parts))
