"""Celery tasks: thin wrappers over ``integrations.sync``. They take ids, never instances.

All run on the ``integrations`` queue (settings.CELERY_TASK_ROUTES) with their own time
limits, so one tenant's slow source cannot hold up the platform's other work.
"""

from __future__ import annotations

from typing import Any

from celery import Task, shared_task
from celery.signals import worker_process_init

from okrplatform.tenancy.tasks import tenant_task

from . import outbound, sync

SOFT_TIME_LIMIT = 120
HARD_TIME_LIMIT = 180  # below sync.RUN_LEASE, so a live run's lease never runs out


@shared_task(name="integrations.dispatch_due_sources", ignore_result=True)
def dispatch_due_sources() -> int:
    return len(sync.due_sources_dispatch())


@shared_task(name="integrations.sweep_expired_runs", ignore_result=True)
def sweep_expired_runs() -> int:
    return len(sync.expired_runs_sweep())


@shared_task(
    bind=True,
    name="integrations.sync_run",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=SOFT_TIME_LIMIT,
    time_limit=HARD_TIME_LIMIT,
    max_retries=None,  # attempts are counted on the run row (sync.MAX_ATTEMPTS)
    ignore_result=True,
)
def sync_run_task(self: Task[Any, Any], *, organization_id: int, run_id: int) -> str:
    outcome = _execute(organization_id=organization_id, run_id=run_id)
    # A deferred run's attempt was not counted (sync.RunOutcome); both come back after the delay.
    if outcome.status in ("retry", "deferred"):
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@tenant_task
def _execute(*, organization_id: int, run_id: int) -> sync.RunOutcome:
    return sync.sync_run_execute(run_id=run_id)


@worker_process_init.connect
def _warm_up(**_kwargs: Any) -> None:
    """A worker process's first sync would otherwise pay for loading the CA bundle and the HTTP
    transport (hundreds of milliseconds on a busy machine): pay it when the process starts."""
    outbound.warm_up()
