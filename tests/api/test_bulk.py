"""Bulk ingest: idempotent, all-or-nothing with a per-item report, 10,000 points at most."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kpis.models import KPI, KPIValue
from tests.factories import KPIFactory

BULK = "/api/v1/kpi-values/bulk"


def _days(count: int) -> list[str]:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    return [(start + timedelta(days=i)).isoformat() for i in range(count)]


@pytest.fixture
def kpi(org):
    return KPIFactory(organization=org, key="revenue", update_frequency="daily")


def _values(kpi: KPI) -> list[tuple[datetime, str]]:
    return [
        (ts, str(v))
        for ts, v in KPIValue.unscoped.filter(kpi=kpi)
        .order_by("timestamp")
        .values_list("timestamp", "value")
    ]


def test_a_batch_by_id_and_key_is_written_and_resending_it_changes_nothing(write_key, kpi) -> None:
    points = [{"kpi": kpi.pk, "timestamp": ts, "value": i} for i, ts in enumerate(_days(30))]
    points += [{"kpi_key": "REVENUE", "timestamp": "2023-12-31T00:00:00Z", "value": "7.5"}]
    first = write_key.post_json(BULK, {"points": points})
    assert first.status_code == 200, first.content
    assert first.json() == {"received": 31, "created": 31, "updated": 0, "kpis": [kpi.pk]}
    state = _values(kpi)
    assert len(state) == 31
    again = write_key.post_json(BULK, {"points": points})
    assert again.json()["created"] == 0
    assert again.json()["updated"] == 31
    assert _values(kpi) == state


def test_a_mixed_batch_writes_nothing_and_names_each_bad_item(write_key, kpi) -> None:
    points = [
        {"kpi": kpi.pk, "timestamp": "2024-01-01T00:00:00Z", "value": 1},
        {"kpi": kpi.pk, "timestamp": "2024-01-02T00:00:00", "value": 2},  # no time zone
        {"kpi": kpi.pk, "timestamp": "2024-01-03T00:00:00Z", "value": "NaN"},
        {"kpi_key": "no-such-kpi", "timestamp": "2024-01-04T00:00:00Z", "value": 4},
        {"kpi": kpi.pk, "timestamp": "2024-01-05T00:00:00Z", "value": True, "extra": 1},
    ]
    response = write_key.post_json(BULK, {"points": points})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    fields = [error["field"] for error in response.json()["errors"]]
    assert fields == [
        "points.1.timestamp",
        "points.2.value",
        "points.3.kpi_key",
        "points.4.extra",
        "points.4.value",
    ]
    assert _values(kpi) == []


def test_duplicates_inside_one_batch_keep_the_last(write_key, kpi) -> None:
    ts = "2024-02-01T00:00:00Z"
    points = [
        {"kpi": kpi.pk, "timestamp": ts, "value": 1},
        {"kpi": kpi.pk, "timestamp": ts, "value": 2},
    ]
    response = write_key.post_json(BULK, {"points": points})
    assert response.status_code == 200
    assert [value for _ts, value in _values(kpi)] == ["2.000000"]


def test_more_than_10000_points_are_refused(write_key, kpi) -> None:
    points = [{"kpi": kpi.pk, "timestamp": "2024-01-01T00:00:00Z", "value": 1}] * 10_001
    response = write_key.post_json(BULK, {"points": points})
    assert response.status_code == 400
    assert "10,000" in response.json()["errors"][0]["detail"]
    assert _values(kpi) == []


def test_10000_points_are_accepted(write_key, kpi) -> None:
    start = datetime(2020, 1, 1, tzinfo=UTC)
    points = [
        {"kpi": kpi.pk, "timestamp": (start + timedelta(hours=i)).isoformat(), "value": i}
        for i in range(10_000)
    ]
    response = write_key.post_json(BULK, {"points": points})
    assert response.status_code == 200
    assert response.json()["created"] == 10_000


def test_another_organisations_kpi_ids_are_unknown(write_key, other_org, kpi) -> None:
    foreign = KPIFactory(organization=other_org, key="revenue")
    response = write_key.post_json(
        BULK, {"points": [{"kpi": foreign.pk, "timestamp": "2024-01-01T00:00:00Z", "value": 1}]}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "points.0.kpi"
    assert not KPIValue.unscoped.filter(kpi=foreign).exists()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{not json", "application/json"),
        (
            '{"points": [{"kpi": 1, "timestamp": "2024-01-01T00:00:00Z", "value": NaN}]}',
            "application/json",
        ),
        ('{"points": []}', "application/json"),
        ('{"points": [], "other": 1}', "application/json"),
        ("points=1", "application/x-www-form-urlencoded"),
    ],
)
def test_bad_bodies_get_a_problem_document(write_key, kpi, body, content_type) -> None:
    response = write_key.post(BULK, body, content_type=content_type)
    assert response.status_code in (400, 415)
    problem = response.json()
    assert problem["status"] == response.status_code
    assert problem["detail"]


def test_an_oversized_body_is_refused(write_key, settings) -> None:
    settings.API_MAX_BODY_BYTES = 100
    response = write_key.post_json(BULK, {"points": [{"note": "x" * 200}]})
    assert response.status_code == 413


def test_nul_bytes_are_invalid_points_not_server_errors(write_key, kpi) -> None:
    points = [
        {"kpi_key": "revenue\x00", "timestamp": "2024-01-01T00:00:00Z", "value": 1},
        {"kpi": kpi.pk, "timestamp": "2024-01-01T00:00:00Z", "value": 1, "note": "a\x00b"},
    ]
    response = write_key.post_json(BULK, {"points": points})
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["points.0.kpi_key", "points.1.note"]
    assert _values(kpi) == []
