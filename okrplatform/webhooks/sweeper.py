"""The sweeper (beat, every minute): re-sends deliveries whose Celery message was lost.

A delivery is unfinished (pending or retrying) until an attempt makes it final. Its
``next_attempt_at`` says when something should have happened: at creation, after a retry's
backoff, at the end of a running attempt's lease. Once that time is ``SWEEP_GRACE`` behind us,
the message is taken to be lost (broker restart, a send that failed after commit, a worker killed
mid-attempt) and the sweeper sends a new one.

The claim: rows are read ``FOR UPDATE SKIP LOCKED`` and their ``next_attempt_at`` moved to now in
the same transaction, so a second sweeper (two beat processes) either skips them or, once the
first commits, no longer finds them due. The message names the attempt it follows
(``after_attempt``), so even a copy sent twice makes that attempt once (see ``delivery``).

Like integrations' sweeper, this is the scheduler: it reads every organisation's rows through
``unscoped`` on purpose, and each message binds its organisation's scope in the task.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from okrplatform.background import BrokerUnavailableError

from . import delivery as delivery_module
from .models import DeliveryStatus, WebhookDelivery

logger = logging.getLogger(__name__)

# How long a due delivery may wait for a worker before it counts as lost. Longer than the beat
# interval, so a message sent at the last sweep has a full minute to be taken.
SWEEP_GRACE = timedelta(minutes=2)
SWEEP_BATCH = 500
UNFINISHED = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING)


def _send(rows: list[tuple[int, int, int]]) -> None:
    from .tasks import webhook_deliver

    for organization_id, delivery_id, after_attempt in rows:
        try:
            webhook_deliver.apply_async(
                kwargs={
                    "organization_id": organization_id,
                    "delivery_id": delivery_id,
                    "after_attempt": after_attempt,
                }
            )
        except BrokerUnavailableError as error:
            # Still due at the next sweep after the grace: a broker outage delays, never loses.
            logger.warning("the broker is unavailable (%s); deliveries wait for a sweep", error)
            return


def due_deliveries_sweep(*, now: datetime | None = None) -> list[int]:
    """Send again every unfinished delivery left past its due time; return their ids.
    One that has used its attempts (its worker died on the last one) is marked failed."""
    now = now or timezone.now()
    max_attempts = delivery_module.MAX_ATTEMPTS
    to_send: list[tuple[int, int, int]] = []
    with transaction.atomic():
        rows = list(
            WebhookDelivery.unscoped.select_for_update(skip_locked=True)
            .filter(status__in=UNFINISHED, next_attempt_at__lt=now - SWEEP_GRACE)
            .order_by("next_attempt_at")
            .values_list("pk", "organization_id", "attempts")[:SWEEP_BATCH]
        )
        exhausted = [pk for pk, _org, attempts in rows if attempts >= max_attempts]
        if exhausted:
            WebhookDelivery.unscoped.filter(pk__in=exhausted).update(
                status=DeliveryStatus.FAILED,
                next_attempt_at=None,
                last_error=f"Gave up after {max_attempts} attempts (the worker stopped responding).",
            )
        to_send = [(org, pk, attempts) for pk, org, attempts in rows if attempts < max_attempts]
        WebhookDelivery.unscoped.filter(pk__in=[pk for _org, pk, _a in to_send]).update(
            next_attempt_at=now
        )
        if to_send:
            transaction.on_commit(lambda: _send(to_send))
    if to_send:
        logger.info("webhook sweeper re-sent %s deliveries", len(to_send))
    return [pk for _org, pk, _a in to_send]
