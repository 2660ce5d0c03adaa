"""The sync pipeline (``bench.integrations_sync``: 2 worker processes, a local HTTP source) beside
``COPY`` of the same points, and beside a no-op Celery task's throughput on the same broker with
the same 2 worker processes."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings

from bench.measure import report, summary_row
from bench.workers import celery_workers, unique_queue

GOAL_SHARE = 0.25


def _broker() -> Any:
    import redis

    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


def noop_tasks_per_second(count: int) -> float:
    """Fill a fresh queue with ``count`` no-op tasks, start 2 worker processes on it, and time
    the drain from the first task taken to the last (worker start-up is not counted)."""
    from bench.tasks import noop

    queue = unique_queue("bench-noop")
    broker = _broker()
    for _ in range(count):
        noop.apply_async(queue=queue)
    with celery_workers(queue):
        deadline = time.monotonic() + 120
        while broker.llen(queue) >= count and time.monotonic() < deadline:
            time.sleep(0.002)
        started = time.perf_counter()
        while broker.llen(queue) > 0 and time.monotonic() < deadline:
            time.sleep(0.005)
        seconds = time.perf_counter() - started
        if broker.llen(queue) > 0:
            raise RuntimeError("the no-op tasks were not drained within 120 s")
    broker.delete(queue)
    return count / seconds


def run(*, sources: int, series_sources: int, points: int, noop_count: int) -> dict[str, Any]:
    from bench import integrations_sync

    settings.OUTBOUND_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    original_queue = getattr(settings, "INTEGRATIONS_QUEUE", None)
    try:
        synced = integrations_sync.run(sources, series_sources, points)
    finally:
        if original_queue is None:
            del settings.INTEGRATIONS_QUEUE
        else:
            settings.INTEGRATIONS_QUEUE = original_queue
    noop_rate = noop_tasks_per_second(noop_count)
    points_share = round(synced["sync_points_per_second"] / synced["copy_points_per_second"], 2)
    sources_per_second = synced["sources_per_minute"] / 60
    tasks_share = round(sources_per_second / noop_rate, 2)
    report(
        f"  sync: {synced['sync_points_per_second']:,} points/s (COPY "
        f"{synced['copy_points_per_second']:,}), {synced['sources_per_minute']:,} sources/min "
        f"(no-op tasks {noop_rate:,.0f}/s), failed runs {synced['failed_runs']}"
    )
    ok_runs = synced["failed_runs"] == 0
    return {
        **synced,
        "noop_tasks": noop_count,
        "noop_tasks_per_second": round(noop_rate),
        "points_share_of_copy": points_share,
        "sources_share_of_noop_rate": tasks_share,
        "summary": [
            summary_row(
                what=f"Sync pipeline points/s ({series_sources} sources × {points:,} points, 2 workers)",
                figure=f"{synced['sync_points_per_second']:,} points/s",
                reference=f"COPY {synced['copy_points_per_second']:,} points/s",
                ratio=points_share,
                goal=f"≥ {GOAL_SHARE:.0%} of COPY",
                ok=points_share >= GOAL_SHARE and ok_runs,
            ),
            summary_row(
                what=f"Sync pipeline sources/min ({sources} one-point sources, 2 workers)",
                figure=f"{synced['sources_per_minute']:,}/min ({sources_per_second:,.1f}/s)",
                reference=f"no-op Celery task {noop_rate:,.0f}/s, same broker, 2 workers",
                ratio=tasks_share,
                goal=f"≥ {GOAL_SHARE:.0%} of the no-op rate",
                ok=tasks_share >= GOAL_SHARE and ok_runs,
            ),
        ],
    }
