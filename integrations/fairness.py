"""Per-organisation fairness for sync runs: one organisation's hanging integrations must not
occupy every worker slot while other organisations' runs wait behind them.

While other organisations share the workers, an organisation may have at most
``INTEGRATIONS_MAX_RUNNING_PER_ORGANIZATION`` runs running at once. A run over the cap is not
claimed: it stays queued, its attempt is not counted, and its message comes back after a short
countdown (``Deferred``). Alone on the workers, an organisation has every slot (a cap with nobody
waiting would only slow it down).

"Others share the workers" means either that another organisation has a run in flight (queued or
running, read in the claim statement itself) or that this worker process ran another
organisation's run within ``INTEGRATIONS_FAIRNESS_WINDOW`` seconds: a tenant whose runs trickle
in one at a time is not in flight at every instant, but its next run must still find a slot.

Race-free where it matters: claims under the cap are serialised per organisation (a
transaction-scoped advisory lock on PostgreSQL; elsewhere a row lock on the organisation, and
SQLite serialises writers anyway), and the running runs are counted after the lock is held, so
concurrent claims in any number of processes never exceed the cap. The decision whether the cap
applies is taken per claim; at the moment another organisation first appears, a claim that
already decided "alone" may still run beside one that counts, once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection, transaction

from okrplatform.tenancy.models import Organization

from .models import RunStatus, SyncRun

if TYPE_CHECKING:
    from .claims import Claimed

# The advisory lock key's first half: namespaces our per-organisation lock in PostgreSQL's
# shared advisory lock space (the second half is the organisation id).
_LOCK_NAMESPACE = 7_011_001
# Deferred runs come back after this many seconds (jittered, so deferred runs don't return as
# one wave): short against a 15 s outbound timeout, long against the claim's few milliseconds.
DEFER_SECONDS = (1.0, 3.0)

# Organisation id → when this process last ran one of its runs (time.monotonic()).
_last_seen: dict[int, float] = {}


@dataclass(frozen=True)
class Deferred:
    """The runs were over their organisation's cap: still queued, attempts not counted."""

    retry_in: float
    run_ids: list[int] = field(default_factory=list)


def max_running() -> int:
    """The cap; 0 switches fairness off."""
    return int(getattr(settings, "INTEGRATIONS_MAX_RUNNING_PER_ORGANIZATION", 1))


def _window() -> float:
    return float(getattr(settings, "INTEGRATIONS_FAIRNESS_WINDOW", 60.0))


def organization_seen(organization_id: int) -> None:
    """Remember that this process is running a run of this organisation."""
    now = time.monotonic()
    _last_seen[organization_id] = now
    if len(_last_seen) > 1000:  # forget the long-gone, so the map stays small
        for key, seen in list(_last_seen.items()):
            if now - seen > _window():
                del _last_seen[key]


def forget() -> None:
    _last_seen.clear()


def others_seen_recently(organization_id: int) -> bool:
    now = time.monotonic()
    return any(
        key != organization_id and now - seen <= _window() for key, seen in _last_seen.items()
    )


def runs_claim_within_cap(
    *,
    run_ids: list[int],
    organization_id: int,
    now: datetime,
    queue_lease: timedelta,
    claim: Callable[[int], Claimed],
) -> Claimed | Deferred:
    """Claim with ``claim(limit)`` as many of the runs as the organisation's cap leaves room
    for; with no room, leave them queued (their leases moved past the countdown, so the
    sweeper does not send them meanwhile) and return ``Deferred`` with their ids."""
    with transaction.atomic():
        _claims_serialize(organization_id)
        # Counted after the lock: every claim that held it before us has committed.
        running = (
            SyncRun.unscoped.filter(
                organization_id=organization_id,
                status=RunStatus.RUNNING,
                lease_expires_at__gt=now,
            )
            .exclude(pk__in=run_ids)
            .count()
        )
        if running < max_running():
            return claim(max_running() - running)
        retry_in = random.uniform(*DEFER_SECONDS)  # noqa: S311 - jitter, not a secret
        queued = SyncRun.unscoped.filter(
            pk__in=run_ids, organization_id=organization_id, status=RunStatus.QUEUED
        )
        waiting = sorted(queued.values_list("pk", flat=True))
        queued.filter(pk__in=waiting).update(
            lease_expires_at=now + timedelta(seconds=retry_in) + queue_lease
        )
        # Not queued (finished, or running under another worker): those messages are duplicates.
        return Deferred(retry_in, run_ids=waiting) if waiting else claim(0)


def _claims_serialize(organization_id: int) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, organization_id]
            )
    else:
        list(Organization.objects.select_for_update().filter(pk=organization_id).values("pk"))
