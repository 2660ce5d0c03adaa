"""The per-organisation cap at claim time, under concurrent claims on the real database: each
thread has its own connection, and all of them claim the same organisation's runs at once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from integrations import claims, fairness, sync
from integrations.models import RunStatus, SyncRun
from integrations.tests.factories import DataSourceFactory
from okrplatform.tenancy.scope import organization_scope
from tests.factories import OrganizationFactory

CLAIMERS = 6


def _queued_runs(organization, count: int) -> list[SyncRun]:
    slot = timezone.now().replace(microsecond=0)
    return [
        SyncRun.unscoped.create(
            organization=organization,
            data_source=DataSourceFactory(organization=organization),
            scheduled_for=slot,
            lease_expires_at=timezone.now() + sync.QUEUE_LEASE,
        )
        for _ in range(count)
    ]


def _claim_all_at_once(organization, runs: list[SyncRun]) -> list[object]:
    """Each run claimed by its own thread, all released together (as concurrent workers)."""
    start = threading.Barrier(len(runs))
    results: list[object] = [None] * len(runs)
    errors: list[BaseException] = []

    def claimer(index: int) -> None:
        try:
            with organization_scope(organization.pk):
                start.wait()
                results[index] = claims.claim_fairly(runs[index].pk)
        except BaseException as error:  # noqa: BLE001 - surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=claimer, args=(i,)) for i in range(len(runs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("cap", [1, 2])
def test_concurrent_claims_never_exceed_the_cap_while_others_wait(settings, cap) -> None:
    settings.INTEGRATIONS_MAX_RUNNING_PER_ORGANIZATION = cap
    busy, waiting = OrganizationFactory(), OrganizationFactory()
    _queued_runs(waiting, 1)  # another organisation has a run in flight: the cap applies
    runs = _queued_runs(busy, CLAIMERS)

    results = _claim_all_at_once(busy, runs)

    claimed = [r for r in results if isinstance(r, SyncRun)]
    deferred = [r for r in results if isinstance(r, fairness.Deferred)]
    assert (len(claimed), len(deferred)) == (cap, CLAIMERS - cap)
    rows = SyncRun.unscoped.filter(organization=busy)
    assert rows.filter(status=RunStatus.RUNNING).count() == cap
    # A deferred run is still queued, its attempt not counted, its lease past the countdown
    # (so the sweeper leaves it alone meanwhile).
    assert sorted(rows.values_list("attempts", flat=True)) == [0] * (CLAIMERS - cap) + [1] * cap
    for run in rows.filter(status=RunStatus.QUEUED):
        assert run.lease_expires_at > timezone.now() + sync.QUEUE_LEASE
    assert sync.expired_runs_sweep() == []


@pytest.mark.django_db(transaction=True)
def test_alone_an_organisation_has_every_slot(settings) -> None:
    settings.INTEGRATIONS_MAX_RUNNING_PER_ORGANIZATION = 1
    alone = OrganizationFactory()
    runs = _queued_runs(alone, CLAIMERS)

    results = _claim_all_at_once(alone, runs)

    assert all(isinstance(r, SyncRun) for r in results)
    assert SyncRun.unscoped.filter(status=RunStatus.RUNNING).count() == CLAIMERS


@pytest.mark.django_db(transaction=True)
def test_a_worker_that_ran_another_organisation_recently_applies_the_cap(settings) -> None:
    """Nobody else is in flight at this instant, but this process ran another organisation's
    run a moment ago (a tenant whose runs trickle in): the cap applies all the same."""
    settings.INTEGRATIONS_MAX_RUNNING_PER_ORGANIZATION = 1
    busy, trickling = OrganizationFactory(), OrganizationFactory()
    runs = _queued_runs(busy, 2)
    fairness.organization_seen(trickling.pk)

    results = _claim_all_at_once(busy, runs)

    assert sorted(type(r).__name__ for r in results) == ["Deferred", "SyncRun"]


@pytest.mark.django_db(transaction=True)
def test_a_duplicate_message_of_a_held_run_is_skipped_not_deferred(settings) -> None:
    settings.INTEGRATIONS_MAX_RUNNING_PER_ORGANIZATION = 1
    busy, waiting = OrganizationFactory(), OrganizationFactory()
    _queued_runs(waiting, 1)
    [run] = _queued_runs(busy, 1)
    with organization_scope(busy.pk):
        assert isinstance(claims.claim_fairly(run.pk), SyncRun)
        assert claims.claim_fairly(run.pk) is None  # held: the duplicate is dropped
    run.refresh_from_db()
    assert (run.status, run.attempts) == (RunStatus.RUNNING, 1)
    assert run.lease_expires_at < timezone.now() + sync.RUN_LEASE + timedelta(seconds=1)
