"""The worker's side of the sync pipeline: a chunk of one organisation's runs in one task.

A one-point run is mostly fixed cost: a task hand-off, a claim, an HTTP exchange, a transaction
and its durable commit. So the dispatcher sends an organisation's due runs in chunks of
``INTEGRATIONS_RUNS_PER_TASK`` (a lone run, "Sync now" and the sweeper's re-sends as chunks of
one), and a chunk:

1. claims its runs in one statement, each under its own lease (a run another worker holds, or
   one already finished, is skipped: its message was a duplicate);
2. fetches their sources concurrently through the guarded client, at most
   ``INTEGRATIONS_FETCH_THREADS`` at once, each bounded by the outbound timeout;
3. records every fetched run's points in one transaction (one upsert; each touched KPI's
   health evaluated once) that also finishes those runs and marks their sources healthy in one
   statement. Should that transaction fail (one run's points refused, say), it is redone run by
   run, so a run's bad points fail that run alone;
4. fails a run whose fetch failed, or, if the error is transient, sends it back alone with its
   own backoff (``ChunkOutcome.retry_in``): the chunk's other runs neither wait nor fail.

Exactly once per run, as before chunks: leases are per run, a run finishes only if the attempt
that claimed it still holds it, and runs a chunk did not claim stay queued under their queue
lease, so the sweeper sends them again, each alone, once it runs out.

Fairness (integrations/fairness.py): a chunk occupies one worker slot. Alone on the workers, it
claims all its runs at once. While other organisations share the workers, its runs count
against the organisation's cap one by one as they run: it claims as many as the cap leaves,
runs them, and claims again, for at most ``CHUNK_SECONDS`` before it sends the rest back; when
another task of the organisation holds the cap, the rest is deferred as one message, attempts
not counted. So an organisation never runs more than the cap at once, in one slot.
"""

from __future__ import annotations

import logging
import os
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from kpis.models import ValueSource
from kpis.services import PointInput, kpi_values_record_many
from okrplatform.errors import DomainError
from okrplatform.tenancy.scope import current_organization_id

from . import claims, fairness, sync
from .crypto import CredentialError
from .models import RunStatus, SyncRun
from .providers import FetchError, Point

logger = logging.getLogger(__name__)

# A chunk claiming under the cap (its runs one by one, say) sends the rest back after this long,
# well inside the task's soft time limit, so other messages get the slot meanwhile.
CHUNK_SECONDS = 30.0
STOPPED = "The sync took too long and was stopped."
UNEXPECTED = "An unexpected error occurred; the operators have been told."


@dataclass
class ChunkOutcome:
    statuses: dict[int, str] = field(default_factory=dict)  # run id → succeeded/failed/retry
    retry_in: dict[int, float] = field(default_factory=dict)  # run id → backoff ("retry")
    deferred: list[int] = field(default_factory=list)  # still queued: send again after…
    defer_for: float = 0.0  # …this many seconds


def fetch_threads() -> int:
    return max(int(getattr(settings, "INTEGRATIONS_FETCH_THREADS", 8)), 1)


def sync_runs_execute(*, run_ids: list[int]) -> ChunkOutcome:
    """One attempt of each run of the chunk (the body of the chunk task; the scope is bound by
    the task)."""
    outcome = ChunkOutcome()
    remaining = list(dict.fromkeys(run_ids))
    started = time.monotonic()
    while remaining:
        claimed = claims.runs_claim_fairly(remaining)
        if isinstance(claimed, fairness.Deferred):  # over the cap: back in a moment
            outcome.deferred, outcome.defer_for = claimed.run_ids, claimed.retry_in
            break
        if not claimed.runs:
            break
        _runs_complete(claimed.runs, outcome)
        if claimed.whole:
            break
        taken = {run.pk for run in claimed.runs}
        remaining = [run_id for run_id in remaining if run_id not in taken]
        if remaining and time.monotonic() - started > CHUNK_SECONDS:
            outcome.deferred = remaining
            break
    return outcome


def _runs_complete(runs: list[SyncRun], outcome: ChunkOutcome) -> None:
    """Fetch, record and finish the claimed runs, each with its own result."""
    try:
        fetched = _fetch_concurrently(runs)
        recordable = []
        for run in runs:
            result = fetched[run.pk]
            if isinstance(result, BaseException):
                _attempt_failed(run, result, outcome)
            else:
                recordable.append((run, result))
        _record(recordable, outcome)
    except SoftTimeLimitExceeded:
        # The alarm may have cut a query short: a connection Django would still call usable.
        connection.close()
        for run in runs:
            if run.pk not in outcome.statuses:
                outcome.statuses[run.pk] = sync._fail(run, run.data_source, STOPPED).status


def _fetch_one(run: SyncRun) -> list[Point] | Exception:
    from .services import integration_credentials

    try:
        return sync._fetch_points(run, integration_credentials(run.data_source.integration))
    except Exception as error:  # noqa: BLE001 - judged by the caller, run by run
        return error


