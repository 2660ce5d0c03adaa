"""Sync throughput: data sources synced per minute by 2 worker processes against a local HTTP
source, and KPI points ingested per second through the sync path beside a raw ``COPY`` of the
same points into the same table, in the same run.

Runs in a throw-away PostgreSQL database (``<DATABASE_URL name>_bench_sync``) with the Celery
broker from the environment (Redis under ``make bench``), on a queue of its own.

    python -m bench.integrations_sync [--sources 200] [--series-sources 5] [--points 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent


def _report(text: str = "") -> None:
    print(text)  # noqa: T201 - a command-line tool: its output is the point


class _Server(ThreadingHTTPServer):
    # socketserver's listen backlog is 5: with the workers' concurrent fetches, connections
    # beyond it were dropped and retried a second later by the kernel. A real API's is larger.
    request_queue_size = 128
    daemon_threads = True


def _serve(bodies: dict[str, bytes]) -> tuple[ThreadingHTTPServer, int]:
    class Handler(BaseHTTPRequestHandler):
        # Keep-alive, as a real API answers: the workers' client pools connections per host.
        protocol_version = "HTTP/1.1"
        # With keep-alive, the headers and the body go out as two small writes: without
        # TCP_NODELAY (which servers such as nginx set) each answer stalled 40 ms on Nagle's
        # algorithm against the client's delayed ACK.
        disable_nagle_algorithm = True

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            body = bodies.get(self.path, b"{}")
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = _Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def _series(points: int, value: float) -> bytes:
    start = datetime(2020, 1, 1, tzinfo=UTC)
    items = [
        {"t": (start + timedelta(hours=i)).isoformat(), "v": value + i % 17} for i in range(points)
    ]
    return json.dumps({"items": items}).encode()


def _wait_all(run_ids: list[int], timeout: float) -> float:
    from integrations.models import RunStatus, SyncRun

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pending = SyncRun.unscoped.filter(pk__in=run_ids).exclude(
            status__in=[RunStatus.SUCCEEDED, RunStatus.FAILED]
        )
        if not pending.exists():
            return time.monotonic()
        time.sleep(0.05)
    raise RuntimeError("the workers did not finish in time")


def _wait_ready(names: list[str], timeout: float = 180) -> None:
    """Until every named worker answers a ping."""
    from okrplatform.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        replies = app.control.ping(destination=names, timeout=1.0) or []
        if {name for reply in replies for name in reply} >= set(names):
            return
    raise RuntimeError("the workers did not start in time")


def run(sources: int, series_sources: int, points: int) -> dict[str, Any]:
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from integrations import sync
    from integrations.models import DataSource, Integration, RunStatus, SyncRun
    from kpis.models import KPI, KPIValue
    from okrplatform.tenancy.models import Organization

    organization = Organization.objects.create(name="Bench", slug="bench-sync")
    bodies = {"/one": json.dumps({"items": [{"t": "2026-01-01", "v": 1}]}).encode()}
    for index in range(series_sources):
        bodies[f"/series/{index}"] = _series(points, 100 + index)
    server, port = _serve(bodies)

    def source_for(path: str, name: str) -> DataSource:
        integration = Integration.unscoped.create(
            organization=organization,
            provider="http_json",
            name=name,
            settings={"url": f"http://127.0.0.1:{port}{path}", "method": "GET", "auth": "none"},
        )
        kpi = KPI.unscoped.create(organization=organization, name=name, update_frequency="daily")
        return DataSource.unscoped.create(
            organization=organization,
            integration=integration,
            kpi=kpi,
            extraction={"expression": "items", "timestamp_key": "t", "value_key": "v"},
            schedule_kind="hourly",
        )

    small = [source_for("/one", f"small {i}") for i in range(sources)]
    big = [source_for(f"/series/{i}", f"series {i}") for i in range(series_sources)]

    queue = f"bench-integrations-{uuid.uuid4().hex[:8]}"
    settings.INTEGRATIONS_QUEUE = queue
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "OUTBOUND_ALLOWED_PRIVATE_HOSTS": "127.0.0.1",
        "DB_CONN_MAX_AGE": "60",
    }
    workers = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "okrplatform",
                "worker",
                "--pool=prefork",
                "--concurrency=1",
                "-Q",
                queue,
                "-n",
                f"bench{i}@%h",
                "--loglevel=WARNING",
                "--without-mingle",
                "--without-gossip",
            ],
            env=env,
        )
        for i in range(2)
    ]
    try:
        # Worker start-up (imports, connections) is not counted, as for the no-op reference:
        # on a busy machine it takes longer than any fixed sleep.
        _wait_ready([f"bench{i}@{socket.gethostname()}" for i in range(len(workers))])

        def timed(batch: list[DataSource]) -> tuple[float, list[int]]:
            DataSource.unscoped.filter(pk__in=[s.pk for s in batch]).update(
                next_run_at=timezone.now() - timedelta(seconds=1)
            )
            started = time.monotonic()
            run_ids: list[int] = []
            while len(run_ids) < len(batch):
                run_ids += sync.due_sources_dispatch()
            return _wait_all(run_ids, 600) - started, run_ids

        small_seconds, _ = timed(small)
        big_seconds, big_runs = timed(big)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(30)
        server.shutdown()

    failed = SyncRun.unscoped.filter(status=RunStatus.FAILED).count()
    written = sum(SyncRun.unscoped.filter(pk__in=big_runs).values_list("values_written", flat=True))

    # The same points, COPYed raw into the same table for fresh KPIs of the same organisation.
    copy_kpis = [
        KPI.unscoped.create(organization=organization, name=f"copy {i}", update_frequency="daily")
        for i in range(series_sources)
    ]
    now = timezone.now()
    rows = [
        (organization.pk, kpi.pk, item["t"], item["v"], "integration", "", None, now)
        for kpi, path in zip(
            copy_kpis, [f"/series/{i}" for i in range(series_sources)], strict=True
        )
        for item in json.loads(bodies[path])["items"]
    ]
    table = KPIValue._meta.db_table
    started = time.monotonic()
    with connection.cursor() as cursor:
        raw = cursor.connection
        with raw.cursor().copy(
            f"COPY {table} (organization_id, kpi_id, timestamp, value, source, note, author_id, recorded_at) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
    copy_seconds = time.monotonic() - started
    return {
        "sources": sources,
        "sources_per_minute": round(sources / small_seconds * 60),
        "series_sources": series_sources,
        "points_per_source": points,
        "points_written": written,
        "sync_points_per_second": round(written / big_seconds),
        "copy_points_per_second": round(len(rows) / copy_seconds),
        "failed_runs": failed,
        "workers": 2,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.integrations_sync", description=__doc__)
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--series-sources", type=int, default=5)
    parser.add_argument("--points", type=int, default=10_000)
    options = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "okrplatform.settings")
    os.environ.setdefault("OUTBOUND_ALLOWED_PRIVATE_HOSTS", "127.0.0.1")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        _report("The sync bench needs PostgreSQL: set DATABASE_URL (make bench does).")
        return 2
    settings.OUTBOUND_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    connection.settings_dict.setdefault("TEST", {})["NAME"] = (
        f"{connection.settings_dict['NAME']}_bench_sync"
    )
    # Migrated, not built from models: the worker processes need the real schema too.
    original_name = connection.creation.create_test_db(
        verbosity=0, autoclobber=True, serialize=False
    )
    try:
        result = run(options.sources, options.series_sources, options.points)
    finally:
        connection.creation.destroy_test_db(original_name, verbosity=0)
    lines = [
        "# Integrations sync bench",
        "",
        f"- {result['sources']} data sources (one point each), 2 worker processes: "
        f"**{result['sources_per_minute']:,} sources synced per minute**",
        f"- {result['series_sources']} sources × {result['points_per_source']:,} points through "
        f"the sync path (HTTP → JSON → upsert → health): **{result['sync_points_per_second']:,} points/s**",
        f"- The same points by raw COPY into the same table: "
        f"**{result['copy_points_per_second']:,} points/s**",
        f"- Failed runs: {result['failed_runs']}",
        "",
    ]
    (RESULTS_DIR / "integrations_results.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS_DIR / "integrations_results.md").write_text("\n".join(lines))
    _report("\n".join(lines))
    return 0 if result["failed_runs"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
