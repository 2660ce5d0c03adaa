"""Sending one delivery: sign, POST through the guarded outbound client, log the outcome.

Retries follow the client's verdict (``OutboundError.transient``): timeouts, connection errors,
429 and 5xx are retried with exponential backoff and full jitter, up to ``MAX_ATTEMPTS``; any
other 4xx, a refused address or a redirect is final. Redirects are not followed: the signed
body goes to the URL the admin checked, nowhere else.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from integrations import outbound

from .models import DeliveryStatus, WebhookDelivery
from .services import webhook_subscription_secret
from .signing import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signature_header

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
BACKOFF_BASE_SECONDS = 10
BACKOFF_MAX_SECONDS = 60 * 60
TIMEOUT_SECONDS = 10.0
MAX_RESPONSE_BYTES = 64 * 1024  # we only keep the status; a receiver has nothing to send us
USER_AGENT = "okrplatform-webhooks/1"


@dataclass(frozen=True)
class AttemptOutcome:
    status: str  # DeliveryStatus value, or "skipped"
    retry_in: float | None = None


def backoff_seconds(attempt: int) -> float:
    """Exponential with full jitter (half to all of the ceiling): failed deliveries to one
    receiver do not come back in lockstep."""
    base = getattr(settings, "WEBHOOK_BACKOFF_BASE_SECONDS", BACKOFF_BASE_SECONDS)
    ceiling = min(BACKOFF_MAX_SECONDS, base * 2 ** max(attempt - 1, 0))
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not a secret


def delivery_body(delivery: WebhookDelivery) -> bytes:
    envelope = {
        "id": str(delivery.event_id),
        "type": delivery.event,
        "created_at": delivery.created_at,
        "organization": delivery.organization_id,
        "delivery": delivery.pk,
        "data": delivery.payload,
    }
    return json.dumps(envelope, cls=DjangoJSONEncoder, separators=(",", ":")).encode()


def _raise_for_status(response: outbound.OutboundResponse) -> None:
    if 300 <= response.status_code < 400:
        raise outbound.OutboundError(
            f"The receiver redirected ({response.status_code}); webhooks do not follow "
            "redirects: subscribe the final URL.",
            status_code=response.status_code,
        )
    outbound.raise_for_status(response)


def delivery_attempt(*, delivery_id: int) -> AttemptOutcome:
    """One attempt (the body of the task; the organisation's scope is bound by the task)."""
    delivery = WebhookDelivery.objects.select_related("subscription").filter(pk=delivery_id).first()
    if delivery is None or delivery.status in (DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED):
        return AttemptOutcome("skipped")
    subscription = delivery.subscription
    body = delivery_body(delivery)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: delivery.event,
        DELIVERY_HEADER: str(delivery.event_id),
        SIGNATURE_HEADER: signature_header(webhook_subscription_secret(subscription), body),
    }
    delivery.attempts += 1
    delivery.last_attempt_at = timezone.now()
    try:
        response = outbound.request(
            "POST",
            subscription.url,
            headers=headers,
            content=body,
            timeout=TIMEOUT_SECONDS,
            max_bytes=MAX_RESPONSE_BYTES,
            follow_redirects=False,
        )
        delivery.response_code = response.status_code
        _raise_for_status(response)
    except outbound.OutboundError as error:
        delivery.last_error = error.message[:500]
        delivery.response_code = error.status_code or delivery.response_code
        retry = error.transient and delivery.attempts < MAX_ATTEMPTS
        delivery.status = DeliveryStatus.RETRYING if retry else DeliveryStatus.FAILED
        delivery.save()
        logger.info(
            "webhook delivery %s attempt %s: %s", delivery.pk, delivery.attempts, delivery.status
        )
        if retry:
            return AttemptOutcome(DeliveryStatus.RETRYING, backoff_seconds(delivery.attempts))
        return AttemptOutcome(DeliveryStatus.FAILED)
    delivery.status = DeliveryStatus.SUCCEEDED
    delivery.last_error = ""
    delivery.delivered_at = timezone.now()
    delivery.save()
    return AttemptOutcome(DeliveryStatus.SUCCEEDED)
