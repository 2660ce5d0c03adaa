"""Worker liveness: a worker that answers pings but no longer consumes its queue is caught by the
canary and reported by /healthz/worker, then cleared once a restarted worker consumes again.

The worker is a real process on a private Redis; pausing its consumer (``cancel_consumer``) is
the "alive but stuck" state: the process, its pidbox and its pings are all fine.
"""

from __future__ import annotations

import uuid

import pytest
import redis
from django.test import Client

from okrplatform.celery import app as celery_app
from okrplatform.health.models import WorkerHeartbeat

from .conftest import celery_on, celery_process, database_url, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

URL = "/healthz/worker"


def _send_canary(queue: str) -> None:
    """What beat sends, per queue (settings.CELERY_BEAT_SCHEDULE["health-canary-…"])."""
    celery_app.send_task("okrplatform.health.canary", queue=queue)


def test_a_worker_alive_but_not_consuming_turns_the_health_check_red_until_restarted(
    redis_server, settings
) -> None:
    queue = f"okr-faults-canary-{uuid.uuid4().hex[:8]}"
    settings.WORKER_CANARY_QUEUES = [queue]
    settings.WORKER_HEARTBEAT_MAX_AGE = 2
    client = Client()
    assert client.get(URL).status_code == 503  # never answered yet
    broker = redis.Redis.from_url(redis_server.url(0))

    env = {"DATABASE_URL": database_url(), "CELERY_BROKER_URL": redis_server.url(0)}
    worker = ("worker", "--pool=solo", "-Q", queue, "--without-mingle")
    with celery_on(redis_server.url(0)), celery_process(*worker, env=env):
        wait_for(lambda: celery_app.control.ping(timeout=0.5), "the worker to answer pings")

        _send_canary(queue)
        first = wait_for(lambda: WorkerHeartbeat.objects.filter(queue=queue).first(), "an answer")
        response = client.get(URL)
        assert response.status_code == 200, response.content
        assert response.content.decode().startswith(f"{queue} ok ")

        # Stuck: the process lives and answers pings, but takes nothing from its queue.
        replies = celery_app.control.cancel_consumer(queue, reply=True, timeout=2)
        assert replies, "the worker did not acknowledge the pause"
        _send_canary(queue)
        wait_for(lambda: client.get(URL).status_code == 503, "the health check to turn red")
        assert celery_app.control.ping(timeout=1)  # alive all along
        assert broker.llen(queue) == 1  # the canary waits, unanswered
        assert WorkerHeartbeat.objects.get(queue=queue).answered_at == first.answered_at
        assert f"{queue} stale " in client.get(URL).content.decode()

    # The remedy for a stuck worker, a restart: the waiting canary is answered, the check clears.
    with celery_on(redis_server.url(0)), celery_process(*worker, env=env):
        wait_for(lambda: client.get(URL).status_code == 200, "the health check to clear")
    assert WorkerHeartbeat.objects.get(queue=queue).answered_at > first.answered_at
