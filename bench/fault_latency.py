"""Other tenants' sync latency while one tenant's integration hangs, beside the same latency with
no fault, in the same run.

Two worker processes (one slot each, the bench's shape) consume a queue of the bench's own. Three
"other" organisations have sources on a local HTTP server that answers at once; a steady trickle
of their runs is dispatched, a few every quarter second, in alternating windows:

- no fault: only the trickle;
- fault: the same trickle, plus one organisation whose two sources hang (the server holds the
  request open) for the whole window (one outbound timeout, 15 s): as many hanging runs as
  worker slots, the worst case one hanging tenant can cause with two slots.

A run's latency is what a user waits for: from the dispatcher creating it to its values written
(``SyncRun.created_at`` → ``finished_at``: queue wait + run time). The goal is that the others are
unaffected (≤ 1.5×). Without a cap one organisation's runs take every worker slot and the others
queue behind the hang for one outbound timeout plus the backlog built meanwhile (15.3 s at p50,
20–50×); with the per-organisation cap (integrations/fairness.py) the hanging organisation holds
one slot and its second run waits, so the others keep the other slot (the p95 excess is reported
beside the ratio).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from django.conf import settings

from bench.measure import percentile, report, summary_row
from bench.workers import celery_workers, unique_queue

OTHER_ORGANISATIONS = 3
SOURCES_PER_ORGANISATION = 20
HANGING_SOURCES = 2  # as many as the worker slots: every slot is stuck at once
PER_TICK = 1  # 4 runs/s: well within 2 workers' capacity, so no backlog without a fault
TICK_SECONDS = 0.25
HANG_CEILING = 120.0  # the stand-in server lets go by then whatever happens
GOAL_RATIO = 1.5
SERIES = json.dumps({"items": [{"t": "2026-01-01", "v": 5}, {"t": "2026-02-01", "v": 6}]}).encode()


class _Upstream:
    """``/fine/…`` answers at once; ``/hang/<window>/…`` holds the request until that window is
    released (then answers, so the hung runs' retries succeed and leave the next window alone)."""

    def __init__(self) -> None:
        self.released: dict[str, threading.Event] = {}
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                if self.path.startswith("/hang/"):
                    window = self.path.split("/")[2]
                    upstream.released.setdefault(window, threading.Event()).wait(HANG_CEILING)
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(SERIES)))
                    self.end_headers()
                    self.wfile.write(SERIES)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # a hung request's client gave up at its timeout, as it should

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def release(self, window: str) -> None:
        self.released.setdefault(window, threading.Event()).set()


@contextmanager
def _serving() -> Iterator[_Upstream]:
    upstream = _Upstream()
    threading.Thread(target=upstream.server.serve_forever, daemon=True).start()
    try:
        yield upstream
    finally:
        for event in upstream.released.values():
            event.set()
        upstream.server.shutdown()
        upstream.server.server_close()


def _organisation_with_sources(slug: str, urls: list[str]) -> list[Any]:
    from integrations.models import DataSource, Integration
    from kpis.models import KPI
    from okrplatform.tenancy.models import Organization

    organization = Organization.objects.create(name=slug, slug=slug)
    sources = []
    for index, url in enumerate(urls):
        integration = Integration.unscoped.create(
            organization=organization,
            provider="http_json",
            name=f"{slug} {index}",
            settings={"url": url, "method": "GET", "auth": "none"},
        )
        kpi = KPI.unscoped.create(
            organization=organization, name=f"{slug} {index}", update_frequency="daily"
        )
        sources.append(
            DataSource.unscoped.create(
                organization=organization,
                integration=integration,
                kpi=kpi,
                extraction={"expression": "items", "timestamp_key": "t", "value_key": "v"},
                schedule_kind="hourly",
            )
        )
    return sources


def _make_due(source_ids: list[int]) -> list[int]:
    """Make these sources due now and dispatch them, as beat's dispatcher would."""
    from django.utils import timezone

    from integrations import sync
    from integrations.models import DataSource, SyncRun

    DataSource.unscoped.filter(pk__in=source_ids).update(
        next_run_at=timezone.now() - timedelta(milliseconds=1)
    )
    dispatched = sync.due_sources_dispatch()
    # Only this part's runs: a source another part left scheduled is not ours to wait for.
    return list(
        SyncRun.unscoped.filter(pk__in=dispatched, data_source_id__in=source_ids).values_list(
            "pk", flat=True
        )
    )


def _wait_finished(run_ids: list[int], timeout: float = 180.0) -> None:
    from integrations.models import SyncRun

    deadline = time.monotonic() + timeout
    while SyncRun.unscoped.filter(pk__in=run_ids, finished_at__isnull=True).exists():
        if time.monotonic() > deadline:
            raise RuntimeError("the other organisations' runs did not finish within 180 s")
        time.sleep(0.05)


def _latencies(run_ids: list[int]) -> tuple[list[float], list[float], int]:
    """Each run's latency (created → finished) and its queue wait (created → started)."""
    from integrations.models import RunStatus, SyncRun

    runs = list(SyncRun.unscoped.filter(pk__in=run_ids))
    seconds = [(run.finished_at - run.created_at).total_seconds() for run in runs]
    waits = [(run.started_at - run.created_at).total_seconds() for run in runs]
    failed = sum(run.status != RunStatus.SUCCEEDED for run in runs)
    return seconds, waits, failed


