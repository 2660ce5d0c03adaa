"""The forms of the OKR candidates page: dismiss with a reason, snooze until a date."""

from __future__ import annotations

from django import forms

from .candidates import REASON_MAX_LENGTH


class CandidateDismissForm(forms.Form):
    reason = forms.CharField(
        label="Why does it need no OKR?",
        max_length=REASON_MAX_LENGTH,
        widget=forms.TextInput(attrs={"placeholder": "e.g. seasonal dip, expected to recover"}),
    )


class CandidateSnoozeForm(forms.Form):
    until = forms.DateField(label="Snooze until", widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label="Note (optional)", max_length=REASON_MAX_LENGTH, required=False)
