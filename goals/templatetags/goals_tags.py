"""Template tags other apps' pages use to show OKRs: a KPI's aligned objectives and linked key
results (on the KPI page), and OKR progress by team (on the organisation home)."""

from __future__ import annotations

from typing import Any

from django import template

from goals import rollup, selectors
from goals.kpi_okrs import kpi_okrs as read_kpi_okrs
from kpis.models import KPI

register = template.Library()


@register.inclusion_tag("goals/_kpi_okrs.html", takes_context=True)
def kpi_okrs(context: dict[str, Any], kpi: KPI) -> dict[str, Any]:
    """Objectives aligned to ``kpi`` and key results that follow it (one query on PostgreSQL)."""
    okrs = read_kpi_okrs(kpi)
    return {
        "organization": context.get("organization"),
        "objectives": okrs.objectives,
        "key_results": okrs.key_results,
    }


@register.inclusion_tag("goals/_home_progress.html", takes_context=True)
def okr_progress_by_team(context: dict[str, Any]) -> dict[str, Any]:
    """The current cycle's progress per owner (company, then teams): a fixed number of queries."""
    cycle = selectors.cycle_current()
    groups: list[dict[str, Any]] = []
    if cycle is not None:
        objectives = list(selectors.cycle_objectives(cycle))
        rollup.annotate_objectives(objectives, selectors.goal_settings())
        groups = rollup.group_by_owner(objectives)
    return {"organization": context.get("organization"), "cycle": cycle, "groups": groups}
