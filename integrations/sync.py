"""The sync pipeline: the database is the source of truth, the broker only rings the bell.

- ``due_sources_dispatch`` (beat, every 10 s) claims due data sources with
  ``SELECT … FOR UPDATE SKIP LOCKED``, creates the run of each one's slot (unique per
  (source, slot), so a second beat or a retried transaction creates nothing twice), advances the
  schedule and enqueues the fetch when the transaction commits.
- ``expired_runs_sweep`` (beat) re-enqueues runs whose lease ran out: a lost message or a killed
  worker costs one sweep, never data.
- the fetch tasks (``integrations.chunks``: a chunk of an organisation's runs, or one run) claim
  their runs under leases (``integrations.claims``), fetch, upsert the KPI values (idempotent on
  (KPI, timestamp); single values are stamped with the run's slot, so a re-run writes the same
  point), and finish each run only if they still hold it.

The dispatcher and the sweeper are the scheduler: they read every organisation's rows through
``unscoped`` on purpose, and hand each run to a task that binds its organisation's scope.
"""

from __future__ import annotations

import functools
import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from kpis.models import ValueSource
from kpis.services import PointInput, kpi_values_record_many
from okrplatform.background import BrokerUnavailableError
from okrplatform.tenancy.scope import organization_scope
from okrplatform.webhooks import payloads
from okrplatform.webhooks.events import emit

from . import pgsql
from .models import DataSource, RunStatus, RunTrigger, SourceStatus, SyncRun
from .providers import FetchError, Point, provider_get

logger = logging.getLogger(__name__)

DISPATCH_BATCH = 500
# An organisation's due runs go in at least this many tasks (up to INTEGRATIONS_RUNS_PER_TASK
# runs each): see ``_enqueue_in_chunks_on_commit``.
SPREAD_OVER_TASKS = 8
# Longer than the task's hard time limit, so a live run's lease never expires under it.
RUN_LEASE = timedelta(minutes=6)
# How long a queued run may wait for a worker before the sweeper sends it again.
QUEUE_LEASE = timedelta(minutes=10)
MAX_ATTEMPTS = 5
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 30 * 60


def integrations_queue() -> str:
    return str(getattr(settings, "INTEGRATIONS_QUEUE", "integrations"))


def _enqueue(run: SyncRun, *, countdown: float | None = None) -> None:
    """Send one run (Sync now, the sweeper, a retry) as a task of its own."""
    from .tasks import sync_run_task

    options: dict[str, Any] = {"queue": integrations_queue()}
    if countdown is not None:
        options["countdown"] = countdown
    sync_run_task.apply_async(
        kwargs={"organization_id": run.organization_id, "run_id": run.pk}, **options
    )


def runs_per_task() -> int:
    """How many of an organisation's due runs the dispatcher sends as one task (a chunk)."""
    return max(int(getattr(settings, "INTEGRATIONS_RUNS_PER_TASK", 20)), 1)


def _enqueue_chunk(organization_id: int, run_ids: list[int]) -> None:
    """Send a chunk of one organisation's runs as one task (integrations/chunks.py)."""
    from .tasks import sync_runs_task

    sync_runs_task.apply_async(
        kwargs={"organization_id": organization_id, "run_ids": run_ids},
        queue=integrations_queue(),
    )


def _enqueue_on_commit(run: SyncRun) -> None:
    transaction.on_commit(lambda: _enqueue_or_leave_to_sweeper(run))


# After a failed send, the next sends skip the broker for this long: a batch of runs during an
# outage costs one connection attempt, not one per run.
BROKER_RETRY_AFTER = 5.0
_broker_down_until = 0.0


def _enqueue_or_leave_to_sweeper(run: SyncRun) -> None:
    """Send the run; with the broker down, leave it queued with its lease already run out, so
    the first sweep once the broker is back sends it. The run row keeps the slot (the schedule
    has moved on), so a broker outage delays runs but loses none, and raises nothing here:
    the transaction that made the run has committed."""
    _send_or_leave_to_sweeper([run.pk], lambda: _enqueue(run))


def _send_or_leave_to_sweeper(run_ids: list[int], send: Callable[[], None]) -> None:
    global _broker_down_until  # noqa: PLW0603 - a per-process circuit breaker
    if time.monotonic() >= _broker_down_until:
        try:
            send()
        except BrokerUnavailableError as error:
            _broker_down_until = time.monotonic() + BROKER_RETRY_AFTER
            logger.warning("the broker is unavailable (%s); runs wait for the sweeper", error)
        else:
            return
    SyncRun.unscoped.filter(pk__in=run_ids, status=RunStatus.QUEUED).update(
        lease_expires_at=timezone.now()
    )


