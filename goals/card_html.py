"""The markup of objective cards (cycle page) and alignment map nodes, written in Python rather
than in templates.

Why: the cycle page of 300 objectives and 1,000 key results rendered ≈ 17,000 template variable
nodes, about 60 % of its time in ``make bench``; the map the same. The layout around them
(filters, groups, pillars, empty states) stays in the templates, and the inline forms a card
can open stay in theirs (``_check_in_form.html``, ``_kr_form.html``, ``_initiative_form.html``):
they are passed in already rendered. Every piece of text goes through ``html.escape`` (the
standard library's, as in ``boards/card_html.py``: it escapes what Django's ``escape`` does).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from html import escape

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from kpis.models import Health

from .alignment import Node
from .models import ObjectiveStatus
from .objective_rows import KPIChip, ObjectiveRow

OBJECTIVE_STATUS_LABELS = dict(ObjectiveStatus.choices)
HEALTH_LABELS = dict(Health.choices)


@dataclass(frozen=True, slots=True)
class Links:
    """The base paths every link of a page starts from, reversed once per page."""

    objectives: str  # …/okrs/
    kpis: str  # …/kpis/

    @classmethod
    def of(cls, org_slug: str) -> Links:
        slug = {"org_slug": org_slug}
        return cls(
            reverse("goals:objective-list", kwargs=slug), reverse("kpis:kpi-list", kwargs=slug)
        )

    def objective(self, pk: int) -> str:
        return f"{self.objectives}{pk}/"


@dataclass(frozen=True, slots=True)
class CardForms:
    """Inline forms open in a card (HTMX), already rendered by their templates."""

    check_in_for: int | None = None  # the key result whose check-in form is open
    check_in: str = ""
    key_result: str = ""
    initiative: str = ""


NO_FORMS = CardForms()
NO_KEY_RESULTS = '<li class="muted">No key results yet.</li>'


@lru_cache(maxsize=1024)  # 101 percentages × a handful of statuses: thousands of uses a page
def progress_html(percent: int, status: str, label: str) -> str:
    """Progress bar, percentage and status: ``_progress.html`` + ``_status.html``."""
    status = escape(status or "none")
    return (
        f'<span class="okr-progress-wrap"><progress class="okr-progress okr-progress-{status}" '
        f'value="{percent}" max="100" aria-label="Progress">{percent}%</progress> '
        f'<span class="okr-percent">{percent}%</span></span> '
        f'<span class="okr-status okr-status-{status}">{escape(label)}</span>'
    )


def _kpi_chips(kpis: Iterable[KPIChip], links: Links) -> str:
    return "".join(
        f'<a class="okr-kpi" href="{links.kpis}{kpi.pk}/"><span class="health health-{escape(kpi.health)}">'
        f"{escape(HEALTH_LABELS.get(kpi.health, kpi.health))}</span> {escape(kpi.name)}</a>"
        for kpi in kpis
    )


def _hx_button(label: str, url: str, pk: int, css: str) -> str:
    return (
        f'<a class="button small{css}" href="{url}" hx-get="{url}" '
        f'hx-target="#objective-{pk}" hx-swap="outerHTML">{label}</a>'
    )


def objective_card(
    row: ObjectiveRow, links: Links, *, can_edit: bool, forms: CardForms = NO_FORMS
) -> SafeString:
    pk = row.pk
    url = links.objective(pk)
    editable = can_edit and row.is_open
    meta = f"Led by {escape(row.lead_name or '')} · " if row.lead_id is not None else ""
    meta += f'<span class="role-chip">{escape(OBJECTIVE_STATUS_LABELS.get(row.status, row.status))}</span>'
    if row.pillar_name is not None:
        meta += f" · {escape(row.pillar_name)}"
    if row.parents:
        meta += " · aligned to " + ", ".join(
            f'<a href="{links.objective(parent.pk)}">{escape(parent.title)}</a>'
            for parent in row.parents
        )
    kpis = f'<p class="okr-kpis">Fixes {_kpi_chips(row.kpis, links)}</p>' if row.kpis else ""
    key_results = []
    for kr in row.key_results:
        follows = (
            f' <small class="muted">· follows {escape(kr.kpi_name)}</small>' if kr.kpi_name else ""
        )
        check_in = ""
        if editable:
            check_in = " " + _hx_button(
                "Check in", f"{links.objectives}key-results/{kr.pk}/check-in/", pk, " ghost"
            )
        if forms.check_in_for == kr.pk:
            check_in += forms.check_in
        key_results.append(
            f'<li><span class="okr-kr-title">{escape(kr.title)}{follows}</span> '
            f"{progress_html(kr.percent, kr.display_status, kr.display_status_label)}{check_in}</li>"
        )
    count = len(row.initiatives)
    initiatives = (
        f'<p class="muted okr-meta">{count} initiative{"" if count == 1 else "s"}</p>'
        if count
        else ""
    )
    actions = ""
    if editable and not forms.key_result and not forms.initiative:
        actions = (
            '<div class="okr-actions">'
            + _hx_button("Add key result", f"{url}key-results/new/", pk, "")
            + " "
            + _hx_button("Add initiative", f"{url}initiatives/new/", pk, " ghost")
            + "</div>"
        )
    return mark_safe(  # noqa: S308 - every text piece above is escaped; forms come from templates
        f'<article class="card okr-card" id="objective-{pk}">'
        f'<header class="okr-card-header"><div>'
        f'<h3 class="okr-title"><a href="{url}">{escape(row.title)}</a></h3>'
        f'<p class="muted okr-meta">{meta}</p></div>'
        f'<div class="okr-card-side">{progress_html(row.percent, row.display_status, row.display_status_label)}</div>'
        f"</header>{kpis}"
        f'<ul class="okr-krs">{"".join(key_results) or NO_KEY_RESULTS}</ul>'
        f"{initiatives}{forms.key_result}{forms.initiative}{actions}</article>"
    )


def map_nodes(nodes: Iterable[Node], links: Links) -> SafeString:
    """An alignment map's ``<li>`` nodes, their children nested below them."""
    return mark_safe("".join(_map_node(node, links) for node in nodes))  # noqa: S308 - escaped below


def _owner(row: ObjectiveRow) -> str:
    return "Company" if row.owner_team_id is None else escape(row.team_name or "")


def _map_node(node: Node, links: Links) -> str:
    row = node.objective
    chip = ""
    if row.status != ObjectiveStatus.ACTIVE:
        chip = f' <span class="role-chip">{escape(OBJECTIVE_STATUS_LABELS.get(row.status, row.status))}</span>'
    kpis = f'<p class="okr-kpis">KPIs: {_kpi_chips(row.kpis, links)}</p>' if row.kpis else ""
    children = ""
    if node.children:
        children = f'<ul class="okr-tree">{"".join(_map_node(child, links) for child in node.children)}</ul>'
    return (
        '<li class="okr-map-node"><details open><summary>'
        f'<span class="okr-map-owner">{_owner(row)}</span> '
        f'<a href="{links.objective(row.pk)}">{escape(row.title)}</a> '
        f"{progress_html(row.percent, row.display_status, row.display_status_label)}{chip}"
        f"</summary>{kpis}{children}</details></li>"
    )
