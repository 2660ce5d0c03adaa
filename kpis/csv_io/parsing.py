"""Reading a CSV file of KPI history into points, with an error for every row that is wrong.

The file is streamed: the bytes are decoded and split into records as they are read, so a
100,000-row file never exists as one string, and each record is reduced to a small tuple at once.
Dates are only parsed once every row has been seen, because the format is decided for the whole
file (see ``dates``). What comes out is checked but not written: ``staging`` stores it for the
preview, and ``kpis.services.kpi_values_record_many`` writes it when the person confirms.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import IO

from django.utils import timezone

from kpis.models import KPI
from kpis.validation import timestamp_validate, value_parse
from okrplatform.errors import DomainError

from .dates import CSVImportError, DateFormatEvidence, date_parse, rows_named

MAX_IMPORT_BYTES = 16 * 1024 * 1024
MAX_IMPORT_ROWS = 200_000
ERRORS_KEPT = 200  # the preview lists this many row errors; the rest are only counted
NOTES_KEPT = 50
EARLIEST_YEAR = 1900
SNIFF_BYTES = 64 * 1024
NOTE_MAX_LENGTH = 500
# A leading quote that our own export put before =, +, -, @, tab or CR (formula protection).
EXPORT_ESCAPE_PREFIXES = tuple("'" + c for c in "=+-@\t\r")

# Column names as the header may spell them (case, spaces and a UTF-8 BOM do not matter).
COLUMN_ALIASES = {
    "kpi": "kpi",
    "timestamp": "timestamp",
    "date": "timestamp",
    "value": "value",
    "note": "note",
}


@dataclass(frozen=True)
class RowError:
    row: int  # as a spreadsheet numbers it: the header is row 1
    column: str
    message: str


@dataclass(frozen=True)
class ParsedPoint:
    row: int
    kpi_id: int
    timestamp: datetime
    value: Decimal
    note: str


@dataclass
class ParseResult:
    points: list[ParsedPoint] = field(default_factory=list)  # valid, one per (KPI, timestamp)
    errors: list[RowError] = field(default_factory=list)  # the first ERRORS_KEPT
    error_count: int = 0  # every error, also those not kept
    rows_read: int = 0
    rows_with_errors: int = 0
    duplicate_count: int = 0
    date_format: str = ""
    notes: list[str] = field(default_factory=list)  # what the preview should tell the person

    def add_error(self, row: int, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < ERRORS_KEPT:
            self.errors.append(RowError(row, column, message))

    def add_note(self, note: str) -> None:
        if len(self.notes) < NOTES_KEPT:
            self.notes.append(note)


class KPIResolver:
    """Turns what a file's ``kpi`` column says (a key or a name) into a KPI the person may edit.

    Each distinct reference is resolved once: a 100,000-row file names a handful of KPIs.
    """

    def __init__(self, kpis: Iterable[KPI], *, can_edit: Callable[[KPI], bool]) -> None:
        self._by_key: dict[str, KPI] = {}
        self._by_name: dict[str, list[KPI]] = {}
        for kpi in kpis:
            if kpi.key:
                self._by_key[kpi.key.lower()] = kpi
            self._by_name.setdefault(kpi.name.strip().lower(), []).append(kpi)
        self._can_edit = can_edit
        self._resolved: dict[str, KPI | str] = {}

    def resolve(self, reference: str) -> KPI:
        """The KPI ``reference`` names; DomainError with the reason when there is none."""
        folded = reference.strip().lower()
        if folded not in self._resolved:
            self._resolved[folded] = self._lookup(reference.strip(), folded)
        found = self._resolved[folded]
        if isinstance(found, str):
            raise DomainError(found, field="kpi")
        return found

    def _lookup(self, reference: str, folded: str) -> KPI | str:
        if not folded:
            return "No KPI given: write its key or its name"
        kpi = self._by_key.get(folded)
        if kpi is None:
            named = self._by_name.get(folded, [])
            if len(named) > 1:
                return (
                    f"{len(named)} KPIs are named “{reference}”: write the key of the one you mean"
                )
            if not named:
                return f"No KPI has the key or name “{reference}”"
            kpi = named[0]
        if kpi.archived:
            return f"The KPI “{kpi.name}” is archived: restore it before importing values"
        if not self._can_edit(kpi):
            return f"You may not enter values for “{kpi.name}”: it belongs to another team"
        return kpi


def _records(stream: IO[bytes]) -> tuple[list[str], Iterator[list[str]]]:
    """The header and an iterator of the remaining records, with the delimiter sniffed."""
    text = codecs.getreader("utf-8-sig")(stream)
    sample = text.read(SNIFF_BYTES)
    sample += text.readline()  # finish the line the sample cut, so no record is split in two
    if not sample.strip():
        raise CSVImportError(
            "The file is empty: it needs a header row and rows of values.", field="file"
        )
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=",;").delimiter
    except csv.Error:
        first_line = sample.splitlines()[0]
        sniffed = ";" if first_line.count(";") > first_line.count(",") else ","
    # The header settles it: with the sniffed delimiter or the other one, it must name our columns.
    delimiter = sniffed
    for candidate in (sniffed, ";" if sniffed == "," else ","):
        header = next(csv.reader(io.StringIO(sample, newline=""), delimiter=candidate))
        if "value" in {_column(name) for name in header}:
            delimiter = candidate
            break
    lines = itertools.chain(io.StringIO(sample, newline=""), text)
    reader = csv.reader(lines, delimiter=delimiter)
    return next(reader), reader


def _column(name: str) -> str:
    folded = name.strip().strip("\ufeff").lower().replace(" ", "_")
    return COLUMN_ALIASES.get(folded, folded)


def _expected_columns(single_kpi: bool) -> str:
    columns = "timestamp (or date), value and, optionally, note"
    return columns if single_kpi else "kpi (its key or name), " + columns


def _columns(header: list[str], *, single_kpi: bool, result: ParseResult) -> dict[str, int]:
    """Where each of our columns is in the header; CSVImportError naming what was expected."""
    required = ["timestamp", "value"] if single_kpi else ["kpi", "timestamp", "value"]
    wanted = [*required, "note"]
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for index, name in enumerate(header):
        column = _column(name)
        if column in positions:
            raise CSVImportError(
                f"The header names the column “{column}” twice. Expected columns: "
                f"{_expected_columns(single_kpi)}.",
                field="file",
            )
        if column in wanted:
            positions[column] = index
        elif name.strip():
            ignored.append(name.strip())
    missing = [column for column in required if column not in positions]
    if missing:
        found = ", ".join(f"“{name.strip()}”" for name in header if name.strip()) or "nothing"
        raise CSVImportError(
            f"The header row lacks the column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}. Expected columns: {_expected_columns(single_kpi)}; "
            f"found: {found}.",
            field="file",
        )
    if ignored:
        result.add_note(
            f"Ignored the column{'s' if len(ignored) > 1 else ''} {', '.join(ignored)}."
        )
    return positions


def _note(raw: str) -> str:
    note = raw.strip()
    if note.startswith(EXPORT_ESCAPE_PREFIXES):
        note = note[1:]  # undo our export's formula protection, so a round trip is lossless
    return note


# (row, kpi id, raw date, value, note) of a row whose KPI and value are fine; dated later.
_Pending = tuple[int, int, str, Decimal, str]


@dataclass
class _RowReader:
    """Checks one record's KPI, value and note, and collects the evidence about its date."""

    columns: dict[str, int]
    width: int
    result: ParseResult
    kpi: KPI | None
    resolver: KPIResolver | None
    evidence: DateFormatEvidence = field(default_factory=DateFormatEvidence)

    def read(self, row: int, record: list[str]) -> _Pending | None:
        result = self.result
        if len(record) > self.width and any(cell.strip() for cell in record[self.width :]):
            result.add_error(
                row, "", f"The row has {len(record)} cells; the header has {self.width}"
            )
            return None
        cells = record + [""] * (self.width - len(record))  # spreadsheets drop empty trailing cells
        errors_before = result.error_count
        raw_date = cells[self.columns["timestamp"]].strip()
        if raw_date:
            self.evidence.add(row, raw_date)
        else:
            result.add_error(row, "timestamp", "No date")
        kpi_id = self.kpi.pk if self.kpi is not None else 0
        if self.resolver is not None:
            try:
                kpi_id = self.resolver.resolve(cells[self.columns["kpi"]]).pk
            except DomainError as error:
                result.add_error(row, "kpi", error.message)
        value = Decimal(0)
        try:
            value = value_parse(cells[self.columns["value"]])
        except DomainError as error:
            result.add_error(row, "value", error.message)
        note = _note(cells[self.columns["note"]]) if "note" in self.columns else ""
        if len(note) > NOTE_MAX_LENGTH:
            result.add_error(row, "note", f"The note is longer than {NOTE_MAX_LENGTH} characters")
        if result.error_count > errors_before:
            return None
        return (row, kpi_id, raw_date, value, note)


