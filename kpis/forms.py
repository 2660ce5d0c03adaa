"""KPI forms. They only shape input: the rules (and their messages) live in ``kpis.services``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import forms
from django.utils import timezone

from okrplatform.accounts.models import User
from okrplatform.tenancy.models import Organization, Team

from .models import KPI, Aggregation, TargetKind, UnitKind, UpdateFrequency
from .periods import last_completed_period_start, period_label, period_start, previous_period_start

ENTRY_PERIODS = 12


class KPIForm(forms.Form):
    name = forms.CharField(max_length=200)
    key = forms.SlugField(
        max_length=80, required=False, help_text=KPI._meta.get_field("key").help_text
    )
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="How it is measured, and where from.",
    )
    owner_team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, label="Owner team"
    )
    owner = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, label="Owner (person)"
    )
    unit_kind = forms.ChoiceField(choices=UnitKind.choices, label="Unit")
    currency_code = forms.CharField(
        max_length=3, required=False, label="Currency", help_text="ISO code, e.g. EUR"
    )
    unit_suffix = forms.CharField(
        max_length=20, required=False, label="Custom suffix", help_text="e.g. tickets, NPS"
    )
    decimal_places = forms.IntegerField(min_value=0, max_value=6, initial=0)
    update_frequency = forms.ChoiceField(
        choices=UpdateFrequency.choices, initial=UpdateFrequency.MONTHLY
    )
    aggregation = forms.ChoiceField(
        choices=Aggregation.choices,
        initial=Aggregation.LAST,
        help_text="How the values inside one period combine into the period's value.",
    )
    hysteresis_periods = forms.IntegerField(
        min_value=1,
        max_value=12,
        initial=1,
        label="Hysteresis (periods)",
        help_text="Health changes only after this many consecutive periods agree.",
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner_team"].queryset = Team.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["owner"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            memberships__organization=organization
        ).order_by("full_name")

    @staticmethod
    def initial_for(kpi: KPI) -> dict[str, Any]:
        return {
            "name": kpi.name,
            "key": kpi.key,
            "description": kpi.description,
            "owner_team": kpi.owner_team_id,
            "owner": kpi.owner_id,
            "unit_kind": kpi.unit_kind,
            "currency_code": kpi.currency_code,
            "unit_suffix": kpi.unit_suffix,
            "decimal_places": kpi.decimal_places,
            "update_frequency": kpi.update_frequency,
            "aggregation": kpi.aggregation,
            "hysteresis_periods": kpi.hysteresis_periods,
        }


class TargetForm(forms.Form):
    kind = forms.ChoiceField(choices=TargetKind.choices, label="Type of target")
    # Text, not DecimalField: kpis.validation.value_parse words the errors (NaN, digits…).
    lower = forms.CharField(
        required=False, label="Low bound (X)", help_text="For “at or above” and “between”"
    )
    upper = forms.CharField(
        required=False, label="High bound (Y)", help_text="For “at or below” and “between”"
    )
    tolerance = forms.CharField(
        required=False, help_text="Values this far outside the range are “at risk”, not unhealthy."
    )
    effective_from = forms.DateField(
        label="Applies from",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The period containing this date and all later ones.",
    )


def entry_periods(frequency: str, now: datetime | None = None) -> list[tuple[str, str]]:
    """The current period and the ones before it, newest first, as (ISO date, label)."""
    start = period_start(frequency, now or timezone.now())
    choices = []
    for _ in range(ENTRY_PERIODS):
        choices.append((start.isoformat(), period_label(frequency, start)))
        start = previous_period_start(frequency, start)
    return choices


class ValueForm(forms.Form):
    """One value for one period; it is recorded at the period's start, so entering the same
    period again corrects it (the same convention as grid entry on boards)."""

    period = forms.ChoiceField(choices=())
    value = forms.CharField(max_length=60)
    note = forms.CharField(max_length=500, required=False)

    def __init__(self, *args: Any, kpi: KPI, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = entry_periods(kpi.update_frequency)  # type: ignore[attr-defined]
        self.fields["period"].initial = last_completed_period_start(
            kpi.update_frequency, timezone.now()
        ).isoformat()

    def clean_period(self) -> date:
        return date.fromisoformat(self.cleaned_data["period"])


class ValueEditForm(forms.Form):
    value = forms.CharField(max_length=60)
    note = forms.CharField(max_length=500, required=False)


class ArchiveForm(forms.Form):
    archived = forms.BooleanField(required=False)