def _window(
    others: Iterator[int], seconds: float, hanging: list[int] | None = None
) -> tuple[list[int], list[int]]:
    """Trickle the others' runs for ``seconds``; with ``hanging``, dispatch those first."""
    hung = _make_due(hanging) if hanging else []
    run_ids: list[int] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run_ids += _make_due([next(others) for _ in range(PER_TICK)])
        time.sleep(TICK_SECONDS)
    _wait_finished(run_ids)
    return run_ids, hung


def _timed_out(run_ids: list[int]) -> int:
    """The hung runs that hit the outbound timeout and wait for their retry: the fault was real."""
    from integrations.models import RunStatus, SyncRun

    return SyncRun.unscoped.filter(
        pk__in=run_ids, status=RunStatus.QUEUED, attempts=1, error__contains="too long"
    ).count()


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "runs": len(ordered),
        "p50_ms": round(percentile(ordered, 0.5) * 1000),
        "p95_ms": round(percentile(ordered, 0.95) * 1000),
        "max_ms": round(ordered[-1] * 1000),
    }


def run(*, rounds: int) -> dict[str, Any]:
    from integrations.outbound import DEFAULT_TIMEOUT

    settings.OUTBOUND_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    original_queue = getattr(settings, "INTEGRATIONS_QUEUE", None)
    queue = unique_queue("bench-fault")
    settings.INTEGRATIONS_QUEUE = queue
    window_seconds = DEFAULT_TIMEOUT  # the fault window is one hang, end to end
    no_fault: list[int] = []
    during_fault: list[int] = []
    timed_out = 0
    try:
        with _serving() as upstream:
            other_ids = [
                source.pk
                for index in range(OTHER_ORGANISATIONS)
                for source in _organisation_with_sources(
                    f"fault-other-{index}",
                    [upstream.url(f"/fine/{index}/{n}") for n in range(SOURCES_PER_ORGANISATION)],
                )
            ]
            hanging_ids = [
                [
                    source.pk
                    for source in _organisation_with_sources(
                        f"fault-hanging-{window}",
                        [upstream.url(f"/hang/{window}/{n}") for n in range(HANGING_SOURCES)],
                    )
                ]
                for window in range(rounds)
            ]
            others = itertools.cycle(other_ids)
            with celery_workers(queue):
                # Both workers up and connected before any window: the start-up is not latency.
                _wait_finished(_make_due(other_ids[:8]))
                time.sleep(1)
                # Alternating windows, so a change in the machine's load hits both alike.
                for window in range(rounds):
                    ids, _ = _window(others, window_seconds)
                    no_fault += ids
                    ids, hung = _window(others, window_seconds, hanging=hanging_ids[window])
                    during_fault += ids
                    timed_out += _timed_out(hung)
                    upstream.release(str(window))
                    report(f"  fault latency: window {window + 1}/{rounds} done")
    finally:
        if original_queue is None:
            del settings.INTEGRATIONS_QUEUE
        else:
            settings.INTEGRATIONS_QUEUE = original_queue

    calm_seconds, calm_waits, calm_failed = _latencies(no_fault)
    fault_seconds, fault_waits, fault_failed = _latencies(during_fault)
    calm = {**_stats(calm_seconds), "queue_wait": _stats(calm_waits)}
    fault = {**_stats(fault_seconds), "queue_wait": _stats(fault_waits)}
    ratio = round(fault["p95_ms"] / max(calm["p95_ms"], 1), 1)
    excess_s = (fault["p95_ms"] - calm["p95_ms"]) / 1000
    # Each window, at least one hung run held its slot for the whole outbound timeout (with the
    # cap, the second is claimed only once the first gives up, so it does not time out in it).
    fault_happened = timed_out >= rounds
    unaffected = ratio <= GOAL_RATIO and calm_failed == fault_failed == 0
    report(
        f"  fault latency: others p50/p95 {fault['p50_ms']}/{fault['p95_ms']} ms during a hang, "
        f"{calm['p50_ms']}/{calm['p95_ms']} ms without ({ratio}×); failed {calm_failed + fault_failed}; hung runs timed out {timed_out}"
    )
    return {
        "workers": 2,
        "other_organisations": OTHER_ORGANISATIONS,
        "hanging_sources": HANGING_SOURCES,
        "outbound_timeout_seconds": DEFAULT_TIMEOUT,
        "window_seconds": window_seconds,
        "rounds": rounds,
        "no_fault": calm,
        "during_fault": fault,
        "failed_runs": calm_failed + fault_failed,
        "hung_runs_timed_out": timed_out,
        "ratio_p95": ratio,
        "excess_p95_seconds": round(excess_s, 2),
        "summary": summary_row(
            what=(
                f"Other tenants' sync latency while one tenant's {HANGING_SOURCES} sources hang "
                "(queue wait + run, p50/p95; 2 workers)"
            ),
            figure=f"{fault['p50_ms']:,}/{fault['p95_ms']:,} ms (p95 {excess_s:+.1f} s)",
            reference=f"{calm['p50_ms']:,}/{calm['p95_ms']:,} ms with no fault",
            ratio=ratio,
            goal=(
                f"≤ {GOAL_RATIO}× (unaffected; without the per-organisation cap: one outbound "
                f"timeout, {DEFAULT_TIMEOUT:g} s, plus the backlog it leaves)"
            ),
            ok=unaffected and fault_happened,
        ),
    }
