from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from kpis.formatting import format_target, format_value


@dataclass
class Unit:
    unit_kind: str = "number"
    currency_code: str = ""
    unit_suffix: str = ""
    decimal_places: int = 0


@dataclass
class Range:
    kind: str
    lower: Decimal | None = None
    upper: Decimal | None = None


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (Decimal("12400"), Unit("currency", "EUR"), "€12,400"),
        (Decimal("-12.5"), Unit("currency", "USD", decimal_places=2), "-$12.50"),
        (Decimal("99"), Unit("currency", "SEK"), "99 SEK"),
        (Decimal("93.46"), Unit("percentage", decimal_places=1), "93.5%"),
        (Decimal("42"), Unit("duration"), "42 min"),
        (Decimal("1234.5"), Unit("custom", unit_suffix="tickets"), "1,234 tickets"),
        (None, Unit(), "—"),
    ],
)
def test_format_value(value: Decimal | None, unit: Unit, expected: str) -> None:
    assert format_value(value, unit) == expected


def test_format_target_covers_every_kind() -> None:
    unit = Unit("percentage")
    assert format_target(Range("at_least", lower=Decimal(90)), unit) == "≥ 90%"
    assert format_target(Range("at_most", upper=Decimal(5)), unit) == "≤ 5%"
    assert format_target(Range("between", Decimal(40), Decimal(60)), unit) == "40% – 60%"
    assert format_target(None, unit) == "No target"
