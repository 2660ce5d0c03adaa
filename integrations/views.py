"""Integration pages: admins manage, members read. Thin: forms in, services do the work."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from okrplatform.errors import DomainError
from okrplatform.forms import add_domain_error
from okrplatform.notifications.models import NotificationKind
from okrplatform.notifications.selectors import unread_of_kind
from okrplatform.tenancy.permissions import action_required, current_membership
from okrplatform.tenancy.roles import Action

from . import selectors, services
from .forms import (
    data_source_form,
    extraction_of,
    integration_fields,
    integration_form,
    schedule_of,
)
from .models import DataSource, Integration, Provider, SyncRun
from .providers import PROVIDERS, provider_get
from .providers.http_common import AUTH_ONLY_SETTINGS

TEST_POINTS_SHOWN = 20

admins_only = action_required(Action.MANAGE_INTEGRATIONS)
admins_on_post = action_required(Action.MANAGE_INTEGRATIONS, on_methods=("POST",))


def _integration_or_404(pk: int) -> Integration:
    integration = selectors.integration_get(pk)
    if integration is None:
        raise Http404("No such integration.")
    return integration


def _source_or_404(pk: int) -> DataSource:
    source = selectors.data_source_get(pk)
    if source is None:
        raise Http404("No such data source.")
    return source


def _push_url(request: HttpRequest, source: DataSource) -> str:
    return request.build_absolute_uri(reverse("integration-push", args=[source.push_key]))


@admins_on_post
def integration_list(request: HttpRequest, org_slug: str) -> HttpResponse:
    context = {
        "integrations": list(selectors.integration_list()),
        "sources": list(selectors.data_source_list()),
        "providers": PROVIDERS.values(),
        "notifications": unread_of_kind(
            recipient_id=current_membership(request).user_id,
            kind=NotificationKind.SOURCE_FAILING,
        ),
    }
    return render(request, "integrations/integration_list.html", context)


@admins_only
@require_http_methods(["GET", "POST"])
def integration_create(request: HttpRequest, org_slug: str) -> HttpResponse:
    provider = request.POST.get("provider") or request.GET.get("provider", "")
    if provider not in Provider.values:  # the providers are offered on the list page
        return redirect("integrations:integration-list", org_slug=org_slug)
    spec = provider_get(provider)
    form = integration_form(spec, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            integration = services.integration_create(
                actor=current_membership(request),
                provider=provider,
                name=form.cleaned_data["name"],
                fields=integration_fields(form),
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request, f"Integration “{integration.name}” created. Now add a data source."
            )
            return redirect("integrations:integration-detail", org_slug=org_slug, pk=integration.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "spec": spec, "provider": provider}
    return render(request, "integrations/integration_form.html", context, status=status)


@admins_on_post
def integration_detail(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    integration = _integration_or_404(pk)
    spec = provider_get(integration.provider)
    context = {
        "integration": integration,
        "spec": spec,
        "settings_shown": _settings_shown(integration),
        "sources": list(selectors.data_source_list(integration)),
        "source_form": data_source_form(spec),
    }
    return render(request, "integrations/integration_detail.html", context)


def _settings_shown(integration: Integration) -> list[tuple[str, Any]]:
    """The non-secret settings, labelled; secrets are not in ``settings`` at all."""
    spec = provider_get(integration.provider)
    fields = spec.settings_form.base_fields
    settings = integration.settings
    shown = []
    for name, stored in settings.items():
        if name not in fields or stored in ("", None):
            continue
        needs_auth = AUTH_ONLY_SETTINGS.get(name) if "auth" in fields else None
        if needs_auth is not None and settings.get("auth", "none") != needs_auth:
            continue  # e.g. the API key header name when no API key is sent
        field = fields[name]
        value = stored
        if isinstance(field, forms.ChoiceField):  # the label people chose, not the stored code
            choices = cast("Iterable[tuple[object, object]]", field.choices)  # flat, no groups
            labels = {str(code): label for code, label in choices}
            value = labels.get(str(stored), stored)
        shown.append((str(field.label or name.replace("_", " ").capitalize()), value))
    return shown


@admins_only
@require_http_methods(["GET", "POST"])
def integration_edit(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    integration = _integration_or_404(pk)
    spec = provider_get(integration.provider)
    form = integration_form(spec, data=request.POST or None, integration=integration)
    if request.method == "POST" and form.is_valid():
        try:
            services.integration_update(
                actor=current_membership(request),
                integration=integration,
                name=form.cleaned_data["name"],
                fields=integration_fields(form),
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Integration saved.")
            return redirect("integrations:integration-detail", org_slug=org_slug, pk=pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "spec": spec, "integration": integration}
    return render(request, "integrations/integration_form.html", context, status=status)


@admins_only
@require_POST
def integration_delete(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    integration = _integration_or_404(pk)
    services.integration_delete(actor=current_membership(request), integration=integration)
    messages.success(request, f"Integration “{integration.name}” deleted with its data sources.")
    return redirect("integrations:integration-list", org_slug=org_slug)


@admins_only
@require_POST
def integration_test(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    """Test connection: fetch with the posted extraction settings, show the values, save nothing."""
    integration = _integration_or_404(pk)
    spec = provider_get(integration.provider)
    form = spec.extraction_form(data=request.POST)
    context: dict[str, Any] = {"error": None, "points": [], "total": 0}
    if not form.is_valid():
        context["error"] = "; ".join(
            f"{name}: {' '.join(str(e) for e in errors)}" for name, errors in form.errors.items()
        )
    else:
        try:
            points = services.connection_test(
                integration=integration, extraction=extraction_of(form, spec)
            )
        except DomainError as error:
            context["error"] = error.message
        else:
            context.update(points=points[-TEST_POINTS_SHOWN:], total=len(points))
    return render(request, "integrations/_test_result.html", context)


@admins_only
@require_POST
def source_create(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    integration = _integration_or_404(pk)
    spec = provider_get(integration.provider)
    form = data_source_form(spec, data=request.POST)
    if form.is_valid():
        try:
            source, secret = services.data_source_create(
                actor=current_membership(request),
                integration=integration,
                kpi=form.cleaned_data["kpi"],
                extraction=extraction_of(form, spec),
                enabled=form.cleaned_data["enabled"],
                **schedule_of(form),
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            if secret is not None:  # shown once, in this response only
                return _source_page(request, source, new_secret=secret, status=201)
            messages.success(request, "Data source created; its first sync is on its way.")
            return redirect("integrations:source-detail", org_slug=org_slug, pk=source.pk)
    context = {
        "integration": integration,
        "spec": spec,
        "settings_shown": _settings_shown(integration),
        "sources": list(selectors.data_source_list(integration)),
        "source_form": form,
    }
    return render(request, "integrations/integration_detail.html", context, status=400)


def _source_page(
    request: HttpRequest,
    source: DataSource,
    *,
    form: Any = None,
    new_secret: str | None = None,
    status: int = 200,
) -> HttpResponse:
    spec = provider_get(source.integration.provider)
    context = {
        "source": source,
        "spec": spec,
        "runs": list(selectors.run_log(source)),
        "form": form or data_source_form(spec, source=source, with_kpi=False),
        "push_url": _push_url(request, source) if spec.fetch is None else "",
        "new_secret": new_secret,
    }
    return render(request, "integrations/source_detail.html", context, status=status)


@admins_on_post
def source_detail(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    return _source_page(request, _source_or_404(pk))


@admins_only
@require_POST
def source_edit(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    source = _source_or_404(pk)
    spec = provider_get(source.integration.provider)
    form = data_source_form(spec, data=request.POST, source=source, with_kpi=False)
    if form.is_valid():
        try:
            services.data_source_update(
                actor=current_membership(request),
                source=source,
                extraction=extraction_of(form, spec),
                enabled=form.cleaned_data["enabled"],
                **schedule_of(form),
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Data source saved.")
            return redirect("integrations:source-detail", org_slug=org_slug, pk=pk)
    return _source_page(request, _source_or_404(pk), form=form, status=400)


@admins_only
@require_POST
def source_delete(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    source = _source_or_404(pk)
    services.data_source_delete(actor=current_membership(request), source=source)
    messages.success(request, "Data source deleted; the values it brought stay on the KPI.")
    return redirect("integrations:integration-detail", org_slug=org_slug, pk=source.integration_id)


@admins_only
@require_POST
def source_secret_regenerate(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    source = _source_or_404(pk)
    try:
        secret = services.push_secret_regenerate(actor=current_membership(request), source=source)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("integrations:source-detail", org_slug=org_slug, pk=pk)
    return _source_page(request, source, new_secret=secret)


@admins_only
@require_POST
def source_sync(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    source = _source_or_404(pk)
    try:
        run = services.sync_now(actor=current_membership(request), source=source)
    except DomainError as error:
        if request.htmx:  # type: ignore[attr-defined]  # into #sync-progress, not a whole page
            context = {"message": error.message}
            return render(request, "integrations/_sync_refused.html", context)
        messages.error(request, error.message)
        return redirect("integrations:source-detail", org_slug=org_slug, pk=pk)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "integrations/_run_status.html", {"run": run})
    messages.success(request, "Sync started.")
    return redirect("integrations:source-detail", org_slug=org_slug, pk=pk)


@admins_on_post
def run_status(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    """The live progress of one run; the fragment polls itself until the run finishes."""
    run: SyncRun | None = selectors.run_get(pk)
    if run is None:
        raise Http404("No such run.")
    return render(request, "integrations/_run_status.html", {"run": run})
