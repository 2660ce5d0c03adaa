"""Integrations that hang, answer 500 for an hour, or answer garbage: retries are bounded, the
source needs attention with the reason, and other organisations' syncs carry on meanwhile.

No timed assertions: the tests assert what finished, in which order, and how many requests
each upstream saw. How long the other organisations wait meanwhile is a figure of ``make bench``
(``--parts fault_latency``, bench/fault_latency.py), not a test.
"""

from __future__ import annotations

import functools
import json
import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations import outbound, sync
from integrations.models import DataSource, RunStatus, SourceStatus, SyncRun
from integrations.tests.factories import DataSourceFactory, IntegrationFactory
from integrations.tests.httpserver import Recorded, Reply, fake_server
from kpis.models import KPIValue
from okrplatform.tenancy.scope import organization_scope
from tests.factories import OrganizationFactory

from .conftest import in_process_worker, wait_for

pytestmark = pytest.mark.faults

SERIES = json.dumps({"items": [{"t": "2026-01-01", "v": 5}, {"t": "2026-02-01", "v": 6}]}).encode()
FINE = Reply(200, SERIES, {"Content-Type": "application/json"})
# The outbound deadline, shortened from 15 s for the hanging upstream only: on a loaded machine a
# deadline this short could expire on a healthy local answer, which the other tests must not see.
UPSTREAM_TIMEOUT = 2.0
ATTEMPTS = 3


def _source(organization, url: str, **fields) -> DataSource:
    return DataSourceFactory(
        organization=organization,
        integration=IntegrationFactory(
            organization=organization, settings={"url": url, "method": "GET", "auth": "none"}
        ),
        extraction={"expression": "items", "timestamp_key": "t", "value_key": "v"},
        **fields,
    )


@pytest.fixture
def short_limits(monkeypatch) -> None:
    monkeypatch.setattr(sync, "MAX_ATTEMPTS", ATTEMPTS)
    monkeypatch.setattr(sync, "BACKOFF_BASE_SECONDS", 0.1)


@pytest.fixture
def short_timeout(monkeypatch) -> None:
    monkeypatch.setattr(
        outbound, "request", functools.partial(outbound.request, timeout=UPSTREAM_TIMEOUT)
    )


@pytest.mark.django_db(transaction=True)
def test_a_hanging_upstream_gives_up_after_bounded_attempts_and_other_tenants_sync_meanwhile(
    private_broker, queue_name, short_limits, short_timeout
) -> None:
    released = threading.Event()

    def hang(request: Recorded) -> Reply:
        released.wait(60)  # never answers within the deadline; freed when the test ends
        return FINE

    hanging_org, other_org = OrganizationFactory(), OrganizationFactory()
    due = timezone.now() - timedelta(minutes=5)
    with fake_server({"/hang": hang, "/fine": FINE}) as server:
        # Two hanging sources: with two worker threads, both are busy with organisation A when
        # organisation B's run arrives; it must still get through.
        hanging = [
            _source(hanging_org, server.url("/hang"), next_run_at=due - timedelta(seconds=i))
            for i in range(2)
        ]
        fine = _source(other_org, server.url("/fine"), next_run_at=due)
        try:
            with in_process_worker([queue_name], pool="threads", concurrency=2):
                run_ids = sync.due_sources_dispatch()
                assert len(run_ids) == 3
                fine_run = wait_for(
                    lambda: SyncRun.unscoped.filter(
                        data_source=fine, finished_at__isnull=False
                    ).first(),
                    "organisation B's run",
                )
                hanging_runs = SyncRun.unscoped.filter(data_source__in=hanging)
                assert not any(run.is_finished for run in hanging_runs)  # A still hangs
                wait_for(
                    lambda: (
                        not SyncRun.unscoped.filter(
                            data_source__in=hanging, finished_at__isnull=True
                        ).exists()
                    ),
                    "organisation A's runs to give up",
                )
        finally:
            released.set()
        requests = [r.path for r in server.requests]

    assert (fine_run.status, fine_run.attempts) == (RunStatus.SUCCEEDED, 1)
    assert KPIValue.unscoped.filter(kpi=fine.kpi).count() == 2
    reason = f"Gave up after {ATTEMPTS} attempts. Last error: The server took too long to answer."
    for run in SyncRun.unscoped.filter(data_source__in=hanging):
        assert (run.status, run.attempts, run.error) == (RunStatus.FAILED, ATTEMPTS, reason)
        assert run.finished_at > fine_run.finished_at
    for source in DataSource.unscoped.filter(pk__in=[s.pk for s in hanging]):
        assert (source.status, source.last_error) == (SourceStatus.NEEDS_ATTENTION, reason)
    assert requests.count("/hang") == 2 * ATTEMPTS  # bounded: no retry beyond the limit
    assert requests.count("/fine") == 1


