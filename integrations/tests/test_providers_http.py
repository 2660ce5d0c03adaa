"""HTTP JSON, CSV and Prometheus providers against local HTTP servers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest

from integrations.providers import PROVIDERS, FetchError, csv_http, http_json, prometheus
from integrations.tests.httpserver import Recorded, Reply, fake_server

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def _json(data: object, status: int = 200) -> Reply:
    return Reply(status, json.dumps(data).encode(), {"Content-Type": "application/json"})


def _fetch_json(url: str, extraction: dict, **settings: object) -> list:
    return http_json.fetch(
        settings={"url": url, "method": "GET", "auth": "none", **settings},
        credentials={"token": "tok-123", "password": "pw", "api_key": "key-9"},
        extraction=extraction,
        now=NOW,
    )


def test_json_single_number() -> None:
    with fake_server({"/stats": _json({"data": {"total": 1234.5}})}) as server:
        points = _fetch_json(server.url("/stats"), {"expression": "data.total"})
    assert points == [http_json.Point(NOW, Decimal("1234.5"))]


def test_json_series_of_objects_and_pairs() -> None:
    body = {"items": [{"day": "2026-03-01", "n": 3}, {"day": "2026-03-02", "n": "4.5"}]}
    with fake_server({"/s": _json(body)}) as server:
        points = _fetch_json(
            server.url("/s"),
            {"expression": "items", "timestamp_key": "day", "value_key": "n"},
        )
        pairs = _fetch_json(server.url("/s"), {"expression": "items[].[day, n]"})
    assert [p.value for p in points] == [Decimal(3), Decimal("4.5")]
    assert points[0].timestamp == datetime(2026, 3, 1, tzinfo=UTC)
    assert pairs == points


@pytest.mark.parametrize(
    ("auth", "header", "expected"),
    [
        ("bearer", "authorization", "Bearer tok-123"),
        ("basic", "authorization", "Basic dXNlcjpwdw=="),
        ("api_key", "x-api-key", "key-9"),
    ],
)
def test_json_authentication(auth: str, header: str, expected: str) -> None:
    with fake_server({"/": _json({"v": 1})}) as server:
        _fetch_json(server.url("/"), {"expression": "v"}, auth=auth, username="user")
    assert server.requests[0].headers[header] == expected


def test_json_post_body() -> None:
    def echo(request: Recorded) -> Reply:
        return _json({"got": json.loads(request.body)["n"]})

    with fake_server({"/q": echo}) as server:
        points = _fetch_json(
            server.url("/q"), {"expression": "got"}, method="POST", body='{"n": 7}'
        )
    assert points[0].value == 7


def test_json_invalid_json_is_an_extraction_error() -> None:
    with (
        fake_server({"/": Reply(200, b"<html>oops")}) as server,
        pytest.raises(FetchError, match="not valid JSON") as caught,
    ):
        _fetch_json(server.url("/"), {"expression": "v"})
    assert not caught.value.transient


def test_json_expression_selecting_nothing_or_text() -> None:
    with fake_server({"/": _json({"v": "n/a"})}) as server:
        with pytest.raises(FetchError, match="selected nothing"):
            _fetch_json(server.url("/"), {"expression": "missing"})
        with pytest.raises(FetchError, match="not a number"):
            _fetch_json(server.url("/"), {"expression": "v"})


def test_json_5xx_is_transient_and_401_is_not() -> None:
    with fake_server({"/500": _json({}, 500), "/401": _json({}, 401)}) as server:
        with pytest.raises(FetchError) as five:
            _fetch_json(server.url("/500"), {"expression": "v"})
        with pytest.raises(FetchError, match="credentials") as four:
            _fetch_json(server.url("/401"), {"expression": "v"})
    assert five.value.transient
    assert not four.value.transient


def test_json_settings_form_validates() -> None:
    form = http_json.SettingsForm(
        data={"url": "ftp://x", "method": "GET", "auth": "none", "body": "{bad"}
    )
    assert not form.is_valid()
    assert {"url", "body"} <= set(form.errors)
    extraction = http_json.ExtractionForm(data={"expression": "a.[b"})
    assert not extraction.is_valid()


CSV = b"date,signups,notes\n2026-03-01,10,x\n2026-03-02,,gap\n2026-03-03,12.5,y\n"


def test_csv_series_and_cell() -> None:
    with fake_server({"/sheet.csv": Reply(200, CSV, {"Content-Type": "text/csv"})}) as server:
        settings = {"url": server.url("/sheet.csv"), "auth": "none", "delimiter": ","}
        series = csv_http.fetch(
            settings=settings,
            credentials={},
            extraction={"mode": "series", "value_column": "signups", "date_column": "date"},
            now=NOW,
        )
        cell = csv_http.fetch(
            settings=settings,
            credentials={},
            extraction={"mode": "cell", "value_column": "signups", "row": "first"},
            now=NOW,
        )
    assert [(p.timestamp.day, p.value) for p in series] == [(1, 10), (3, Decimal("12.5"))]
    assert cell == [csv_http.Point(NOW, Decimal(10))]


def test_csv_unknown_column_names_the_columns() -> None:
    with pytest.raises(FetchError, match="signups"):
        csv_http.points_from_csv(
            CSV.decode(), ",", {"mode": "cell", "value_column": "revenue", "row": "last"}, NOW
        )


def _prometheus(request: Recorded) -> Reply:
    query = parse_qs(urlparse(request.path).query)
    if urlparse(request.path).path == "/api/v1/query":
        if query["query"] == ["up"]:
            return _json(
                {
                    "status": "success",
                    "data": {
                        "resultType": "vector",
                        "result": [
                            {"metric": {}, "value": [1773144000, "1"]},
                            {"metric": {}, "value": [1773144000, "0"]},
                        ],
                    },
                }
            )
        return _json(
            {
                "status": "success",
                "data": {
                    "resultType": "vector",
                    "result": [{"metric": {}, "value": [1773144000.5, "42.25"]}],
                },
            }
        )
    assert query["step"] == ["3600"]
    return _json(
        {
            "status": "success",
            "data": {
                "resultType": "matrix",
                "result": [
                    {
                        "metric": {},
                        "values": [[1773136800, "1"], [1773140400, "NaN"], [1773144000, "3"]],
                    }
                ],
            },
        }
    )


def test_prometheus_instant_and_range() -> None:
    routes = {"/api/v1/query": _prometheus, "/api/v1/query_range": _prometheus}
    with fake_server(routes) as server:
        settings = {"url": server.url(""), "auth": "none"}
        instant = prometheus.fetch(
            settings=settings,
            credentials={},
            extraction={"query": "sum(rate(x[5m]))", "mode": "instant"},
            now=NOW,
        )
        history = prometheus.fetch(
            settings=settings,
            credentials={},
            extraction={"query": "sum(x)", "mode": "range", "range_hours": 2, "step_seconds": 3600},
            now=NOW,
        )
        with pytest.raises(FetchError, match="2 series"):
            prometheus.fetch(
                settings=settings,
                credentials={},
                extraction={"query": "up", "mode": "instant"},
                now=NOW,
            )
    assert instant[0].value == Decimal("42.25")
    assert [p.value for p in history] == [1, 3]


def test_every_provider_is_registered_with_forms() -> None:
    assert set(PROVIDERS) == {"http_json", "csv", "sql", "prometheus", "push"}
    for spec in PROVIDERS.values():
        assert spec.settings_form
        assert spec.extraction_form
        for name in spec.secret_fields:
            assert name in spec.settings_form.base_fields
