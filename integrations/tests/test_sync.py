"""The pipeline: dispatch exactly once per slot, claim, fetch, upsert, retry, needs attention."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from integrations import claims, sync
from integrations.models import DataSource, RunStatus, SourceStatus, SyncRun
from integrations.tests.factories import DataSourceFactory, IntegrationFactory
from integrations.tests.httpserver import Recorded, Reply, fake_server
from kpis.models import KPIValue, ValueSource
from okrplatform.notifications.models import Notification
from okrplatform.tenancy.scope import organization_scope


def _json(data: object, status: int = 200) -> Reply:
    return Reply(status, json.dumps(data).encode(), {"Content-Type": "application/json"})


def _source(org, url: str, **kwargs) -> DataSource:
    integration = IntegrationFactory(
        organization=org, settings={"url": url, "method": "GET", "auth": "none"}
    )
    return DataSourceFactory(
        organization=org,
        integration=integration,
        extraction={"expression": "items", "timestamp_key": "t", "value_key": "v"},
        **kwargs,
    )


SERIES = {"items": [{"t": "2026-01-01", "v": 10}, {"t": "2026-02-01", "v": 12}]}


def _run(source: DataSource, offset: int = 0) -> SyncRun:
    return SyncRun.unscoped.create(
        organization_id=source.organization_id,
        data_source=source,
        scheduled_for=timezone.now().replace(microsecond=0) + timedelta(minutes=offset),
    )


def _execute(run: SyncRun) -> sync.RunOutcome:
    with organization_scope(run.organization_id):
        return sync.sync_run_execute(run_id=run.pk)


def test_a_run_fetches_and_upserts_values_idempotently(org) -> None:
    with fake_server({"/": _json(SERIES)}) as server:
        source = _source(org, server.url("/"))
        run = _run(source)
        assert _execute(run).status == "succeeded"
        again = _run(source, offset=1)
        assert _execute(again).status == "succeeded"
    values = KPIValue.unscoped.filter(kpi=source.kpi).order_by("timestamp")
    assert [v.value for v in values] == [10, 12]  # not duplicated by the second run
    assert {v.source for v in values} == {ValueSource.INTEGRATION}
    # Each point names the run that last wrote it (the KPI page links to its log), not a note.
    assert {(v.sync_run_id, v.note) for v in values} == {(again.pk, "")}
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    assert run.values_written == 2
    assert run.duration_ms is not None
    assert run.attempts == 1
    source.refresh_from_db()
    assert source.status == SourceStatus.OK
    assert source.last_success_at is not None


def test_a_finished_run_is_not_run_twice(org) -> None:
    with fake_server({"/": _json(SERIES)}) as server:
        run = _run(_source(org, server.url("/")))
        _execute(run)
        assert _execute(run).status == "skipped"
    assert len(server.requests) == 1


def test_500_then_success_retries_with_backoff(org) -> None:
    replies = iter([_json({}, 500), _json(SERIES)])

    def flaky(request: Recorded) -> Reply:
        return next(replies)

    with fake_server({"/": flaky}) as server:
        run = _run(_source(org, server.url("/")))
        first = _execute(run)
        assert first.status == "retry"
        assert sync.BACKOFF_BASE_SECONDS / 2 <= first.retry_in <= sync.BACKOFF_BASE_SECONDS
        run.refresh_from_db()
        assert run.status == RunStatus.QUEUED
        assert _execute(run).status == "succeeded"
    run.refresh_from_db()
    assert run.attempts == 2
    assert run.status == RunStatus.SUCCEEDED


def test_backoff_grows_and_is_capped() -> None:
    assert sync.backoff_seconds(4) >= sync.BACKOFF_BASE_SECONDS * 4
    assert sync.backoff_seconds(40) <= sync.BACKOFF_MAX_SECONDS


def test_transient_errors_give_up_after_max_attempts(org, monkeypatch) -> None:
    monkeypatch.setattr(sync, "MAX_ATTEMPTS", 2)
    with fake_server({"/": _json({}, 503)}) as server:
        run = _run(_source(org, server.url("/")))
        assert _execute(run).status == "retry"
        assert _execute(run).status == "failed"
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert "503" in run.error


def test_bad_credentials_mark_the_source_and_notify_once(org, owner, admin, member) -> None:
    with fake_server({"/": _json({"error": "no"}, 401)}) as server:
        source = _source(org, server.url("/"))
        with organization_scope(org.pk):
            source.kpi.owner = member.user
            source.kpi.save()
        assert _execute(_run(source)).status == "failed"  # no retry for a 401
        assert _execute(_run(source, offset=1)).status == "failed"
    source.refresh_from_db()
    assert source.status == SourceStatus.NEEDS_ATTENTION
    assert "credentials" in source.last_error
    assert source.failing_since is not None
    notified = set(Notification.unscoped.values_list("recipient_id", flat=True))
    assert notified == {owner.user_id, admin.user_id, member.user_id}
    assert Notification.unscoped.count() == 3  # one per person for the change, not per run


def test_failure_email_is_sent_on_commit(org, owner, django_capture_on_commit_callbacks) -> None:
    with fake_server({"/": Reply(200, b"not json")}) as server:
        source = _source(org, server.url("/"))
        with django_capture_on_commit_callbacks(execute=True):
            _execute(_run(source))
    assert [m.to for m in mail.outbox] == [[owner.user.email]]
    assert "needs attention" in mail.outbox[0].subject


def test_recovery_clears_needs_attention(org) -> None:
    with fake_server({"/": _json(SERIES)}) as server:
        source = _source(org, server.url("/"), status=SourceStatus.NEEDS_ATTENTION)
        DataSource.unscoped.filter(pk=source.pk).update(
            failing_since=timezone.now(), last_error="old"
        )
        _execute(_run(source))
    source.refresh_from_db()
    assert (source.status, source.failing_since, source.last_error) == (SourceStatus.OK, None, "")


def test_dispatch_creates_one_run_per_due_slot_and_advances(
    org, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    sent: list[int] = []
    monkeypatch.setattr(sync, "_enqueue", lambda run, countdown=None: sent.append(run.pk))
    now = timezone.now()
    due = _source(org, "http://127.0.0.1:9/", next_run_at=now - timedelta(minutes=1))
    _source(org, "http://127.0.0.1:9/", next_run_at=now + timedelta(hours=1))
    _source(org, "http://127.0.0.1:9/", next_run_at=now - timedelta(minutes=1), enabled=False)
    with django_capture_on_commit_callbacks(execute=True):
        created = sync.due_sources_dispatch(now=now)
    assert len(created) == 1
    assert sent == created
    run = SyncRun.unscoped.get(pk=created[0])
    assert run.data_source_id == due.pk
    due.refresh_from_db()
    assert due.next_run_at > now
    # A second beat at the same moment finds nothing due.
    assert sync.due_sources_dispatch(now=now) == []
    # Even if the schedule were not advanced, the slot's run exists: nothing is created twice.
    DataSource.unscoped.filter(pk=due.pk).update(next_run_at=run.scheduled_for)
    assert sync.due_sources_dispatch(now=now) == []
    assert SyncRun.unscoped.count() == 1


@pytest.mark.django_db(transaction=True)
def test_dispatch_is_exactly_once_per_slot_under_concurrency(monkeypatch) -> None:
    from tests.factories import OrganizationFactory

    monkeypatch.setattr(sync, "_enqueue", lambda run, countdown=None: None)
    monkeypatch.setattr(sync, "_enqueue_chunk", lambda organization_id, run_ids: None)
    org = OrganizationFactory()
    now = timezone.now()
    sources = [
        _source(org, "http://127.0.0.1:9/", next_run_at=now - timedelta(seconds=i))
        for i in range(40)
    ]
    barrier = threading.Barrier(4)
    results: list[list[int]] = []
    errors: list[BaseException] = []

    def dispatcher() -> None:
        try:
            barrier.wait()
            for _ in range(3):
                results.append(sync.due_sources_dispatch(now=now))
        except BaseException as error:  # noqa: BLE001 - surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=dispatcher) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    created = [run_id for batch in results for run_id in batch]
    assert len(created) == len(set(created)) == len(sources)
    assert SyncRun.unscoped.count() == len(sources)
    assert set(SyncRun.unscoped.values_list("data_source_id", flat=True)) == {s.pk for s in sources}


def test_sweeper_resends_expired_runs_and_a_killed_run_completes_once(
    org, owner, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    sent: list[int] = []
    monkeypatch.setattr(sync, "_enqueue", lambda run, countdown=None: sent.append(run.pk))
    with fake_server({"/": _json(SERIES)}) as server:
        source = _source(org, server.url("/"))
        run = _run(source)
        # A worker claims the run, then dies before finishing (no finish, lease left running).
        with organization_scope(org.pk):
            assert claims.sync_run_claim(run_id=run.pk) is not None
            assert claims.sync_run_claim(run_id=run.pk) is None  # the lease holds meanwhile
        assert sync.expired_runs_sweep() == []
        later = timezone.now() + sync.RUN_LEASE + timedelta(seconds=1)
        with django_capture_on_commit_callbacks(execute=True):
            assert sync.expired_runs_sweep(now=later) == [run.pk]
        assert sent == [run.pk]
        assert _execute(run).status == "succeeded"
        assert _execute(run).status == "skipped"
    run.refresh_from_db()
    assert run.attempts == 2
    assert KPIValue.unscoped.filter(kpi=source.kpi).count() == 2
    assert Notification.unscoped.count() == 0


def test_sweeper_gives_up_after_max_attempts(org, owner) -> None:
    source = _source(org, "http://127.0.0.1:9/")
    run = _run(source)
    SyncRun.unscoped.filter(pk=run.pk).update(
        attempts=sync.MAX_ATTEMPTS,
        status=RunStatus.RUNNING,
        lease_expires_at=timezone.now() - timedelta(seconds=1),
    )
    assert sync.expired_runs_sweep() == []
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    source.refresh_from_db()
    assert source.status == SourceStatus.NEEDS_ATTENTION


def test_credentials_never_reach_the_logs(org, caplog) -> None:
    import logging

    from integrations.crypto import secret_encrypt

    caplog.set_level(logging.DEBUG)
    with fake_server({"/": _json({}, 401)}) as server:
        integration = IntegrationFactory(
            organization=org,
            settings={"url": server.url("/?key=URLTOKEN-77"), "method": "GET", "auth": "bearer"},
            credentials_ciphertext=secret_encrypt(
                organization_id=org.pk, data={"token": "BEARER-SECRET-99"}
            ),
        )
        source = DataSourceFactory(organization=org, integration=integration)
        _execute(_run(source))
    assert server.requests[0].headers["authorization"] == "Bearer BEARER-SECRET-99"
    source.refresh_from_db()
    assert source.status == SourceStatus.NEEDS_ATTENTION
    for secret in ("BEARER-SECRET-99", "URLTOKEN-77"):
        assert secret not in caplog.text
        assert secret not in source.last_error
