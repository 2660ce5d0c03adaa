"""``emit``: the one function services call to announce an event to webhook subscribers.

The delivery rows are written in the caller's transaction (an outbox: if the change commits,
its deliveries exist; if it rolls back, nothing is sent), and the send tasks are enqueued only
once that transaction commits, so a worker never looks for a row that is not visible yet.
"""

from __future__ import annotations

from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from .models import WebhookDelivery, WebhookEvent, WebhookSubscription


def _plain(payload: dict[str, Any]) -> dict[str, Any]:
    """Decimals, dates and UUIDs as JSON strings, once, so every delivery stores the same."""
    import json

    result: dict[str, Any] = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    return result


def _subscriptions(organization_id: int, event: str) -> list[WebhookSubscription]:
    # unscoped + explicit organisation: emitters run in requests and in tasks alike.
    candidates = WebhookSubscription.unscoped.filter(organization_id=organization_id, active=True)
    return [s for s in candidates.only("pk", "events") if event in s.events]


def emit(organization_id: int, event: str, payload: dict[str, Any]) -> list[int]:
    """Queue ``event`` for every active subscription of the organisation that wants it.
    Returns the new delivery ids (none when nobody listens: one cheap query)."""
    return emit_many(organization_id, event, [payload])


def emit_many(organization_id: int, event: str, payloads: list[dict[str, Any]]) -> list[int]:
    """``emit`` of several events of one kind (a batch that changed many KPIs): one lookup of
    the subscriptions for all of them, one delivery per event and subscription."""
    if event not in WebhookEvent.values:
        raise ValueError(f"Unknown webhook event {event!r}")
    if not payloads:
        return []
    subscriptions = _subscriptions(organization_id, event)
    if not subscriptions:
        return []
    deliveries = WebhookDelivery.unscoped.bulk_create(
        WebhookDelivery(
            organization_id=organization_id, subscription=s, event=event, payload=_plain(payload)
        )
        for payload in payloads
        for s in subscriptions
    )
    ids = [d.pk for d in deliveries]
    transaction.on_commit(lambda: deliveries_enqueue(organization_id, ids))
    return ids


def deliveries_enqueue(organization_id: int, delivery_ids: list[int]) -> None:
    from .tasks import webhook_deliver

    for delivery_id in delivery_ids:
        webhook_deliver.delay(organization_id=organization_id, delivery_id=delivery_id)
