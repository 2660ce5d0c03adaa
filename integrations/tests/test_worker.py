"""End to end through a real Celery worker on the Redis broker: dispatch → queue → fetch → values.

The worker runs in a thread of this process but consumes from the broker with its own database
connection, on a queue of its own so parallel test runs never take each other's messages.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import connection, connections
from django.utils import timezone

from integrations import sync
from integrations.models import RunStatus, SourceStatus, SyncRun
from integrations.tests.factories import DataSourceFactory, IntegrationFactory
from integrations.tests.httpserver import Recorded, Reply, fake_server
from kpis.models import KPIValue
from okrplatform.celery import app as celery_app
from okrplatform.notifications.models import Notification
from tests.factories import OrganizationFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

TIMEOUT = 30.0  # a generous ceiling for the worker, not a timing assertion


@pytest.fixture
def worker_queue_name(settings) -> Iterator[str]:
    celery_app.conf.task_always_eager = False  # the autouse fixture turns it back on afterwards
    queue = f"okr-test-integrations-{uuid.uuid4().hex[:12]}"
    settings.INTEGRATIONS_QUEUE = queue
    try:
        yield queue
    finally:
        with celery_app.connection_for_write() as broker:
            celery_app.amqp.queues.select_add(queue)
            celery_app.amqp.queues[queue].bind(broker.default_channel).delete()
        celery_app.amqp.queues.pop(queue, None)


@contextmanager
def _in_process_worker(queue: str) -> Iterator[None]:
    def close_connections(**_: object) -> None:
        connections.close_all()  # the worker thread's own connection, before the test DB goes

    task_postrun.connect(close_connections, weak=False)
    queues = celery_app.amqp.queues
    consumed_before = queues._consume_from
    try:
        with start_worker(
            celery_app, queues=[queue], perform_ping_check=False, shutdown_timeout=15
        ):
            yield
    finally:
        task_postrun.disconnect(close_connections)
        queues._consume_from = consumed_before


@pytest.fixture
def worker_queue(worker_queue_name: str) -> Iterator[str]:
    with _in_process_worker(worker_queue_name):
        yield worker_queue_name


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


def test_a_worker_killed_mid_run_the_run_completes_once(worker_queue_name: str, settings) -> None:
    """A real worker process is SIGKILLed while it waits on the upstream; the sweeper hands the
    run on, a second worker completes it, and the values are written once."""
    arrived, release = threading.Event(), threading.Event()
    body = json.dumps({"items": [{"t": "2026-01-01", "v": 5}, {"t": "2026-02-01", "v": 6}]})

    def slow_then_fine(request: Recorded) -> Reply:
        if not arrived.is_set():
            arrived.set()
            release.wait(TIMEOUT)
        return Reply(200, body.encode(), {"Content-Type": "application/json"})

    organization = OrganizationFactory()
    with fake_server({"/m": slow_then_fine}) as server:
        source = DataSourceFactory(
            organization=organization,
            integration=IntegrationFactory(
                organization=organization,
                settings={"url": server.url("/m"), "method": "GET", "auth": "none"},
            ),
            extraction={"expression": "items", "timestamp_key": "t", "value_key": "v"},
            next_run_at=timezone.now() - timedelta(seconds=5),
        )
        database = connection.settings_dict
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
            "OUTBOUND_ALLOWED_PRIVATE_HOSTS": "127.0.0.1",
        }
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "okrplatform",
                "worker",
                "--pool=solo",
                "-Q",
                worker_queue_name,
                "--loglevel=WARNING",
                "--without-mingle",
                "--without-gossip",
                "--without-heartbeat",
            ],
            env=env,
            cwd=settings.BASE_DIR,
        )
        try:
            [run_id] = sync.due_sources_dispatch()
            assert arrived.wait(60), "the worker process never reached the upstream"
            assert SyncRun.unscoped.get(pk=run_id).status == RunStatus.RUNNING
            process.send_signal(signal.SIGKILL)
            process.wait(30)
        finally:
            if process.poll() is None:
                process.kill()
            release.set()

        run = SyncRun.unscoped.get(pk=run_id)
        assert (run.status, run.attempts) == (RunStatus.RUNNING, 1)  # orphaned mid-run
        later = timezone.now() + sync.RUN_LEASE + timedelta(seconds=1)
        with _in_process_worker(worker_queue_name):
            assert sync.expired_runs_sweep(now=later) == [run_id]
            run = _wait_finished(run_id)

    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.attempts == 2
    assert KPIValue.unscoped.filter(kpi=source.kpi).count() == 2
    assert Notification.unscoped.count() == 0
