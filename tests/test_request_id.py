"""Every response carries X-Request-ID; a 500 shows it, and log lines carry it."""

from __future__ import annotations

import logging

import pytest
from django.db import OperationalError
from django.test import Client

from okrplatform import requestid


def test_a_response_carries_a_fresh_id_or_a_sane_one_from_the_proxy(db) -> None:
    first = Client().get("/healthz")["X-Request-ID"]
    second = Client().get("/healthz")["X-Request-ID"]
    assert len(first) == 32
    assert first != second
    passed = Client().get("/healthz", HTTP_X_REQUEST_ID="lb-1234abcd")["X-Request-ID"]
    assert passed == "lb-1234abcd"
    forged = Client().get("/healthz", HTTP_X_REQUEST_ID="x\r\nSet-Cookie: a=b")["X-Request-ID"]
    assert len(forged) == 32  # replaced, not echoed


@pytest.fixture
def failing_view(monkeypatch, caplog):
    """/healthz raising a database error, as it would with PostgreSQL restarting."""
    from okrplatform import urls

    def broken(request):
        logging.getLogger("okrplatform.test").warning("about to fail")
        raise OperationalError("server closed the connection unexpectedly")

    pattern = next(p for p in urls.urlpatterns if getattr(p, "name", "") == "healthz")
    monkeypatch.setattr(pattern, "callback", broken)
    caplog.set_level(logging.INFO)
    return caplog


def test_a_500_page_shows_the_id_and_the_logs_carry_it(failing_view) -> None:
    response = Client(raise_request_exception=False).get("/healthz")
    assert response.status_code == 500
    request_id = response["X-Request-ID"]
    assert f'<code data-testid="request-id">{request_id}</code>' in response.content.decode()
    stamped = [r for r in failing_view.records if getattr(r, "request_id", None) == request_id]
    # The view's own line and Django's "Internal Server Error" line, each with the id.
    assert {r.name for r in stamped} >= {"okrplatform.test", "django.request"}


def test_an_api_500_is_a_problem_document_with_the_id() -> None:
    from django.test import RequestFactory

    request = RequestFactory().get("/api/v1/kpis/")
    request.request_id = "abcdef123456"
    response = requestid.server_error(request)
    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    assert b'"request_id": "abcdef123456"' in response.content


def test_the_log_filter_stamps_a_dash_outside_requests() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
    assert requestid.RequestIDLogFilter().filter(record)
    assert record.request_id == "-"
