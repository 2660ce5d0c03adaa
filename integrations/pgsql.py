"""The PostgreSQL fast paths of the sync pipeline: each does in one statement, for a whole chunk
of runs, what the portable path in ``integrations.sync`` does in several (a one-point run is
mostly round trips, so every statement saved is throughput). Same rules, same results; every
statement names the organisation explicitly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Model

from kpis.models import KPI

from .models import DataSource, Integration, RunStatus, SourceStatus, SyncRun

_M = TypeVar("_M", bound=Model)

_LOADED = (SyncRun, DataSource, Integration, KPI)


def _columns(model: type[Model], alias: str) -> str:
    return ", ".join(f"{alias}.{connection.ops.quote_name(f.column)}" for f in _fields(model))


def _fields(model: type[Model]) -> list[Any]:
    return list(model._meta.concrete_fields)


def _instance(model: type[_M], values: Sequence[Any]) -> _M:
    """A model instance from a row of its concrete fields, converted as a queryset would."""
    fields = _fields(model)
    converted = []
    for field, raw in zip(fields, values, strict=True):
        value = raw
        for converter in [
            *connection.ops.get_db_converters(field),
            *field.get_db_converters(connection),
        ]:
            value = converter(value, field, connection)
        converted.append(value)
    return model.from_db(connection.alias, [f.attname for f in fields], converted)


def _claim_sql(*, flush_lazily: bool, alone: bool) -> str:
    table = {model: connection.ops.quote_name(model._meta.db_table) for model in _LOADED}
    # The inner SELECT locks the run row alone (SKIP LOCKED: another worker holds it, so this
    # message is a duplicate); the joined rows are read, not locked, so a KPI being edited or a
    # source being dispatched never makes a run look taken.
    #
    # On its own (autocommit, as in a worker) the claim commits without waiting for the WAL
    # flush: a claim lost in a crash leaves the run queued, and the sweeper sends it again once
    # its lease runs out, exactly as for a lost message. The run's result commits durably (and
    # flushes the claim with it).
    lazily = ", set_config('synchronous_commit', 'off', true)" if flush_lazily else ""
    # Only while no other organisation has a run in flight (queued and due, or running: their
    # leases lie within the queue lease; a retry waiting out its backoff lies beyond it), so
    # the per-organisation cap has nobody to protect (integrations/fairness.py).
    only_alone = (
        f"""
              AND NOT EXISTS (
                SELECT 1 FROM {table[SyncRun]} other
                WHERE other.status IN (%(queued)s, %(running)s)
                  AND other.lease_expires_at > %(now)s
                  AND other.lease_expires_at <= %(in_flight_until)s
                  AND other.organization_id <> %(organization_id)s
              )"""  # noqa: S608 - only our own table name is interpolated
        if alone
        else ""
    )
    return f"""
        WITH target AS (
            SELECT id FROM {table[SyncRun]}
            WHERE id = ANY(%(run_ids)s) AND organization_id = %(organization_id)s
              AND status IN (%(queued)s, %(running)s)
              AND NOT (status = %(running)s AND coalesce(lease_expires_at > %(now)s, false)){only_alone}
            ORDER BY id
            LIMIT %(limit)s
            FOR UPDATE SKIP LOCKED
        ), settings AS (SELECT 1{lazily})
        UPDATE {table[SyncRun]} r SET
            status = %(running)s,
            attempts = r.attempts + 1,
            lease_expires_at = %(lease)s,
            started_at = coalesce(r.started_at, %(now)s)
        FROM target, settings, {table[DataSource]} s, {table[Integration]} i, {table[KPI]} k
        WHERE r.id = target.id
          AND s.id = r.data_source_id AND s.organization_id = %(organization_id)s
          AND i.id = s.integration_id AND i.organization_id = %(organization_id)s
          AND k.id = s.kpi_id AND k.organization_id = %(organization_id)s
        RETURNING {_columns(SyncRun, "r")}, {_columns(DataSource, "s")},
                  {_columns(Integration, "i")}, {_columns(KPI, "k")}
    """  # noqa: S608 - only our own table and column names are interpolated


def runs_claim(
    *,
    run_ids: Sequence[int],
    organization_id: int,
    now: datetime,
    lease_expires_at: datetime,
    alone_until: datetime | None = None,
    limit: int | None = None,
) -> list[SyncRun]:
    """``claims.sync_run_claim`` for many runs in one statement: those of ``run_ids`` not finished
    nor held by another worker (at most ``limit``, lowest ids first), taken under a lease, each
    with its data source, integration and KPI loaded.

    With ``alone_until`` (now + the queue lease), none while another organisation has a run in
    flight."""
    with connection.cursor() as cursor:
        cursor.execute(
            # In a caller's transaction the setting would outlive the claim: flush as usual.
            _claim_sql(flush_lazily=not connection.in_atomic_block, alone=alone_until is not None),
            {
                "run_ids": list(run_ids),
                "organization_id": organization_id,
                "now": now,
                "lease": lease_expires_at,
                "in_flight_until": alone_until,
                "limit": limit,
                "queued": RunStatus.QUEUED,
                "running": RunStatus.RUNNING,
            },
        )
        rows = cursor.fetchall()
    widths = [len(_fields(model)) for model in _LOADED]
    starts = [sum(widths[:index]) for index in range(len(_LOADED))]
    runs = []
    for row in sorted(rows, key=lambda row: row[0]):
        run = _instance(SyncRun, row[starts[0] : starts[1]])
        source = _instance(DataSource, row[starts[1] : starts[2]])
        source.integration = _instance(Integration, row[starts[2] : starts[3]])
        source.kpi = _instance(KPI, row[starts[3] :])
        run.data_source = source
        runs.append(run)
    return runs


@dataclass(frozen=True)
class Succeeded:
    """A run to finish as succeeded: the attempt that holds it and what it wrote."""

    run: SyncRun
    written: int
    duration_ms: int | None


def runs_succeed(*, succeeded: Sequence[Succeeded], now: datetime) -> set[int]:
    """Finish the runs as succeeded, each if its attempt still holds it, and in the same
    statement mark their sources healthy. Returns the ids of the runs this finished."""
    if not succeeded:
        return set()
    organization_ids = {item.run.organization_id for item in succeeded}
    if len(organization_ids) != 1:
        raise ValueError("runs_succeed takes the runs of one organisation")
    runs = connection.ops.quote_name(SyncRun._meta.db_table)
    sources = connection.ops.quote_name(DataSource._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH done AS (
                SELECT * FROM unnest(
                    %(run_ids)s::bigint[], %(attempts)s::int[], %(written)s::int[],
                    %(durations)s::int[]
                ) AS d(run_id, attempts, written, duration)
            ), finished AS (
                UPDATE {runs} r SET status = %(succeeded)s, error = '',
                    values_written = done.written, finished_at = %(now)s,
                    duration_ms = done.duration, lease_expires_at = NULL
                FROM done
                WHERE r.id = done.run_id AND r.organization_id = %(organization_id)s
                  AND r.attempts = done.attempts AND r.status NOT IN (%(succeeded)s, %(failed)s)
                RETURNING r.id, r.data_source_id
            ), healthy AS (
                UPDATE {sources} SET status = %(ok)s, last_error = '', failing_since = NULL,
                    last_success_at = %(now)s
                WHERE id IN (SELECT data_source_id FROM finished)
                  AND organization_id = %(organization_id)s
            )
            SELECT id FROM finished
            """,  # noqa: S608 - only our own table names are interpolated
            {
                "succeeded": RunStatus.SUCCEEDED,
                "failed": RunStatus.FAILED,
                "ok": SourceStatus.OK,
                "now": now,
                "run_ids": [item.run.pk for item in succeeded],
                "attempts": [item.run.attempts for item in succeeded],
                "written": [item.written for item in succeeded],
                "durations": [item.duration_ms for item in succeeded],
                "organization_id": organization_ids.pop(),
            },
        )
        return {run_id for (run_id,) in cursor.fetchall()}
