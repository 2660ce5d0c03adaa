"""Form helpers shared by every app."""

from __future__ import annotations

from collections.abc import Hashable

from django import forms
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString

from okrplatform.errors import DomainError


def add_domain_error(form: forms.BaseForm, error: DomainError) -> None:
    """Show a service's error next to the field it names, or at the top of the form."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


FORM_TEMPLATE = "components/form.html"
_UNBOUND_HTML: dict[Hashable, SafeString] = {}
_UNBOUND_HTML_MAX = 256  # distinct forms × their choices; emptied when full (dates roll daily)


def _unbound_markup_key(form: forms.BaseForm) -> Hashable:
    """Everything an unbound form's markup depends on: its class, prefix, ids and the language,
    and per field what an ``__init__`` may set (label, help, required, disabled, widget and its
    attributes, choices, initial value). Err on the side of a larger key: a key that misses
    something would show one person's form to another."""
    parts: list[Hashable] = [type(form).__module__, type(form).__qualname__]
    parts += [form.prefix, form.auto_id, translation.get_language()]
    for name, field in form.fields.items():
        choices = getattr(field, "choices", None)
        initial = form.get_initial_for_field(field, name)
        parts.append(
            (
                name,
                str(field.label),
                str(field.help_text),
                field.required,
                field.disabled,
                type(field.widget).__qualname__,
                tuple(sorted((key, str(value)) for key, value in field.widget.attrs.items())),
                tuple((value, str(label)) for value, label in choices) if choices else None,
                initial if isinstance(initial, Hashable) else repr(initial),
            )
        )
    return tuple(parts)


def form_html(form: forms.BaseForm) -> SafeString:
    """``components/form.html`` for ``form``, as ``{% include %}`` would write it.

    An unbound form renders the same markup for the same fields, choices and initial values,
    so that markup is rendered once per process and reused: Django's widget templates cost a
    tenth of the KPI page (``make bench``). A bound form (its data, its errors) is rendered
    every time.
    """
    if form.is_bound:
        return SafeString(render_to_string(FORM_TEMPLATE, {"form": form}))
    key = _unbound_markup_key(form)
    html = _UNBOUND_HTML.get(key)
    if html is None:
        if len(_UNBOUND_HTML) >= _UNBOUND_HTML_MAX:
            _UNBOUND_HTML.clear()
        html = _UNBOUND_HTML[key] = SafeString(render_to_string(FORM_TEMPLATE, {"form": form}))
    return html
