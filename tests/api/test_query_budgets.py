"""Every list endpoint costs the same number of queries for a few rows as for many."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from integrations.tests.isolation_world import extend_world as integrations_extend
from kpis.models import KPIValue
from okrplatform.webhooks.tests.isolation_world import extend_world as webhooks_extend
from tests.api.conftest import KeyClient
from tests.api.world import api_world_extend
from tests.isolation.test_api_isolation import API_ADMIN_SESSIONS_ONLY, API_NO_OBJECT
from tests.isolation.world import build_world

LISTS = sorted(name for name in API_NO_OBJECT if name != "api:kpi-value-bulk")
BUDGET = 8  # key lookup, the page, and at most a few prefetches


@pytest.mark.parametrize("name", LISTS)
def test_list_queries_do_not_grow_with_rows(name: str, db: None) -> None:
    world = build_world("budget", "Budget")
    client: Client = KeyClient(world.api_secret)
    if name in API_ADMIN_SESSIONS_ONLY:  # keys may not; an owner's session (+ session queries)
        client = Client(HTTP_X_ORGANIZATION=world.organization.slug)
        client.force_login(world.owner.user)
    url = reverse(name)
    client.get(url)  # warm-up: last_used_at is written at most once a minute
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for index in range(15):
        api_world_extend(world, f"Copy{index}")
        integrations_extend(world, f"Copy{index}")
        webhooks_extend(world, f"Copy{index}")
    start = datetime(2024, 1, 1, tzinfo=UTC)
    KPIValue.unscoped.bulk_create(
        KPIValue(
            organization=world.organization,
            kpi=world.api_kpi,
            timestamp=start + timedelta(days=i),
            value=i,
        )
        for i in range(40)
    )
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few), f"{name}: {len(few)} queries for a few rows, {len(many)} for many"
    assert len(many) <= BUDGET
