"""Per-organisation fairness (integrations/fairness.py) with a real worker: an organisation
whose upstream hangs holds one worker slot, not both, so another organisation's run goes
through while the hang lasts; the run kept waiting is claimed later, exactly once.

No timed assertions: what the test checks is the order of events and the counts (requests the
hanging upstream saw when the other organisation finished, attempts, values written).
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations import sync
from integrations.models import DataSource, RunStatus, SyncRun
from integrations.tests.factories import DataSourceFactory, IntegrationFactory
from integrations.tests.httpserver import Recorded, Reply, fake_server
from kpis.models import KPIValue
from tests.factories import OrganizationFactory

from .conftest import in_process_worker, wait_for

pytestmark = pytest.mark.faults

SERIES = json.dumps({"items": [{"t": "2026-01-01", "v": 5}, {"t": "2026-02-01", "v": 6}]}).encode()
FINE = Reply(200, SERIES, {"Content-Type": "application/json"})


def _source(organization, url: str, **fields) -> DataSource:
    return DataSourceFactory(
        organization=organization,
        integration=IntegrationFactory(
            organization=organization, settings={"url": url, "method": "GET", "auth": "none"}
        ),
        extraction={"expression": "items", "timestamp_key": "t", "value_key": "v"},
        **fields,
    )


@pytest.mark.django_db(transaction=True)
def test_a_hanging_organisation_holds_one_slot_and_its_other_run_completes_once_later(
    private_broker, queue_name
) -> None:
    released = threading.Event()

    def hang(request: Recorded) -> Reply:
        released.wait(60)  # answers once the test lets it (well within the 15 s deadline)
        return FINE

    hanging_org, other_org = OrganizationFactory(), OrganizationFactory()
    due = timezone.now() - timedelta(minutes=5)
    with fake_server({"/hang": hang, "/fine": FINE}) as server:
        # As many hanging sources as worker threads, sent first: without the cap both threads
        # sit in the hang and organisation B waits for the outbound timeout.
        hanging = [
            _source(hanging_org, server.url("/hang"), next_run_at=due - timedelta(seconds=i))
            for i in range(2)
        ]
        fine = _source(other_org, server.url("/fine"), next_run_at=due)
        try:
            with in_process_worker([queue_name], pool="threads", concurrency=2):
                assert len(sync.due_sources_dispatch()) == 3
                fine_run = wait_for(
                    lambda: SyncRun.unscoped.filter(
                        data_source=fine, finished_at__isnull=False
                    ).first(),
                    "organisation B's run",
                )
                # B finished while A's first run still hangs in its only slot, and A's second
                # run was never claimed (no attempt counted): the hang was not waited out.
                hung_requests = [r.path for r in server.requests].count("/hang")
                hanging_runs = list(SyncRun.unscoped.filter(data_source__in=hanging))
                states = sorted((run.status, run.attempts) for run in hanging_runs)
                released.set()
                wait_for(
                    lambda: (
                        not SyncRun.unscoped.filter(
                            data_source__in=hanging, finished_at__isnull=True
                        ).exists()
                    ),
                    "organisation A's runs",
                )
        finally:
            released.set()
        requests = [r.path for r in server.requests]

    assert (fine_run.status, fine_run.attempts) == (RunStatus.SUCCEEDED, 1)
    assert hung_requests == 1
    assert states == [(RunStatus.QUEUED, 0), (RunStatus.RUNNING, 1)]
    # The deferred run ran later, once: one attempt each, one fetch each, values written once.
    for run in SyncRun.unscoped.filter(data_source__in=hanging):
        assert (run.status, run.attempts, run.error) == (RunStatus.SUCCEEDED, 1, "")
    assert requests.count("/hang") == 2
    for source in hanging:
        assert KPIValue.unscoped.filter(kpi=source.kpi).count() == 2
    assert SyncRun.unscoped.filter(data_source__in=hanging).count() == 2
