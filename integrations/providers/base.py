"""What every provider module provides, and the points they return."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms

MAX_POINTS = 10_000


@dataclass(frozen=True)
class Point:
    timestamp: datetime
    value: Decimal


class FetchError(Exception):
    """A fetch failed. The message is shown to the organisation's admins, so it names the
    problem in their terms and reveals nothing of our network. ``transient`` errors are retried.
    """

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient


Fetch = Callable[..., list[Point]]


@dataclass(frozen=True)
class ProviderSpec:
    key: str
    label: str
    settings_form: type[forms.Form]
    extraction_form: type[forms.Form]
    fetch: Fetch | None  # None: the provider is pushed to, never pulled
    secret_fields: tuple[str, ...] = ()
    description: str = ""

    @property
    def pulls(self) -> bool:
        """Fetched on a schedule (templates cannot test ``fetch``: they would call it)."""
        return self.fetch is not None


def value_parse(raw: Any, *, where: str = "The value") -> Decimal:
    if isinstance(raw, bool) or raw is None:
        raise FetchError(f"{where} is not a number ({raw!r}).")
    try:
        value = Decimal(str(raw).strip().replace(",", "")) if isinstance(raw, str) else Decimal(raw)
    except (InvalidOperation, ValueError, TypeError):
        raise FetchError(f"{where} is not a number ({str(raw)[:40]!r}).") from None
    if not value.is_finite():
        raise FetchError(f"{where} is not a finite number.")
    return value


def timestamp_parse(raw: Any, *, where: str = "The timestamp") -> datetime:
    """ISO 8601 strings (a date alone means midnight UTC) or Unix seconds/milliseconds."""
    if isinstance(raw, int | float | Decimal) and not isinstance(raw, bool):
        seconds = float(raw)
        if seconds > 10_000_000_000:  # milliseconds
            seconds /= 1000
        return datetime.fromtimestamp(seconds, tz=UTC)
    if isinstance(raw, str) and raw.strip():
        text = raw.strip().replace("Z", "+00:00")
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            try:
                return timestamp_parse(float(text), where=where)
            except ValueError:
                raise FetchError(f"{where} is not a date or time ({raw[:40]!r}).") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise FetchError(f"{where} is missing or not a date ({str(raw)[:40]!r}).")


def points_cap(points: list[Point]) -> list[Point]:
    if len(points) > MAX_POINTS:
        raise FetchError(f"The source returned {len(points)} points; at most {MAX_POINTS} allowed.")
    return points