def _enqueue_in_chunks_on_commit(runs: list[SyncRun]) -> None:
    """Once the runs are committed, send them as chunks of one organisation's runs each (a lone
    run as a task of its own). A chunk the broker refuses is left to the sweeper, run by run."""
    by_organization: dict[int, list[SyncRun]] = {}
    for run in runs:
        by_organization.setdefault(run.organization_id, []).append(run)
    for organization_id, organization_runs in by_organization.items():
        # A few runs are spread over a few tasks, so that they run side by side on several
        # workers (a handful of big series would otherwise queue behind one another in one).
        size = min(runs_per_task(), math.ceil(len(organization_runs) / SPREAD_OVER_TASKS))
        for offset in range(0, len(organization_runs), size):
            chunk = organization_runs[offset : offset + size]
            if len(chunk) == 1:
                _enqueue_on_commit(chunk[0])
                continue
            transaction.on_commit(
                functools.partial(_send_chunk, organization_id, [run.pk for run in chunk])
            )


def _send_chunk(organization_id: int, run_ids: list[int]) -> None:
    _send_or_leave_to_sweeper(run_ids, functools.partial(_enqueue_chunk, organization_id, run_ids))


def _run_for_slot(source: DataSource, slot: datetime, trigger: str) -> tuple[SyncRun, bool]:
    """The run of this slot: created, or the one a concurrent dispatcher already made."""
    try:
        with transaction.atomic():
            run = SyncRun.unscoped.create(
                organization_id=source.organization_id,
                data_source=source,
                scheduled_for=slot,
                trigger=trigger,
                lease_expires_at=timezone.now() + QUEUE_LEASE,
            )
    except IntegrityError:
        existing = SyncRun.unscoped.get(
            organization_id=source.organization_id, data_source=source, scheduled_for=slot
        )
        return existing, False
    return run, True


def sync_run_request(*, source: DataSource, trigger: str = RunTrigger.MANUAL) -> SyncRun:
    """A run now (Sync now, backfill). Clicks within the same second share one run."""
    slot = timezone.now().replace(microsecond=0)
    with transaction.atomic():
        run, created = _run_for_slot(source, slot, trigger)
        if created:
            _enqueue_on_commit(run)
    return run


def due_sources_dispatch(*, now: datetime | None = None) -> list[int]:
    """Create and enqueue the run of every due data source's slot. Returns the new run ids."""
    from .services import data_source_next_run

    now = now or timezone.now()
    with transaction.atomic():
        sources = list(
            DataSource.unscoped.select_for_update(skip_locked=True, of=("self",))
            .select_related("integration")
            .filter(enabled=True, next_run_at__lte=now)
            .order_by("next_run_at")[:DISPATCH_BATCH]
        )
        if not sources:
            return []
        runs = _runs_for_due_slots(sources)
        for source in sources:
            slot = _due_slot(source)
            # Missed slots are skipped, not replayed: one run catches up, history comes with it.
            source.next_run_at = data_source_next_run(source, after=max(now, slot))
        DataSource.unscoped.bulk_update(sources, ["next_run_at"])
        _enqueue_in_chunks_on_commit(runs)
    return [run.pk for run in runs]


def _due_slot(source: DataSource) -> datetime:
    assert source.next_run_at is not None  # the dispatcher filters on it  # noqa: S101
    return source.next_run_at


def _runs_for_due_slots(sources: list[DataSource]) -> list[SyncRun]:
    """The new runs of the sources' due slots: one INSERT for the batch; should a slot already
    have its run (a "Sync now" in the same second), source by source, skipping those."""
    lease = timezone.now() + QUEUE_LEASE
    try:
        with transaction.atomic():
            return SyncRun.unscoped.bulk_create(
                SyncRun(
                    organization_id=source.organization_id,
                    data_source=source,
                    scheduled_for=_due_slot(source),
                    trigger=RunTrigger.SCHEDULE,
                    lease_expires_at=lease,
                )
                for source in sources
            )
    except IntegrityError:
        runs = []
        for source in sources:
            run, created = _run_for_slot(source, _due_slot(source), RunTrigger.SCHEDULE)
            if created:
                runs.append(run)
        return runs


def expired_runs_sweep(*, now: datetime | None = None) -> list[int]:
    """Send again every unfinished run whose lease ran out; give up after MAX_ATTEMPTS."""
    now = now or timezone.now()
    resent: list[int] = []
    with transaction.atomic():
        runs = list(
            SyncRun.unscoped.select_for_update(skip_locked=True)
            .filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING], lease_expires_at__lt=now)
            .order_by("lease_expires_at")[:DISPATCH_BATCH]
        )
        for run in runs:
            if run.attempts >= MAX_ATTEMPTS:
                message = f"Gave up after {run.attempts} attempts (the worker stopped responding)."
                _finish(run, status=RunStatus.FAILED, error=message, now=now)
                source = DataSource.unscoped.get(pk=run.data_source_id)
                _source_failed(source, message, now=now)
                continue
            run.status = RunStatus.QUEUED
            run.lease_expires_at = now + QUEUE_LEASE
            run.save(update_fields=["status", "lease_expires_at"])
            resent.append(run.pk)
            _enqueue_on_commit(run)
    return resent


def _duration_ms(run: SyncRun, now: datetime) -> int | None:
    return int((now - run.started_at).total_seconds() * 1000) if run.started_at else None


