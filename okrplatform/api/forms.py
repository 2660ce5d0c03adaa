from __future__ import annotations

from django import forms

from .models import APIKeyScope


class APIKeyForm(forms.Form):
    name = forms.CharField(
        max_length=80, help_text="What will use it, e.g. “Nightly revenue export”."
    )
    scope = forms.ChoiceField(
        choices=APIKeyScope.choices,
        initial=APIKeyScope.READ_ONLY,
        help_text="Read-only keys can read everything; read-write keys can also push KPI values "
        "and write OKR content. Neither can manage members or integrations.",
    )
