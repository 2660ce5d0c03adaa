"""schemathesis against the live schema: no 5xx, and every response conforms to the schema.

Runs in-process through the WSGI app with a read-write key of an organisation that has one of
every object; a second run uses the other organisation's key on the first one's ids (see the
isolation suite for the exact 404 proof).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from okrplatform.api.throttling import APIKeyRateThrottle
from tests.isolation.world import build_world

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())


@pytest.fixture
def _keep_test_connection() -> Iterator[None]:
    """The WSGI handler closes the database connection after each request, which would end
    the test's transaction; Django's own test client disconnects the same signal."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_headers(
    db: None, monkeypatch: pytest.MonkeyPatch, _keep_test_connection: None
) -> dict[str, str]:
    monkeypatch.setattr(
        APIKeyRateThrottle, "THROTTLE_RATES", {"api": "100000/minute", "api_bulk": "100000/minute"}
    )
    cache.clear()
    world = build_world("schemathesis", "Fuzz")
    build_world("schemathesis-other", "Other")
    return {"Authorization": f"Bearer {world.api_secret}"}


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforms_to_its_schema(case, api_headers) -> None:
    # A filter on an id that does not exist is answered 400 (django-filter's choice check), so
    # "schema-valid data is accepted" is not asked; the server never fails and every answer,
    # errors included, matches the schema.
    case.call_and_validate(headers=api_headers, checks=CHECKS)
