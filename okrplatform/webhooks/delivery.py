"""Sending one delivery: sign, POST through the guarded outbound client, log the outcome.

Retries follow the client's verdict (``OutboundError.transient``): timeouts, connection errors,
429 and 5xx are retried with exponential backoff and full jitter, up to ``MAX_ATTEMPTS``; any
other 4xx, a refused address or a redirect is final. Redirects are not followed: the signed
body goes to the URL the admin checked, nowhere else.

Every message names the attempt it follows (``after_attempt``: 0 for a new delivery, n for the
retry after attempt n). An attempt starts only by claiming the row while its ``attempts`` still
equals that number, so a late original next to the sweeper's copy, a retry next to a re-sent
one, or a redelivered message after a finished attempt sends nothing twice.
"""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
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
# Longer than the task's hard time limit: the sweeper never re-sends a live attempt.
ATTEMPT_LEASE = timedelta(seconds=60)


@dataclass(frozen=True)
class AttemptOutcome:
    status: str  # DeliveryStatus value, or "skipped"
    retry_in: float | None = None
    attempt: int = 0  # the attempt made; a retry's message names it as ``after_attempt``


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


def _claim(*, delivery_id: int, after_attempt: int, now: datetime) -> WebhookDelivery | None:
    """Start attempt ``after_attempt + 1``, or None when it is not this message's to make (the
    delivery is final, another message already made that attempt, or one is claiming it)."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("subscription")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status in (DeliveryStatus.SUCCEEDED, DeliveryStatus.FAILED):
            return None
        if delivery.attempts != after_attempt:
            return None
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.next_attempt_at = now + ATTEMPT_LEASE
        delivery.save(update_fields=["attempts", "last_attempt_at", "next_attempt_at"])
    return delivery


def delivery_attempt(*, delivery_id: int, after_attempt: int = 0) -> AttemptOutcome:
    """One attempt (the body of the task; the organisation's scope is bound by the task)."""
    delivery = _claim(delivery_id=delivery_id, after_attempt=after_attempt, now=timezone.now())
    if delivery is None:
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
        retry_in = backoff_seconds(delivery.attempts) if retry else None
        delivery.next_attempt_at = (
            timezone.now() + timedelta(seconds=retry_in) if retry_in is not None else None
        )
        delivery.save()
        logger.info(
            "webhook delivery %s attempt %s: %s", delivery.pk, delivery.attempts, delivery.status
        )
        return AttemptOutcome(delivery.status, retry_in, delivery.attempts)
    delivery.status = DeliveryStatus.SUCCEEDED
    delivery.last_error = ""
    delivery.delivered_at = timezone.now()
    delivery.next_attempt_at = None
    delivery.save()
    return AttemptOutcome(DeliveryStatus.SUCCEEDED, attempt=delivery.attempts)