def _finish(run: SyncRun, *, status: str, now: datetime, error: str = "", written: int = 0) -> bool:
    """Finish the run if this attempt still holds it (the sweeper may have handed it on)."""
    duration = _duration_ms(run, now)
    return bool(
        SyncRun.unscoped.filter(pk=run.pk, attempts=run.attempts)
        .exclude(status__in=[RunStatus.SUCCEEDED, RunStatus.FAILED])
        .update(
            status=status,
            error=error[:2000],
            values_written=written,
            finished_at=now,
            duration_ms=duration,
            lease_expires_at=None,
        )
    )


def _source_failed(source: DataSource, message: str, *, now: datetime) -> None:
    # The conditional UPDATE flips OK → needs attention in exactly one transaction, so only
    # that one notifies: one notice per change, however many runs fail concurrently.
    flipped = DataSource.unscoped.filter(pk=source.pk, status=SourceStatus.OK).update(
        status=SourceStatus.NEEDS_ATTENTION, last_error=message[:2000], failing_since=now
    )
    if flipped:
        from .notifications import source_failing_notify

        source_failing_notify(source=source, message=message, failing_since=now)
    else:
        DataSource.unscoped.filter(pk=source.pk).update(last_error=message[:2000])


def _source_succeeded(source: DataSource, *, now: datetime) -> None:
    DataSource.unscoped.filter(pk=source.pk).update(
        status=SourceStatus.OK, last_error="", failing_since=None, last_success_at=now
    )


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff with full jitter: retries of many sources do not stampede."""
    ceiling = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(attempt - 1, 0))
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not a secret


def points_record(
    *,
    source: DataSource,
    run: SyncRun | None,
    points: list[Point],
    then: Callable[[int], None] | None = None,
) -> int:
    """Record the points; ``then`` is called with the number written, in the same transaction."""
    # A run's points carry the run (the KPI page links to its log); pushed points have none.
    note = "" if run is not None else "Pushed"
    result = kpi_values_record_many(
        organization_id=source.organization_id,
        points=[PointInput(source.kpi_id, p.timestamp, p.value, note=note) for p in points],
        source=ValueSource.INTEGRATION,
        sync_run_id=run.pk if run is not None else None,
        then=None if then is None else lambda recorded: then(recorded.written),
    )
    return result.written


@dataclass(frozen=True)
class RunOutcome:
    status: str  # "skipped", "succeeded", "failed", "retry", "deferred"
    retry_in: float | None = None


def sync_run_execute(*, run_id: int) -> RunOutcome:
    """One attempt of one run: a chunk of one (integrations/chunks.py). The scope is bound by
    the task."""
    from .chunks import sync_runs_execute

    outcome = sync_runs_execute(run_ids=[run_id])
    if outcome.deferred:
        return RunOutcome("deferred", retry_in=outcome.defer_for)
    status = outcome.statuses.get(run_id, "skipped")
    return RunOutcome(status, retry_in=outcome.retry_in.get(run_id))


def runs_succeed(written_by_run: list[tuple[SyncRun, int]]) -> None:
    """Finish the runs as succeeded and mark their sources healthy, each run if its attempt
    still holds it (one statement on PostgreSQL)."""
    now = timezone.now()
    if connection.vendor == "postgresql":
        pgsql.runs_succeed(
            succeeded=[
                pgsql.Succeeded(run, written, _duration_ms(run, now))
                for run, written in written_by_run
            ],
            now=now,
        )
        return
    for run, written in written_by_run:
        if _finish(run, status=RunStatus.SUCCEEDED, now=now, written=written):
            _source_succeeded(run.data_source, now=now)


def _succeed(run: SyncRun, *, written: int) -> None:
    runs_succeed([(run, written)])


def _fetch_points(run: SyncRun, credentials: dict[str, Any]) -> list[Point]:
    integration = run.data_source.integration
    spec = provider_get(integration.provider)
    if spec.fetch is None:
        raise FetchError("Push sources receive values; there is nothing to fetch.")
    # Stamped with the slot, not the clock: a re-run of the same slot writes the same point.
    return spec.fetch(
        settings=integration.settings,
        credentials=credentials,
        extraction=run.data_source.extraction,
        now=run.scheduled_for,
    )


def _fail(run: SyncRun, source: DataSource, message: str) -> RunOutcome:
    now = timezone.now()
    with transaction.atomic():
        if _finish(run, status=RunStatus.FAILED, now=now, error=message):
            _source_failed(source, message, now=now)
            emit(run.organization_id, "sync.failed", payloads.sync_failed(run, message=message))
    return RunOutcome("failed")


def push_receive(*, source: DataSource, points: list[Point]) -> int:
    """Values pushed to a source's URL: recorded like a run's, the source marked healthy."""
    with organization_scope(source.organization_id), transaction.atomic():
        written = points_record(source=source, run=None, points=points)
        _source_succeeded(source, now=timezone.now())
    return written