def history_csv_parse(
    stream: IO[bytes],
    *,
    kpi: KPI | None = None,
    resolver: KPIResolver | None = None,
    date_format: str = "auto",
    now: datetime | None = None,
) -> ParseResult:
    """Parse a history file: one KPI's (``kpi``) or several, named in a ``kpi`` column.

    Raises CSVImportError for a file that cannot be read at all; every other problem is a
    RowError in the result, and the rows without one are the points to import.
    """
    if (kpi is None) == (resolver is None):
        raise ValueError("Give either the KPI of a single-KPI file or a resolver for a kpi column.")
    result = ParseResult()
    pending: list[_Pending] = []
    try:
        header, records = _records(stream)
        columns = _columns(header, single_kpi=kpi is not None, result=result)
        reader = _RowReader(columns, len(header), result, kpi, resolver)
        for row, record in enumerate(records, start=2):
            if not any(cell.strip() for cell in record):
                continue  # blank lines between blocks of data are harmless
            result.rows_read += 1
            if result.rows_read > MAX_IMPORT_ROWS:
                raise CSVImportError(
                    f"The file has more than {MAX_IMPORT_ROWS:,} rows: split it and import the "
                    "parts one after the other.",
                    field="file",
                )
            point = reader.read(row, record)
            if point is None:
                result.rows_with_errors += 1
            else:
                pending.append(point)
    except UnicodeDecodeError:
        raise CSVImportError(
            "The file is not UTF-8 text. Save it from your spreadsheet as “CSV UTF-8” and upload "
            "it again.",
            field="file",
        ) from None
    except csv.Error as error:
        raise CSVImportError(f"The file is not valid CSV: {error}.", field="file") from None

    if not result.rows_read:
        raise CSVImportError("The file has a header but no rows of values.", field="file")
    result.date_format, detected = reader.evidence.decide(date_format)
    result.add_note(detected)
    _dated_points(
        pending,
        result,
        default_timezone=timezone.get_default_timezone(),
        now=now or timezone.now(),
    )
    return result


