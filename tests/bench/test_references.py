"""The bench's references must show the same rows as the pages they are measured against, or
the ratios in the README compare unlike things. These run in `make test`, so a model change that
breaks a reference fails here rather than in the middle of `make bench`."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from bench import suite
from bench.kpi_page import reference_kpi_points, seed_daily_history
from bench.measure import summary_row
from bench.okr_pages import reference_objectives
from goals.bench import _seed as seed_okrs
from goals.models import KeyResult, Objective
from okrplatform.tenancy.models import Membership, Organization

pytestmark = pytest.mark.django_db


@pytest.fixture
def bench_urls(settings: Any) -> None:
    settings.ROOT_URLCONF = "bench.urls"


def test_kpi_reference_fetches_every_period_and_the_newest_values(
    bench_urls: None, owner: Membership, owner_client: Client
) -> None:
    kpi = seed_daily_history(owner, days=40)
    periods, values = reference_kpi_points(owner.organization_id, kpi.pk)
    assert len(periods) == 40
    assert len(values) == 24
    assert values[0][4] == 40  # the value count the page shows
    page = owner_client.get(reverse("kpis:kpi-detail", args=[owner.organization.slug, kpi.pk]))
    assert "40 periods" in page.content.decode()
    served = owner_client.get(
        reverse("bench-reference-kpi", args=[owner.organization.slug, kpi.pk])
    )
    assert served.status_code == 200
    assert "40 periods, latest 24 of 40 values" in served.content.decode()


def test_okr_reference_reads_the_cycle_page_rows() -> None:
    organization, _owner = seed_okrs(objective_count=30, key_result_count=70)
    objectives = reference_objectives(organization.pk)
    assert len(objectives) == Objective.unscoped.filter(organization=organization).count() == 30
    assert sum(len(o["key_results"]) for o in objectives) == 70
    assert KeyResult.unscoped.filter(organization=organization).count() == 70
    # Team objectives align to company ones, and the reference sees those parents.
    assert sum(1 for o in objectives if o["parents"]) == 10
    assert all(0 <= o["percent"] <= 100 for o in objectives)


def test_served_okr_references_show_every_objective(bench_urls: None) -> None:
    organization, owner = seed_okrs(objective_count=30, key_result_count=70)
    client = Client()
    client.force_login(owner.user)
    for name in ("bench-reference-cycle", "bench-reference-map"):
        body = client.get(reverse(name, args=[organization.slug])).content.decode()
        assert body.count('<progress value="') >= 30, name


def test_bare_rows_endpoint_answers_fifty_plain_rows(bench_urls: None, org: Organization) -> None:
    from tests.factories import KPIFactory

    for _ in range(55):
        KPIFactory(organization=org)
    response = Client().get(reverse("bench-bare-rows"), {"org": org.pk})
    rows = json.loads(response.content)
    assert response.status_code == 200
    assert len(rows) == 50
    assert set(rows[0]) == {"id", "name", "health", "latest_value", "latest_value_at"}


def test_summary_table_marks_misses_and_tolerates_missing_parts() -> None:
    board = {
        "kpis": 200,
        "values": 1000,
        "ratio_p50": 1.7,
        "rows": [
            {"p50_ms": 17.0, "p95_ms": 20.0, "queries": 8},
            {},
            {"p50_ms": 10.0, "p95_ms": 12.0, "queries": 1},
        ],
    }
    parts = {
        "freshness": {
            "summary": summary_row(
                what="Freshness", figure="70 s", reference="—", ratio=None, goal="≤ 75 s", ok=True
            )
        }
    }
    rows = suite.summary_rows(board, parts)
    assert [row["ok"] for row in rows] == [False, True]
    table = suite.table(rows)
    assert "| 1.7× | ≤ 1.5×; queries constant | **no** |" in table
    assert "| — | ≤ 75 s | yes |" in table
