"""Values and target ranges as people read them: "€12,400", "93.5%", "42 min", "≥ 90%".

Plain Python string formatting on purpose: template number filters dominated the render time of
a 200-card board (ARCHITECTURE.md), so pages receive preformatted strings.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CHF": "CHF ", "INR": "₹"}


class HasUnit(Protocol):
    unit_kind: str
    currency_code: str
    unit_suffix: str
    decimal_places: int


class HasRange(Protocol):
    kind: str
    lower: Decimal | None
    upper: Decimal | None


def format_number(value: Decimal | float, decimal_places: int) -> str:
    return f"{value:,.{decimal_places}f}"


def format_value(value: Decimal | float | None, unit: HasUnit) -> str:
    """``value`` in ``unit``'s unit, or an em dash when there is none."""
    if value is None:
        return "—"
    number = format_number(value, unit.decimal_places)
    kind = unit.unit_kind
    if kind == "percentage":
        return f"{number}%"
    if kind == "currency":
        code = unit.currency_code.upper()
        symbol = CURRENCY_SYMBOLS.get(code)
        if symbol:
            return f"-{symbol}{number[1:]}" if number.startswith("-") else f"{symbol}{number}"
        return f"{number} {code}".strip()
    if kind == "duration":
        return f"{number} min"
    if kind == "custom" and unit.unit_suffix:
        return f"{number} {unit.unit_suffix}"
    return number


def format_target(target: HasRange | None, unit: HasUnit) -> str:
    """A target range in words a manager scans quickly: "≥ 90%", "≤ 30 min", "40–60 NPS"."""
    if target is None:
        return "No target"
    if target.kind == "at_least":
        return f"≥ {format_value(target.lower, unit)}"
    if target.kind == "at_most":
        return f"≤ {format_value(target.upper, unit)}"
    return f"{format_value(target.lower, unit)} – {format_value(target.upper, unit)}"
