"""Keeps a KPI's period series, health history and current state in step with its values.

Cost is O(values written), not O(history): a write re-aggregates only the periods it touched,
reads the stored verdicts of the hysteresis window before them, and walks forward only until the
recomputed health agrees with what is stored again (usually right after the window). Only a
change of frequency or aggregation rebuilds the whole series.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import reduce
from operator import or_

from django.db import connection
from django.db.models import Q

from .alerts import HealthTurn, kpi_unhealthy_notify
from .health import aggregate
from .models import KPI, Health, HealthChange, KPIPeriod, KPITarget, KPIValue
from .period_walk import (
    PeriodChange,
    PeriodRow,
    period_window,
    refresh_plan,
)
from .periods import period_bounds, period_end, period_start
from .pgarrays import dates_literal, numbers_literal, texts_literal
from .validation import QUANTUM

SPANS_PER_QUERY = 100


def touched_spans(frequency: str, starts: Iterable[date]) -> list[tuple[date, date]]:
    """Touched periods merged into contiguous [from, to) date spans: fewer, simpler filters."""
    spans: list[tuple[date, date]] = []
    for start in sorted(set(starts)):
        end = period_end(frequency, start)
        if spans and spans[-1][1] == start:
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def _aggregate_periods(kpi: KPI, starts: set[date]) -> dict[date, tuple[Decimal, datetime]]:
    """(value, newest timestamp) of each touched period that still has points."""
    points: dict[date, list[tuple[datetime, Decimal]]] = {}
    spans = touched_spans(kpi.update_frequency, starts)
    for offset in range(0, len(spans), SPANS_PER_QUERY):
        ranges = []
        for span_from, span_to in spans[offset : offset + SPANS_PER_QUERY]:
            since = period_bounds(kpi.update_frequency, span_from)[0]
            until = period_bounds(kpi.update_frequency, span_to)[0]
            ranges.append(Q(timestamp__gte=since, timestamp__lt=until))
        rows = (
            KPIValue.objects.filter(kpi=kpi)
            .filter(reduce(or_, ranges))
            .order_by("timestamp")
            .values_list("timestamp", "value")
        )
        for timestamp, value in rows:
            points.setdefault(period_start(kpi.update_frequency, timestamp), []).append(
                (timestamp, value)
            )
    return aggregate_points(kpi, points)


def aggregate_points(
    kpi: KPI, points: dict[date, list[tuple[datetime, Decimal]]]
) -> dict[date, tuple[Decimal, datetime]]:
    """Each period's (value, newest timestamp) from its points, oldest first."""
    result: dict[date, tuple[Decimal, datetime]] = {}
    for start, series in points.items():
        aggregated = aggregate(kpi.aggregation, [value for _ts, value in series])
        assert aggregated is not None  # noqa: S101 - a period in ``points`` has points
        # Stored with six decimal places: compare and judge the value as it will be read back.
        result[start] = (aggregated.quantize(QUANTUM), series[-1][0])
    return result


