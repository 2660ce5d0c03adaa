"""Chunks of runs (integrations/chunks.py): one task claims, fetches, records and finishes many
runs of one organisation, and every run still ends on its own, exactly once."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations import chunks, claims, fairness, sync
from integrations.models import DataSource, RunStatus, SourceStatus, SyncRun
from integrations.tests.factories import DataSourceFactory, IntegrationFactory
from integrations.tests.httpserver import Reply, fake_server
from kpis.models import KPIValue
from okrplatform.errors import DomainError
from okrplatform.tenancy.scope import organization_scope
from tests.factories import OrganizationFactory


def _json(data: object, status: int = 200) -> Reply:
    return Reply(status, json.dumps(data).encode(), {"Content-Type": "application/json"})


ONE = _json({"items": [{"t": "2026-01-01", "v": 7}]})
TWO = _json({"items": [{"t": "2026-01-01", "v": 1}, {"t": "2026-01-02", "v": 2}]})
# Fetched fine, refused when recorded (so the chunk's write is redone run by run).
IN_THE_FUTURE = _json({"items": [{"t": "2999-01-01", "v": 3}]})


def _source(org, url: str) -> DataSource:
    return DataSourceFactory(
        organization=org,
        integration=IntegrationFactory(
            organization=org, settings={"url": url, "method": "GET", "auth": "none"}
        ),
        extraction={"expression": "items", "timestamp_key": "t", "value_key": "v"},
    )


def _queued(source: DataSource) -> SyncRun:
    return SyncRun.unscoped.create(
        organization_id=source.organization_id,
        data_source=source,
        scheduled_for=timezone.now().replace(microsecond=0) - timedelta(minutes=1),
        lease_expires_at=timezone.now() + sync.QUEUE_LEASE,
    )


def _execute(org, runs: list[SyncRun]) -> chunks.ChunkOutcome:
    with organization_scope(org.pk):
        return chunks.sync_runs_execute(run_ids=[run.pk for run in runs])


def test_a_chunk_finishes_each_run_and_a_failing_source_fails_alone(org) -> None:
    routes = {"/one": ONE, "/two": TWO, "/gone": _json({}, 404), "/bad": IN_THE_FUTURE}
    with fake_server(routes) as server:
        one, two, gone, bad = (_source(org, server.url(path)) for path in routes)
        runs = [_queued(source) for source in (one, two, gone, bad)]
        outcome = _execute(org, runs)

    assert outcome.statuses == {
        runs[0].pk: "succeeded",
        runs[1].pk: "succeeded",
        runs[2].pk: "failed",
        runs[3].pk: "failed",
    }
    finished = {run.pk: run for run in SyncRun.unscoped.filter(pk__in=[r.pk for r in runs])}
    assert [(finished[r.pk].status, finished[r.pk].values_written) for r in runs[:2]] == [
        (RunStatus.SUCCEEDED, 1),
        (RunStatus.SUCCEEDED, 2),
    ]
    # Each point names the run that fetched it.
    for run, source in zip(runs[:2], (one, two), strict=True):
        assert set(
            KPIValue.unscoped.filter(kpi=source.kpi).values_list("sync_run_id", flat=True)
        ) == {run.pk}
    for run, source in ((runs[2], gone), (runs[3], bad)):
        assert finished[run.pk].status == RunStatus.FAILED
        assert finished[run.pk].error
        source.refresh_from_db()
        assert (source.status, source.last_error) == (
            SourceStatus.NEEDS_ATTENTION,
            finished[run.pk].error,
        )
        assert not KPIValue.unscoped.filter(kpi=source.kpi).exists()
    assert "404" in finished[runs[2].pk].error
    assert "Point 1: 2999-01-01" in finished[runs[3].pk].error
    for source in (one, two):
        source.refresh_from_db()
        assert (source.status, source.last_success_at is not None) == (SourceStatus.OK, True)


def test_a_transient_error_sends_that_run_back_alone_with_its_backoff(org) -> None:
    with fake_server({"/one": ONE, "/busy": _json({}, 503)}) as server:
        fine, busy = _source(org, server.url("/one")), _source(org, server.url("/busy"))
        runs = [_queued(fine), _queued(busy)]
        outcome = _execute(org, runs)

    assert outcome.statuses == {runs[0].pk: "succeeded", runs[1].pk: "retry"}
    assert list(outcome.retry_in) == [runs[1].pk]
    assert outcome.retry_in[runs[1].pk] >= sync.BACKOFF_BASE_SECONDS / 2
    retried = SyncRun.unscoped.get(pk=runs[1].pk)
    assert (retried.status, retried.attempts) == (RunStatus.QUEUED, 1)
    assert SyncRun.unscoped.get(pk=runs[0].pk).status == RunStatus.SUCCEEDED


def test_a_second_message_for_a_chunk_does_nothing(org) -> None:
    with fake_server({"/one": ONE}) as server:
        runs = [_queued(_source(org, server.url("/one"))) for _ in range(3)]
        first = _execute(org, runs)
        again = _execute(org, runs)
        requests = len(server.requests)

    assert set(first.statuses.values()) == {"succeeded"}
    assert (again.statuses, again.deferred) == ({}, [])
    assert requests == 3
    assert KPIValue.unscoped.filter(sync_run__in=runs).count() == 3
    assert set(
        SyncRun.unscoped.filter(pk__in=[r.pk for r in runs]).values_list("attempts", flat=True)
    ) == {1}


def test_a_chunk_never_claims_another_organisations_runs(org) -> None:
    other = OrganizationFactory()
    with fake_server({"/one": ONE}) as server:
        foreign = _queued(_source(other, server.url("/one")))
        own = _queued(_source(org, server.url("/one")))
        outcome = _execute(org, [foreign, own])

    assert outcome.statuses == {own.pk: "succeeded"}
    foreign.refresh_from_db()
    assert (foreign.status, foreign.attempts) == (RunStatus.QUEUED, 0)


def test_points_naming_another_organisations_run_are_refused(org) -> None:
    from kpis.services import PointInput, kpi_values_record_many

    other = OrganizationFactory()
    foreign = _queued(_source(other, "http://127.0.0.1:9/"))
    own = _queued(_source(org, "http://127.0.0.1:9/"))
    points = [
        PointInput(own.data_source.kpi_id, timezone.now(), 1, sync_run_id=own.pk),
        PointInput(own.data_source.kpi_id, timezone.now(), 2, sync_run_id=foreign.pk),
    ]
    with pytest.raises(DomainError, match=f"No such sync run \\(id {foreign.pk}\\)"):
        kpi_values_record_many(organization_id=org.pk, points=points)
    assert not KPIValue.unscoped.exists()


def test_the_dispatcher_sends_each_organisations_runs_in_chunks(
    org, settings, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    settings.INTEGRATIONS_RUNS_PER_TASK = 2
    chunked: list[tuple[int, list[int]]] = []
    alone: list[int] = []
    monkeypatch.setattr(sync, "_enqueue_chunk", lambda org_id, ids: chunked.append((org_id, ids)))
    monkeypatch.setattr(sync, "_enqueue", lambda run, countdown=None: alone.append(run.pk))
    other = OrganizationFactory()
    due = timezone.now() - timedelta(minutes=1)
    # 17 due runs: spread over eight tasks at most 2 each (the setting), so 8 chunks and one alone.
    sources = [_source(org, "http://127.0.0.1:9/") for _ in range(17)] + [
        _source(other, "http://127.0.0.1:9/")
    ]
    DataSource.unscoped.filter(pk__in=[s.pk for s in sources]).update(next_run_at=due)

    with django_capture_on_commit_callbacks(execute=True):
        created = sync.due_sources_dispatch()

    runs = {run.pk: run for run in SyncRun.unscoped.filter(pk__in=created)}
    assert [len(ids) for _org, ids in chunked] == [2] * 8
    assert all(
        runs[run_id].organization_id == org_id == org.pk
        for org_id, ids in chunked
        for run_id in ids
    )
    assert sorted(runs[run_id].organization_id for run_id in alone) == sorted([org.pk, other.pk])
    assert sorted([*alone, *(i for _o, ids in chunked for i in ids)]) == sorted(created)


@pytest.mark.django_db(transaction=True)
def test_while_others_share_the_workers_a_chunk_claims_within_the_cap(settings) -> None:
    settings.INTEGRATIONS_MAX_RUNNING_PER_ORGANIZATION = 1
    busy, waiting = OrganizationFactory(), OrganizationFactory()
    _queued(_source(waiting, "http://127.0.0.1:9/"))  # in flight: the cap applies
    runs = [_queued(_source(busy, "http://127.0.0.1:9/")) for _ in range(3)]
    ids = [run.pk for run in runs]

    with organization_scope(busy.pk):
        claimed = claims.runs_claim_fairly(ids)
        assert isinstance(claimed, claims.Claimed)
        assert ([run.pk for run in claimed.runs], claimed.whole) == ([ids[0]], False)
        # The cap is held (by that claim, as by another worker's chunk): the rest waits.
        deferred = claims.runs_claim_fairly(ids[1:])
    assert isinstance(deferred, fairness.Deferred)
    assert deferred.run_ids == ids[1:]
    rest = SyncRun.unscoped.filter(pk__in=ids[1:])
    assert {(run.status, run.attempts) for run in rest} == {(RunStatus.QUEUED, 0)}
    assert all(run.lease_expires_at > timezone.now() + sync.QUEUE_LEASE for run in rest)


@pytest.mark.django_db(transaction=True)
def test_under_the_cap_a_chunk_runs_its_runs_one_at_a_time_to_the_end(
    settings, monkeypatch
) -> None:
    settings.INTEGRATIONS_MAX_RUNNING_PER_ORGANIZATION = 1
    busy, waiting = OrganizationFactory(), OrganizationFactory()
    with fake_server({"/one": ONE}) as server:
        _queued(_source(waiting, server.url("/one")))
        runs = [_queued(_source(busy, server.url("/one"))) for _ in range(3)]
        running_seen: list[int] = []
        claim = claims.sync_runs_claim

        def counting_claim(**kwargs):
            claimed = claim(**kwargs)
            running_seen.append(
                SyncRun.unscoped.filter(organization=busy, status=RunStatus.RUNNING).count()
            )
            return claimed

        monkeypatch.setattr(claims, "sync_runs_claim", counting_claim)
        outcome = _execute(busy, runs)

    assert list(outcome.statuses.values()) == ["succeeded"] * 3
    assert outcome.deferred == []
    assert max(running_seen) == 1  # never more than the cap at once
