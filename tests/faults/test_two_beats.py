"""Two beat processes by mistake: both dispatch and sweep every half second, and still no run is
created twice, no source is fetched twice, no value written twice.

(The dispatcher's exactly-once claim under concurrency is also tested with threads in
integrations/tests/test_sync.py; this is the deployment mistake itself, with real processes.)
"""

from __future__ import annotations

import json
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from integrations.models import RunStatus, SyncRun
from integrations.tests.factories import DataSourceFactory, IntegrationFactory
from integrations.tests.httpserver import Reply, fake_server
from kpis.models import KPIValue
from tests.factories import OrganizationFactory

from .conftest import celery_process, database_url, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

SERIES = json.dumps({"items": [{"t": "2026-01-01", "v": 5}, {"t": "2026-02-01", "v": 6}]}).encode()
SOURCES_PER_ORGANIZATION = 8


def test_two_beats_create_each_run_once(redis_server) -> None:
    organizations = [OrganizationFactory(), OrganizationFactory()]
    due = timezone.now() - timedelta(minutes=2)
    env = {
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": redis_server.url(0),
        "INTEGRATIONS_DISPATCH_INTERVAL": "0.5",
        "INTEGRATIONS_SWEEP_INTERVAL": "0.5",
    }
    with (
        fake_server({"/m": Reply(200, SERIES, {"Content-Type": "application/json"})}) as server,
        tempfile.TemporaryDirectory() as state,
    ):
        sources = [
            DataSourceFactory(
                organization=organization,
                integration=IntegrationFactory(
                    organization=organization,
                    settings={"url": server.url("/m"), "method": "GET", "auth": "none"},
                ),
                extraction={"expression": "items", "timestamp_key": "t", "value_key": "v"},
                next_run_at=due + timedelta(seconds=i),
            )
            for organization in organizations
            for i in range(SOURCES_PER_ORGANIZATION)
        ]
        worker = ("worker", "--pool=threads", "--concurrency=4", "-Q", "integrations,default")
        beat = ("beat", "--max-interval=1")
        with (
            celery_process(*worker, "--without-mingle", "--without-gossip", env=env),
            celery_process(*beat, f"--schedule={Path(state) / 'one'}", env=env) as first,
            celery_process(*beat, f"--schedule={Path(state) / 'two'}", env=env) as second,
        ):
            wait_for(
                lambda: SyncRun.unscoped.filter(finished_at__isnull=False).count() >= len(sources),
                "every source's run",
            )
            # Leave both beats a few more ticks to make a duplicate, should they be able to.
            ticks = len(server.requests)
            time.sleep(3.0)
            assert first.poll() is None
            assert second.poll() is None  # both beats ran throughout
        assert len(server.requests) == ticks

    runs = SyncRun.unscoped.all()
    assert sorted(run.data_source_id for run in runs) == sorted(source.pk for source in sources)
    assert {(run.status, run.attempts) for run in runs} == {(RunStatus.SUCCEEDED, 1)}
    assert len(server.requests) == len(sources)
    assert KPIValue.unscoped.filter(kpi__in=[s.kpi for s in sources]).count() == 2 * len(sources)
