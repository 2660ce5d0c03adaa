"""The no-op task whose throughput on the broker is the sync pipeline's second yardstick.
Loaded only by the bench's own workers (``celery worker --include bench.tasks``)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="bench.noop", ignore_result=True)
def noop() -> None:
    return None
