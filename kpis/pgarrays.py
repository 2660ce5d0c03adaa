"""PostgreSQL array literals (``{1,2,3}``) built in one pass, for the ``unnest`` upserts.

psycopg adapts a Python list element by element in Python; for the 5,000-point batches of the
bulk API that cost more than the statement itself. The values here are our own: ints, aware
datetimes, dates, finite Decimals and NUL-free text, each with a text form PostgreSQL reads back
exactly once the literal is cast (``%s::timestamptz[]`` and so on).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal


def numbers_literal(values: Iterable[int | Decimal]) -> str:
    """Ints or finite Decimals (``str`` of a Decimal, exponent form included, is valid numeric input)."""
    return "{" + ",".join(map(str, values)) + "}"


def dates_literal(values: Iterable[date]) -> str:
    """Dates, or aware datetimes: ISO 8601 with the offset, unambiguous for ``timestamptz``."""
    return "{" + ",".join(value.isoformat() for value in values) + "}"


def texts_literal(values: Iterable[str]) -> str:
    """Text elements, each double-quoted (so empty strings and "NULL" stay text)."""
    return (
        "{"
        + ",".join('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' for value in values)
        + "}"
    )


def ids_literal(values: Iterable[int | None]) -> str:
    """Ids, None as NULL (a point with no sync run)."""
    return "{" + ",".join("NULL" if value is None else str(value) for value in values) + "}"