def _fetch_in_thread(run: SyncRun) -> list[Point] | Exception:
    try:
        return _fetch_one(run)
    finally:
        connections.close_all()  # a provider that touched the database must not leak a session


_pool: ThreadPoolExecutor | None = None
_pool_pid = 0


def _fetch_pool() -> ThreadPoolExecutor:
    """The process's fetch threads, started once (starting threads per chunk cost more than a
    chunk's fetches on a busy machine); a forked worker process starts its own."""
    global _pool, _pool_pid  # noqa: PLW0603 - one pool per process
    if _pool is None or _pool_pid != os.getpid():
        _pool = ThreadPoolExecutor(max_workers=fetch_threads(), thread_name_prefix="sync-fetch")
        _pool_pid = os.getpid()
    return _pool


def _fetch_concurrently(runs: list[SyncRun]) -> dict[int, list[Point] | Exception]:
    """Each run's points, or the error its fetch raised. A lone run is fetched in this thread.
    Stopped by the time limit, this does not wait for fetches still in flight: each ends at the
    outbound timeout by itself, and its thread is then free for the next chunk."""
    if len(runs) == 1:
        return {runs[0].pk: _fetch_one(runs[0])}
    pool = _fetch_pool()
    futures: dict[int, Future[list[Point] | Exception]] = {
        run.pk: pool.submit(_fetch_in_thread, run) for run in runs
    }
    try:
        return {run_id: future.result() for run_id, future in futures.items()}
    finally:
        for future in futures.values():
            future.cancel()  # those not started yet, should the time limit have struck


def _attempt_failed(run: SyncRun, error: BaseException, outcome: ChunkOutcome) -> None:
    """The run's fetch failed: retry it later if the error is transient, else fail it."""
    source = run.data_source
    if isinstance(error, FetchError):
        if error.transient and run.attempts < sync.MAX_ATTEMPTS:
            delay = sync.backoff_seconds(run.attempts)
            SyncRun.unscoped.filter(pk=run.pk, attempts=run.attempts).update(
                status=RunStatus.QUEUED,
                error=error.message,
                lease_expires_at=timezone.now() + timedelta(seconds=delay) + sync.QUEUE_LEASE,
            )
            outcome.statuses[run.pk], outcome.retry_in[run.pk] = "retry", delay
            return
        if error.transient:  # retries exhausted: say so, or "needs attention" reads as pending
            message = f"Gave up after {run.attempts} attempts. Last error: {error.message}"
        else:
            message = error.message
    elif isinstance(error, DomainError | CredentialError):
        message = getattr(error, "message", str(error))
    elif isinstance(error, SoftTimeLimitExceeded):
        message = STOPPED
    else:  # a bug must not leave the run hanging, nor show its details
        logger.error("sync run %s failed unexpectedly", run.pk, exc_info=error)
        message = UNEXPECTED
    outcome.statuses[run.pk] = sync._fail(run, source, message).status


def _record(recordable: list[tuple[SyncRun, list[Point]]], outcome: ChunkOutcome) -> None:
    """Record the runs' points and finish the runs: together if every run's points are
    accepted, else run by run."""
    if len(recordable) > 1:
        try:
            _record_together(recordable)
        except SoftTimeLimitExceeded:
            raise
        except Exception:  # noqa: BLE001 - redone run by run below, each judged on its own
            logger.info("a chunk's points were refused together; recording them run by run")
        else:
            for run, _points in recordable:
                outcome.statuses[run.pk] = "succeeded"
            return
    for run, points in recordable:
        outcome.statuses[run.pk] = _record_alone(run, points)


def _record_together(recordable: list[tuple[SyncRun, list[Point]]]) -> None:
    """Every run's points in one transaction, which also finishes the runs."""
    points = [
        PointInput(run.data_source.kpi_id, point.timestamp, point.value, sync_run_id=run.pk)
        for run, run_points in recordable
        for point in run_points
    ]
    kpi_values_record_many(
        organization_id=current_organization_id(),
        points=points,
        source=ValueSource.INTEGRATION,
        then=lambda recorded: sync.runs_succeed(
            [(run, recorded.written_by_run.get(run.pk, 0)) for run, _points in recordable]
        ),
    )


def _record_alone(run: SyncRun, points: list[Point]) -> str:
    source = run.data_source
    try:
        # The run finishes in the transaction that writes its points: both or neither.
        written = sync.points_record(
            source=source,
            run=run,
            points=points,
            then=lambda written: sync._succeed(run, written=written),
        )
    except SoftTimeLimitExceeded:
        raise
    except (DomainError, CredentialError) as error:
        return sync._fail(run, source, getattr(error, "message", str(error))).status
    except Exception:  # a bug must not leave the run hanging, nor show its details
        logger.exception("sync run %s failed unexpectedly", run.pk)
        return sync._fail(run, source, UNEXPECTED).status
    logger.info("sync run %s wrote %s values", run.pk, written)
    return "succeeded"
