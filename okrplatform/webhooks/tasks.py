"""Celery task: one webhook delivery attempt, retried with backoff while it is transient."""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task

from okrplatform.tenancy.tasks import tenant_task

from .delivery import AttemptOutcome, delivery_attempt


@shared_task(
    bind=True,
    name="webhooks.deliver",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=30,
    time_limit=45,
    max_retries=None,  # attempts are counted on the delivery row (delivery.MAX_ATTEMPTS)
    ignore_result=True,
)
def webhook_deliver(self: Task[Any, Any], *, organization_id: int, delivery_id: int) -> str:
    outcome = _attempt(organization_id=organization_id, delivery_id=delivery_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@tenant_task
def _attempt(*, organization_id: int, delivery_id: int) -> AttemptOutcome:
    return delivery_attempt(delivery_id=delivery_id)
