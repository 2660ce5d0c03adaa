"""Admin pages to create and revoke the organisation's API keys (a new key is shown once)."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST

from okrplatform.secret_pages import found_or_404, issue_once_page
from okrplatform.tenancy.permissions import action_required, current_membership
from okrplatform.tenancy.roles import Action

from . import selectors, services
from .forms import APIKeyForm


@action_required(Action.MANAGE_INTEGRATIONS)
@require_http_methods(["GET", "POST"])
def api_key_list(request: HttpRequest, org_slug: str) -> HttpResponse:
    return issue_once_page(
        request,
        form_class=APIKeyForm,
        issue=partial(services.api_key_create, actor=current_membership(request)),
        template="api/api_key_list.html",
        rows={"api_keys": selectors.api_key_list()},
    )


@action_required(Action.MANAGE_INTEGRATIONS)
@require_POST
def api_key_revoke(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    api_key = found_or_404(selectors.api_key_get(pk), "No such API key.")
    services.api_key_revoke(actor=current_membership(request), api_key=api_key)
    messages.success(request, f"API key “{api_key.name}” revoked: it no longer works.")
    return redirect("api-keys:list", org_slug=org_slug)
