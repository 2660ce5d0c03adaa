"""Database connections in Celery workers: kept between tasks, as Django keeps them between
requests, and dropped whenever a task may have left one unusable.

Celery's Django fix-up closes every connection after every task unless ``CELERY_DB_REUSE_MAX``
is set (settings.py sets it), because a task stopped by its soft time limit in the middle of a
query can leave a connection Django still believes usable. A new PostgreSQL session per task
cost more than the rest of a one-point sync run together (connection set-up, then cold
catalogue caches for every table the run touches). So here, as Django does around a request:

- before each task, ``close_old_connections``: closes connections past ``CONN_MAX_AGE``, or
  left in a transaction or after an error that a health check (``CONN_HEALTH_CHECKS``) finds
  fatal;
- after a task that did not succeed (it raised, retried or was stopped), every connection is
  closed outright: it may have been interrupted mid-query.

A task that catches ``SoftTimeLimitExceeded`` itself and carries on closes the connection
there (``integrations.sync``).
"""

from __future__ import annotations

from typing import Any

from celery import states
from celery.signals import task_postrun, task_prerun
from django.db import close_old_connections, connections


def _in_a_worker(task: Any) -> bool:
    """Not an eager call (tests, ``make run`` without a broker): that runs inside its caller,
    whose connection and transaction are not the task's to close."""
    return not getattr(getattr(task, "request", None), "is_eager", False)


@task_prerun.connect(dispatch_uid="okrplatform.worker_connections.before_task")
def before_task(*, sender: Any = None, **_kwargs: Any) -> None:
    if _in_a_worker(sender):
        close_old_connections()


@task_postrun.connect(dispatch_uid="okrplatform.worker_connections.after_task")
def after_task(*, sender: Any = None, state: str | None = None, **_kwargs: Any) -> None:
    if _in_a_worker(sender) and state != states.SUCCESS:
        connections.close_all()
