"""The alignment map page: from the ultimate goal down to team objectives and their KPIs."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from goals import rollup, selectors
from goals.alignment import ancestor_ids, build_map, keep_with_ancestors
from goals.card_html import Links, map_nodes
from goals.objective_rows import Filters, objective_rows
from okrplatform.tenancy.selectors import team_list

from .common import int_param


def alignment_map(request: HttpRequest, org_slug: str) -> HttpResponse:
    """One cycle (and the year it sits in, whose objectives quarters align to), optionally one
    team with the objectives above it. A fixed number of queries whatever the size; the nodes
    are written in Python (``goals.card_html``)."""
    cycles = list(selectors.cycle_list())
    cycle_id = int_param(request, "cycle")
    cycle = next((c for c in cycles if c.pk == cycle_id), None) or selectors.cycle_current(
        cycles=cycles
    )
    team_id = int_param(request, "team")
    branches = []
    if cycle is not None:
        cycle_ids = [cycle.pk] + ([cycle.parent_id] if cycle.parent_id else [])
        objectives = objective_rows(Filters(cycle_ids=cycle_ids))
        edges = selectors.alignment_edges()
        # Parents in other cycles (last quarter's company objective…) keep the path complete.
        loaded = {o.pk for o in objectives}
        above = ancestor_ids(loaded, edges) - loaded
        if above:
            objectives += objective_rows(Filters(pks=sorted(above)))
        rollup.annotate_rows(objectives, selectors.goal_settings(), edges=edges)
        if team_id is not None:
            wanted = [o.pk for o in objectives if o.owner_team_id == team_id]
            objectives = keep_with_ancestors(objectives, wanted, edges)
        links = Links.of(org_slug)
        branches = [
            {
                "pillar": branch.pillar,
                "count": len(branch.roots),
                "nodes": map_nodes(branch.roots, links),
            }
            for branch in build_map(objectives, list(selectors.pillar_list()), edges)
        ]
    context = {
        "cycle": cycle,
        "cycles": cycles,
        "teams": team_list(),
        "team_id": team_id,
        "branches": branches,
    }
    return render(request, "goals/alignment_map.html", context)