def periods_refresh(
    kpi: KPI,
    *,
    touched: Iterable[date] = (),
    rejudge_from: date | None = None,
    rejudge_to: date | None = None,
    turns: list[HealthTurn] | None = None,
    locked_health: str | None = None,
) -> None:
    """Bring the period series, health changes and current state of ``kpi`` up to date after
    its values changed in the ``touched`` periods and/or its target changed for the periods in
    ``[rejudge_from, rejudge_to]`` (``rejudge_to`` None: to the end). Call inside a transaction.

    If the KPI turns unhealthy, its people are notified (``kpis.alerts``); a bulk writer passes
    ``turns`` to collect the turn instead and notify for all its KPIs at once. A caller that
    has locked the KPI row already passes the health it read under that lock as
    ``locked_health``. (``kpis.evaluation_many`` does the same for many KPIs at once.)"""
    # Serialise writers; the health read under the lock is what this write changes from.
    health_before = locked_health or (
        KPI.objects.select_for_update().filter(pk=kpi.pk).values_list("health", flat=True).first()
    )
    touched_set = set(touched)
    aggregated = _aggregate_periods(kpi, touched_set) if touched_set else {}
    span = refresh_span(touched_set, rejudge_from, rejudge_to)
    if span is None:
        return
    start, end = span
    window = period_window(kpi, start, end, max(kpi.hysteresis_periods, 1))
    plan = refresh_plan(
        kpi,
        touched=touched_set,
        aggregated=aggregated,
        window=window,
        targets=list(KPITarget.objects.filter(kpi=kpi)),
        start=start,
        end=end,
    )
    KPIPeriod.objects.filter(pk__in=plan.removed).delete()
    # A health change is stored only at a stored period (and goes with it), so with no stored
    # period in the walked span there is none to clear: a first point of a new period, the
    # common write, skips the DELETE.
    if plan.walked_stored:
        HealthChange.objects.filter(
            kpi=kpi, period_start__gte=start, period_start__lte=plan.walked_to
        ).delete()
    _write(kpi, plan.dirty, plan.changes)
    current_state_refresh(kpi)
    turn_report(kpi, health_before, turns)


def refresh_span(
    touched: set[date], rejudge_from: date | None, rejudge_to: date | None
) -> tuple[date, date] | None:
    """The first and last period a refresh judges again (``date.max``: to the end)."""
    bounds = [*touched, *([rejudge_from] if rejudge_from else [])]
    if not bounds:
        return None
    start = min(bounds)
    end = max([*touched, start] + ([rejudge_to] if rejudge_to else []))
    if rejudge_from is not None and rejudge_to is None:
        end = date.max
    return start, end


def turn_report(kpi: KPI, health_before: str | None, turns: list[HealthTurn] | None) -> None:
    """Report the KPI turning unhealthy with this write: to ``turns``, or straight to its people."""
    if kpi.health != Health.UNHEALTHY or health_before == Health.UNHEALTHY:
        return
    latest = (
        HealthChange.objects.filter(kpi=kpi)
        .order_by("-period_start", "-changed_at")
        .values_list("from_health", "period_start", "value")
        .first()
    )
    from_health, start, value = latest if latest else (health_before or Health.NO_DATA, None, None)
    turn = HealthTurn(kpi.pk, from_health, start, value)
    if turns is None:
        kpi_unhealthy_notify(organization_id=kpi.organization_id, turns=[turn])
    else:
        turns.append(turn)


def _write(kpi: KPI, rows: list[PeriodRow], changes: list[PeriodChange]) -> None:
    if connection.vendor == "postgresql":
        write_postgresql(
            kpi.organization_id,
            [(kpi.pk, row) for row in rows],
            [(kpi.pk, change) for change in changes],
        )
        return
    organization_id = kpi.organization_id
    KPIPeriod.objects.bulk_create(
        [
            KPIPeriod(
                organization_id=organization_id,
                kpi=kpi,
                period_start=row.period_start,
                value=row.value,
                last_timestamp=row.last_timestamp,
                raw_health=row.raw_health,
                health=row.health,
            )
            for row in rows
            if row.pk is None
        ],
        batch_size=1000,
    )
    KPIPeriod.objects.bulk_update(
        [
            KPIPeriod(
                pk=row.pk,
                value=row.value,
                last_timestamp=row.last_timestamp,
                raw_health=row.raw_health,
                health=row.health,
            )
            for row in rows
            if row.pk is not None
        ],
        ["value", "last_timestamp", "raw_health", "health"],
        batch_size=1000,
    )
    HealthChange.objects.bulk_create(
        [
            HealthChange(
                organization_id=organization_id,
                kpi=kpi,
                from_health=c.from_health,
                to_health=c.to_health,
                changed_at=c.changed_at,
                period_start=c.period_start,
                value=c.value,
            )
            for c in changes
        ],
        batch_size=1000,
    )


