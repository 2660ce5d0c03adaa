"""Forms: each provider's settings/extraction form, joined with the fields every one shares."""

from __future__ import annotations

from typing import Any

from django import forms

from kpis.models import KPI

from .models import DataSource, Integration, ScheduleKind
from .providers import ProviderSpec

STORED_VALUE_HELP = "Stored and hidden. Leave blank to keep it; type a new value to replace it."


class IntegrationBaseForm(forms.Form):
    name = forms.CharField(max_length=120)


def integration_form_class(spec: ProviderSpec) -> type[forms.Form]:
    # The name comes first (the base class alone would put it last), then the provider's order.
    field_order = ["name", *(getattr(spec.settings_form, "field_order", None) or [])]
    return type(
        f"{spec.key.title()}IntegrationForm",
        (IntegrationBaseForm, spec.settings_form),
        {"field_order": field_order},
    )


def integration_form(
    spec: ProviderSpec, *, data: Any = None, integration: Integration | None = None
) -> forms.Form:
    initial = {}
    if integration is not None:
        # Secret fields are never part of `settings`, so they can never be rendered back.
        initial = {"name": integration.name, **integration.settings}
    form = integration_form_class(spec)(data=data, initial=initial)
    for name in spec.secret_fields:
        if integration is not None and integration.has_credentials:
            form.fields[name].help_text = STORED_VALUE_HELP
    return form


def integration_fields(form: forms.Form) -> dict[str, Any]:
    return {k: v for k, v in form.cleaned_data.items() if k != "name"}


class DataSourceBaseForm(forms.Form):
    kpi = forms.ModelChoiceField(queryset=KPI.objects.filter(archived=False), label="KPI")
    schedule_kind = forms.ChoiceField(
        choices=ScheduleKind.choices, initial=ScheduleKind.HOURLY, label="Schedule"
    )
    schedule_interval_minutes = forms.IntegerField(
        min_value=5, max_value=7 * 24 * 60, initial=60, required=False, label="Every N minutes"
    )
    schedule_time = forms.TimeField(required=False, label="Daily at (UTC, HH:MM)")
    schedule_cron = forms.CharField(
        max_length=120, required=False, label="Cron (UTC)", help_text="e.g. “*/15 * * * *”"
    )
    enabled = forms.BooleanField(required=False, initial=True)

    field_order = ["kpi"]  # then the provider's extraction fields, then the schedule


SCHEDULE_FIELDS = (
    "schedule_kind",
    "schedule_interval_minutes",
    "schedule_time",
    "schedule_cron",
)


def data_source_form(
    spec: ProviderSpec,
    *,
    data: Any = None,
    source: DataSource | None = None,
    with_kpi: bool = True,
) -> forms.Form:
    form_class = type(
        f"{spec.key.title()}DataSourceForm", (DataSourceBaseForm, spec.extraction_form), {}
    )
    initial: dict[str, Any] = {}
    if source is not None:
        initial = {
            "kpi": source.kpi_id,
            "enabled": source.enabled,
            **{name: getattr(source, name) for name in SCHEDULE_FIELDS},
            **source.extraction,
        }
    form: forms.Form = form_class(data=data, initial=initial)
    if not with_kpi:
        del form.fields["kpi"]
    if spec.fetch is None:  # push: values arrive when the sender sends them
        for name in SCHEDULE_FIELDS:
            form.fields.pop(name, None)
    return form


def extraction_of(form: forms.Form, spec: ProviderSpec) -> dict[str, Any]:
    return {k: v for k, v in form.cleaned_data.items() if k in spec.extraction_form.base_fields}


def schedule_of(form: forms.Form) -> dict[str, Any]:
    return {k: form.cleaned_data.get(k) for k in SCHEDULE_FIELDS if k in form.cleaned_data}
