"""``okrplatform.forms.form_html``: the KPI page's forms as ``{% include "components/form.html" %}``
writes them, an unbound form's markup rendered once and reused only for the same choices and
initial values."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django import forms
from django.template import Context, Template
from django.utils import timezone

from kpis.forms import TargetForm, ValueForm
from okrplatform.forms import form_html
from okrplatform.tenancy.models import Organization
from tests.factories import KPIFactory

pytestmark = pytest.mark.django_db

INCLUDE = Template('{% include "components/form.html" with form=form %}')


def _included(form: object) -> str:
    return INCLUDE.render(Context({"form": form}))


def test_unbound_forms_match_the_include_and_are_reused(scope: Organization) -> None:
    kpi = KPIFactory(organization=scope, update_frequency="daily")
    value_form = ValueForm(kpi=kpi)
    target_form = TargetForm(initial={"kind": "at_most", "effective_from": date(2026, 3, 1)})
    for form in (value_form, target_form):
        html = form_html(form)
        assert html == _included(form)
        assert 'name="' in html
    again = form_html(ValueForm(kpi=kpi))
    assert again is form_html(value_form)  # the same markup object: rendered once
    assert 'value="at_most" selected' in form_html(target_form)


def test_other_choices_or_initial_values_get_their_own_markup(
    scope: Organization, monkeypatch: pytest.MonkeyPatch
) -> None:
    daily = ValueForm(kpi=KPIFactory(organization=scope, update_frequency="daily"))
    monthly = ValueForm(kpi=KPIFactory(organization=scope, update_frequency="monthly"))
    assert form_html(daily) != form_html(monthly)
    assert form_html(monthly) == _included(monthly)

    at_least = TargetForm(initial={"kind": "at_least", "effective_from": date(2026, 3, 1)})
    later = TargetForm(initial={"kind": "at_least", "effective_from": date(2026, 4, 1)})
    assert 'value="2026-04-01"' in form_html(later)
    assert form_html(later) != form_html(at_least)

    # A day later the periods on offer move on, and so does the markup.
    kpi = KPIFactory(organization=scope, update_frequency="daily")
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 5, 2, 12, tzinfo=UTC))
    first = form_html(ValueForm(kpi=kpi))
    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 5, 3, 12, tzinfo=UTC))
    second = form_html(ValueForm(kpi=kpi))
    assert first != second
    assert second == _included(ValueForm(kpi=kpi))


def test_a_bound_form_shows_its_data_and_errors(scope: Organization) -> None:
    kpi = KPIFactory(organization=scope, update_frequency="daily")
    form = ValueForm({"period": "not-a-period", "value": "", "note": "kept"}, kpi=kpi)
    assert not form.is_valid()
    html = form_html(form)
    assert html == _included(form)
    assert 'class="field-error"' in html
    assert 'value="kept"' in html


def test_a_form_changed_after_construction_gets_its_own_markup(scope: Organization) -> None:
    kpi = KPIFactory(organization=scope, update_frequency="daily")
    plain = form_html(ValueForm(kpi=kpi))

    disabled = ValueForm(kpi=kpi)
    disabled.fields["note"].disabled = True
    textarea = ValueForm(kpi=kpi)
    textarea.fields["note"].widget = forms.Textarea()
    prefixed = ValueForm(kpi=kpi, prefix="second")

    for form in (disabled, textarea, prefixed):
        html = form_html(form)
        assert html != plain
        assert html == _included(form)
