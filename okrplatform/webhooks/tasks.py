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
def webhook_deliver(
    self: Task[Any, Any], *, organization_id: int, delivery_id: int, after_attempt: int = 0
) -> str:
    outcome = _attempt(
        organization_id=organization_id, delivery_id=delivery_id, after_attempt=after_attempt
    )
    if outcome.retry_in is not None:
        kwargs = {
            "organization_id": organization_id,
            "delivery_id": delivery_id,
            "after_attempt": outcome.attempt,
        }
        raise self.retry(countdown=outcome.retry_in, kwargs=kwargs)
    return outcome.status


@shared_task(name="webhooks.sweep_due_deliveries", ignore_result=True)
def sweep_due_deliveries() -> int:
    from .sweeper import due_deliveries_sweep

    return len(due_deliveries_sweep())


@tenant_task
def _attempt(*, organization_id: int, delivery_id: int, after_attempt: int) -> AttemptOutcome:
    return delivery_attempt(delivery_id=delivery_id, after_attempt=after_attempt)
