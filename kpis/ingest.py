"""Bulk upsert of many KPI values in one transaction: the path of grid entry, CSV import, the
API's bulk endpoint and integrations.

On PostgreSQL the points go in as arrays through ``INSERT … SELECT FROM unnest(…) ON CONFLICT DO
UPDATE`` (one statement per chunk, close to COPY speed and without a staging table); elsewhere a
portable ``bulk_create(update_conflicts=True)``. Either way, health is then re-evaluated per
touched KPI for the touched periods only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.db.models import Exists
from django.utils import timezone

from okrplatform.errors import DomainError
from okrplatform.tenancy.scope import organization_scope
from okrplatform.webhooks import payloads
from okrplatform.webhooks.events import emit_many

from .alerts import HealthTurn, kpi_unhealthy_notify
from .evaluation_many import periods_refresh_many
from .models import KPI, KPIValue, ValueSource
from .periods import period_start
from .pgarrays import dates_literal, ids_literal, numbers_literal, texts_literal
from .validation import timestamp_validate, value_parse

if TYPE_CHECKING:
    from okrplatform.accounts.models import User

CHUNK = 10_000


@dataclass(frozen=True)
class PointInput:
    kpi_id: int
    timestamp: datetime
    value: Decimal | str | float | int
    note: str = ""
    # The integration run that fetched the point, when a batch carries several runs' points
    # (a chunk of sync runs); otherwise the batch's ``sync_run_id`` applies.
    sync_run_id: int | None = None


@dataclass(frozen=True)
class RecordResult:
    created: int
    updated: int
    kpi_ids: frozenset[int] = frozenset()
    # Points written per integration run (run id → count), for batches that carry runs.
    written_by_run: dict[int, int] = field(default_factory=dict)

    @property
    def written(self) -> int:
        return self.created + self.updated


# (KPI id, timestamp) → (value, note, sync run id)
_Rows = dict[tuple[int, datetime], tuple[Decimal, str, int | None]]


def _validated(points: Sequence[PointInput], known: set[int], sync_run_id: int | None) -> _Rows:
    """Every point checked before anything is written; the last of duplicate points wins."""
    now = timezone.now()
    rows: _Rows = {}
    for number, point in enumerate(points, start=1):
        if point.kpi_id not in known:
            raise DomainError(f"Point {number}: no such KPI (id {point.kpi_id}).", field="kpi")
        try:
            value = value_parse(point.value)
            timestamp = timestamp_validate(point.timestamp, now=now)
        except DomainError as error:
            raise DomainError(f"Point {number}: {error.message}", field=error.field) from None
        rows[(point.kpi_id, timestamp)] = (
            value,
            point.note[:500],
            point.sync_run_id if point.sync_run_id is not None else sync_run_id,
        )
    return rows


@dataclass(frozen=True)
class _Provenance:
    """Where a batch came from: stamped on every point it writes (and on points it updates)."""

    source: str
    author_id: int | None


def _upsert_postgresql(organization_id: int, rows: _Rows, provenance: _Provenance) -> int:
    """Returns the number of rows created (the rest updated existing points)."""
    table = connection.ops.quote_name(KPIValue._meta.db_table)
    sql = f"""
        INSERT INTO {table}
            (organization_id, kpi_id, "timestamp", value, source, note, author_id, sync_run_id,
             recorded_at)
        SELECT %s, p.kpi_id, p.ts, p.value, %s, p.note, %s, p.run_id, now()
        FROM unnest(%s::bigint[], %s::timestamptz[], %s::numeric[], %s::text[], %s::bigint[])
            AS p(kpi_id, ts, value, note, run_id)
        ON CONFLICT (organization_id, kpi_id, "timestamp") DO UPDATE SET
            value = EXCLUDED.value, source = EXCLUDED.source, note = EXCLUDED.note,
            author_id = EXCLUDED.author_id, sync_run_id = EXCLUDED.sync_run_id,
            recorded_at = EXCLUDED.recorded_at
        RETURNING (xmax = 0)
    """  # noqa: S608 - the only interpolation is our own table name
    items = list(rows.items())
    created = 0
    with connection.cursor() as cursor:
        for offset in range(0, len(items), CHUNK):
            chunk = items[offset : offset + CHUNK]
            cursor.execute(
                sql,
                [
                    organization_id,
                    provenance.source,
                    provenance.author_id,
                    numbers_literal(kpi_id for (kpi_id, _ts), _v in chunk),
                    dates_literal(ts for (_k, ts), _v in chunk),
                    numbers_literal(value for _key, (value, _n, _r) in chunk),
                    texts_literal(note for _key, (_v, note, _r) in chunk),
                    ids_literal(run_id for _key, (_v, _n, run_id) in chunk),
                ],
            )
            created += sum(1 for (inserted,) in cursor.fetchall() if inserted)
    return created


def _upsert_portable(organization_id: int, rows: _Rows, provenance: _Provenance) -> int:
    items = list(rows.items())
    created = 0
    now = timezone.now()
    for offset in range(0, len(items), 1000):
        chunk = items[offset : offset + 1000]
        kpi_ids = {kpi_id for (kpi_id, _ts), _v in chunk}
        timestamps = [ts for (_k, ts), _v in chunk]
        existing = set(
            KPIValue.objects.filter(
                kpi_id__in=kpi_ids, timestamp__gte=min(timestamps), timestamp__lte=max(timestamps)
            ).values_list("kpi_id", "timestamp")
        )
        created += sum(1 for key, _v in chunk if key not in existing)
        KPIValue.objects.bulk_create(
            [
                KPIValue(
                    organization_id=organization_id,
                    kpi_id=kpi_id,
                    timestamp=ts,
                    value=value,
                    source=provenance.source,
                    note=note,
                    author_id=provenance.author_id,
                    sync_run_id=run_id,
                    recorded_at=now,
                )
                for (kpi_id, ts), (value, note, run_id) in chunk
            ],
            update_conflicts=True,
            unique_fields=["organization", "kpi", "timestamp"],
            update_fields=["value", "source", "note", "author", "sync_run", "recorded_at"],
        )
    return created


def _run_exists(organization_id: int, sync_run_id: int) -> Exists:
    from integrations.models import SyncRun  # integrations builds on kpis, not the reverse

    return Exists(SyncRun.unscoped.filter(pk=sync_run_id, organization_id=organization_id))


def _check_runs(organization_id: int, sync_run_ids: set[int]) -> None:
    """A run id from another organisation would tie its points to a foreign run: refuse it."""
    from integrations.models import SyncRun

    known = set(
        SyncRun.unscoped.filter(pk__in=sync_run_ids, organization_id=organization_id).values_list(
            "pk", flat=True
        )
    )
    missing = sorted(sync_run_ids - known)
    if missing:
        raise DomainError(f"No such sync run (id {missing[0]}).", field="sync_run")


def _touch(organization_id: int, kpi_ids: Iterable[int], now: datetime) -> dict[int, str]:
    """Stamp the touched KPIs as just recorded. On PostgreSQL the same UPDATE locks them and
    returns their health under the lock (what ``periods_refresh`` would read again by itself)."""
    ids = sorted(kpi_ids)
    if connection.vendor != "postgresql":
        KPI.unscoped.filter(organization_id=organization_id, pk__in=ids).update(
            last_recorded_at=now
        )
        return {}
    table = connection.ops.quote_name(KPI._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_recorded_at = %s"  # noqa: S608 - our own table name
            " WHERE organization_id = %s AND id = ANY(%s::bigint[]) RETURNING id, health",
            [now, organization_id, ids],
        )
        return dict(cursor.fetchall())


def kpi_values_record_many(
    *,
    organization_id: int,
    points: Sequence[PointInput],
    source: str = ValueSource.API,
    author: User | None = None,
    sync_run_id: int | None = None,
    then: Callable[[RecordResult], None] | None = None,
) -> RecordResult:
    """Upsert ``points`` (for any KPIs of one organisation) atomically: a bad point refuses
    the whole batch with a message naming it, and nothing is written. Permission checks are
    the caller's: it knows whether an API key, an import or an integration is writing.
    ``sync_run_id`` names the integration run that fetched the batch (shown on the KPI page).
    ``then`` is called with the result inside the batch's transaction, so that what it writes
    commits with the points or not at all (an integration run finishing) and the caller needs
    no transaction, and savepoint, of its own around this one."""
    if not points:
        with transaction.atomic():
            nothing = RecordResult(created=0, updated=0)
            if then is not None:
                then(nothing)
            return nothing
    with organization_scope(organization_id), transaction.atomic():
        candidates = KPI.unscoped.filter(
            organization_id=organization_id, pk__in={point.kpi_id for point in points}
        ).order_by("pk")  # a stable order, so concurrent batches lock KPIs alike
        run_ids = {point.sync_run_id for point in points if point.sync_run_id is not None}
        if sync_run_id is not None:
            run_ids.add(sync_run_id)
        if len(run_ids) == 1:  # one run: checked by the same query (one round trip)
            candidates = candidates.annotate(run_known=_run_exists(organization_id, *run_ids))
        kpis = {kpi.pk: kpi for kpi in candidates}
        if len(run_ids) > 1 or (
            run_ids and not all(getattr(kpi, "run_known", False) for kpi in kpis.values())
        ):
            _check_runs(organization_id, run_ids)
        rows = _validated(points, set(kpis), sync_run_id)
        provenance = _Provenance(source=source, author_id=author.pk if author is not None else None)
        upsert = _upsert_postgresql if connection.vendor == "postgresql" else _upsert_portable
        created = upsert(organization_id, rows, provenance)
        touched: dict[int, set[date]] = {}
        for kpi_id, timestamp in rows:
            touched.setdefault(kpi_id, set()).add(
                period_start(kpis[kpi_id].update_frequency, timestamp)
            )
        now = timezone.now()
        health_before = _touch(organization_id, touched, now)
        turns: list[HealthTurn] = []  # KPIs this batch turned unhealthy: notified once, below
        refreshed = [kpis[kpi_id] for kpi_id in sorted(touched)]
        for kpi in refreshed:
            kpi.last_recorded_at = now
        periods_refresh_many(refreshed, touched=touched, turns=turns, locked_health=health_before)
        emit_many(
            organization_id,
            "kpi.value_recorded",
            [
                payloads.kpi_value_recorded(kpi, source=source, periods=len(touched[kpi.pk]))
                for kpi in refreshed
            ],
        )
        kpi_unhealthy_notify(organization_id=organization_id, turns=turns)
        written_by_run: dict[int, int] = {}
        for _value, _note, run_id in rows.values():
            if run_id is not None:
                written_by_run[run_id] = written_by_run.get(run_id, 0) + 1
        result = RecordResult(
            created=created,
            updated=len(rows) - created,
            kpi_ids=frozenset(touched),
            written_by_run=written_by_run,
        )
        if then is not None:
            then(result)
    return result
