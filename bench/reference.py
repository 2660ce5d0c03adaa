"""The yardstick: the same 200 cards from the best hand-written SQL and plain string formatting.

One query with LATERAL joins (the current target; the last periods as an ``array_agg``), then
f-strings straight to HTML: no ORM, no template engine, no middleware. Everything a card of the
real page shows is computed here too (value in its unit, target, health text, change, sparkline
with the target band, last update, overdue, owner), so the comparison is like for like.
"""

from __future__ import annotations

from datetime import date, datetime
from html import escape
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from kpis.periods import last_completed_period_start, period_bounds

SPARKLINE_PERIODS = 24

CARDS_SQL = """
SELECT k.id, k.name, k.unit_kind, k.currency_code, k.unit_suffix, k.decimal_places, k.health,
       k.latest_value, k.last_recorded_at, k.latest_value_at, k.update_frequency, k.created_at,
       t.name, u.full_name, bi.section_id, bi.position, tg.kind, tg.lower, tg.upper, sp.vals
FROM boards_boarditem bi
JOIN kpis_kpi k ON k.id = bi.kpi_id AND k.organization_id = %(org)s AND NOT k.archived
LEFT JOIN tenancy_team t ON t.id = k.owner_team_id
LEFT JOIN accounts_user u ON u.id = k.owner_id
LEFT JOIN LATERAL (
  SELECT kind, lower, upper FROM kpis_kpitarget
  WHERE organization_id = %(org)s AND kpi_id = k.id AND effective_from <= %(today)s
  ORDER BY effective_from DESC LIMIT 1) tg ON true
LEFT JOIN LATERAL (
  SELECT array_agg(value ORDER BY period_start DESC) AS vals FROM (
    SELECT value, period_start FROM kpis_kpiperiod
    WHERE organization_id = %(org)s AND kpi_id = k.id
    ORDER BY period_start DESC LIMIT %(points)s) last_periods) sp ON true
WHERE bi.organization_id = %(org)s AND bi.board_id = %(board)s
ORDER BY bi.section_id NULLS FIRST, bi.position
"""

LABELS = {
    "healthy": "Healthy",
    "at_risk": "At risk",
    "unhealthy": "Unhealthy",
    "no_data": "No data",
}
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}


def _unit(value: Any, kind: str, currency: str, suffix: str, places: int) -> str:
    if value is None:
        return "—"
    number = f"{value:,.{places}f}"
    if kind == "percentage":
        return number + "%"
    if kind == "currency":
        return SYMBOLS.get(currency, currency + " ") + number
    if kind == "duration":
        return number + " min"
    return f"{number} {suffix}" if suffix else number


def _spark(values: list[float], low_bound: float | None, high_bound: float | None) -> str:
    """Integer coordinates in a 10x viewBox, like boards.sparkline (formatting ints is cheaper)."""
    bounds = [b for b in (low_bound, high_bound) if b is not None]
    low, high = min(*values, *bounds), max(*values, *bounds)
    if high == low:
        high, low = high + 1, low - 1
    scale = 340 / (high - low)
    base = 370 + low * scale
    step = 1540 / (len(values) - 1) if len(values) > 1 else 0
    points = " ".join(
        [f"{int(30 + i * step)},{int(base - v * scale)}" for i, v in enumerate(values)]
    )
    band = ""
    if bounds:
        top = 0 if high_bound is None else int(base - high_bound * scale)
        bottom = 400 if low_bound is None else int(base - low_bound * scale)
        band = (
            f'<rect class="sparkline-band" x="0" y="{top}" width="1600" height="{bottom - top}"/>'
        )
    return (
        f'<svg class="sparkline" viewBox="0 0 1600 400" width="160" height="40" role="img">{band}'
        f'<polyline class="sparkline-line" fill="none" points="{points}"/></svg>'
    )


def reference_board_html(organization_id: int, board_id: int) -> tuple[str, int]:
    """The board's cards as HTML, and how many there are."""
    now = timezone.now()
    today: date = timezone.localdate(now)
    due: dict[str, tuple[datetime, datetime]] = {
        f: period_bounds(f, last_completed_period_start(f, now))
        for f in ("daily", "weekly", "monthly", "quarterly")
    }
    with connection.cursor() as cursor:
        cursor.execute(
            CARDS_SQL,
            {
                "org": organization_id,
                "board": board_id,
                "today": today,
                "points": SPARKLINE_PERIODS,
            },
        )
        rows = cursor.fetchall()
    parts = []
    for (
        kpi_id,
        name,
        kind,
        currency,
        suffix,
        places,
        health,
        latest,
        recorded,
        latest_at,
        frequency,
        created,
        team,
        owner,
        _section,
        _position,
        t_kind,
        t_low,
        t_high,
        vals,
    ) in rows:
        unit = (kind, currency, suffix, places)
        if t_kind == "at_least":
            target = "≥ " + _unit(t_low, *unit)
        elif t_kind == "at_most":
            target = "≤ " + _unit(t_high, *unit)
        elif t_kind:
            target = f"{_unit(t_low, *unit)} – {_unit(t_high, *unit)}"
        else:
            target = "No target"
        change = spark = ""
        if vals:
            if len(vals) > 1:
                delta = vals[0] - vals[1]
                change = ("↑ " if delta > 0 else "↓ ") + _unit(abs(delta), *unit)
            spark = _spark(
                [float(v) for v in reversed(vals)],
                float(t_low) if t_low is not None and t_kind != "at_most" else None,
                float(t_high) if t_high is not None and t_kind != "at_least" else None,
            )
        due_from, due_to = due[frequency]
        overdue = latest_at < due_from if latest_at else created < due_to
        updated = timezone.localtime(recorded).strftime("%d %b %Y, %H:%M") if recorded else "Never"
        parts.append(
            f'<article class="kpi-card kpi-card-{health}" data-kpi="{kpi_id}"><header><h3>{escape(name)}</h3>'
            f'<span class="health health-{health}">{LABELS[health]}</span></header>'
            f'<p class="kpi-value">{_unit(latest, *unit)}</p><p>Target {target}</p>'
            f"<div>{spark}<p>{change}</p></div><p>Updated {updated}"
            f"{' <span>Overdue</span>' if overdue else ''}</p>"
            f"<p>{escape(team or 'No team')} · {escape(owner or '')}</p></article>"
        )
    return "".join(parts), len(rows)


def reference_page(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    """The reference served like a page: behind the same middleware as the real board (session,
    login, organisation membership), but a plain f-string document instead of templates."""
    membership = request.membership  # type: ignore[attr-defined]
    cards, _count = reference_board_html(membership.organization_id, pk)
    return HttpResponse(
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>Board</title></head>"
        f'<body><main><div id="cards">{cards}</div></main></body></html>'
    )
