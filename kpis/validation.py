"""Validation of incoming KPI values and timestamps: one place, so a form, the API, a CSV import
and an integration all refuse bad input with the same specific message."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from django.utils import timezone

from okrplatform.errors import DomainError

from .models import VALUE_DECIMAL_PLACES, VALUE_MAX_DIGITS

MAX_INTEGER_DIGITS = VALUE_MAX_DIGITS - VALUE_DECIMAL_PLACES
QUANTUM = Decimal(1).scaleb(-VALUE_DECIMAL_PLACES)
FUTURE_GRACE = timedelta(days=1)
# "1,234,567.89": commas only as thousands separators, so "1,5" is never read as 15 or 1.5.
THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_INTEGER_LIMIT = 10**MAX_INTEGER_DIGITS
_TOO_MANY_DIGITS = (
    f"The number has too many digits: at most {MAX_INTEGER_DIGITS} before the decimal point."
)


def value_parse(raw: object, *, field: str = "value") -> Decimal:
    """``raw`` (text, int, float or Decimal) as a Decimal a KPI can store, or a DomainError
    saying exactly what is wrong. Decimals beyond six places are rounded, not refused: sensors
    and averages produce them and the sixth place is far below any KPI's precision."""
    if isinstance(raw, bool) or raw is None:
        raise DomainError("Enter a number.", field=field)
    if type(raw) is int:  # the common case of the bulk API: exact, nothing to round
        if abs(raw) >= _INTEGER_LIMIT:
            raise DomainError(_TOO_MANY_DIGITS, field=field)
        return Decimal(raw)
    if isinstance(raw, Decimal):
        number = raw
    else:
        text = str(raw).strip().replace("\u00a0", "").replace(" ", "")
        if not text:
            raise DomainError("Enter a number.", field=field)
        if THOUSANDS.match(text):
            text = text.replace(",", "")
        try:
            number = Decimal(text)
        except InvalidOperation:
            shown = str(raw).strip()[:40]
            raise DomainError(f"“{shown}” is not a number.", field=field) from None
    if number.is_nan():
        raise DomainError("NaN (not a number) cannot be stored; enter a number.", field=field)
    if number.is_infinite():
        raise DomainError("Infinity cannot be stored; enter a finite number.", field=field)
    if number != 0 and number.adjusted() >= MAX_INTEGER_DIGITS:
        raise DomainError(_TOO_MANY_DIGITS, field=field)
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -VALUE_DECIMAL_PLACES:
        number = number.quantize(QUANTUM, rounding=ROUND_HALF_EVEN)
    return number


def timestamp_validate(
    timestamp: datetime, *, now: datetime | None = None, field: str = "timestamp"
) -> datetime:
    """An aware timestamp no more than a day in the future (naive ones are read in the
    organisation's time zone)."""
    if timezone.is_naive(timestamp):
        timestamp = timezone.make_aware(timestamp)
    now = now or timezone.now()
    if timestamp > now + FUTURE_GRACE:
        raise DomainError(
            f"{timestamp:%Y-%m-%d %H:%M} is in the future; values can be recorded at most a day ahead.",
            field=field,
        )
    return timestamp
