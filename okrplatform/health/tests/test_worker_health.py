"""/healthz/worker: the canary's answer per queue, its age, 200 or 503."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from okrplatform.health.models import WorkerHeartbeat
from okrplatform.health.selectors import worker_health
from okrplatform.health.services import worker_heartbeat_record
from okrplatform.health.views import state_change_log

pytestmark = pytest.mark.django_db

URL = "/healthz/worker"


@pytest.fixture(autouse=True)
def _two_queues(settings) -> None:
    settings.WORKER_CANARY_QUEUES = ["default", "integrations"]
    settings.WORKER_HEARTBEAT_MAX_AGE = 120


@pytest.fixture(autouse=True)
def _fresh_process_state() -> Iterator[None]:
    """The last logged state is per process: each test starts as a newly started web process."""
    state_change_log.reset()
    yield
    state_change_log.reset()


def test_never_answered_is_unhealthy_and_public() -> None:
    response = Client().get(URL)
    assert response.status_code == 503
    assert response.content.decode().splitlines()[:2] == [
        "default stale never",
        "integrations stale never",
    ]
    assert response["Cache-Control"].startswith("max-age=0")


def test_every_queue_answered_recently_is_healthy() -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.create(queue="default", answered_at=now - timedelta(seconds=10))
    WorkerHeartbeat.objects.create(queue="integrations", answered_at=now - timedelta(seconds=119))
    response = Client().get(URL)
    assert response.status_code == 200, response.content
    assert response.content.decode().startswith("default ok 10s\nintegrations ok 119s\n")


def test_one_queue_gone_quiet_is_named() -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.create(queue="default", answered_at=now)
    WorkerHeartbeat.objects.create(queue="integrations", answered_at=now - timedelta(seconds=300))
    response = Client().get(URL)
    assert response.status_code == 503
    assert "integrations stale 300s" in response.content.decode()
    health = {queue.queue: queue.healthy for queue in worker_health(now=now)}
    assert health == {"default": True, "integrations": False}


def test_an_answer_updates_its_queue_row() -> None:
    """The canary through a real worker and queue is tested in tests/faults/test_worker_canary.py."""
    first = worker_heartbeat_record(queue="integrations", hostname="w1@box")
    second = worker_heartbeat_record(queue="integrations", hostname="w2@box")
    heartbeat = WorkerHeartbeat.objects.get()
    assert (heartbeat.queue, heartbeat.hostname) == ("integrations", "w2@box")
    assert first.answered_at <= second.answered_at == heartbeat.answered_at


def test_beat_sends_a_canary_to_every_queue_that_expires(settings) -> None:
    from django.conf import settings as live

    entries = [
        entry
        for entry in live.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "okrplatform.health.canary"
    ]
    # Every queue tasks are routed to (this module's fixture narrows WORKER_CANARY_QUEUES to two).
    routed = {route["queue"] for route in live.CELERY_TASK_ROUTES.values()}
    queues = sorted({live.CELERY_TASK_DEFAULT_QUEUE, *routed})
    assert queues == ["default", "integrations", "webhooks"]
    assert sorted(entry["options"]["queue"] for entry in entries) == queues
    assert all(entry["options"]["expires"] == entry["schedule"] for entry in entries)


def test_a_failing_check_is_logged_once_per_change_not_per_probe(caplog) -> None:
    """A monitor probes every few seconds: the log gets one WARNING when a queue goes quiet and
    one line when it recovers, never an ERROR per probe."""
    now = timezone.now()
    WorkerHeartbeat.objects.create(queue="default", answered_at=now)
    quiet = WorkerHeartbeat.objects.create(
        queue="integrations", answered_at=now - timedelta(seconds=300)
    )
    client = Client()

    def probe(times: int, status: int) -> list[tuple[str, int, str]]:
        caplog.clear()
        with caplog.at_level(logging.INFO):
            for _ in range(times):
                assert client.get(URL).status_code == status
        return [(r.name, r.levelno, r.getMessage()) for r in caplog.records]

    assert probe(5, 503) == [
        (
            "okrplatform.health.views",
            logging.WARNING,
            "Worker health check failing: no worker answered the canary on integrations "
            "within 120s",
        )
    ]
    worker_heartbeat_record(queue="integrations")
    assert probe(3, 200) == [
        (
            "okrplatform.health.views",
            logging.INFO,
            "Worker health check passing again: every queue's canary was answered",
        )
    ]
    WorkerHeartbeat.objects.filter(pk=quiet.pk).update(answered_at=now - timedelta(hours=1))
    WorkerHeartbeat.objects.filter(queue="default").update(answered_at=now - timedelta(hours=1))
    [(_, level, message)] = probe(4, 503)  # a different set of quiet queues is a change
    assert level == logging.WARNING
    assert message.endswith("on default, integrations within 120s")
