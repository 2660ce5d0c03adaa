"""The sync pipeline: the database is the source of truth, the broker only rings the bell.

- ``due_sources_dispatch`` (beat, every 10 s) claims due data sources with
  ``SELECT … FOR UPDATE SKIP LOCKED``, creates the run of each one's slot (unique per
  (source, slot), so a second beat or a retried transaction creates nothing twice), advances the
  schedule and enqueues the fetch when the transaction commits.
- ``expired_runs_sweep`` (beat) re-enqueues runs whose lease ran out: a lost message or a killed
  worker costs one sweep, never data.
- ``sync_run_execute`` (the fetch task) claims its run under a lease, fetches, upserts the KPI
  values (idempotent on (KPI, timestamp); single values are stamped with the run's slot, so a
  re-run writes the same point), and finishes the run only if it still holds it.

The dispatcher and the sweeper are the scheduler: they read every organisation's rows through
``unscoped`` on purpose, and hand each run to a task that binds its organisation's scope.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from kpis.models import ValueSource
from kpis.services import PointInput, kpi_values_record_many
from okrplatform.background import BrokerUnavailableError
from okrplatform.errors import DomainError
from okrplatform.tenancy.scope import current_organization_id, organization_scope
from okrplatform.webhooks import payloads
from okrplatform.webhooks.events import emit

from . import fairness, pgsql
from .crypto import CredentialError
from .models import DataSource, RunStatus, RunTrigger, SourceStatus, SyncRun
from .providers import FetchError, Point, provider_get

logger = logging.getLogger(__name__)

DISPATCH_BATCH = 500
# Longer than the task's hard time limit, so a live run's lease never expires under it.
RUN_LEASE = timedelta(minutes=6)
# How long a queued run may wait for a worker before the sweeper sends it again.
QUEUE_LEASE = timedelta(minutes=10)
MAX_ATTEMPTS = 5
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 30 * 60


def _enqueue(run: SyncRun, *, countdown: float | None = None) -> None:
    from .tasks import sync_run_task

    options: dict[str, Any] = {"queue": getattr(settings, "INTEGRATIONS_QUEUE", "integrations")}
    if countdown is not None:
        options["countdown"] = countdown
    sync_run_task.apply_async(
        kwargs={"organization_id": run.organization_id, "run_id": run.pk}, **options
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
    global _broker_down_until  # noqa: PLW0603 - a per-process circuit breaker
    if time.monotonic() >= _broker_down_until:
        try:
            _enqueue(run)
        except BrokerUnavailableError as error:
            _broker_down_until = time.monotonic() + BROKER_RETRY_AFTER
            logger.warning("the broker is unavailable (%s); runs wait for the sweeper", error)
        else:
            return
    SyncRun.unscoped.filter(pk=run.pk, status=RunStatus.QUEUED).update(
        lease_expires_at=timezone.now()
    )


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
        for run in runs:
            _enqueue_on_commit(run)
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


def sync_run_claim(
    *, run_id: int, now: datetime | None = None, alone: bool = False
) -> SyncRun | None:
    """Take the run under a lease, or None if it is finished or another worker holds it (or,
    with ``alone``, if another organisation has a run in flight).
    Only the run row is locked: its source, integration and KPI are read with it, not locked."""
    now = now or timezone.now()
    if connection.vendor == "postgresql":
        return pgsql.run_claim(
            run_id=run_id,
            organization_id=current_organization_id(),
            now=now,
            lease_expires_at=now + RUN_LEASE,
            alone_until=now + QUEUE_LEASE if alone else None,
        )
    if alone and _others_in_flight(now):
        return None
    with transaction.atomic():
        run = (
            SyncRun.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("data_source__integration", "data_source__kpi")
            .filter(pk=run_id)
            .first()
        )
        if run is None or run.is_finished:
            return None
        if run.status == RunStatus.RUNNING and run.lease_expires_at and run.lease_expires_at > now:
            return None
        run.status = RunStatus.RUNNING
        run.attempts += 1
        run.lease_expires_at = now + RUN_LEASE
        run.started_at = run.started_at or now
        run.save(update_fields=["status", "attempts", "lease_expires_at", "started_at"])
    return run


def _others_in_flight(now: datetime) -> bool:
    """Another organisation has a run queued and due, or running (the portable twin of the
    condition in ``pgsql.run_claim``)."""
    return (
        SyncRun.unscoped.filter(
            status__in=[RunStatus.QUEUED, RunStatus.RUNNING],
            lease_expires_at__gt=now,
            lease_expires_at__lte=now + QUEUE_LEASE,
        )
        .exclude(organization_id=current_organization_id())
        .exists()
    )


def _claim_fairly(run_id: int) -> SyncRun | fairness.Deferred | None:
    """``sync_run_claim`` within the organisation's cap while others share the workers
    (integrations/fairness.py). Alone, one statement as before."""
    organization_id = current_organization_id()
    fairness.organization_seen(organization_id)
    if fairness.max_running() <= 0:
        return sync_run_claim(run_id=run_id)
    now = timezone.now()
    if not fairness.others_seen_recently(organization_id):
        run = sync_run_claim(run_id=run_id, now=now, alone=True)
        if run is not None:
            return run
    return fairness.run_claim_within_cap(
        run_id=run_id,
        organization_id=organization_id,
        now=now,
        queue_lease=QUEUE_LEASE,
        claim=lambda: sync_run_claim(run_id=run_id, now=now),
    )


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
    """One attempt of one run (the body of the fetch task; the scope is bound by the task)."""
    from .services import integration_credentials

    run = _claim_fairly(run_id)
    if run is None:
        return RunOutcome("skipped")
    if isinstance(run, fairness.Deferred):  # over its organisation's cap: back in a moment
        return RunOutcome("deferred", retry_in=run.retry_in)
    source = run.data_source
    integration = source.integration
    started = time.monotonic()
    try:
        points = _fetch_points(run, integration_credentials(integration))
        # The run finishes in the transaction that writes its points: both or neither.
        written = points_record(
            source=source,
            run=run,
            points=points,
            then=lambda written: _succeed(run, source, written=written),
        )
    except FetchError as error:
        if error.transient and run.attempts < MAX_ATTEMPTS:
            delay = backoff_seconds(run.attempts)
            SyncRun.unscoped.filter(pk=run.pk, attempts=run.attempts).update(
                status=RunStatus.QUEUED,
                error=error.message,
                lease_expires_at=timezone.now() + timedelta(seconds=delay) + QUEUE_LEASE,
            )
            return RunOutcome("retry", retry_in=delay)
        if error.transient:  # retries exhausted: say so, or "needs attention" reads as pending
            return _fail(
                run, source, f"Gave up after {run.attempts} attempts. Last error: {error.message}"
            )
        return _fail(run, source, error.message)
    except (DomainError, CredentialError) as error:
        return _fail(run, source, getattr(error, "message", str(error)))
    except SoftTimeLimitExceeded:
        # The alarm may have cut a query short: a connection Django would still call usable.
        connection.close()
        return _fail(run, source, "The sync took too long and was stopped.")
    except Exception:  # a bug must not leave the run hanging, nor show its details
        logger.exception("sync run %s failed unexpectedly", run.pk)
        return _fail(run, source, "An unexpected error occurred; the operators have been told.")
    logger.info("sync run %s wrote %s values in %.2fs", run.pk, written, time.monotonic() - started)
    return RunOutcome("succeeded")


def _succeed(run: SyncRun, source: DataSource, *, written: int) -> None:
    """Finish the run as succeeded and mark its source healthy, if this attempt still holds it."""
    now = timezone.now()
    if connection.vendor == "postgresql":
        pgsql.run_succeed(run=run, now=now, written=written, duration_ms=_duration_ms(run, now))
    elif _finish(run, status=RunStatus.SUCCEEDED, now=now, written=written):
        _source_succeeded(source, now=now)


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
