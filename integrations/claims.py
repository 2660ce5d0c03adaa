"""Claiming sync runs: each run under a lease of its own, so that exactly one worker works on it
at a time however many messages name it; within the organisation's fairness cap while other
organisations share the workers (integrations/fairness.py). On PostgreSQL one statement claims
a whole chunk (``pgsql.runs_claim``); elsewhere a portable twin does the same row by row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from okrplatform.tenancy.scope import current_organization_id

from . import fairness, pgsql
from .models import RunStatus, SyncRun
from .sync import QUEUE_LEASE, RUN_LEASE


def sync_run_claim(
    *, run_id: int, now: datetime | None = None, alone: bool = False
) -> SyncRun | None:
    """Take the run under a lease, or None if it is finished or another worker holds it (or,
    with ``alone``, if another organisation has a run in flight)."""
    runs = sync_runs_claim(run_ids=[run_id], now=now, alone=alone)
    return runs[0] if runs else None


def sync_runs_claim(
    *,
    run_ids: list[int],
    now: datetime | None = None,
    alone: bool = False,
    limit: int | None = None,
) -> list[SyncRun]:
    """Take those of the runs that are not finished nor held by another worker (at most
    ``limit``, lowest ids first), each under its own lease; none, with ``alone``, while another
    organisation has a run in flight. Only the run rows are locked: their sources,
    integrations and KPIs are read with them, not locked."""
    now = now or timezone.now()
    if connection.vendor == "postgresql":
        return pgsql.runs_claim(
            run_ids=run_ids,
            organization_id=current_organization_id(),
            now=now,
            lease_expires_at=now + RUN_LEASE,
            alone_until=now + QUEUE_LEASE if alone else None,
            limit=limit,
        )
    if alone and _others_in_flight(now):
        return []
    claimed: list[SyncRun] = []
    with transaction.atomic():
        candidates = (
            SyncRun.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("data_source__integration", "data_source__kpi")
            .filter(pk__in=run_ids)
            .order_by("pk")
        )
        for run in candidates:
            if limit is not None and len(claimed) >= limit:
                break
            if run.is_finished:
                continue
            held = run.lease_expires_at is not None and run.lease_expires_at > now
            if run.status == RunStatus.RUNNING and held:
                continue
            run.status = RunStatus.RUNNING
            run.attempts += 1
            run.lease_expires_at = now + RUN_LEASE
            run.started_at = run.started_at or now
            run.save(update_fields=["status", "attempts", "lease_expires_at", "started_at"])
            claimed.append(run)
    return claimed


def _others_in_flight(now: datetime) -> bool:
    """Another organisation has a run queued and due, or running (the portable twin of the
    condition in ``pgsql.runs_claim``)."""
    return (
        SyncRun.unscoped.filter(
            status__in=[RunStatus.QUEUED, RunStatus.RUNNING],
            lease_expires_at__gt=now,
            lease_expires_at__lte=now + QUEUE_LEASE,
        )
        .exclude(organization_id=current_organization_id())
        .exists()
    )


@dataclass(frozen=True)
class Claimed:
    """What a fair claim took: the runs, and whether they are all this chunk may take now
    (``whole``: alone on the workers, or no cap) or only what the organisation's cap left."""

    runs: list[SyncRun]
    whole: bool


def runs_claim_fairly(run_ids: list[int]) -> Claimed | fairness.Deferred:
    """``sync_runs_claim`` within the organisation's cap while others share the workers
    (integrations/fairness.py). Alone, every run at once, in one statement."""
    organization_id = current_organization_id()
    fairness.organization_seen(organization_id)
    if fairness.max_running() <= 0:
        return Claimed(sync_runs_claim(run_ids=run_ids), whole=True)
    now = timezone.now()
    if not fairness.others_seen_recently(organization_id):
        runs = sync_runs_claim(run_ids=run_ids, now=now, alone=True)
        if runs:
            return Claimed(runs, whole=True)
    return fairness.runs_claim_within_cap(
        run_ids=run_ids,
        organization_id=organization_id,
        now=now,
        queue_lease=QUEUE_LEASE,
        claim=lambda limit: Claimed(
            sync_runs_claim(run_ids=run_ids, now=now, limit=limit), whole=False
        ),
    )


def claim_fairly(run_id: int) -> SyncRun | fairness.Deferred | None:
    """``runs_claim_fairly`` of a single run."""
    claimed = runs_claim_fairly([run_id])
    if isinstance(claimed, fairness.Deferred):
        return claimed
    return claimed.runs[0] if claimed.runs else None