def _dated_points(
    pending: list[_Pending],
    result: ParseResult,
    *,
    default_timezone: tzinfo,
    now: datetime,
) -> None:
    """Parse the dates in the format settled for the file; the last row of a duplicate wins."""
    by_key: dict[tuple[int, datetime], ParsedPoint] = {}
    duplicate_rows: list[int] = []
    for row, kpi_id, raw_date, value, note in pending:
        try:
            timestamp = date_parse(raw_date, result.date_format, default_timezone)
        except ValueError as error:
            result.rows_with_errors += 1
            result.add_error(row, "timestamp", str(error))
            continue
        try:
            timestamp_validate(timestamp, now=now)
        except DomainError as error:
            result.rows_with_errors += 1
            result.add_error(row, "timestamp", error.message)
            continue
        if timestamp.year < EARLIEST_YEAR:
            result.rows_with_errors += 1
            result.add_error(row, "timestamp", f"“{raw_date}” is before {EARLIEST_YEAR}")
            continue
        key = (kpi_id, timestamp)
        earlier = by_key.pop(key, None)  # pop + insert keeps the points in the order of their rows
        if earlier is not None:
            result.duplicate_count += 1
            if len(duplicate_rows) < 10:
                duplicate_rows.append(row)
            if result.duplicate_count <= 5:
                result.add_note(
                    f"Row {row} has the same KPI and date as row {earlier.row}: row {row} wins."
                )
        by_key[key] = ParsedPoint(row, kpi_id, timestamp, value, note)
    if result.duplicate_count > 5:
        result.add_note(
            f"{result.duplicate_count} rows repeat the KPI and date of an earlier row "
            f"({rows_named(duplicate_rows, result.duplicate_count)}): the last of each wins."
        )
    result.points = list(by_key.values())
