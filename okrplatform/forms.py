"""Form helpers shared by every app."""

from __future__ import annotations

from django import forms

from okrplatform.errors import DomainError


def add_domain_error(form: forms.BaseForm, error: DomainError) -> None:
    """Show a service's error next to the field it names, or at the top of the form."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)
