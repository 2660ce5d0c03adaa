"""The OKR cycle page and the alignment map (300 objectives, 1,000 key results, seeded by
``goals.bench``) beside hand-written SQL of the same rows, served behind the same middleware.

The reference reads the cycle's objectives with their team, lead, pillar, key results, aligned
KPIs, parents and initiative count in one query (``json_agg`` per relation), computes progress in
plain Python and writes f-strings: no ORM, no template engine.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import reverse

from bench.measure import count_queries, measure_interleaved, report, summary_row

GOAL_RATIO = 2.0

OBJECTIVES_SQL = """
SELECT o.id, o.title, o.status, t.name, u.full_name, p.name, o.pillar_id,
  (SELECT json_agg(json_build_array(kr.title, kr.start_value, kr.target_value, kr.current_value,
                                    kr.weight, kr.status, kk.name) ORDER BY kr.position, kr.id)
   FROM goals_keyresult kr LEFT JOIN kpis_kpi kk ON kk.id = kr.kpi_id
   WHERE kr.organization_id = %(org)s AND kr.objective_id = o.id),
  (SELECT json_agg(json_build_array(k.id, k.name, k.health) ORDER BY k.name)
   FROM goals_objectivekpi ok JOIN kpis_kpi k ON k.id = ok.kpi_id
   WHERE ok.organization_id = %(org)s AND ok.objective_id = o.id),
  (SELECT json_agg(json_build_array(pa.parent_id, po.title))
   FROM goals_objectivealignment pa JOIN goals_objective po ON po.id = pa.parent_id
   WHERE pa.organization_id = %(org)s AND pa.child_id = o.id),
  (SELECT count(*) FROM goals_initiative i
   WHERE i.organization_id = %(org)s AND i.objective_id = o.id)
FROM goals_objective o
JOIN goals_cycle c ON c.id = o.cycle_id
LEFT JOIN tenancy_team t ON t.id = o.owner_team_id
LEFT JOIN accounts_user u ON u.id = o.lead_id
LEFT JOIN goals_strategicpillar p ON p.id = o.pillar_id
WHERE o.organization_id = %(org)s AND c.organization_id = %(org)s AND c.status = 'active'
ORDER BY t.name NULLS FIRST, o.title, o.id
"""


def _progress(start: float, target: float, current: float | None) -> float:
    if current is None or target == start:
        return 0.0
    return min(max((current - start) / (target - start), 0.0), 1.0)


def reference_objectives(organization_id: int) -> list[dict[str, Any]]:
    """The cycle's objectives with everything a card shows, progress computed here."""
    with connection.cursor() as cursor:
        cursor.execute(OBJECTIVES_SQL, {"org": organization_id})
        rows = cursor.fetchall()
    objectives = []
    for pk, title, status, team, lead, pillar, pillar_id, krs, kpis, parents, initiatives in rows:
        key_results = [
            (kr[0], _progress(float(kr[1]), float(kr[2]), kr[3]), float(kr[4]), kr[5], kr[6])
            for kr in (krs if isinstance(krs, list) else json.loads(krs or "[]"))
        ]
        weights = sum(kr[2] for kr in key_results) or 1.0
        objectives.append(
            {
                "pk": pk,
                "title": title,
                "status": status,
                "team": team,
                "lead": lead,
                "pillar": pillar,
                "pillar_id": pillar_id,
                "key_results": key_results,
                "kpis": kpis or [],
                "parents": parents or [],
                "initiatives": initiatives,
                "percent": round(100 * sum(kr[1] * kr[2] for kr in key_results) / weights),
            }
        )
    return objectives


def _kpi_chips(objective: dict[str, Any]) -> str:
    return "".join(
        f'<a href="../kpis/{k[0]}/"><span class="health health-{k[2]}">{k[2]}</span> '
        f"{escape(k[1])}</a>"
        for k in objective["kpis"]
    )


def _card(objective: dict[str, Any]) -> str:
    krs = "".join(
        f"<li>{escape(kr[0])}{' · follows ' + escape(kr[4]) if kr[4] else ''} "
        f'<progress value="{round(kr[1] * 100)}" max="100"></progress> {round(kr[1] * 100)}% '
        f"{kr[3]}</li>"
        for kr in objective["key_results"]
    )
    parents = ", ".join(f'<a href="{p[0]}/">{escape(p[1])}</a>' for p in objective["parents"])
    return (
        f'<article id="objective-{objective["pk"]}"><h3><a href="{objective["pk"]}/">'
        f"{escape(objective['title'])}</a></h3><p>{escape(objective['lead'] or '')} "
        f"{objective['status']} · {escape(objective['pillar'] or '')} · aligned to {parents}</p>"
        f'<progress value="{objective["percent"]}" max="100"></progress> {objective["percent"]}%'
        f"<p>{_kpi_chips(objective)}</p><ul>{krs}</ul><p>{objective['initiatives']} initiatives</p>"
        "</article>"
    )