def _run_to_the_end(source: DataSource, slot) -> SyncRun:
    """Dispatch the slot and run every attempt the pipeline allows (what the worker does)."""
    [run_id] = sync.due_sources_dispatch(now=slot)
    with organization_scope(source.organization_id):
        for _ in range(ATTEMPTS + 2):  # more than allowed: the pipeline must stop by itself
            outcome = sync.sync_run_execute(run_id=run_id)
            if outcome.status != "retry":
                break
    return SyncRun.unscoped.get(pk=run_id)


@pytest.mark.django_db
def test_an_hour_of_500s_is_bounded_per_run_and_needs_attention_once(
    org, owner, short_limits, monkeypatch
) -> None:
    monkeypatch.setattr(sync, "_enqueue", lambda run, countdown=None: None)
    down = True

    def flaky(request: Recorded) -> Reply:
        return Reply(500, b"<html>oops</html>") if down else FINE

    with fake_server({"/m": flaky}) as server:
        start = timezone.now().replace(second=0, microsecond=0)
        source = _source(
            org, server.url("/m"), schedule_kind="interval", schedule_interval_minutes=15
        )
        slots = [start + timedelta(minutes=15 * i) for i in range(4)]  # an hour of schedule
        failing_since = None
        for slot in slots:
            DataSource.unscoped.filter(pk=source.pk).update(next_run_at=slot)
            run = _run_to_the_end(source, slot)
            assert (run.status, run.attempts) == (RunStatus.FAILED, ATTEMPTS)
            source.refresh_from_db()
            assert source.status == SourceStatus.NEEDS_ATTENTION
            assert source.last_error == (
                f"Gave up after {ATTEMPTS} attempts. Last error: "
                "The server answered 500 (a temporary error)."
            )
            # One change of state, so one notice: the failure is dated from the first run.
            failing_since = failing_since or source.failing_since
            assert source.failing_since == failing_since
        assert len(server.requests) == len(slots) * ATTEMPTS

        down = False
        recovery = slots[-1] + timedelta(minutes=15)
        DataSource.unscoped.filter(pk=source.pk).update(next_run_at=recovery)
        run = _run_to_the_end(source, recovery)
    assert (run.status, run.attempts) == (RunStatus.SUCCEEDED, 1)
    source.refresh_from_db()
    assert (source.status, source.last_error, source.failing_since) == (SourceStatus.OK, "", None)


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply(200, b"<html>Maintenance</html>"), "The response is not valid JSON."),
        (Reply(200, b'{"items": "soon"'), "The response is not valid JSON."),
        (
            Reply(200, b'{"elsewhere": []}', {"Content-Type": "application/json"}),
            "The expression selected nothing in the response.",
        ),
        (
            Reply(200, b'{"items": [{"t": "yesterday-ish", "v": "many"}]}'),
            None,  # the provider names the item and field; asserted below by prefix
        ),
    ],
    ids=["html", "truncated-json", "wrong-shape", "bad-values"],
)
@pytest.mark.django_db
def test_garbage_is_not_retried_and_says_why(org, owner, short_limits, reply, reason) -> None:
    with fake_server({"/m": reply}) as server:
        source = _source(org, server.url("/m"), next_run_at=timezone.now())
        run = _run_to_the_end(source, timezone.now())
    assert (run.status, run.attempts) == (RunStatus.FAILED, 1)
    assert len(server.requests) == 1  # garbage will not improve by asking again
    source.refresh_from_db()
    assert source.status == SourceStatus.NEEDS_ATTENTION
    assert source.last_error == run.error
    if reason is not None:
        assert run.error == reason
    else:
        assert run.error.startswith("Item 1")
    assert not KPIValue.unscoped.filter(kpi=source.kpi).exists()
