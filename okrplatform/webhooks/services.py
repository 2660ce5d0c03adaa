"""Writes for webhook subscriptions (admins only) and replays of their deliveries.

Keyword-only and atomic, raising ``DomainError`` (naming the field) or ``PermissionDeniedError``.
The signing secret is returned once, by ``webhook_subscription_create`` (and ``…_secret_rotate``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db import transaction

from integrations.crypto import secret_decrypt, secret_encrypt
from integrations.outbound import AddressRefusedError, address_check
from okrplatform.errors import DomainError, PermissionDeniedError
from okrplatform.tenancy.models import Membership
from okrplatform.tenancy.roles import Action

from .events import deliveries_enqueue
from .models import DeliveryStatus, WebhookDelivery, WebhookEvent, WebhookSubscription
from .signing import secret_generate

URL_MAX = 500


@dataclass(frozen=True)
class IssuedSubscription:
    subscription: WebhookSubscription
    secret: str  # shown to the admin once


def _require_admin(actor: Membership) -> None:
    if not actor.can(Action.MANAGE_INTEGRATIONS):
        raise PermissionDeniedError("Only admins can manage webhooks.")


def _url_clean(url: str) -> str:
    """http(s) to a public address (or one the deployment allowlists). Checked again, with the
    address pinned, on every delivery: DNS may change after this."""
    url = (url or "").strip()
    if not url:
        raise DomainError("Enter the URL that receives the events.", field="url")
    if len(url) > URL_MAX:
        raise DomainError(f"The URL is longer than {URL_MAX} characters.", field="url")
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise DomainError("The URL is not valid.", field="url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DomainError("Use an http:// or https:// URL.", field="url")
    if parts.username or parts.password:
        raise DomainError("Put no credentials in the URL; verify the signature.", field="url")
    try:
        address_check(parts.hostname, port)
    except AddressRefusedError as error:
        raise DomainError(error.message, field="url") from None
    return url


def _events_clean(events: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(events))
    unknown = [e for e in chosen if e not in WebhookEvent.values]
    if unknown:
        raise DomainError(
            f"Unknown event(s): {', '.join(map(str, unknown))[:200]}.", field="events"
        )
    if not chosen:
        raise DomainError("Choose at least one event.", field="events")
    return chosen


@transaction.atomic
def webhook_subscription_create(
    *,
    actor: Membership,
    url: str,
    events: Iterable[str],
    description: str = "",
    active: bool = True,
) -> IssuedSubscription:
    _require_admin(actor)
    secret = secret_generate()
    subscription = WebhookSubscription.objects.create(
        organization_id=actor.organization_id,
        url=_url_clean(url),
        events=_events_clean(events),
        description=description.strip()[:200],
        active=active,
        secret_ciphertext=secret_encrypt(
            organization_id=actor.organization_id, data={"secret": secret}
        ),
        created_by_id=actor.user_id,
    )
    return IssuedSubscription(subscription, secret)


@transaction.atomic
def webhook_subscription_update(
    *,
    actor: Membership,
    subscription: WebhookSubscription,
    url: str | None = None,
    events: Iterable[str] | None = None,
    description: str | None = None,
    active: bool | None = None,
) -> WebhookSubscription:
    """Change what is given; the secret stays (rotate it on its own)."""
    _require_admin(actor)
    if url is not None:
        subscription.url = _url_clean(url)
    if events is not None:
        subscription.events = _events_clean(events)
    if description is not None:
        subscription.description = description.strip()[:200]
    if active is not None:
        subscription.active = active
    subscription.save()
    return subscription


@transaction.atomic
def webhook_subscription_secret_rotate(
    *, actor: Membership, subscription: WebhookSubscription
) -> str:
    _require_admin(actor)
    secret = secret_generate()
    subscription.secret_ciphertext = secret_encrypt(
        organization_id=subscription.organization_id, data={"secret": secret}
    )
    subscription.save(update_fields=["secret_ciphertext"])
    return secret


@transaction.atomic
def webhook_subscription_delete(*, actor: Membership, subscription: WebhookSubscription) -> None:
    _require_admin(actor)
    subscription.delete()


def webhook_subscription_secret(subscription: WebhookSubscription) -> str:
    """The clear secret, to sign a delivery. Never put it in a context, a response or a log."""
    data = secret_decrypt(
        organization_id=subscription.organization_id, ciphertext=subscription.secret_ciphertext
    )
    return str(data["secret"])


@transaction.atomic
def webhook_delivery_replay(*, actor: Membership, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a logged event again, as a new delivery with the same event id and payload (signed
    afresh with the subscription's current secret and URL)."""
    _require_admin(actor)
    replay = WebhookDelivery.objects.create(
        organization_id=delivery.organization_id,
        subscription_id=delivery.subscription_id,
        event=delivery.event,
        event_id=delivery.event_id,
        payload=delivery.payload,
        status=DeliveryStatus.PENDING,
        replay_of=delivery,
    )
    organization_id = delivery.organization_id
    transaction.on_commit(lambda: deliveries_enqueue(organization_id, [replay.pk]))
    return replay
