"""Webhook objects in the tenant-isolation world, and the settings pages' URL kwargs."""

from __future__ import annotations

from typing import Any

from integrations.crypto import secret_encrypt
from okrplatform.webhooks.models import WebhookDelivery, WebhookSubscription


def extend_world(world: Any, marker: str) -> None:
    organization = world.organization
    subscription = WebhookSubscription.unscoped.create(
        organization=organization,
        url=f"https://{marker.lower()}.example.com/hooks",
        description=f"{marker} receiver",
        events=["kpi.health_changed"],
        secret_ciphertext=secret_encrypt(
            organization_id=organization.pk, data={"secret": f"whsec_{marker}"}
        ),
    )
    delivery = WebhookDelivery.unscoped.create(
        organization=organization,
        subscription=subscription,
        event="kpi.health_changed",
        payload={"kpi": {"name": f"{marker} KPI"}},
        status="failed",
        last_error=f"{marker} receiver error",
    )
    world.extra.update(webhook_subscription=subscription, webhook_delivery=delivery)


OBJECT_KWARGS = {
    "webhooks:detail": lambda w: {"pk": w.webhook_subscription.pk},
    "webhooks:delete": lambda w: {"pk": w.webhook_subscription.pk},
    "webhooks:replay": lambda w: {"pk": w.webhook_delivery.pk},
}