def _page(body: str) -> HttpResponse:
    return HttpResponse(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>OKRs</title></head>"
        f"<body><main>{body}</main></body></html>"
    )


def reference_cycle_page(request: HttpRequest, org_slug: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    objectives = reference_objectives(membership.organization_id)
    groups: dict[str, list[str]] = {}
    for objective in objectives:
        groups.setdefault(objective["team"] or "Company", []).append(_card(objective))
    return _page(
        "".join(
            f"<section><h2>{escape(owner)}</h2>{''.join(cards)}</section>"
            for owner, cards in groups.items()
        )
    )


def reference_alignment_map(request: HttpRequest, org_slug: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    objectives = reference_objectives(membership.organization_id)
    by_pk = {o["pk"]: o for o in objectives}
    children: dict[int, list[dict[str, Any]]] = {}
    roots: dict[str, list[dict[str, Any]]] = {}
    for objective in objectives:
        parent_ids = [p[0] for p in objective["parents"] if p[0] in by_pk]
        if parent_ids:
            for parent_id in parent_ids:
                children.setdefault(parent_id, []).append(objective)
        else:
            roots.setdefault(objective["pillar"] or "No pillar", []).append(objective)

    def node(objective: dict[str, Any], depth: int) -> str:
        below = children.get(objective["pk"], []) if depth < 20 else []
        inner = "".join(node(child, depth + 1) for child in below)
        return (
            f"<li><details open><summary>{escape(objective['team'] or 'Company')} "
            f'<a href="{objective["pk"]}/">{escape(objective["title"])}</a> '
            f'<progress value="{objective["percent"]}" max="100"></progress> '
            f"{objective['percent']}%</summary><p>{_kpi_chips(objective)}</p>"
            f"{'<ul>' + inner + '</ul>' if inner else ''}</details></li>"
        )

    return _page(
        "".join(
            f"<section><h2>{escape(pillar)}</h2><ul>{''.join(node(o, 0) for o in tops)}</ul></section>"
            for pillar, tops in roots.items()
        )
    )


def run(objective_count: int, key_result_count: int, runs: int) -> dict[str, Any]:
    from goals.bench import _seed

    organization, owner = _seed(objective_count, key_result_count)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    client = Client()
    client.force_login(owner.user)
    slug = {"org_slug": organization.slug}
    pages = {
        "cycle": (
            reverse("goals:objective-list", kwargs=slug),
            reverse("bench-reference-cycle", kwargs=slug),
        ),
        "map": (
            reverse("goals:alignment-map", kwargs=slug),
            reverse("bench-reference-map", kwargs=slug),
        ),
    }
    for page_url, reference_url in pages.values():
        for url in (page_url, reference_url):
            assert client.get(url).status_code == 200, url  # noqa: S101
    urls = [url for pair in pages.values() for url in pair]
    timings = measure_interleaved([lambda url=url: client.get(url) for url in urls], runs)  # type: ignore[misc]
    result: dict[str, Any] = {
        "objectives": objective_count,
        "key_results": key_result_count,
        "runs": runs,
    }
    labels = {"cycle": "OKR cycle page", "map": "Alignment map"}
    for index, (key, (page_url, reference_url)) in enumerate(pages.items()):
        page_timing, reference_timing = timings[2 * index], timings[2 * index + 1]
        page_queries = count_queries(lambda url=page_url: client.get(url))  # type: ignore[misc]
        reference_queries = count_queries(lambda url=reference_url: client.get(url))  # type: ignore[misc]
        ratio = round(page_timing["p50_ms"] / reference_timing["p50_ms"], 2)
        report(
            f"  {labels[key]}: p50 {page_timing['p50_ms']} ms ({page_queries} queries), "
            f"reference {reference_timing['p50_ms']} ms ({reference_queries} queries)"
        )
        result[key] = {
            "page": {**page_timing, "queries": page_queries},
            "reference": {**reference_timing, "queries": reference_queries},
            "ratio_p50": ratio,
            "summary": summary_row(
                what=f"{labels[key]}, {objective_count} objectives (p50 ms, queries)",
                figure=f"{page_timing['p50_ms']} ms, {page_queries} q",
                reference=f"{reference_timing['p50_ms']} ms served SQL ({reference_queries} q)",
                ratio=ratio,
                goal=f"≤ {GOAL_RATIO}×; queries constant",
                ok=ratio <= GOAL_RATIO,
            ),
        }
    return result
