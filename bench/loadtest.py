"""``make loadtest``: a realistic mix against gunicorn on loopback, for a bounded time.

Seeds a throw-away database (``<DATABASE_URL name>_loadtest``: a board organisation of 200 KPIs ×
1,000 values and an OKR organisation of 300 objectives / 1,000 key results), starts gunicorn
(2 sync workers), one Celery worker for the syncs and a local HTTP source, then runs locust
headless (``bench/locustfile.py``) and prints throughput, p95/p99 and errors per kind of request.
Everything stops by itself; the database is dropped at the end.

    python -m bench.loadtest [--users 16] [--seconds 150]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PASSWORD = "loadtest-password-1"  # noqa: S105 - a throw-away database's users


def _source_server() -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            from django.utils import timezone

            now = timezone.now().replace(microsecond=0).isoformat()
            body = json.dumps({"items": [{"t": now, "v": len(self.path)}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _seed(source_port: int) -> dict[str, str]:
    from bench.seed import seed
    from goals.bench import _seed as seed_okrs
    from goals.models import KeyResult
    from integrations.models import DataSource, Integration
    from kpis.models import KPI
    from okrplatform.api.services import api_key_create

    seeded = seed(kpi_count=200, values_per_kpi=1000)
    okr_organization, okr_owner = seed_okrs(300, 1000)
    for user in (seeded.owner.user, okr_owner.user):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    organization = seeded.organization
    kpis = list(KPI.unscoped.filter(organization=organization).values_list("pk", flat=True))
    sources = []
    for index in range(5):
        integration = Integration.unscoped.create(
            organization=organization,
            provider="http_json",
            name=f"Load source {index}",
            settings={
                "url": f"http://127.0.0.1:{source_port}/{index}",
                "method": "GET",
                "auth": "none",
            },
        )
        sources.append(
            DataSource.unscoped.create(
                organization=organization,
                integration=integration,
                kpi_id=kpis[index],
                extraction={"expression": "items", "timestamp_key": "t", "value_key": "v"},
                schedule_kind="none",
            ).pk
        )
    key_results = KeyResult.unscoped.filter(organization=okr_organization).values_list(
        "pk", flat=True
    )[:200]
    return {
        "LOADTEST_ORG": organization.slug,
        "LOADTEST_OKR_ORG": okr_organization.slug,
        "LOADTEST_BOARD": str(seeded.board.pk),
        "LOADTEST_PASSWORD": PASSWORD,
        "LOADTEST_MANAGER": seeded.owner.user.email,
        "LOADTEST_MEMBER": okr_owner.user.email,
        "LOADTEST_API_KEY": api_key_create(
            actor=seeded.owner, name="load test", scope="read_write"
        ).secret,
        "LOADTEST_KPIS": ",".join(map(str, kpis)),
        "LOADTEST_KEY_RESULTS": ",".join(map(str, key_results)),
        "LOADTEST_SOURCES": ",".join(map(str, sources)),
    }


def _report(stats_csv: Path, seconds: float) -> tuple[str, int]:
    rows = list(csv.DictReader(stats_csv.open()))
    lines = [
        "| request | requests | failures | req/s | p50 ms | p95 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    failures = 0
    for row in rows:
        name = row["Name"] if row["Name"] != "Aggregated" else "**all**"
        failures += int(row["Failure Count"]) if row["Name"] != "Aggregated" else 0
        lines.append(
            f"| {name} | {row['Request Count']} | {row['Failure Count']} | "
            f"{float(row['Requests/s']):.1f} | {row['50%']} | {row['95%']} | {row['99%']} |"
        )
    return "\n".join(lines), failures


def _background_work() -> str:
    """What the syncs and pushes left behind: proof that the mix did real work."""
    from django.db.models import Count

    from goals.models import CheckIn
    from integrations.models import SyncRun
    from kpis.models import KPIValue

    runs = dict(
        SyncRun.unscoped.values_list("status").annotate(count=Count("pk")).order_by("status")
    )
    pushed = KPIValue.unscoped.filter(source="api").count()
    check_ins = CheckIn.unscoped.filter(comment="load test").count()
    return (
        f"Sync runs by status: {runs or 'none'}; KPI values written through the API: {pushed:,}; "
        f"check-ins recorded: {check_ins:,}."
    )


def run(users: int, seconds: int) -> int:
    from bench.server import gunicorn
    from bench.workers import celery_workers, unique_queue

    server = _source_server()
    environment = _seed(server.server_address[1])
    queue = unique_queue("loadtest-integrations")
    output = Path(tempfile.mkdtemp(prefix="loadtest-"))
    with (
        celery_workers(queue, processes=1),
        gunicorn(workers=2, extra_env={"BENCH_INTEGRATIONS_QUEUE": queue}) as port,
    ):
        command = [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(Path(__file__).with_name("locustfile.py")),
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(max(1, users // 5)),
            "--run-time",
            f"{seconds}s",
            "--stop-timeout",
            "10",
            "--host",
            f"http://127.0.0.1:{port}",
            "--csv",
            str(output / "loadtest"),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ]
        subprocess.run(  # noqa: S603 - our own interpreter and arguments
            command, env={**os.environ, **environment}, check=False, timeout=seconds + 120
        )
    server.shutdown()
    table, failures = _report(output / "loadtest_stats.csv", seconds)
    text = (
        f"# Load test\n\n{users} simulated people (managers, members, scripts) for {seconds} s "
        "against gunicorn (2 sync workers) on loopback, one Celery worker for the syncs.\n\n"
        f"{table}\n\n{_background_work()}\n"
    )
    print(text)  # noqa: T201 - a command-line tool: its output is the point
    (Path(__file__).resolve().parent / "loadtest_results.md").write_text(text)
    return 0 if failures == 0 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.loadtest", description=__doc__)
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=150)
    options = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "okrplatform.settings")
    import django

    django.setup()
    from django.apps import apps
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        print("make loadtest needs PostgreSQL: set DATABASE_URL.", file=sys.stderr)  # noqa: T201
        return 2
    settings.MIGRATION_MODULES = {config.label: None for config in apps.get_app_configs()}
    connection.settings_dict.setdefault("TEST", {})["NAME"] = (
        f"{connection.settings_dict['NAME']}_loadtest"
    )
    original_name = connection.creation.create_test_db(
        verbosity=0, autoclobber=True, serialize=False
    )
    try:
        return run(options.users, options.seconds)
    finally:
        connection.creation.destroy_test_db(original_name, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
