"""A one-point sync run costs a fixed number of queries: the budget of the pipeline's throughput
(``make bench``: sources synced per minute), and it must not grow with the organisation."""

from __future__ import annotations

import json
from datetime import timedelta

from django.utils import timezone

from integrations import sync
from integrations.models import RunStatus, SyncRun
from integrations.tests.factories import DataSourceFactory, IntegrationFactory
from integrations.tests.httpserver import Reply, fake_server
from okrplatform.tenancy.scope import organization_scope

ONE_POINT = Reply(
    200,
    json.dumps({"items": [{"t": "2026-01-01", "v": 7}]}).encode(),
    {"Content-Type": "application/json"},
)


def _sources(org, url: str, count: int):
    integration = IntegrationFactory(
        organization=org, settings={"url": url, "method": "GET", "auth": "none"}
    )
    return [
        DataSourceFactory(
            organization=org,
            integration=integration,
            extraction={"expression": "items", "timestamp_key": "t", "value_key": "v"},
        )
        for _ in range(count)
    ]


def _one_point_run(source, assert_max_queries) -> int:
    """Runs a fresh run of ``source`` and returns the number of queries it took."""
    run = SyncRun.unscoped.create(
        organization_id=source.organization_id,
        data_source=source,
        scheduled_for=timezone.now().replace(microsecond=0) - timedelta(minutes=1),
    )
    with organization_scope(source.organization_id), assert_max_queries(ONE_POINT_RUN) as ran:
        assert sync.sync_run_execute(run_id=run.pk).status == "succeeded"
    run.refresh_from_db()
    assert (run.status, run.values_written) == (RunStatus.SUCCEEDED, 1)
    return len(ran)


# Claim and load the run (1 statement); then one transaction (BEGIN and COMMIT, shown here as
# the test transaction's SAVEPOINT and RELEASE): check the KPI and the run, upsert the point,
# stamp and lock the KPI, read the touched period's points, the periods around it and the
# KPI's targets, write the period, refresh the KPI's current state and its key results, look
# for webhook subscribers, finish the run and mark the source healthy (1 statement).
ONE_POINT_RUN = 14


def test_a_one_point_run_costs_a_fixed_number_of_queries(
    org, django_assert_max_num_queries
) -> None:
    with fake_server({"/": ONE_POINT}) as server:
        _one_point_run(_sources(org, server.url("/"), 1)[0], django_assert_max_num_queries)
        few = _one_point_run(_sources(org, server.url("/"), 1)[0], django_assert_max_num_queries)
        _sources(org, server.url("/"), 20)  # more sources, integrations and KPIs
        many = _one_point_run(_sources(org, server.url("/"), 1)[0], django_assert_max_num_queries)
    assert many == few  # the organisation's size costs nothing
