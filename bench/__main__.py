"""``make bench``: every row of the performance table, each beside its reference in the same run.

The board page of 200 KPIs x 5,000 values against a hand-written reference (here), then the KPI
page, the OKR pages, the API list, API bulk ingest, the sync pipeline and freshness
(``bench/suite.py``). Runs in a throw-away PostgreSQL database (``<DATABASE_URL name>_bench``,
created and dropped here; tables built from the models like ``pytest --nomigrations``, so the
bench does not depend on every app's migration history being in step). Prints one table and
writes ``bench/results.json`` and ``bench/results.md``.

    python -m bench [--kpis 200] [--values 5000] [--runs 60] [--quick] [--board-only]

``--quick`` (or ``BENCH_QUICK=1``) shrinks everything for a smoke test of the bench itself.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent
TARGET_RATIO = 1.5


def _report(text: str = "", *, error: bool = False) -> None:
    """The bench is a command-line tool: its output is the point."""
    print(text, file=sys.stderr if error else sys.stdout)


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95_index = max(0, round(0.95 * len(ordered)) - 1)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(ordered[p95_index] * 1000, 2),
    }


def _measure_interleaved(
    actions: list[Callable[[], Any]], runs: int, warmup: int = 5
) -> list[dict[str, float]]:
    """Time every action once per round, in turn, so that a change in the machine's load (other
    processes share these CPUs) hits the page and the reference alike."""
    for _ in range(warmup):
        for action in actions:
            action()
    samples: list[list[float]] = [[] for _ in actions]
    for _ in range(runs):
        for index, action in enumerate(actions):
            started = time.perf_counter()
            action()
            samples[index].append(time.perf_counter() - started)
    return [_percentiles(timings) for timings in samples]


def _queries(action: Callable[[], Any]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        action()
    return len(context)


def run(kpi_count: int, values_per_kpi: int, runs: int, neighbours: int = 0) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from bench.reference import reference_board_html
    from bench.seed import seed
    from boards.cards import board_cards
    from okrplatform.tenancy.scope import organization_scope

    started = time.perf_counter()
    # Other organisations of the same size first: the measured one shares tables, indexes and
    # planner statistics with them, as on a real multi-tenant database.
    for index in range(neighbours):
        seed(
            kpi_count=kpi_count,
            values_per_kpi=values_per_kpi,
            slug=f"neighbour-{index}",
            name=f"Neighbour {index}",
        )
    seeded = seed(kpi_count=kpi_count, values_per_kpi=values_per_kpi)
    seed_seconds = time.perf_counter() - started
    _report(
        f"Seeded {neighbours + 1} organisations of {seeded.kpi_count} KPIs, "
        f"{seeded.value_count:,} values each in {seed_seconds:.1f} s"
    )

    organization, board = seeded.organization, seeded.board
    client = Client()
    client.force_login(seeded.owner.user)
    url = reverse("boards:board-detail", kwargs={"org_slug": organization.slug, "pk": board.pk})
    response = client.get(url)
    page_cards = response.content.decode().count('data-testid="kpi-card"')
    assert response.status_code == 200, response.status_code  # noqa: S101
    assert page_cards == kpi_count, page_cards  # noqa: S101

    def page() -> None:
        client.get(url)

    def fragment() -> None:
        client.get(url, headers={"HX-Request": "true"})

    reference_url = reverse(
        "bench-reference", kwargs={"org_slug": organization.slug, "pk": board.pk}
    )
    served = client.get(reference_url)
    assert served.content.decode().count("<article") == kpi_count  # noqa: S101

    def reference_served() -> None:
        client.get(reference_url)

    def reference() -> None:
        reference_board_html(organization.pk, board.pk)

    def card_data() -> None:
        with organization_scope(organization.pk):
            board_cards(board, organization_slug=organization.slug)

    reference_html, reference_cards = reference_board_html(organization.pk, board.pk)
    assert reference_cards == kpi_count  # noqa: S101

    measured = (
        ("Board page (full GET, through middleware + templates)", page, False),
        ("Board cards fragment (HTMX GET)", fragment, False),
        (
            "Reference page (same middleware; LATERAL + array_agg SQL, f-strings)",
            reference_served,
            False,
        ),
        ("Card data alone (boards.cards, no template, no middleware)", card_data, True),
        (
            "Reference alone (LATERAL + array_agg SQL and f-strings, no middleware)",
            reference,
            False,
        ),
    )
    timings = _measure_interleaved([action for _, action, _ in measured], runs)
    rows: list[dict[str, Any]] = []
    for (name, action, scoped), timing in zip(measured, timings, strict=True):
        with organization_scope(organization.pk) if scoped else nullcontext():
            count = _queries(action)
        rows.append({"name": name, **timing, "queries": count})
        _report(f"  {name}: p50 {timing['p50_ms']} ms, p95 {timing['p95_ms']} ms, {count} queries")

    page_row, reference_row, bare_row = rows[0], rows[2], rows[4]
    ratio_p50 = round(page_row["p50_ms"] / reference_row["p50_ms"], 2)
    ratio_p95 = round(page_row["p95_ms"] / reference_row["p95_ms"], 2)
    cards_ratio_p50 = round(rows[3]["p50_ms"] / bare_row["p50_ms"], 2)
    page_to_bare_p50 = round(page_row["p50_ms"] / bare_row["p50_ms"], 2)
    return {
        "when": datetime.now(tz=UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "database": f"PostgreSQL {connection.cursor().connection.info.server_version}",
        "kpis": kpi_count,
        "values": seeded.value_count,
        "organisations_of_this_size": neighbours + 1,
        "runs": runs,
        "seed_seconds": round(seed_seconds, 1),
        "rows": rows,
        "ratio_p50": ratio_p50,
        "ratio_p95": ratio_p95,
        "card_data_to_bare_reference_p50": cards_ratio_p50,
        "page_to_bare_reference_p50": page_to_bare_p50,
        "target_ratio": TARGET_RATIO,
        "within_target": ratio_p50 <= TARGET_RATIO,
        "reference_html_bytes": len(reference_html),
    }


def _markdown(result: dict[str, Any]) -> str:
    lines = [
        "# Board benchmark",
        "",
        f"{result['kpis']} KPIs, {result['values']:,} values in the organisation (and "
        f"{result['organisations_of_this_size'] - 1} other organisation(s) of the same size), "
        f"{result['runs']} interleaved rounds; {result['machine']}; {result['database']}; {result['when']}.",
        "",
        "| What | p50 ms | p95 ms | SQL queries |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| {r['name']} | {r['p50_ms']} | {r['p95_ms']} | {r['queries']} |" for r in result["rows"]
    ]
    verdict = "within" if result["within_target"] else "ABOVE"
    lines += [
        "",
        f"Board page / reference page: **{result['ratio_p50']}×** at p50, {result['ratio_p95']}× at "
        f"p95 ({verdict} the {result['target_ratio']}× target). Board page / reference alone (no "
        f"request handling at all): {result['page_to_bare_reference_p50']}× at p50. Card data alone / "
        f"reference alone: {result['card_data_to_bare_reference_p50']}× at p50.",
        "",
        "Both pages pass through the same middleware (session, login, organisation membership: "
        "costs every page of the product pays). The board page adds what the product's page has "
        "and the reference lacks: the layout (navigation, organisation switcher), the filter bar, "
        "sections and edit rights (one query each). The last two rows compare the card data alone, "
        "without any request handling. The machine is shared with other work: compare rows of one "
        "run (they are measured interleaved), not figures across runs.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--kpis", type=int, default=200)
    parser.add_argument("--values", type=int, default=5000, help="values per KPI")
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument(
        "--quick",
        action="store_true",
        default=os.environ.get("BENCH_QUICK", "").lower() not in ("", "0", "false", "no"),
    )
    parser.add_argument(
        "--neighbours", type=int, default=1, help="other organisations of the same size"
    )
    parser.add_argument("--board-only", action="store_true")
    parser.add_argument("--parts", default="", help="comma-separated part names (default: all)")
    options = parser.parse_args(argv)
    if options.quick:
        options.values, options.runs = min(options.values, 500), min(options.runs, 5)
        options.neighbours = 0

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "okrplatform.settings")
    import django
    from django.apps import apps
    from django.conf import settings

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        _report("make bench needs PostgreSQL: set DATABASE_URL (make bench does).", error=True)
        return 2
    settings.ROOT_URLCONF = "bench.urls"  # the project's URLs plus the served reference
    settings.MIGRATION_MODULES = {config.label: None for config in apps.get_app_configs()}
    connection.settings_dict.setdefault("TEST", {})["NAME"] = (
        f"{connection.settings_dict['NAME']}_bench"
    )
    original_name = connection.creation.create_test_db(
        verbosity=0, autoclobber=True, serialize=False
    )
    from bench import suite

    started = time.perf_counter()
    try:
        result = run(options.kpis, options.values, options.runs, options.neighbours)
        sizes = suite.QUICK if options.quick else suite.FULL
        only = {name for name in options.parts.split(",") if name}
        parts = {} if options.board_only else suite.run_parts(sizes, only=only)
    finally:
        connection.creation.destroy_test_db(original_name, verbosity=0)

    summary = suite.summary_rows(result, parts) if parts else [suite.board_summary(result)]
    everything = {
        **result,
        "quick": options.quick,
        "total_seconds": round(time.perf_counter() - started, 1),
        "summary": summary,
        **parts,
    }
    (RESULTS_DIR / "results.json").write_text(json.dumps(everything, indent=2, default=str) + "\n")
    markdown = _summary_markdown(everything) + "\n" + _markdown(result)
    (RESULTS_DIR / "results.md").write_text(markdown)
    _report()
    _report(markdown)
    return 0 if all(row["ok"] for row in summary) else 1


def _summary_markdown(everything: dict[str, Any]) -> str:
    from bench import suite

    quick = (
        " **Quick mode: smoke-test sizes, not figures to quote.**" if everything["quick"] else ""
    )
    return "\n".join(
        [
            "# Performance",
            "",
            f"{everything['machine']}; {everything['database']}; {everything['when']}; "
            f"{everything['total_seconds']} s in all.{quick}",
            "",
            suite.table(everything["summary"]),
            "",
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
