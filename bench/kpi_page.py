"""The KPI page of a daily KPI with 5 years of values, beside a hand-written SQL fetch of the same
points served behind the same middleware.

The reference page reads what the KPI page shows (every period of the history chart with its
health, the newest 24 values, the value count) with two plain SQL queries and writes the points
out as an f-string SVG polyline: what the page would cost if the ORM, the template engine and the
chart's labels were free.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from bench.measure import count_queries, measure_interleaved, report, summary_row
from kpis.models import KPI, KPITarget
from okrplatform.tenancy.models import Membership

DAYS = 5 * 365 + 1
GOAL_RATIO = 2.0

PERIODS_SQL = """
SELECT period_start, value, health FROM kpis_kpiperiod
WHERE organization_id = %(org)s AND kpi_id = %(kpi)s ORDER BY period_start
"""
VALUES_SQL = """
SELECT v.timestamp, v.value, v.source, v.note, count(*) OVER () FROM kpis_kpivalue v
WHERE v.organization_id = %(org)s AND v.kpi_id = %(kpi)s ORDER BY v.timestamp DESC LIMIT 24
"""


def seed_daily_history(membership: Membership, days: int = DAYS) -> KPI:
    """One daily KPI with a value per day for ``days`` days, its periods and two targets (COPY)."""
    organization = membership.organization
    kpi = KPI.unscoped.create(
        organization=organization,
        name=f"Daily sign-ups ({days} days)",
        update_frequency="daily",
        unit_suffix="sign-ups",
        owner=membership.user,
    )
    recent = timezone.localdate() - timedelta(days=400)
    for effective_from, lower in ((date(2000, 1, 1), 80), (recent, 95)):
        KPITarget.unscoped.create(
            organization=organization,
            kpi=kpi,
            kind="at_least",
            lower=lower,
            tolerance=10,
            effective_from=effective_from,
        )
    today = datetime.now(tz=UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    values, periods = io.StringIO(), io.StringIO()
    for day in range(days):
        moment = today - timedelta(days=days - day)
        value = 100 + (day * 37) % 41 - 20
        health = "healthy" if value >= 95 else "at_risk" if value >= 85 else "unhealthy"
        values.write(
            f"{organization.pk}\t{kpi.pk}\t{moment.isoformat()}\t{value}\tapi\t\t{moment.isoformat()}\n"
        )
        periods.write(
            f"{organization.pk}\t{kpi.pk}\t{moment.date().isoformat()}\t{value}\t"
            f"{moment.isoformat()}\t{health}\t{health}\n"
        )
    with connection.cursor() as cursor:
        with cursor.copy(
            "COPY kpis_kpivalue (organization_id, kpi_id, timestamp, value, source, note, "
            "recorded_at) FROM STDIN"
        ) as copy:
            copy.write(values.getvalue())
        with cursor.copy(
            "COPY kpis_kpiperiod (organization_id, kpi_id, period_start, value, last_timestamp, "
            "raw_health, health) FROM STDIN"
        ) as copy:
            copy.write(periods.getvalue())
        cursor.execute(
            "UPDATE kpis_kpi k SET latest_value = p.value, latest_value_at = p.last_timestamp, "
            "last_recorded_at = p.last_timestamp, health = p.health, "
            "health_since = p.last_timestamp FROM (SELECT value, last_timestamp, health "
            "FROM kpis_kpiperiod WHERE kpi_id = %s ORDER BY period_start DESC LIMIT 1) p "
            "WHERE k.id = %s",
            [kpi.pk, kpi.pk],
        )
        cursor.execute("ANALYZE kpis_kpivalue; ANALYZE kpis_kpiperiod")
    return kpi


def reference_kpi_points(organization_id: int, kpi_id: int) -> tuple[list[Any], list[Any]]:
    """The hand-written fetch: every period of the chart, and the newest 24 values."""
    with connection.cursor() as cursor:
        cursor.execute(PERIODS_SQL, {"org": organization_id, "kpi": kpi_id})
        periods = cursor.fetchall()
        cursor.execute(VALUES_SQL, {"org": organization_id, "kpi": kpi_id})
        values = cursor.fetchall()
    return periods, values


def reference_kpi_page(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    """The reference served like a page: same middleware as the KPI page, f-strings for output."""
    membership = request.membership  # type: ignore[attr-defined]
    periods, values = reference_kpi_points(membership.organization_id, pk)
    low = min(float(p[1]) for p in periods)
    span = (max(float(p[1]) for p in periods) - low) or 1.0
    step = 900 / max(len(periods) - 1, 1)
    points = " ".join(
        f"{int(60 + i * step)},{int(300 - (float(p[1]) - low) / span * 280)}"
        for i, p in enumerate(periods)
    )
    rows = "".join(
        f"<tr><td>{v[0]:%Y-%m-%d %H:%M}</td><td>{v[1]:,}</td><td>{v[2]}</td><td>{v[3]}</td></tr>"
        for v in values
    )
    count = values[0][4] if values else 0
    return HttpResponse(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>KPI</title></head><body>"
        f'<main><svg viewBox="0 0 960 320"><polyline points="{points}"/></svg>'
        f"<p>{len(periods)} periods, latest 24 of {count} values</p><table>{rows}</table>"
        "</main></body></html>"
    )


def run(membership: Membership, runs: int) -> dict[str, Any]:
    kpi = seed_daily_history(membership)
    month = seed_daily_history(membership, days=30)
    organization = membership.organization
    client = Client()
    client.force_login(membership.user)
    page_url = reverse("kpis:kpi-detail", kwargs={"org_slug": organization.slug, "pk": kpi.pk})
    reference_url = reverse(
        "bench-reference-kpi", kwargs={"org_slug": organization.slug, "pk": kpi.pk}
    )
    month_url = reverse("kpis:kpi-detail", kwargs={"org_slug": organization.slug, "pk": month.pk})
    for url in (page_url, reference_url, month_url):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)  # noqa: S101

    measured = [
        ("KPI page (5 years of daily values)", lambda: client.get(page_url)),
        (
            "Reference page (same middleware; SQL fetch, f-strings)",
            lambda: client.get(reference_url),
        ),
        (
            "Reference fetch alone (two SQL queries)",
            lambda: reference_kpi_points(organization.pk, kpi.pk),
        ),
        (
            "Same KPI page with 30 daily values (what the page costs without history)",
            lambda: client.get(month_url),
        ),
    ]
    timings = measure_interleaved([action for _, action in measured], runs)
    rows = []
    for (name, action), timing in zip(measured, timings, strict=True):
        rows.append({"name": name, **timing, "queries": count_queries(action)})
        report(f"  {name}: p50 {timing['p50_ms']} ms, p95 {timing['p95_ms']} ms")
    page, served, alone, month_row = rows
    ratio = round(page["p50_ms"] / served["p50_ms"], 2)
    return {
        "days": DAYS,
        "runs": runs,
        "rows": rows,
        "ratio_p50": ratio,
        "ratio_p95": round(page["p95_ms"] / served["p95_ms"], 2),
        "page_to_fetch_alone_p50": round(page["p50_ms"] / alone["p50_ms"], 2),
        "five_years_over_30_days_ms": round(page["p50_ms"] - month_row["p50_ms"], 2),
        "summary": summary_row(
            what=f"KPI page, {DAYS:,} daily values (p50 ms, queries)",
            figure=f"{page['p50_ms']} ms, {page['queries']} q",
            reference=(
                f"{served['p50_ms']} ms served SQL fetch ({alone['p50_ms']} ms fetch alone); "
                f"same page with 30 values {month_row['p50_ms']} ms"
            ),
            ratio=ratio,
            goal=f"≤ {GOAL_RATIO}×",
            ok=ratio <= GOAL_RATIO,
        ),
    }
