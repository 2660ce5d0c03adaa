"""API bulk ingest: 100,000 KPI points pushed through ``POST /api/v1/kpi-values/bulk`` in
batches of 5,000 to gunicorn on loopback (2 sync workers, 2 clients), beside a raw ``COPY`` of the
same points into the same table in the same run. Target: the API at >= 25% of COPY's points/s.

Runs in a throw-away, migrated PostgreSQL database (``<DATABASE_URL name>_bench_api``): gunicorn's
workers connect to it as a deployment would. Writes ``bench/api_ingest_results.{json,md}``.

    python -m bench.api_ingest [--kpis 50] [--points 100000] [--batch 5000]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent
TARGET_RATIO = 0.25


def _report(text: str = "") -> None:
    print(text)  # noqa: T201 - a command-line tool: its output is the point


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _points(kpi_ids: list[int], total: int) -> list[dict[str, Any]]:
    """Daily points, KPI after KPI (a script backfilling its KPIs one by one)."""
    per_kpi = total // len(kpi_ids)
    start = datetime(2019, 1, 1, tzinfo=UTC)
    return [
        {"kpi": kpi_id, "timestamp": (start + timedelta(days=day)).isoformat(), "value": day % 97}
        for kpi_id in kpi_ids
        for day in range(per_kpi)
    ]


def _gunicorn(port: int, database_url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DB_CONN_MAX_AGE": "60",
        "API_THROTTLE_RATE": "1000000/minute",
        "API_BULK_THROTTLE_RATE": "1000000/minute",
        "DEBUG": "false",
    }
    return subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "gunicorn",
            "okrplatform.wsgi:application",
            "--workers",
            "2",
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        env=env,
    )


def _wait_ready(base: str, timeout: float = 30) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def run(kpi_count: int, total: int, batch: int) -> dict[str, Any]:
    import httpx
    from django.db import connection
    from django.utils import timezone

    from kpis.models import KPI, KPIValue
    from okrplatform.api.services import api_key_create
    from okrplatform.tenancy.models import Membership, Organization
    from okrplatform.tenancy.scope import organization_scope
    from tests.factories import UserFactory

    organization = Organization.objects.create(name="Bench", slug="bench-api")
    owner = Membership.unscoped.create(organization=organization, user=UserFactory(), role="owner")
    with organization_scope(organization.pk):
        secret = api_key_create(actor=owner, name="bench", scope="read_write").secret
    kpis = [
        KPI.unscoped.create(organization=organization, name=f"API {i}", update_frequency="daily")
        for i in range(kpi_count)
    ]
    points = _points([k.pk for k in kpis], total)
    bodies = [
        json.dumps({"points": points[offset : offset + batch]}).encode()
        for offset in range(0, len(points), batch)
    ]
    database = connection.settings_dict
    database_url = (
        f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    )
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = _gunicorn(port, database_url)
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    try:
        _wait_ready(base)
        with httpx.Client(timeout=120) as warm:  # both workers connect and import lazily
            for _ in range(4):
                warm.get(f"{base}/api/v1/organization/", headers=headers)

        def send(body: bytes) -> int:
            with httpx.Client(timeout=120) as client:
                response = client.post(
                    f"{base}/api/v1/kpi-values/bulk", content=body, headers=headers
                )
                response.raise_for_status()
                return int(response.json()["created"])

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=2) as pool:
            created = sum(pool.map(send, bodies))
        api_seconds = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(30)
    stored = KPIValue.unscoped.filter(organization=organization).count()

    # The same points by raw COPY into the same table, for fresh KPIs of the same organisation.
    copy_kpis = [
        KPI.unscoped.create(organization=organization, name=f"COPY {i}", update_frequency="daily")
        for i in range(kpi_count)
    ]
    remap = {k.pk: c.pk for k, c in zip(kpis, copy_kpis, strict=True)}
    now = timezone.now()
    rows = [
        (organization.pk, remap[p["kpi"]], p["timestamp"], p["value"], "api", "", None, now)
        for p in points
    ]
    table = KPIValue._meta.db_table
    started = time.monotonic()
    with (
        connection.cursor() as cursor,
        cursor.connection.cursor().copy(
            f"COPY {table} (organization_id, kpi_id, timestamp, value, source, note, author_id, "
            "recorded_at) FROM STDIN"
        ) as copy,
    ):
        for row in rows:
            copy.write_row(row)
    copy_seconds = time.monotonic() - started
    api_rate = len(points) / api_seconds
    copy_rate = len(rows) / copy_seconds
    return {
        "kpis": kpi_count,
        "points": len(points),
        "batch": batch,
        "batches": len(bodies),
        "gunicorn_workers": 2,
        "clients": 2,
        "created": created,
        "stored": stored,
        "api_seconds": round(api_seconds, 2),
        "api_points_per_second": round(api_rate),
        "copy_points_per_second": round(copy_rate),
        "ratio": round(api_rate / copy_rate, 3),
        "target_ratio": TARGET_RATIO,
        "within_target": api_rate / copy_rate >= TARGET_RATIO and stored == len(points),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.api_ingest", description=__doc__)
    parser.add_argument("--kpis", type=int, default=50)
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=5_000)
    options = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "okrplatform.settings")
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        _report("The API ingest bench needs PostgreSQL: set DATABASE_URL (make bench does).")
        return 2
    connection.settings_dict.setdefault("TEST", {})["NAME"] = (
        f"{connection.settings_dict['NAME']}_bench_api"
    )
    original_name = connection.creation.create_test_db(
        verbosity=0, autoclobber=True, serialize=False
    )
    try:
        result = run(options.kpis, options.points, options.batch)
    finally:
        connection.creation.destroy_test_db(original_name, verbosity=0)
    verdict = "within" if result["within_target"] else "BELOW"
    lines = [
        "# API bulk ingest bench",
        "",
        f"- {result['points']:,} points ({result['kpis']} daily KPIs, KPI after KPI) in "
        f"{result['batches']} batches of {result['batch']:,} through `POST /api/v1/kpi-values/bulk`, "
        f"gunicorn with {result['gunicorn_workers']} sync workers on loopback, {result['clients']} "
        f"clients: **{result['api_points_per_second']:,} points/s** ({result['api_seconds']} s; "
        "validation, upsert and health re-evaluation included)",
        f"- The same points by raw COPY into the same table: "
        f"**{result['copy_points_per_second']:,} points/s**",
        f"- Ratio: **{result['ratio']:.0%}** of COPY (target ≥ {TARGET_RATIO:.0%}): {verdict} target",
        "",
    ]
    (RESULTS_DIR / "api_ingest_results.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS_DIR / "api_ingest_results.md").write_text("\n".join(lines))
    _report("\n".join(lines))
    return 0 if result["within_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
