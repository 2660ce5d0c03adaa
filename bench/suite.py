"""Every row of the benchmark table after the board: each part seeds what it needs in the bench's
throw-away database, measures the figure beside its reference in the same run, and returns its
details plus summary rows (figure, reference, ratio, goal). ``quick`` shrinks every part for a
smoke test (``BENCH_QUICK=1 make bench``); its figures are not the ones to quote."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.measure import report, summary_row

BOARD_GOAL = 1.5


@dataclass(frozen=True)
class Sizes:
    kpi_page_runs: int
    okr_objectives: int
    okr_key_results: int
    okr_runs: int
    api_slices: int
    api_slice_seconds: float
    ingest_points: int
    sync_sources: int
    sync_series_sources: int
    sync_points: int
    noop_tasks: int
    freshness_samples: int


FULL = Sizes(30, 300, 1000, 20, 3, 5.0, 100_000, 200, 5, 10_000, 5000, 5)
QUICK = Sizes(5, 300, 1000, 3, 1, 1.5, 10_000, 20, 2, 1000, 500, 1)


def board_summary(board: dict[str, Any]) -> dict[str, Any]:
    page, reference = board["rows"][0], board["rows"][2]
    return summary_row(
        what=(
            f"Board of {board['kpis']} KPIs, {board['values']:,} values; "
            f"{board.get('organisations_of_this_size', 1)} organisation(s) of that size "
            "(p50/p95 ms, queries)"
        ),
        figure=f"{page['p50_ms']}/{page['p95_ms']} ms, {page['queries']} q",
        reference=f"{reference['p50_ms']}/{reference['p95_ms']} ms served LATERAL SQL + f-strings",
        ratio=board["ratio_p50"],
        goal=f"≤ {BOARD_GOAL}×; queries constant",
        ok=board["ratio_p50"] <= BOARD_GOAL,
    )


def _api_ingest(sizes: Sizes) -> dict[str, Any]:
    from bench import api_ingest

    result: dict[str, Any] = api_ingest.run(50, sizes.ingest_points, 5000)
    result["summary"] = summary_row(
        what=f"API bulk ingest of {result['points']:,} points, batches of {result['batch']:,}",
        figure=f"{result['api_points_per_second']:,} points/s",
        reference=f"COPY {result['copy_points_per_second']:,} points/s",
        ratio=round(result["ratio"], 2),
        goal="≥ 25% of COPY",
        ok=bool(result["within_target"]),
    )
    return result


def run_parts(sizes: Sizes, only: set[str] | None = None) -> dict[str, Any]:
    """Run every part after the board; a part that fails is reported as such, the rest go on."""
    from bench import api_list, fault_latency, freshness, kpi_page, okr_pages, sync
    from boards.models import Board
    from okrplatform.tenancy.models import Membership

    owner = Membership.unscoped.select_related("organization", "user").get(
        organization__slug="bench", role="owner"
    )
    board = Board.unscoped.get(organization=owner.organization, name="Company health")
    parts: list[tuple[str, str, Callable[[], dict[str, Any]]]] = [
        ("kpi_page", "KPI page", lambda: kpi_page.run(owner, sizes.kpi_page_runs)),
        (
            "okr_pages",
            "OKR cycle page and alignment map",
            lambda: okr_pages.run(sizes.okr_objectives, sizes.okr_key_results, sizes.okr_runs),
        ),
        (
            "api_list",
            "API list",
            lambda: api_list.run(
                owner, slices=sizes.api_slices, slice_seconds=sizes.api_slice_seconds
            ),
        ),
        ("api_ingest", "API bulk ingest", lambda: _api_ingest(sizes)),
        (
            "sync",
            "Sync pipeline",
            lambda: sync.run(
                sources=sizes.sync_sources,
                series_sources=sizes.sync_series_sources,
                points=sizes.sync_points,
                noop_count=sizes.noop_tasks,
            ),
        ),
        (
            "freshness",
            "Freshness",
            lambda: freshness.run(owner, board, sizes.freshness_samples),
        ),
        (
            "fault_latency",
            "Other tenants' sync latency during a hanging integration",
            lambda: fault_latency.run(rounds=1 if sizes == QUICK else 2),
        ),
    ]
    results: dict[str, Any] = {}
    for key, title, part in parts:
        if only and key not in only:
            continue
        report(f"{title}…")
        started = time.perf_counter()
        try:
            results[key] = part()
        except Exception as error:  # noqa: BLE001 - one broken part must not hide the others
            traceback.print_exc()
            results[key] = {
                "error": f"{type(error).__name__}: {error}",
                "summary": summary_row(
                    what=title,
                    figure="FAILED",
                    reference=str(error)[:120],
                    ratio=None,
                    goal="—",
                    ok=False,
                ),
            }
        results[key]["seconds"] = round(time.perf_counter() - started, 1)
    return results


def summary_rows(board: dict[str, Any], parts: dict[str, Any]) -> list[dict[str, Any]]:
    rows = [board_summary(board)]
    parts_in_order = (
        "kpi_page",
        "okr_pages",
        "api_list",
        "api_ingest",
        "sync",
        "freshness",
        "fault_latency",
    )
    for key in parts_in_order:
        part = parts.get(key)
        if part is None:
            continue
        if key == "okr_pages" and "error" not in part:
            rows += [part["cycle"]["summary"], part["map"]["summary"]]
            continue
        summary = part["summary"]
        rows += summary if isinstance(summary, list) else [summary]
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| what | figure | reference in the same run | ratio | goal | met |",
        "|---|---|---|---:|---|---|",
    ]
    for row in rows:
        ratio = "—" if row["ratio"] is None else f"{row['ratio']:g}×"
        met = {True: "yes", False: "**no**", None: "—"}[row["ok"]]
        lines.append(
            f"| {row['what']} | {row['figure']} | {row['reference']} | {ratio} | {row['goal']} "
            f"| {met} |"
        )
    return "\n".join(lines)