def write_postgresql(
    organization_id: int, rows: list[tuple[int, PeriodRow]], changes: list[tuple[int, PeriodChange]]
) -> None:
    """The same writes as arrays through unnest, for one KPI or many (each row with its KPI's
    id): a two-year daily backfill makes thousands of period rows, and building a model
    instance for each cost more than the SQL."""
    periods_table = connection.ops.quote_name(KPIPeriod._meta.db_table)
    changes_table = connection.ops.quote_name(HealthChange._meta.db_table)
    with connection.cursor() as cursor:
        if rows:
            cursor.execute(
                f"""
                INSERT INTO {periods_table}
                    (organization_id, kpi_id, period_start, value, last_timestamp, raw_health, health)
                SELECT %s, p.* FROM unnest(
                    %s::bigint[], %s::date[], %s::numeric[], %s::timestamptz[], %s::text[],
                    %s::text[]
                ) AS p
                ON CONFLICT (organization_id, kpi_id, period_start) DO UPDATE SET
                    value = EXCLUDED.value, last_timestamp = EXCLUDED.last_timestamp,
                    raw_health = EXCLUDED.raw_health, health = EXCLUDED.health
                """,  # noqa: S608 - only our own table name is interpolated
                [
                    organization_id,
                    numbers_literal(kpi_id for kpi_id, _row in rows),
                    dates_literal(row.period_start for _k, row in rows),
                    numbers_literal(row.value for _k, row in rows),
                    dates_literal(row.last_timestamp for _k, row in rows),
                    texts_literal(row.raw_health for _k, row in rows),
                    texts_literal(row.health for _k, row in rows),
                ],
            )
        if changes:
            cursor.execute(
                f"""
                INSERT INTO {changes_table}
                    (organization_id, kpi_id, from_health, to_health, changed_at, period_start, value)
                SELECT %s, c.* FROM unnest(
                    %s::bigint[], %s::text[], %s::text[], %s::timestamptz[], %s::date[],
                    %s::numeric[]
                ) AS c
                """,  # noqa: S608 - only our own table name is interpolated
                [
                    organization_id,
                    numbers_literal(kpi_id for kpi_id, _c in changes),
                    texts_literal(c.from_health for _k, c in changes),
                    texts_literal(c.to_health for _k, c in changes),
                    dates_literal(c.changed_at for _k, c in changes),
                    dates_literal(c.period_start for _k, c in changes),
                    numbers_literal(c.value for _k, c in changes),
                ],
            )


def current_state_refresh(kpi: KPI) -> None:
    """Copy the newest period's value and health onto the KPI row that boards read."""
    previous_health = kpi.health
    if connection.vendor == "postgresql":
        current_state_postgresql(kpi.organization_id, [kpi])
    else:
        latest = KPIPeriod.objects.filter(kpi=kpi).order_by("-period_start").first()
        change = (
            HealthChange.objects.filter(kpi=kpi).order_by("-period_start", "-changed_at").first()
        )
        kpi.health = Health(latest.health) if latest else Health.NO_DATA
        kpi.latest_value = latest.value if latest else None
        kpi.latest_value_at = latest.last_timestamp if latest else None
        kpi.health_since = change.changed_at if change and latest else None
        KPI.objects.filter(pk=kpi.pk).update(
            health=kpi.health,
            latest_value=kpi.latest_value,
            latest_value_at=kpi.latest_value_at,
            health_since=kpi.health_since,
        )
    current_state_followed([kpi], previous_health={kpi.pk: previous_health})


