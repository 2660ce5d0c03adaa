from __future__ import annotations

from django import forms

from .models import WebhookEvent


class SubscriptionForm(forms.Form):
    url = forms.CharField(
        label="URL", max_length=500, help_text="Where we POST the events (https recommended)."
    )
    description = forms.CharField(max_length=200, required=False)
    events = forms.MultipleChoiceField(
        choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )
