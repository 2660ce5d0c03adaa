"""The cards of a board: everything a KPI card shows, in a constant number of queries.

The rows come from ONE query (``boards.card_query``: latest state, owner, today's target and the
sparkline array per KPI); board sections from a second, aligned OKR counts from the goals hook
(``boards.alignment``). Numbers and dates are formatted here, in Python, and each card's markup
is written by ``boards.card_html``: template filters and per-card template nodes dominated the
render time of a 200-card board (ARCHITECTURE.md, ``make bench``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypedDict

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.safestring import SafeString

from kpis.formatting import format_number, format_target, format_value
from kpis.models import Health, UnitKind
from kpis.periods import MONTH_NAMES, last_completed_period_start

from .alignment import aligned_okr_counts
from .card_html import card_html
from .card_query import OVERDUE, KPIRow, kpi_rows
from .models import Board, BoardSection
from .sparkline import sparkline_svg

HEALTH_LABELS: dict[str, str] = dict(Health.choices)
EMPTY_HTML = SafeString("")
LOCAL_ZONE = timezone.get_default_timezone()
MONTH_ABBREVIATIONS = [name[:3] for name in MONTH_NAMES]
HEALTH_FILTERS = [*Health.choices, (OVERDUE, "Overdue")]
# Worst first: the sort a manager scanning for trouble wants.
HEALTH_RANK: dict[str, int] = {
    Health.UNHEALTHY: 0,
    Health.AT_RISK: 1,
    Health.NO_DATA: 2,
    Health.HEALTHY: 3,
}
SORTS = {
    "board": "Board order",
    "name": "Name",
    "health": "Health (worst first)",
    "updated": "Last update (newest first)",
}


class Card(TypedDict):
    """A card's preformatted content. A dict rather than an object: the template engine tries a
    key lookup first, so dicts render several times faster than attributes on 200 cards."""

    kpi_id: int
    name: str
    url: str
    value_text: str
    target_text: str
    health: str
    health_label: str
    overdue: bool
    change_text: str
    change_label: str
    change_direction: str  # "up", "down", "flat" or "" (no previous period)
    updated_text: str
    updated_iso: str
    team_id: int | None
    team_name: str
    owner_name: str
    aligned_okrs: int | None
    sparkline: SafeString
    section_id: int | None
    position: int
    health_rank: int
    updated_sort: float
    html: SafeString


@dataclass
class CardGroup:
    section_id: int | None
    title: str
    cards: list[Card] = field(default_factory=list)


@dataclass
class BoardCards:
    groups: list[CardGroup]
    total: int
    counts: dict[str, int]  # per health, plus "overdue"


# --- Formatting -----------------------------------------------------------------------------


def _date_text(moment: datetime) -> str:
    local = moment.astimezone(LOCAL_ZONE)
    # Fields rather than strftime("%H:%M"): same text, a fraction of the cost on 200 cards.
    return (
        f"{local.day} {MONTH_ABBREVIATIONS[local.month - 1]} {local.year}, "
        f"{local.hour:02d}:{local.minute:02d}"
    )


def _change(row: KPIRow, spark: Sequence[Decimal]) -> tuple[str, str, str]:
    """(text, words for screen readers, direction) of the newest period against the one before."""
    if len(spark) < 2:
        return "", "", ""
    delta = spark[0] - spark[1]
    if delta == 0:
        return "→ no change", "No change on the previous period", "flat"
    if row.unit_kind == UnitKind.PERCENTAGE:  # a change of a percentage is in points
        amount = f"{format_number(abs(delta), row.decimal_places)} pts"
    else:
        amount = format_value(abs(delta), row)
    if delta > 0:
        return f"↑ {amount}", f"Up {amount} on the previous period", "up"
    return f"↓ {amount}", f"Down {amount} on the previous period", "down"


class _Target:
    __slots__ = ("kind", "lower", "upper")

    def __init__(self, row: KPIRow) -> None:
        self.kind = row.target_kind or ""
        self.lower = row.target_lower
        self.upper = row.target_upper


def kpi_url_maker(organization_slug: str) -> Any:
    """Links to KPI pages without a ``reverse()`` per card (it is slow), once the page exists."""
    try:
        sample = reverse("kpis:kpi-detail", kwargs={"org_slug": organization_slug, "pk": 0})
    except NoReverseMatch:
        return lambda kpi_id: ""
    head, tail = sample.rsplit("/0/", 1)
    return lambda kpi_id: f"{head}/{kpi_id}/{tail}"


def card_from_row(row: KPIRow, *, url: str, aligned_okrs: int | None) -> Card:
    spark = row.spark or []
    target = _Target(row) if row.target_kind else None
    target_text = format_target(target, row)
    value_text = format_value(row.latest_value, row)
    change_text, change_label, direction = _change(row, spark)
    health = row.health
    health_label = HEALTH_LABELS[health]
    if health == Health.NO_DATA and target is None and row.latest_value is not None:
        # Health needs a target to judge against; the data is there, so name what is missing.
        health_label = "No target"
    trend_label = f"Trend over the last {len(spark)} periods; target {target_text}" if spark else ""
    recorded = row.last_recorded_at
    card: Card = {
        "kpi_id": row.id,
        "name": row.name,
        "url": url,
        "value_text": value_text,
        "target_text": target_text,
        "health": health,
        "health_label": health_label,
        "overdue": bool(row.is_overdue),  # SQL says NULL for "not overdue" with no value yet
        "change_text": change_text,
        "change_label": change_label,
        "change_direction": direction,
        "updated_text": _date_text(recorded) if recorded else "Never",
        "updated_iso": recorded.isoformat() if recorded else "",
        "team_id": row.team_id,
        "team_name": row.team_name or "",
        "owner_name": row.owner_name or row.owner_email or "",
        "aligned_okrs": aligned_okrs,
        "sparkline": sparkline_svg(
            spark[::-1],
            kind=row.target_kind,
            lower=row.target_lower,
            upper=row.target_upper,
            label=trend_label,
        ),
        "section_id": row.section_id,
        "position": row.position,
        "health_rank": HEALTH_RANK.get(health, 2),
        "updated_sort": -recorded.timestamp() if recorded else float("inf"),
        "html": EMPTY_HTML,
    }
    card["html"] = card_html(card)
    return card


def _sort_key(sort: str) -> Any:
    if sort == "health":
        return lambda card: (card["health_rank"], not card["overdue"], card["name"].lower())
    if sort == "updated":
        return lambda card: (card["updated_sort"], card["name"].lower())
    if sort == "board":
        return lambda card: (card["position"], card["name"].lower())
    return lambda card: card["name"].lower()


def board_cards(
    board: Board | None,
    *,
    organization_slug: str,
    team_id: int | None = None,
    health: str = "",
    sort: str = "",
    sections: Sequence[tuple[int, str]] | None = None,
) -> BoardCards:
    """The cards of ``board`` (None: the "All KPIs" view) grouped by section, filtered, sorted.
    ``sections``: the board's (pk, title) in order, when the caller has read them already."""
    rows = kpi_rows(board, team_id=team_id, health=health)
    counts = aligned_okr_counts([row.id for row in rows])
    url_of = kpi_url_maker(organization_slug)
    cards = [
        card_from_row(
            row, url=url_of(row.id), aligned_okrs=None if counts is None else counts.get(row.id, 0)
        )
        for row in rows
    ]
    if sort not in SORTS or (sort == "board" and board is None):
        sort = "board" if board is not None else "name"
    cards.sort(key=_sort_key(sort))

    groups = [CardGroup(section_id=None, title="")]
    if board is not None:
        if sections is None:
            ordered = BoardSection.objects.filter(board=board).order_by("position", "pk")
            sections = list(ordered.values_list("pk", "title"))
        groups += [CardGroup(section_id=pk, title=title) for pk, title in sections]
    by_section = {group.section_id: group for group in groups}
    for card in cards:
        by_section.get(card["section_id"], groups[0]).cards.append(card)
    filtering = bool(team_id or health)
    shown = [g for g in groups if g.cards or (g.section_id is not None and not filtering)]

    health_counts = dict.fromkeys([*Health.values, OVERDUE], 0)
    for card in cards:
        health_counts[card["health"]] += 1
        health_counts[OVERDUE] += card["overdue"]
    return BoardCards(groups=shown, total=len(cards), counts=health_counts)


def last_completed_periods(frequencies: Sequence[str], now: datetime) -> dict[str, date]:
    """The default period of the grid entry, per update frequency."""
    return {f: last_completed_period_start(f, now) for f in set(frequencies)}
