"""Reads for the webhook pages (scoped to the bound organisation)."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from .models import WebhookDelivery, WebhookSubscription

DELIVERY_LOG_LENGTH = 50


def subscription_list() -> QuerySet[WebhookSubscription]:
    return WebhookSubscription.objects.annotate(delivery_count=Count("deliveries")).order_by(
        "-created_at", "-pk"
    )


def subscription_get(pk: int) -> WebhookSubscription | None:
    return WebhookSubscription.objects.filter(pk=pk).first()


def delivery_log(subscription: WebhookSubscription) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(subscription=subscription).order_by("-created_at", "-pk")[
        :DELIVERY_LOG_LENGTH
    ]


def delivery_get(pk: int) -> WebhookDelivery | None:
    return WebhookDelivery.objects.filter(pk=pk).first()
