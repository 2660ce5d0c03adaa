"""Reading history CSV files: header, delimiters, date formats, values, duplicates, size."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from kpis.csv_io.dates import CSVImportError
from kpis.csv_io.parsing import (
    ERRORS_KEPT,
    KPIResolver,
    ParseResult,
    history_csv_parse,
)
from kpis.models import KPI
from okrplatform.errors import DomainError
from okrplatform.tenancy.models import Organization
from tests.factories import KPIFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


@pytest.fixture
def kpi(org: Organization) -> KPI:
    return KPIFactory(organization=org, name="Support reply time", key="support-reply-time")


def parse(text: str | bytes, kpi: KPI, **kwargs: object) -> ParseResult:
    data = text.encode() if isinstance(text, str) else text
    return history_csv_parse(io.BytesIO(data), kpi=kpi, now=NOW, **kwargs)  # type: ignore[arg-type]


def errors_of(result: ParseResult) -> list[tuple[int, str]]:
    return [(error.row, error.column) for error in result.errors]


def test_iso_dates_and_times_become_aware_points(kpi: KPI) -> None:
    result = parse(
        "date,value,note\n"
        "2025-01-31,42,\n"
        "2025-02-28T09:30:00+02:00,40.5,after the FAQ\n"
        "2025-03-31 23:00,38,\n",
        kpi,
    )
    assert result.error_count == 0
    assert [(p.timestamp, p.value, p.note) for p in result.points] == [
        (datetime(2025, 1, 31, tzinfo=UTC), Decimal("42"), ""),
        (datetime(2025, 2, 28, 7, 30, tzinfo=UTC), Decimal("40.5"), "after the FAQ"),
        (datetime(2025, 3, 31, 23, tzinfo=UTC), Decimal("38"), ""),
    ]
    assert result.date_format == "iso"
    assert all(p.kpi_id == kpi.pk for p in result.points)


def test_semicolons_bom_and_header_spelling_are_understood(kpi: KPI) -> None:
    text = "\ufeffDate ; VALUE;Note\n2025-01-31;1,234.5;a, b and c\n"
    result = parse(text, kpi)
    assert result.error_count == 0
    assert result.points[0].value == Decimal("1234.5")
    assert result.points[0].note == "a, b and c"


def test_quoted_cells_keep_delimiters_and_newlines(kpi: KPI) -> None:
    result = parse('timestamp,value,note\n2025-01-31,5,"one, two\nthree"\n', kpi)
    assert result.points[0].note == "one, two\nthree"


def test_a_wrong_header_names_the_expected_columns(kpi: KPI) -> None:
    with pytest.raises(CSVImportError) as caught:
        parse("when,amount\n2025-01-31,5\n", kpi)
    message = caught.value.message
    assert "lacks the columns timestamp, value" in message
    assert "timestamp (or date), value and, optionally, note" in message
    assert "“when”, “amount”" in message


def test_a_multi_kpi_file_needs_a_kpi_column(org: Organization, kpi: KPI, scope: object) -> None:
    resolver = KPIResolver(KPI.objects.all(), can_edit=lambda _kpi: True)
    with pytest.raises(CSVImportError, match=r"lacks the column kpi\. Expected columns: kpi"):
        history_csv_parse(io.BytesIO(b"date,value\n2025-01-31,5\n"), resolver=resolver, now=NOW)


def test_a_column_named_twice_is_refused(kpi: KPI) -> None:
    with pytest.raises(CSVImportError, match="“timestamp” twice"):
        parse("date,timestamp,value\n2025-01-01,2025-01-01,1\n", kpi)


def test_unknown_columns_are_ignored_and_said_so(kpi: KPI) -> None:
    result = parse("date,value,source\n2025-01-31,5,manual\n", kpi)
    assert result.error_count == 0
    assert "Ignored the column source." in result.notes


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The file is empty"),
        ("date,value\n", "a header but no rows"),
        ("date,value\n\n\n", "a header but no rows"),
    ],
)
def test_empty_files_are_refused(kpi: KPI, text: str, message: str) -> None:
    with pytest.raises(CSVImportError, match=message):
        parse(text, kpi)


def test_a_file_that_is_not_utf8_is_refused_clearly(kpi: KPI) -> None:
    with pytest.raises(CSVImportError, match="not UTF-8"):
        parse("date,value,note\n2025-01-31,5,caf\xe9\n".encode("latin-1"), kpi)


def test_mixed_date_formats_are_an_error_naming_the_rows(kpi: KPI) -> None:
    text = "date,value\n2025-01-31,1\n2025-02-28,2\n31/03/2025,3\n2025-04-30,4\n31/05/2025,5\n"
    with pytest.raises(CSVImportError) as caught:
        parse(text, kpi)
    message = caught.value.message
    assert "mixes date formats" in message
    assert "YYYY-MM-DD in rows 2, 3, 5" in message
    assert "DD/MM/YYYY or MM/DD/YYYY in rows 4, 6" in message


def test_day_first_and_month_first_rows_in_one_file_are_an_error(kpi: KPI) -> None:
    text = "date,value\n13/01/2025,1\n01/02/2025,2\n02/14/2025,3\n"
    with pytest.raises(CSVImportError) as caught:
        parse(text, kpi)
    assert "row 2 (e.g. “13/01/2025”) can only be DD/MM/YYYY" in caught.value.message
    assert "row 4 (e.g. “02/14/2025”) can only be MM/DD/YYYY" in caught.value.message


def test_day_first_is_detected_from_a_row_that_can_only_be_day_first(kpi: KPI) -> None:
    result = parse("date,value\n03/04/2025,1\n13/04/2025,2\n", kpi)
    assert result.date_format == "dmy"
    assert [p.timestamp.date().isoformat() for p in result.points] == ["2025-04-03", "2025-04-13"]
    assert any("DD/MM/YYYY" in note and "row 3" in note for note in result.notes)


def test_month_first_is_detected_too(kpi: KPI) -> None:
    result = parse("date,value\n03.04.2025,1\n04.13.2025,2\n", kpi)
    assert result.date_format == "mdy"
    assert result.points[0].timestamp.date().isoformat() == "2025-03-04"


def test_ambiguous_dates_are_flagged_and_the_format_can_be_chosen(kpi: KPI) -> None:
    text = "date,value\n03/04/2025,1\n05/06/2025,2\n"
    with pytest.raises(CSVImportError) as caught:
        parse(text, kpi)
    assert caught.value.field == "date_format"
    assert "could be day first (DD/MM/YYYY) or month first (MM/DD/YYYY)" in caught.value.message
    chosen = parse(text, kpi, date_format="mdy")
    assert [p.timestamp.date().isoformat() for p in chosen.points] == ["2025-03-04", "2025-05-06"]


def test_a_chosen_format_the_row_does_not_fit_is_a_row_error(kpi: KPI) -> None:
    result = parse("date,value\n03/04/2025,1\n04/13/2025,2\n", kpi, date_format="dmy")
    assert errors_of(result) == [(3, "timestamp")]
    assert "not a valid DD/MM/YYYY date" in result.errors[0].message
    assert len(result.points) == 1


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("NaN", "NaN (not a number) cannot be stored"),
        ("nan", "NaN (not a number) cannot be stored"),
        ("Infinity", "Infinity cannot be stored"),
        ("-inf", "Infinity cannot be stored"),
        ("twelve", "“twelve” is not a number"),
        ('"1,5"', "“1,5” is not a number"),
        ("", "Enter a number"),
    ],
)
def test_bad_values_are_row_errors_with_the_reason(kpi: KPI, raw: str, message: str) -> None:
    result = parse(f"date,value\n2025-01-31,1\n2025-02-28,{raw}\n", kpi)
    assert errors_of(result) == [(3, "value")]
    assert message in result.errors[0].message
    assert result.rows_with_errors == 1
    assert [p.value for p in result.points] == [Decimal("1")]


def test_bad_dates_are_row_errors(kpi: KPI) -> None:
    result = parse(
        "date,value\n2025-02-30,1\nyesterday,2\n,3\n2026-06-05,4\n1850-01-01,5\n2025-01-01,6\n",
        kpi,
    )
    # The empty date is found while reading; the others once the file's format is settled.
    assert errors_of(result) == [(row, "timestamp") for row in (4, 2, 3, 5, 6)]
    messages = [error.message for error in result.errors]
    assert messages[0] == "No date"
    assert "“2025-02-30” is not a valid date" in messages[1]
    assert "“yesterday” is not a YYYY-MM-DD date" in messages[2]
    assert "in the future" in messages[3]
    assert "before 1900" in messages[4]
    assert result.rows_with_errors == 5
    assert len(result.points) == 1


def test_a_row_with_too_many_cells_is_an_error_and_missing_trailing_cells_are_empty(
    kpi: KPI,
) -> None:
    result = parse("date,value,note\n2025-01-31,1,a,b\n2025-02-28,2\n2025-03-31,3,,\n", kpi)
    assert errors_of(result) == [(2, "")]
    assert "has 4 cells; the header has 3" in result.errors[0].message
    assert [p.value for p in result.points] == [Decimal("2"), Decimal("3")]


def test_duplicate_rows_last_wins_and_it_is_said(kpi: KPI) -> None:
    result = parse("date,value\n2025-01-31,1\n2025-02-28,2\n2025-01-31,3\n", kpi)
    assert [(p.timestamp.month, p.value) for p in result.points] == [
        (2, Decimal("2")),
        (1, Decimal("3")),
    ]
    assert result.duplicate_count == 1
    assert "Row 4 has the same KPI and date as row 2: row 4 wins." in result.notes


def test_exported_formula_protection_is_undone_on_import(kpi: KPI) -> None:
    result = parse("date,value,note\n2025-01-31,1,'=SUM(A1)\n2025-02-28,2,'tis fine\n", kpi)
    assert [p.note for p in result.points] == ["=SUM(A1)", "'tis fine"]


def test_multi_kpi_files_resolve_keys_and_names(org: Organization, kpi: KPI, scope: object) -> None:
    revenue = KPIFactory(organization=org, name="Monthly revenue")
    KPIFactory(organization=org, name="Twin")
    KPIFactory(organization=org, name="twin")
    archived = KPIFactory(organization=org, name="Old", archived=True)
    locked = KPIFactory(organization=org, name="Finance only")
    resolver = KPIResolver(KPI.objects.all(), can_edit=lambda candidate: candidate != locked)
    text = (
        "kpi,date,value\n"
        "SUPPORT-REPLY-TIME,2025-01-31,40\n"
        "monthly revenue ,2025-01-31,125000\n"
        "Nope,2025-01-31,1\n"
        "Twin,2025-01-31,1\n"
        "Old,2025-01-31,1\n"
        "Finance only,2025-01-31,1\n"
        ",2025-01-31,1\n"
    )
    result = history_csv_parse(io.BytesIO(text.encode()), resolver=resolver, now=NOW)
    assert [(p.kpi_id, p.value) for p in result.points] == [(kpi.pk, 40), (revenue.pk, 125000)]
    assert errors_of(result) == [(row, "kpi") for row in range(4, 9)]
    messages = [error.message for error in result.errors]
    assert "No KPI has the key or name “Nope”" in messages[0]
    assert "2 KPIs are named “Twin”: write the key" in messages[1]
    assert f"“{archived.name}” is archived" in messages[2]
    assert "belongs to another team" in messages[3]
    assert "No KPI given" in messages[4]


def test_the_resolver_refuses_with_a_domain_error(org: Organization, scope: object) -> None:
    resolver = KPIResolver([], can_edit=lambda _kpi: True)
    with pytest.raises(DomainError):
        resolver.resolve("anything")


def test_one_hundred_thousand_rows(kpi: KPI) -> None:
    start = datetime(2010, 1, 1, tzinfo=UTC)
    lines = ["timestamp,value"]
    for hour in range(100_000):
        value = "oops" if hour % 250 == 0 else f"{hour % 97}.5"
        lines.append(f"{(start + timedelta(hours=hour)).isoformat()},{value}")
    result = parse("\n".join(lines) + "\n", kpi)
    assert result.rows_read == 100_000
    assert result.rows_with_errors == 400
    assert result.error_count == 400
    assert len(result.errors) == min(400, ERRORS_KEPT)
    assert result.errors[0].row == 2  # hour 0 is on spreadsheet row 2
    assert len(result.points) == 99_600
    assert result.points[-1].timestamp == start + timedelta(hours=99_999)
