"""``periods_refresh`` for many KPIs at once: the writers that touch many KPIs in one batch (a
chunk of sync runs, the API's bulk ingest, a CSV import) would otherwise pay its six or seven
round trips per KPI.

On PostgreSQL the reads and writes of all the KPIs are batched: one query each for the touched
points, the stored periods around them and the targets; one statement each for the period rows,
the health changes and the KPIs' current state, and one for their key results. Only the walk
(``period_walk.refresh_plan``, plain Python) runs KPI by KPI, so the result is the one
``periods_refresh`` gives KPI by KPI (a test compares them). Every statement names the
organisation. Elsewhere, or for a single KPI, this simply calls ``periods_refresh``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import reduce
from operator import or_

from django.db import connection
from django.db.models import Q

from .alerts import HealthTurn
from .evaluation import (
    aggregate_points,
    current_state_followed,
    current_state_postgresql,
    periods_refresh,
    touched_spans,
    turn_report,
    write_postgresql,
)
from .models import KPI, HealthChange, KPIPeriod, KPITarget, KPIValue
from .period_walk import CASCADE_CHUNK, PeriodRow, PeriodWindow, RefreshPlan, refresh_plan
from .periods import period_bounds, period_start


def periods_refresh_many(
    kpis: list[KPI],
    *,
    touched: Mapping[int, set[date]],
    turns: list[HealthTurn],
    locked_health: Mapping[int, str],
) -> None:
    """``periods_refresh(kpi, touched=touched[kpi.pk], turns=turns, locked_health=…)`` for each
    of the KPIs (one organisation's, each locked by the caller, each with touched periods)."""
    if connection.vendor != "postgresql" or len(kpis) < 2:
        for kpi in kpis:
            periods_refresh(
                kpi, touched=touched[kpi.pk], turns=turns, locked_health=locked_health.get(kpi.pk)
            )
        return
    organization_id = kpis[0].organization_id
    if any(kpi.organization_id != organization_id for kpi in kpis):
        raise ValueError("periods_refresh_many takes the KPIs of one organisation")
    points = _points(organization_id, kpis, touched)
    windows = _windows(organization_id, kpis, touched)
    targets: dict[int, list[KPITarget]] = {kpi.pk: [] for kpi in kpis}
    for target in KPITarget.objects.filter(kpi_id__in=list(targets)):
        targets[target.kpi_id].append(target)
    plans: dict[int, RefreshPlan] = {}
    for kpi in kpis:
        days = touched[kpi.pk]
        plans[kpi.pk] = refresh_plan(
            kpi,
            touched=days,
            aggregated=aggregate_points(kpi, points.get(kpi.pk, {})),
            window=windows[kpi.pk],
            targets=targets[kpi.pk],
            start=min(days),
            end=max(days),
        )
    _apply(organization_id, kpis, touched, plans)
    previous_health = {kpi.pk: kpi.health for kpi in kpis}
    current_state_postgresql(organization_id, kpis)
    current_state_followed(kpis, previous_health=previous_health)
    for kpi in kpis:
        turn_report(kpi, locked_health.get(kpi.pk) or previous_health[kpi.pk], turns)


def _points(
    organization_id: int, kpis: list[KPI], touched: Mapping[int, set[date]]
) -> dict[int, dict[date, list[tuple[datetime, Decimal]]]]:
    """Each KPI's points in its touched periods, grouped by period, oldest first."""
    spans: list[tuple[int, datetime, datetime]] = []
    frequency = {kpi.pk: kpi.update_frequency for kpi in kpis}
    for kpi in kpis:
        for span_from, span_to in touched_spans(kpi.update_frequency, touched[kpi.pk]):
            since = period_bounds(kpi.update_frequency, span_from)[0]
            until = period_bounds(kpi.update_frequency, span_to)[0]
            spans.append((kpi.pk, since, until))
    values = connection.ops.quote_name(KPIValue._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT v.kpi_id, v."timestamp", v.value
            FROM unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[])
                AS s(kpi_id, since, until)
            JOIN {values} v ON v.organization_id = %s AND v.kpi_id = s.kpi_id
                AND v."timestamp" >= s.since AND v."timestamp" < s.until
            ORDER BY v.kpi_id, v."timestamp"
            """,  # noqa: S608 - only our own table name is interpolated
            [
                [kpi_id for kpi_id, _since, _until in spans],
                [since for _kpi_id, since, _until in spans],
                [until for _kpi_id, _since, until in spans],
                organization_id,
            ],
        )
        rows = cursor.fetchall()
    points: dict[int, dict[date, list[tuple[datetime, Decimal]]]] = {}
    for kpi_id, timestamp, value in rows:
        start = period_start(frequency[kpi_id], timestamp)
        points.setdefault(kpi_id, {}).setdefault(start, []).append((timestamp, value))
    return points


def _windows(
    organization_id: int, kpis: list[KPI], touched: Mapping[int, set[date]]
) -> dict[int, PeriodWindow]:
    """``period_walk.period_window`` of every KPI in one query: per KPI, the hysteresis window before
    its first touched period, the stored periods up to its last, the first chunk after."""
    table = connection.ops.quote_name(KPIPeriod._meta.db_table)
    columns = "p.id, p.period_start, p.value, p.last_timestamp, p.raw_health, p.health"
    mine = f"FROM {table} p WHERE p.organization_id = %(organization_id)s AND p.kpi_id = k.kpi_id"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT k.kpi_id, w.* FROM unnest(
                %(kpi_ids)s::bigint[], %(firsts)s::date[], %(lasts)s::date[], %(sizes)s::int[]
            ) AS k(kpi_id, first_day, last_day, size)
            CROSS JOIN LATERAL (
                (SELECT 0 AS part, {columns} {mine} AND p.period_start < k.first_day
                 ORDER BY p.period_start DESC LIMIT k.size)
                UNION ALL
                (SELECT 1, {columns} {mine}
                 AND p.period_start >= k.first_day AND p.period_start <= k.last_day)
                UNION ALL
                (SELECT 2, {columns} {mine} AND p.period_start > k.last_day
                 ORDER BY p.period_start LIMIT %(cascade)s)
            ) w
            """,  # noqa: S608 - only our own table name is interpolated
            {
                "organization_id": organization_id,
                "kpi_ids": [kpi.pk for kpi in kpis],
                "firsts": [min(touched[kpi.pk]) for kpi in kpis],
                "lasts": [max(touched[kpi.pk]) for kpi in kpis],
                "sizes": [max(kpi.hysteresis_periods, 1) for kpi in kpis],
                "cascade": CASCADE_CHUNK,
            },
        )
        rows = cursor.fetchall()
    parts: dict[int, list[list[PeriodRow]]] = {kpi.pk: [[], [], []] for kpi in kpis}
    for kpi_id, part, *values in rows:
        parts[kpi_id][part].append(PeriodRow(*values))
    windows = {}
    for kpi_id, (before, within, after) in parts.items():
        windows[kpi_id] = PeriodWindow(
            before=sorted(before, key=lambda row: row.period_start),
            within=within,
            after=sorted(after, key=lambda row: row.period_start),
        )
    return windows


def _apply(
    organization_id: int,
    kpis: list[KPI],
    touched: Mapping[int, set[date]],
    plans: Mapping[int, RefreshPlan],
) -> None:
    """The plans' deletes and writes, each one statement for all the KPIs."""
    removed = [pk for plan in plans.values() for pk in plan.removed]
    if removed:
        KPIPeriod.objects.filter(pk__in=removed).delete()
    replaced = [
        Q(kpi_id=kpi.pk, period_start__gte=min(touched[kpi.pk]), period_start__lte=plan.walked_to)
        for kpi in kpis
        if (plan := plans[kpi.pk]).walked_stored
    ]
    if replaced:
        HealthChange.objects.filter(reduce(or_, replaced)).delete()
    write_postgresql(
        organization_id,
        [(kpi.pk, row) for kpi in kpis for row in plans[kpi.pk].dirty],
        [(kpi.pk, change) for kpi in kpis for change in plans[kpi.pk].changes],
    )