def current_state_followed(kpis: list[KPI], *, previous_health: dict[int, str]) -> None:
    """What follows a change of the KPIs' current state: their key results take the latest
    value (every KPI write path ends here), and a change of health is announced."""
    from goals.services import key_results_follow_kpi
    from okrplatform.webhooks import events, payloads

    key_results_follow_kpi(kpi_ids=[kpi.pk for kpi in kpis])
    changed = [kpi for kpi in kpis if kpi.health != previous_health[kpi.pk]]
    if changed:
        events.emit_many(
            changed[0].organization_id,
            "kpi.health_changed",
            [payloads.kpi_health_changed(kpi, previous=previous_health[kpi.pk]) for kpi in changed],
        )


def periods_rebuild(kpi: KPI) -> None:
    """Rebuild the whole series from the values: after a change of frequency or aggregation."""
    KPIPeriod.objects.filter(kpi=kpi).delete()
    HealthChange.objects.filter(kpi=kpi).delete()
    first = (
        KPIValue.objects.filter(kpi=kpi)
        .order_by("timestamp")
        .values_list("timestamp", flat=True)
        .first()
    )
    if first is None:
        current_state_refresh(kpi)
        return
    starts: set[date] = set()
    day = period_start(kpi.update_frequency, first)
    last = (
        KPIValue.objects.filter(kpi=kpi)
        .order_by("-timestamp")
        .values_list("timestamp", flat=True)
        .first()
    )
    assert last is not None  # noqa: S101
    final = period_start(kpi.update_frequency, last)
    while day <= final:
        starts.add(day)
        day = period_end(kpi.update_frequency, day)
    periods_refresh(kpi, touched=starts)


def rejudge_range(targets: list[KPITarget], effective_from: date) -> tuple[date, date | None]:
    """The periods whose verdict a target from ``effective_from`` decides: up to the next one."""
    later = sorted(t.effective_from for t in targets if t.effective_from > effective_from)
    return effective_from, (later[0] - timedelta(days=1)) if later else None


def current_state_postgresql(organization_id: int, kpis: list[KPI]) -> None:
    """The portable branch of ``current_state_refresh`` (two reads and an UPDATE per KPI) as one
    statement for any number of one organisation's KPIs: every KPI write ends here, so it is one
    round trip per write (or per batch, ``kpis.evaluation_many``), not three per KPI."""
    table = {
        model: connection.ops.quote_name(model._meta.db_table)
        for model in (KPI, KPIPeriod, HealthChange)
    }
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table[KPI]} k SET
                health = coalesce(latest.health, %(no_data)s),
                latest_value = latest.value,
                latest_value_at = latest.last_timestamp,
                health_since = CASE WHEN latest.found THEN change.changed_at END
            FROM unnest(%(kpi_ids)s::bigint[]) AS t(kpi_id)
            LEFT JOIN LATERAL (
                SELECT true AS found, health, value, last_timestamp FROM {table[KPIPeriod]}
                WHERE organization_id = %(organization_id)s AND kpi_id = t.kpi_id
                ORDER BY period_start DESC LIMIT 1
            ) latest ON true
            LEFT JOIN LATERAL (
                SELECT changed_at FROM {table[HealthChange]}
                WHERE organization_id = %(organization_id)s AND kpi_id = t.kpi_id
                ORDER BY period_start DESC, changed_at DESC LIMIT 1
            ) change ON true
            WHERE k.organization_id = %(organization_id)s AND k.id = t.kpi_id
            RETURNING k.id, k.health, k.latest_value, k.latest_value_at, k.health_since
            """,  # noqa: S608 - only our own table names are interpolated
            {
                "organization_id": organization_id,
                "kpi_ids": [kpi.pk for kpi in kpis],
                "no_data": Health.NO_DATA,
            },
        )
        rows = cursor.fetchall()
    by_id = {kpi.pk: kpi for kpi in kpis}
    for kpi_id, health, latest_value, latest_value_at, health_since in rows:
        kpi = by_id[kpi_id]
        kpi.health = Health(health)
        kpi.latest_value, kpi.latest_value_at, kpi.health_since = (
            latest_value,
            latest_value_at,
            health_since,
        )
