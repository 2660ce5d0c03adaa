"""A worker process SIGKILLed in the middle of two syncs: another worker completes each run exactly
once, even though the run is sent to it twice; values are written once; the run that ends in
failure notifies each person once.

The killed worker is a real process on a private Redis; the one that takes over is an in-process
worker (so the shortened retry limits apply). The run's lease, not the broker, decides who may
work on it: the sweeper hands an orphaned run on once its lease runs out, and a second message
for the same run (the broker redelivering the killed worker's unacknowledged one, say) finds it
held or finished and does nothing.
"""

from __future__ import annotations

import json
import signal
import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations import sync
from integrations.models import DataSource, RunStatus, SourceStatus, SyncRun
from integrations.notifications import _recipient_ids
from integrations.tests.factories import DataSourceFactory, IntegrationFactory
from integrations.tests.httpserver import Recorded, Reply, fake_server
from kpis.models import KPIValue
from okrplatform.notifications.models import Notification, NotificationKind
from okrplatform.tenancy.roles import Role
from tests.factories import MembershipFactory, OrganizationFactory

from .conftest import celery_process, database_url, in_process_worker, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

SERIES = json.dumps({"items": [{"t": "2026-01-01", "v": 5}, {"t": "2026-02-01", "v": 6}]}).encode()
FINE = Reply(200, SERIES, {"Content-Type": "application/json"})
DOWN = Reply(500, b"<html>oops</html>")
ATTEMPTS = 3


def test_a_worker_killed_mid_sync_each_run_completes_once_and_notifies_once(
    private_broker, queue_name, monkeypatch
) -> None:
    monkeypatch.setattr(sync, "MAX_ATTEMPTS", ATTEMPTS)
    monkeypatch.setattr(sync, "BACKOFF_BASE_SECONDS", 0.1)
    in_flight = threading.Semaphore(0)
    release = threading.Event()
    first_request: set[str] = set()
    lock = threading.Lock()

    def first_hangs_then(reply: Reply):
        def route(request: Recorded) -> Reply:
            with lock:
                first = request.path not in first_request
                first_request.add(request.path)
            if first:  # the killed worker's request: it never reads the answer
                in_flight.release()
                release.wait(60)
            return reply

        return route

    organization = OrganizationFactory()
    MembershipFactory(organization=organization, role=Role.OWNER)
    MembershipFactory(organization=organization, role=Role.ADMIN)
    due = timezone.now() - timedelta(minutes=1)
    with fake_server({"/ok": first_hangs_then(FINE), "/down": first_hangs_then(DOWN)}) as server:
        recovers, fails = (
            DataSourceFactory(
                organization=organization,
                integration=IntegrationFactory(
                    organization=organization,
                    settings={"url": server.url(path), "method": "GET", "auth": "none"},
                ),
                extraction={"expression": "items", "timestamp_key": "t", "value_key": "v"},
                next_run_at=due,
            )
            for path in ("/ok", "/down")
        )
        env = {"DATABASE_URL": database_url(), "CELERY_BROKER_URL": private_broker.url(0)}
        doomed = ("worker", "--pool=threads", "--concurrency=2", "-Q", queue_name)
        try:
            with celery_process(*doomed, "--without-mingle", "--without-gossip", env=env) as worker:
                run_ids = sync.due_sources_dispatch()
                assert len(run_ids) == 2
                for _ in run_ids:
                    assert in_flight.acquire(timeout=60), "the worker never reached the upstream"
                runs = SyncRun.unscoped.filter(pk__in=run_ids)
                assert {(run.status, run.attempts) for run in runs} == {(RunStatus.RUNNING, 1)}
                worker.send_signal(signal.SIGKILL)
                worker.wait(30)
        finally:
            release.set()
        orphaned = SyncRun.unscoped.filter(pk__in=run_ids)
        assert {(run.status, run.attempts) for run in orphaned} == {(RunStatus.RUNNING, 1)}

        with in_process_worker([queue_name]):
            # Before the lease runs out the sweeper leaves the runs alone: the killed worker
            # might only be slow, and two workers must never hold one run.
            assert sync.expired_runs_sweep() == []
            later = timezone.now() + sync.RUN_LEASE + timedelta(seconds=1)
            assert sorted(sync.expired_runs_sweep(now=later)) == sorted(run_ids)
            for run in SyncRun.unscoped.filter(pk__in=run_ids):
                sync._enqueue(run)  # a second message for each run, as a redelivery would be
            wait_for(
                lambda: not SyncRun.unscoped.filter(pk__in=run_ids, finished_at=None).exists(),
                "both runs to finish",
            )
        requests = [r.path for r in server.requests]

    recovered = SyncRun.unscoped.get(data_source=recovers)
    assert (recovered.status, recovered.attempts, recovered.values_written) == (
        RunStatus.SUCCEEDED,
        2,  # the killed attempt, then the one that completed it
        2,
    )
    assert KPIValue.unscoped.filter(kpi=recovers.kpi).count() == 2  # written once
    assert requests.count("/ok") == 2  # the duplicate message fetched nothing

    failed = SyncRun.unscoped.get(data_source=fails)
    reason = (
        f"Gave up after {ATTEMPTS} attempts. Last error: "
        "The server answered 500 (a temporary error)."
    )
    assert (failed.status, failed.attempts, failed.error) == (RunStatus.FAILED, ATTEMPTS, reason)
    assert requests.count("/down") == ATTEMPTS
    source = DataSource.unscoped.get(pk=fails.pk)
    assert (source.status, source.last_error) == (SourceStatus.NEEDS_ATTENTION, reason)
    notified = Notification.unscoped.filter(kind=NotificationKind.SOURCE_FAILING)
    recipients = sorted(notified.values_list("recipient_id", flat=True))
    assert recipients == sorted(_recipient_ids(source))  # each person once
    assert len(recipients) >= 2
    assert SyncRun.unscoped.count() == 2  # no run was made twice
