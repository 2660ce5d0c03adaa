"""Celery tasks: thin wrappers over ``integrations.sync``. They take ids, never instances.

All run on the ``integrations`` queue (settings.CELERY_TASK_ROUTES) with their own time
limits, so one tenant's slow source cannot hold up the platform's other work.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from celery.signals import worker_process_init

from okrplatform.background import BrokerUnavailableError
from okrplatform.tenancy.tasks import tenant_task

from . import chunks, outbound, sync

logger = logging.getLogger(__name__)

SOFT_TIME_LIMIT = 120
HARD_TIME_LIMIT = 180  # below sync.RUN_LEASE, so a live run's lease never runs out


@shared_task(name="integrations.dispatch_due_sources", ignore_result=True)
def dispatch_due_sources() -> int:
    return len(sync.due_sources_dispatch())


@shared_task(name="integrations.sweep_expired_runs", ignore_result=True)
def sweep_expired_runs() -> int:
    return len(sync.expired_runs_sweep())


_RUN_TASK_OPTIONS: dict[str, Any] = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "soft_time_limit": SOFT_TIME_LIMIT,
    "time_limit": HARD_TIME_LIMIT,
    "max_retries": None,  # attempts are counted on the run rows (sync.MAX_ATTEMPTS)
    "ignore_result": True,
}


@shared_task(bind=True, name="integrations.sync_run", **_RUN_TASK_OPTIONS)
def sync_run_task(self: Task[Any, Any], *, organization_id: int, run_id: int) -> str:
    """One run: "Sync now", the sweeper's re-sends, retries (a chunk of one)."""
    outcome = _execute(organization_id=organization_id, run_id=run_id)
    # A deferred run's attempt was not counted (sync.RunOutcome); both come back after the delay.
    if outcome.status in ("retry", "deferred"):
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@shared_task(bind=True, name="integrations.sync_runs", **_RUN_TASK_OPTIONS)
def sync_runs_task(self: Task[Any, Any], *, organization_id: int, run_ids: list[int]) -> str:
    """A chunk of one organisation's runs (integrations/chunks.py)."""
    outcome = _execute_chunk(organization_id=organization_id, run_ids=run_ids)
    # Each run a transient error stopped comes back alone, after its own backoff, on the queue
    # this chunk came from (as a retry of the chunk itself would).
    queue = (self.request.delivery_info or {}).get("routing_key") or sync.integrations_queue()
    for run_id, delay in outcome.retry_in.items():
        try:
            sync_run_task.apply_async(
                kwargs={"organization_id": organization_id, "run_id": run_id},
                countdown=delay,
                queue=queue,
            )
        except BrokerUnavailableError as error:  # its lease runs out, and the sweeper sends it
            logger.warning(
                "run %s waits for the sweeper: the broker is unavailable (%s)", run_id, error
            )
    if outcome.deferred:  # over the organisation's cap, or the chunk's time was up
        raise self.retry(
            countdown=outcome.defer_for,
            kwargs={"organization_id": organization_id, "run_ids": outcome.deferred},
        )
    return f"{len(outcome.statuses)} runs"


@tenant_task
def _execute(*, organization_id: int, run_id: int) -> sync.RunOutcome:
    return sync.sync_run_execute(run_id=run_id)


@tenant_task
def _execute_chunk(*, organization_id: int, run_ids: list[int]) -> chunks.ChunkOutcome:
    return chunks.sync_runs_execute(run_ids=run_ids)


@worker_process_init.connect
def _warm_up(**_kwargs: Any) -> None:
    """A worker process's first sync would otherwise pay for loading the CA bundle and the HTTP
    transport (hundreds of milliseconds on a busy machine): pay it when the process starts."""
    outbound.warm_up()
