"""The array literals of the unnest upserts read back exactly what was written."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from django.db import connection

from kpis.pgarrays import dates_literal, numbers_literal, texts_literal

pytestmark = pytest.mark.django_db


def _read(literal: str, cast: str) -> list[object]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT %s::{cast}", [literal])
        values: list[object] = cursor.fetchone()[0]
        return values


def test_text_elements_keep_quotes_backslashes_commas_and_look_alikes() -> None:
    texts = ["", "NULL", 'say "hi"', "back\\slash", "a,b {c}", " padded ", "ünïcødé ✓"]
    assert _read(texts_literal(texts), "text[]") == texts


def test_numbers_keep_their_value_including_exponent_forms() -> None:
    numbers = [Decimal("1E+2"), Decimal("-0.000001"), Decimal("12345678901234.123456"), 7]
    assert _read(numbers_literal(numbers), "numeric[]") == [
        Decimal(100),
        Decimal("-0.000001"),
        Decimal("12345678901234.123456"),
        Decimal(7),
    ]
    assert _read(numbers_literal([1, 2**40]), "bigint[]") == [1, 2**40]


def test_timestamps_keep_their_instant_and_dates_their_day() -> None:
    instants = [
        datetime(2024, 3, 31, 1, 30, 0, 123456, tzinfo=timezone(timedelta(hours=2))),
        datetime(2019, 1, 1, tzinfo=UTC),
    ]
    assert _read(dates_literal(instants), "timestamptz[]") == instants
    days = [date(2024, 2, 29), date(1999, 12, 31)]
    assert _read(dates_literal(days), "date[]") == days
