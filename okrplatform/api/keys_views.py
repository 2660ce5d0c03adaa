"""Admin pages to create and revoke the organisation's API keys (a new key is shown once)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from okrplatform.errors import DomainError
from okrplatform.forms import add_domain_error
from okrplatform.tenancy.permissions import action_required, current_membership
from okrplatform.tenancy.roles import Action

from . import selectors, services
from .forms import APIKeyForm


@action_required(Action.MANAGE_INTEGRATIONS)
@require_http_methods(["GET", "POST"])
def api_key_list(request: HttpRequest, org_slug: str) -> HttpResponse:
    form = APIKeyForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.api_key_create(actor=current_membership(request), **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            form = APIKeyForm()
    status = 400 if request.method == "POST" and issued is None else 200
    response = render(
        request,
        "api/api_key_list.html",
        {"form": form, "issued": issued, "api_keys": selectors.api_key_list()},
        status=status,
    )
    # The page may carry a secret: never keep it in a cache or the back/forward history.
    response["Cache-Control"] = "no-store"
    return response


@action_required(Action.MANAGE_INTEGRATIONS)
@require_POST
def api_key_revoke(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    api_key = selectors.api_key_get(pk)
    if api_key is None:
        raise Http404("No such API key.")
    services.api_key_revoke(actor=current_membership(request), api_key=api_key)
    messages.success(request, f"API key “{api_key.name}” revoked: it no longer works.")
    return redirect("api-keys:list", org_slug=org_slug)
