"""The API list of 50 KPIs with health (``GET /api/v1/kpis/``, API key, cursor page of 50) beside a
bare DRF endpoint returning 50 plain rows, both on the same gunicorn server (2 sync workers,
loopback), each driven by 8 concurrent clients, in alternating slices of the same run."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from bench.measure import report, summary_row
from bench.server import LoadResult, _request, gunicorn, load
from okrplatform.api.services import api_key_create
from okrplatform.tenancy.models import Membership

CLIENTS = 8
GOAL_SHARE = 0.60


def run(owner: Membership, *, slices: int, slice_seconds: float) -> dict[str, Any]:
    issued = api_key_create(actor=owner, name="bench", scope="read_only")
    product_path = "/api/v1/kpis/?page_size=50"
    bare_path = f"/bench-api/bare-rows/?org={owner.organization_id}"
    headers = {"Authorization": f"Bearer {issued.secret}"}
    with gunicorn(workers=2) as port:
        for path in (product_path, bare_path):
            status, body = asyncio.run(_request(port, "GET", path, headers, b""))
            assert status == 200, (path, status, body[:300])  # noqa: S101
        status, body = asyncio.run(_request(port, "GET", product_path, headers, b""))
        document = json.loads(body)
        assert len(document["results"]) == 50  # noqa: S101
        assert "health" in document["results"][0]  # noqa: S101
        load(port, product_path, headers=headers, clients=CLIENTS, seconds=1)  # warm both
        load(port, bare_path, headers={}, clients=CLIENTS, seconds=1)
        product, bare = LoadResult(seconds=0), LoadResult(seconds=0)
        for _ in range(slices):
            for total, path, sent in ((product, product_path, headers), (bare, bare_path, {})):
                part = load(port, path, headers=sent, clients=CLIENTS, seconds=slice_seconds)
                total.seconds += part.seconds
                total.latencies += part.latencies
                total.errors += part.errors
    product_summary, bare_summary = product.summary(), bare.summary()
    share = round(product.requests_per_second / bare.requests_per_second, 2)
    report(f"  API list: {product_summary}")
    report(f"  bare DRF rows: {bare_summary}")
    return {
        "clients": CLIENTS,
        "workers": 2,
        "seconds_each": slices * slice_seconds,
        "product": product_summary,
        "bare": bare_summary,
        "share_of_bare": share,
        "summary": summary_row(
            what="API list of 50 KPIs with health, gunicorn 2 sync workers, 8 clients (req/s, p99)",
            figure=f"{product_summary['req_per_s']} req/s, p99 {product_summary['p99_ms']} ms",
            reference=f"bare DRF 50 rows: {bare_summary['req_per_s']} req/s, p99 {bare_summary['p99_ms']} ms",
            ratio=share,
            goal=f"≥ {GOAL_SHARE:.0%} of its req/s",
            ok=share >= GOAL_SHARE and product.errors == 0,
        ),
    }
