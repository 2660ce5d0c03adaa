"""The markup of one KPI card, written in Python rather than in the board template.

Why: a board renders up to a few hundred cards per request, every minute while it is open. In
the template engine each card cost ~25 variable and tag nodes, and rendering them was about half
of the page's server time in ``make bench`` (200 cards). The layout around the cards
(filters, sections, empty states) stays in ``templates/boards/board.html``. Every piece of text
goes through ``html.escape`` (the standard library's: Django's lazy-aware wrapper costs more
than the rest of a card); the sparkline is already safe markup of numbers.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from django.utils.safestring import SafeString

if TYPE_CHECKING:
    from .cards import Card


def card_html(card: Card) -> SafeString:
    name = escape(card["name"])
    title = f'<a href="{escape(card["url"])}">{name}</a>' if card["url"] else name
    health = escape(card["health"])
    change = ""
    if card["change_direction"]:
        label = escape(card["change_label"])
        change = (
            f'<p class="kpi-change kpi-change-{card["change_direction"]}" title="{label}">'
            f'<span aria-hidden="true">{escape(card["change_text"])}</span>'
            f'<span class="sr-only">{label}</span></p>'
        )
    overdue = (
        ' <span class="overdue" data-testid="overdue">Overdue</span>' if card["overdue"] else ""
    )
    owner = escape(card["team_name"] or "No team")
    if card["owner_name"]:
        owner = f"{owner} · {escape(card['owner_name'])}"
    # format_target says "No target" on its own; only a real range gets the "Target" prefix.
    target_text = card["target_text"]
    target = escape(target_text if target_text == "No target" else f"Target {target_text}")
    okrs = card["aligned_okrs"]
    if okrs is not None:
        owner += f' · <span class="kpi-okrs">{okrs} aligned OKR{"" if okrs == 1 else "s"}</span>'
    # SafeString rather than mark_safe(): the same for a str, without the lazy-string wrapper
    # (a tenth of the cards' time). Every text piece above is escaped.
    return SafeString(
        f'<article class="kpi-card kpi-card-{health}" data-testid="kpi-card" data-kpi="{card["kpi_id"]}">'
        f'<header class="kpi-card-head"><h3 class="kpi-card-name">{title}</h3>'
        f'<span class="health health-{health}">{escape(card["health_label"])}</span></header>'
        f'<p class="kpi-value">{escape(card["value_text"])}</p>'
        f'<p class="kpi-target">{target}</p>'
        f'<div class="kpi-trend">{card["sparkline"]}{change}</div>'
        f'<p class="kpi-meta">Updated <time datetime="{card["updated_iso"]}">'
        f"{escape(card['updated_text'])}</time>{overdue}</p>"
        f'<p class="kpi-owner">{owner}</p></article>'
    )
