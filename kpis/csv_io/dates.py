"""Dates in imported CSV files: one explicit format per file, detected, never guessed row by row.

Spreadsheets write dates in whatever the author's locale prefers. Guessing each row on its own
turns "03/04/2024" into March in one row and April in the next without anybody noticing, so the
whole file is read first and one format is settled for all of it: ISO 8601 (``2024-03-04``, with or
without a time and offset), or day-month-year with ``/``, ``.`` or ``-``. Whether day-month-year
means day first or month first is only decided by a row that cannot be read the other way
(``13/04/2024``); a file with none of those is ambiguous and the person has to choose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo

from django.db import models
from django.utils import timezone

from okrplatform.errors import DomainError

ISO_PATTERN = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?"
)
DAY_MONTH_PATTERN = re.compile(
    r"(?P<first>\d{1,2})(?P<sep>[/.-])(?P<second>\d{1,2})(?P=sep)(?P<year>\d{4})"
    r"(?:[ T](?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second_of_minute>\d{2}))?)?"
)
ISO_FAMILY = "YYYY-MM-DD"
DAY_MONTH_FAMILY = "DD/MM/YYYY or MM/DD/YYYY"
ROWS_NAMED = 10  # how many row numbers an error message lists before "and N more"


class DateFormat(models.TextChoices):
    AUTO = "auto", "Detect from the file"
    ISO = "iso", "YYYY-MM-DD (ISO 8601, optionally with a time)"
    DAY_FIRST = "dmy", "DD/MM/YYYY (day first)"
    MONTH_FIRST = "mdy", "MM/DD/YYYY (month first)"


class CSVImportError(DomainError):
    """The file as a whole cannot be imported (size, encoding, header, date format)."""


def rows_named(rows: list[int], total: int) -> str:
    """ "rows 2, 3 and 9" / "rows 2, 3, … and 41 more": row numbers as the spreadsheet shows them."""
    listed = ", ".join(str(row) for row in rows[:ROWS_NAMED])
    noun = "row" if total == 1 else "rows"
    more = total - min(len(rows), ROWS_NAMED)
    return f"{noun} {listed}" + (f" and {more} more" if more > 0 else "")


@dataclass
class _RowSample:
    rows: list[int] = field(default_factory=list)
    total: int = 0
    example: str = ""

    def add(self, row: int, raw: str) -> None:
        if not self.example:
            self.example = raw
        if len(self.rows) < ROWS_NAMED:
            self.rows.append(row)
        self.total += 1

    def __str__(self) -> str:
        return rows_named(self.rows, self.total)


@dataclass
class DateFormatEvidence:
    """Collects what each row's date looks like while the file streams past, then decides."""

    iso: _RowSample = field(default_factory=_RowSample)
    day_month: _RowSample = field(default_factory=_RowSample)
    only_day_first: _RowSample = field(default_factory=_RowSample)
    only_month_first: _RowSample = field(default_factory=_RowSample)

    def add(self, row: int, raw: str) -> None:
        if ISO_PATTERN.fullmatch(raw):
            self.iso.add(row, raw)
            return
        match = DAY_MONTH_PATTERN.fullmatch(raw)
        if match is None:
            return  # not a date at all: that row gets its own error when it is parsed
        self.day_month.add(row, raw)
        first, second = int(match["first"]), int(match["second"])
        if first > 12 >= second:
            self.only_day_first.add(row, raw)
        elif second > 12 >= first:
            self.only_month_first.add(row, raw)

    def decide(self, chosen: str) -> tuple[str, str]:
        """The format to read every row with, and a sentence saying why, for the preview."""
        if self.iso.total and self.day_month.total:
            raise CSVImportError(
                f"The file mixes date formats: {ISO_FAMILY} in {self.iso} "
                f"(e.g. “{self.iso.example}”), {DAY_MONTH_FAMILY} in {self.day_month} "
                f"(e.g. “{self.day_month.example}”). Use one format throughout and upload again.",
                field="file",
            )
        if chosen != DateFormat.AUTO:
            return chosen, f"Dates read as {DateFormat(chosen).label}, as you chose."
        if not self.day_month.total:
            return DateFormat.ISO, f"Dates read as {DateFormat.ISO.label}."
        day_first, month_first = self.only_day_first, self.only_month_first
        if day_first.total and month_first.total:
            raise CSVImportError(
                "The file mixes day-first and month-first dates: "
                f"{day_first} (e.g. “{day_first.example}”) can only be DD/MM/YYYY, "
                f"{month_first} (e.g. “{month_first.example}”) can only be MM/DD/YYYY. "
                "Use one format throughout and upload again.",
                field="file",
            )
        if day_first.total:
            return DateFormat.DAY_FIRST, (
                f"Dates read as DD/MM/YYYY (day first): {day_first} "
                f"(e.g. “{day_first.example}”) can only be read that way."
            )
        if month_first.total:
            return DateFormat.MONTH_FIRST, (
                f"Dates read as MM/DD/YYYY (month first): {month_first} "
                f"(e.g. “{month_first.example}”) can only be read that way."
            )
        raise CSVImportError(
            f"Dates like “{self.day_month.example}” could be day first (DD/MM/YYYY) or month "
            "first (MM/DD/YYYY), and no row tells which. Choose the date format and upload again.",
            field="date_format",
        )


def date_parse(raw: str, date_format: str, default_timezone: tzinfo) -> datetime:
    """``raw`` in ``date_format`` as an aware datetime; ValueError with a message if it is not.

    A date without a time is midnight, and a time without an offset is in ``default_timezone``.
    """
    if date_format == DateFormat.ISO:
        if not ISO_PATTERN.fullmatch(raw):
            raise ValueError(f"“{raw}” is not a YYYY-MM-DD date")
        try:
            parsed = datetime.fromisoformat(raw)
        except ValueError:
            raise ValueError(f"“{raw}” is not a valid date") from None
    else:
        match = DAY_MONTH_PATTERN.fullmatch(raw)
        label = "DD/MM/YYYY" if date_format == DateFormat.DAY_FIRST else "MM/DD/YYYY"
        if match is None:
            raise ValueError(f"“{raw}” is not a {label} date")
        first, second = int(match["first"]), int(match["second"])
        day, month = (first, second) if date_format == DateFormat.DAY_FIRST else (second, first)
        try:
            parsed = datetime.combine(
                date(int(match["year"]), month, day),
                time(
                    int(match["hour"] or 0),
                    int(match["minute"] or 0),
                    int(match["second_of_minute"] or 0),
                ),
            )
        except ValueError:
            raise ValueError(f"“{raw}” is not a valid {label} date") from None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, default_timezone)
    return parsed
