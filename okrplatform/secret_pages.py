"""Admin pages that list credentials and issue new ones whose secret is shown once (API keys,
webhook subscriptions): the list view and a lookup for the rows' own actions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from okrplatform.errors import DomainError
from okrplatform.forms import add_domain_error

Row = TypeVar("Row")


def issue_once_page(
    request: HttpRequest,
    *,
    form_class: type[forms.Form],
    issue: Callable[..., object],
    template: str,
    rows: Mapping[str, Any],
) -> HttpResponse:
    """The list (``rows``: lazy querysets, so a row issued by this POST is in it) beside a form;
    a valid POST calls ``issue`` with the form's data and the page shows what it returns as
    ``issued`` (its secret, once) with an empty form. A refused POST answers 400."""
    form = form_class(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = issue(**form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            form = form_class()
    status = 400 if request.method == "POST" and issued is None else 200
    response = render(request, template, {"form": form, "issued": issued, **rows}, status=status)
    # The page may carry a secret: never keep it in a cache or the back/forward history.
    response["Cache-Control"] = "no-store"
    return response


def found_or_404(row: Row | None, message: str) -> Row:
    if row is None:
        raise Http404(message)
    return row
