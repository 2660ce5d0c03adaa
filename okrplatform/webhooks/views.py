"""Admin pages: subscribe URLs to events (the secret is shown once), read each subscription's
delivery log and replay a delivery."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from okrplatform.secret_pages import found_or_404, issue_once_page
from okrplatform.tenancy.permissions import action_required, current_membership
from okrplatform.tenancy.roles import Action

from . import selectors, services
from .forms import SubscriptionForm

admins_only = action_required(Action.MANAGE_INTEGRATIONS)


@admins_only
@require_http_methods(["GET", "POST"])
def subscription_list(request: HttpRequest, org_slug: str) -> HttpResponse:
    return issue_once_page(
        request,
        form_class=SubscriptionForm,
        issue=partial(services.webhook_subscription_create, actor=current_membership(request)),
        template="webhooks/subscription_list.html",
        rows={"subscriptions": selectors.subscription_list()},
    )


@admins_only
@require_http_methods(["GET", "POST"])
def subscription_detail(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    """The delivery log; a POST pauses or resumes the subscription."""
    subscription = found_or_404(selectors.subscription_get(pk), "No such webhook.")
    if request.method == "POST":
        services.webhook_subscription_update(
            actor=current_membership(request),
            subscription=subscription,
            active=not subscription.active,
        )
        return redirect("webhooks:detail", org_slug=org_slug, pk=pk)
    return render(
        request,
        "webhooks/subscription_detail.html",
        {"subscription": subscription, "deliveries": selectors.delivery_log(subscription)},
    )


@admins_only
@require_POST
def subscription_delete(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    subscription = found_or_404(selectors.subscription_get(pk), "No such webhook.")
    services.webhook_subscription_delete(
        actor=current_membership(request), subscription=subscription
    )
    messages.success(request, f"Webhook to {subscription.url} deleted.")
    return redirect("webhooks:list", org_slug=org_slug)


@admins_only
@require_POST
def delivery_replay(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    delivery = found_or_404(selectors.delivery_get(pk), "No such delivery.")
    services.webhook_delivery_replay(actor=current_membership(request), delivery=delivery)
    messages.success(request, f"“{delivery.event}” queued to be sent again.")
    return redirect("webhooks:detail", org_slug=org_slug, pk=delivery.subscription_id)
