"""The KPI history chart: target bands that step with target changes, escaped labels."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from kpis.charts import MAX_MARKERS, ChartPoint, history_chart


@dataclass
class Unit:
    unit_kind: str = "custom"
    currency_code: str = ""
    unit_suffix: str = "<b>tickets</b>"
    decimal_places: int = 0


@dataclass
class Target:
    kind: str
    lower: Decimal | None
    upper: Decimal | None
    tolerance: Decimal | None
    effective_from: date


def months(count: int, value: int = 40) -> list[ChartPoint]:
    return [
        ChartPoint(date(2024 + i // 12, i % 12 + 1, 1), Decimal(value + i % 5), "healthy")
        for i in range(count)
    ]


def test_each_target_shades_its_own_periods() -> None:
    targets = [
        Target("at_most", None, Decimal(50), Decimal(5), date(2020, 1, 1)),
        Target("between", Decimal(35), Decimal(45), None, date(2025, 1, 1)),
    ]
    svg = history_chart(months(24), targets, frequency="monthly", unit=Unit(), title="Tickets")
    bands = re.findall(r'<rect class="chart-band" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', svg)
    assert len(bands) == 2
    (x0, w0), (x1, _w1) = [(float(x), float(w)) for x, w in bands]
    assert x0 == 72.0  # the first target is clipped to the chart's start
    assert abs(x0 + w0 - x1) < 0.2  # the second band starts where the first ends
    assert svg.count('class="chart-tolerance"') == 1  # only the first target has a tolerance
    assert svg.count("<circle") == 24


def test_labels_are_escaped_and_long_series_drop_markers() -> None:
    svg = history_chart(
        months(MAX_MARKERS + 10), [], frequency="monthly", unit=Unit(), title="A <script>"
    )
    assert "<script>" not in svg
    assert "&lt;b&gt;tickets&lt;/b&gt;" in svg
    assert svg.count("<circle") == 1  # only the latest point is marked


def test_no_points_no_chart() -> None:
    assert history_chart([], [], frequency="monthly", unit=Unit(), title="x") == ""
