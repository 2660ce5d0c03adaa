"""The upload form of a history import."""

from __future__ import annotations

from django import forms

from .dates import DateFormat
from .parsing import MAX_IMPORT_BYTES


class HistoryImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text=f"Comma- or semicolon-separated, UTF-8, up to {MAX_IMPORT_BYTES // 1024 // 1024} MB.",
    )
    date_format = forms.ChoiceField(
        label="Date format",
        choices=DateFormat.choices,
        initial=DateFormat.AUTO,
        help_text="Only needed when dates like 03/04/2024 could be read either way.",
    )
