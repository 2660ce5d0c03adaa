"""Timing helpers shared by the bench parts: interleaved rounds, percentiles, query counts."""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from typing import Any


def report(text: str = "", *, error: bool = False) -> None:
    """The bench is a command-line tool: its output is the point."""
    print(text, file=sys.stderr if error else sys.stdout, flush=True)


def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    return ordered[max(0, round(fraction * len(ordered)) - 1)]


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(percentile(ordered, 0.95) * 1000, 2),
    }


def measure_interleaved(
    actions: list[Callable[[], Any]], runs: int, warmup: int = 3
) -> list[dict[str, float]]:
    """Time every action once per round, in turn, so that a change in the machine's load (other
    processes share these CPUs) hits the page and its reference alike."""
    for _ in range(warmup):
        for action in actions:
            action()
    samples: list[list[float]] = [[] for _ in actions]
    for _ in range(runs):
        for index, action in enumerate(actions):
            started = time.perf_counter()
            action()
            samples[index].append(time.perf_counter() - started)
    return [percentiles(timings) for timings in samples]


def count_queries(action: Callable[[], Any]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        action()
    return len(context)


def summary_row(
    *,
    what: str,
    figure: str,
    reference: str,
    ratio: float | None,
    goal: str,
    ok: bool | None,
) -> dict[str, Any]:
    """One line of the table ``make bench`` prints: a figure beside its reference, as a ratio."""
    return {
        "what": what,
        "figure": figure,
        "reference": reference,
        "ratio": ratio,
        "goal": goal,
        "ok": ok,
    }
