"""End to end through a real Celery worker on the Redis broker: dispatch → queue → fetch → values.

The worker runs in a thread of this process but consumes from the broker with its own database
connection, on a queue of its own so parallel test runs never take each other's messages.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import connections
from django.utils import timezone

from integrations import sync
from integrations.models import RunStatus, SourceStatus, SyncRun
from integrations.tests.factories import DataSourceFactory, IntegrationFactory
from integrations.tests.httpserver import Recorded, Reply, fake_server
from kpis.models import KPIValue
from okrplatform.celery import app as celery_app
from tests.factories import OrganizationFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

TIMEOUT = 30.0  # a generous ceiling for the worker, not a timing assertion


@pytest.fixture
def worker_queue(settings) -> Iterator[str]:
    celery_app.conf.task_always_eager = False
    queue = f"okr-test-integrations-{uuid.uuid4().hex[:12]}"
    settings.INTEGRATIONS_QUEUE = queue

    def close_connections(**_: object) -> None:
        connections.close_all()  # the worker thread's own connection, before the test DB goes

    task_postrun.connect(close_connections, weak=False)
    queues = celery_app.amqp.queues
    consumed_before = queues._consume_from
    try:
        with start_worker(
            celery_app, queues=[queue], perform_ping_check=False, shutdown_timeout=15
        ):
            yield queue
    finally:
        task_postrun.disconnect(close_connections)
        with celery_app.connection_for_write() as connection:
            queues[queue].bind(connection.default_channel).delete()
        queues._consume_from = consumed_before
        queues.pop(queue, None)


def _wait_finished(run_id: int) -> SyncRun:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        run = SyncRun.unscoped.get(pk=run_id)
        if run.is_finished:
            return run
        time.sleep(0.1)
    raise AssertionError("the worker did not finish the run")


def test_a_dispatched_run_is_synced_by_a_real_worker_with_a_retry(
    worker_queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync, "BACKOFF_BASE_SECONDS", 0.2)
    replies = iter([Reply(500, b"{}")])

    def flaky(request: Recorded) -> Reply:
        body = json.dumps({"items": [{"t": "2026-01-01", "v": 5}, {"t": "2026-02-01", "v": 6}]})
        return next(replies, Reply(200, body.encode(), {"Content-Type": "application/json"}))

    organization = OrganizationFactory()
    with fake_server({"/metrics": flaky}) as server:
        integration = IntegrationFactory(
            organization=organization,
            settings={"url": server.url("/metrics"), "method": "GET", "auth": "none"},
        )
        source = DataSourceFactory(
            organization=organization,
            integration=integration,
            extraction={"expression": "items", "timestamp_key": "t", "value_key": "v"},
            next_run_at=timezone.now() - timedelta(seconds=5),
        )
        [run_id] = sync.due_sources_dispatch()  # commits, then enqueues through Redis
        run = _wait_finished(run_id)

    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.attempts == 2  # the 500 was retried
    assert run.values_written == 2
    assert sorted(KPIValue.unscoped.filter(kpi=source.kpi).values_list("value", flat=True)) == [
        5,
        6,
    ]
    source.refresh_from_db()
    assert source.status == SourceStatus.OK
    assert len(server.requests) == 2
