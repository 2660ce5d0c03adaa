"""Scale-out on separate queues: real worker processes, one per queue, as production runs them
(``celery worker -Q integrations``, ``-Q webhooks`` and ``-Q default``).

A due data source is dispatched; the integrations worker syncs it, and the value it writes emits
a ``kpi.value_recorded`` webhook. Routing must put that delivery on the webhooks queue, where it
waits untouched while only the integrations and default workers run; once the webhooks worker
starts, it delivers. The webhook sweeper's re-send of a lost delivery takes the same queue.
Nothing in the code names a worker: the queues and the routing table are the contract.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from amqp.exceptions import ChannelError
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from integrations import sync
from integrations.models import RunStatus, SyncRun
from integrations.tests.factories import DataSourceFactory, IntegrationFactory
from integrations.tests.httpserver import Reply, fake_server
from kpis.models import KPIValue
from okrplatform.celery import app as celery_app
from okrplatform.health.models import WorkerHeartbeat
from okrplatform.tenancy.scope import organization_scope
from okrplatform.webhooks.models import DeliveryStatus, WebhookDelivery
from okrplatform.webhooks.services import webhook_subscription_create
from okrplatform.webhooks.sweeper import SWEEP_GRACE, due_deliveries_sweep

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

INTEGRATIONS, WEBHOOKS, DEFAULT = "integrations", "webhooks", "default"  # the production queues
TIMEOUT = 60.0  # a generous ceiling for worker start-up and work, not a timing assertion


def _wait_for(condition: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _waiting_messages(queue: str) -> int:
    with celery_app.connection_for_write() as broker:
        declared = celery_app.amqp.queues[queue].bind(broker.default_channel)
        try:
            return int(declared.queue_declare(passive=True).message_count)
        except ChannelError:  # Redis keeps no empty list: a queue with nothing waiting
            return 0


def _purge(*queues: str) -> None:
    with celery_app.connection_for_write() as broker:
        for queue in queues:
            celery_app.amqp.queues[queue].bind(broker.default_channel).purge()


@contextmanager
def _worker(queue: str) -> Iterator[subprocess.Popen[bytes]]:
    """``celery -A okrplatform worker -Q <queue>`` as its own process, on the test database."""
    database = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
        ),
        "OUTBOUND_ALLOWED_PRIVATE_HOSTS": "127.0.0.1",
    }
    process = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "okrplatform", "worker", "--pool=solo",
            "-Q", queue, "-n", f"{queue}@scale-out-test", "--loglevel=WARNING",
            "--without-mingle", "--without-gossip", "--without-heartbeat",
        ],
        env=env,
        cwd=django_settings.BASE_DIR,
    )  # fmt: skip
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@pytest.fixture
def production_queues(settings) -> Iterator[None]:
    """The real queue names on the test broker, emptied before and after."""
    settings.OUTBOUND_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    celery_app.conf.task_always_eager = False  # the autouse fixture turns it back on afterwards
    assert getattr(settings, "INTEGRATIONS_QUEUE", INTEGRATIONS) == INTEGRATIONS
    _purge(INTEGRATIONS, WEBHOOKS, DEFAULT)
    try:
        yield
    finally:
        _purge(INTEGRATIONS, WEBHOOKS, DEFAULT)


def test_the_routing_table_sends_each_kind_of_task_to_its_queue() -> None:
    router = celery_app.amqp.router
    for task, queue in (
        ("integrations.sync_run", INTEGRATIONS),
        ("integrations.dispatch_due_sources", INTEGRATIONS),
        ("integrations.sweep_expired_runs", INTEGRATIONS),
        ("webhooks.deliver", WEBHOOKS),
        ("webhooks.sweep_due_deliveries", WEBHOOKS),
        ("notifications.send_emails", DEFAULT),
        ("notifications.sweep_unsent_emails", DEFAULT),
        ("okrplatform.health.canary", DEFAULT),
    ):
        assert router.route({}, task)["queue"].name == queue, task


def test_workers_on_separate_queues_each_take_only_their_kind_of_task(
    production_queues: None, admin
) -> None:
    organization = admin.organization
    body = json.dumps({"items": [{"t": "2026-01-01", "v": 5}, {"t": "2026-02-01", "v": 6}]})
    with fake_server(
        {
            "/metric": Reply(200, body.encode(), {"Content-Type": "application/json"}),
            "/hook": Reply(204),
        }
    ) as server:
        with organization_scope(organization.pk):
            webhook_subscription_create(
                actor=admin, url=server.url("/hook"), events=["kpi.value_recorded"]
            )
        source = DataSourceFactory(
            organization=organization,
            integration=IntegrationFactory(
                organization=organization,
                settings={"url": server.url("/metric"), "method": "GET", "auth": "none"},
            ),
            extraction={"expression": "items", "timestamp_key": "t", "value_key": "v"},
            next_run_at=timezone.now() - timedelta(seconds=5),
        )

        with _worker(INTEGRATIONS) as integrations_worker, _worker(DEFAULT) as default_worker:
            [run_id] = sync.due_sources_dispatch()  # commits, then enqueues on "integrations"
            run = _wait_for(
                lambda: SyncRun.unscoped.filter(pk=run_id, status=RunStatus.SUCCEEDED).first(),
                "the integrations worker to finish the sync",
            )
            assert run.values_written == 2
            # The sync's webhook went to the webhooks queue; neither running worker took it.
            [delivery] = WebhookDelivery.unscoped.filter(organization=organization)
            assert delivery.event == "kpi.value_recorded"
            assert _waiting_messages(WEBHOOKS) == 1
            # The default worker is consuming: a canary sent to its queue is answered there.
            celery_app.send_task("okrplatform.health.canary", queue=DEFAULT)
            _wait_for(
                lambda: WorkerHeartbeat.objects.filter(queue=DEFAULT).exists(),
                "the default worker to answer its canary",
            )
            assert _waiting_messages(DEFAULT) == 0
            assert _waiting_messages(INTEGRATIONS) == 0
            assert _waiting_messages(WEBHOOKS) == 1  # still there: only its own worker takes it
            delivery.refresh_from_db()
            assert delivery.status == DeliveryStatus.PENDING
            assert [r.path for r in server.requests] == ["/metric"]

            with _worker(WEBHOOKS):
                _wait_for(
                    lambda: WebhookDelivery.unscoped.filter(
                        pk=delivery.pk, status=DeliveryStatus.SUCCEEDED
                    ).exists(),
                    "the webhooks worker to deliver the webhook",
                )
                # all three run side by side
                assert integrations_worker.poll() is None
                assert default_worker.poll() is None
            assert _waiting_messages(WEBHOOKS) == 0

    assert [r.path for r in server.requests] == ["/metric", "/hook"]
    assert json.loads(server.requests[1].body)["type"] == "kpi.value_recorded"
    assert KPIValue.unscoped.filter(kpi=source.kpi).count() == 2


def test_the_sweepers_re_send_of_a_lost_delivery_waits_for_the_webhooks_worker(
    production_queues: None, admin
) -> None:
    """A delivery whose message was lost is sent again by the sweeper onto the webhooks queue:
    a default worker leaves it alone, the webhooks worker delivers it."""
    organization = admin.organization
    with fake_server({"/hook": Reply(204)}) as server:
        with organization_scope(organization.pk):
            subscription = webhook_subscription_create(
                actor=admin, url=server.url("/hook"), events=["kpi.value_recorded"]
            ).subscription
        lost = WebhookDelivery.unscoped.create(  # as emit writes it; its message never arrived
            organization=organization,
            subscription=subscription,
            event="kpi.value_recorded",
            payload={"kpi": 1},
            next_attempt_at=timezone.now() - SWEEP_GRACE - timedelta(minutes=1),
        )

        with _worker(DEFAULT) as default_worker:
            assert due_deliveries_sweep() == [lost.pk]
            assert _waiting_messages(WEBHOOKS) == 1
            assert _waiting_messages(DEFAULT) == 0
            with _worker(WEBHOOKS):
                _wait_for(
                    lambda: WebhookDelivery.unscoped.filter(
                        pk=lost.pk, status=DeliveryStatus.SUCCEEDED
                    ).exists(),
                    "the webhooks worker to deliver the re-sent webhook",
                )
            assert default_worker.poll() is None
            assert _waiting_messages(WEBHOOKS) == 0
    assert [r.path for r in server.requests] == ["/hook"]
