"""CSV over HTTP (e.g. a published Google Sheets CSV): one cell, or a date column + value column."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from django import forms

from .base import FetchError, Point, ProviderSpec, points_cap, timestamp_parse, value_parse
from .http_common import SECRET_FIELDS, HTTPConnectionForm, http_get


class SettingsForm(HTTPConnectionForm):
    delimiter = forms.ChoiceField(
        choices=[(",", "Comma"), (";", "Semicolon"), ("\t", "Tab")], initial=","
    )


class ExtractionForm(forms.Form):
    mode = forms.ChoiceField(
        choices=[("cell", "One cell"), ("series", "Date column + value column (history)")],
        initial="series",
    )
    value_column = forms.CharField(max_length=200, help_text="Header of the value column")
    date_column = forms.CharField(
        max_length=200, required=False, help_text="Header of the date column (series mode)"
    )
    row = forms.CharField(
        max_length=10,
        required=False,
        initial="last",
        help_text="Cell mode: “first”, “last” or a row number (1 = first data row)",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("mode") == "series" and not data.get("date_column"):
            self.add_error("date_column", "Name the date column for a series.")
        row = (data.get("row") or "last").strip().lower()
        if data.get("mode") == "cell" and row not in ("first", "last") and not row.isdigit():
            self.add_error("row", "Use “first”, “last” or a row number.")
        data["row"] = row
        return data


def points_from_csv(
    text: str, delimiter: str, extraction: dict[str, Any], now: datetime
) -> list[Point]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter or ",")
    headers = [h.strip() for h in reader.fieldnames or []]
    value_column = extraction["value_column"].strip()
    if value_column not in headers:
        raise FetchError(f"No column “{value_column}” (columns: {', '.join(headers[:10])}).")
    rows = [{(k or "").strip(): v for k, v in row.items()} for row in reader]
    if not rows:
        raise FetchError("The CSV has no data rows.")
    if extraction.get("mode") == "cell":
        row_choice = extraction.get("row") or "last"
        if row_choice == "first":
            index = 0
        elif row_choice == "last":
            index = len(rows) - 1
        else:
            index = int(row_choice) - 1
        if not 0 <= index < len(rows):
            raise FetchError(f"There is no row {row_choice}; the CSV has {len(rows)} data rows.")
        return [Point(now, value_parse(rows[index][value_column], where=f"Row {index + 1}"))]
    date_column = extraction["date_column"].strip()
    if date_column not in headers:
        raise FetchError(f"No column “{date_column}” (columns: {', '.join(headers[:10])}).")
    points = []
    for number, row in enumerate(rows, start=1):
        if not (row.get(value_column) or "").strip():
            continue  # an empty cell is a gap, not an error
        points.append(
            Point(
                timestamp_parse(row.get(date_column), where=f"Row {number}’s date"),
                value_parse(row.get(value_column), where=f"Row {number}’s value"),
            )
        )
    return points_cap(points)


def fetch(
    *,
    settings: dict[str, Any],
    credentials: dict[str, Any],
    extraction: dict[str, Any],
    now: datetime,
) -> list[Point]:
    response = http_get(
        settings["url"], settings, credentials, extra_headers={"Accept": "text/csv"}
    )
    return points_from_csv(response.text, settings.get("delimiter", ","), extraction, now)


SPEC = ProviderSpec(
    key="csv",
    label="CSV over HTTP",
    settings_form=SettingsForm,
    extraction_form=ExtractionForm,
    fetch=fetch,
    secret_fields=SECRET_FIELDS,
    description="A CSV file at a URL, such as a published spreadsheet.",
)
