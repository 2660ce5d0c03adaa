"""Fixtures for the fault tests: private servers, and the Celery app pointed at them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import connection, connections
from kombu import pools as kombu_pools

from okrplatform.celery import app as celery_app

from .services import PrivateRedis, private_redis

WAIT = 45.0  # a ceiling for background work to finish, never a timing assertion
BASE_DIR = Path(__file__).resolve().parents[2]


def wait_for(check: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _reset_broker_connections() -> None:
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    # kombu keeps producer pools in a process-wide registry keyed by connection: without this,
    # a later test sending to the same URL is handed the pool closed above.
    kombu_pools.reset()


@contextmanager
def celery_on(broker_url: str) -> Iterator[None]:
    """Send this process's tasks through ``broker_url`` (not eagerly) for the block."""
    conf = celery_app.conf
    # The read/write URLs, because CELERY_BROKER_URL in the environment outranks broker_url.
    before = (conf.get("broker_read_url"), conf.get("broker_write_url"))
    _reset_broker_connections()
    conf.broker_read_url = conf.broker_write_url = broker_url
    conf.task_always_eager = False
    try:
        yield
    finally:
        _reset_broker_connections()
        conf.broker_read_url, conf.broker_write_url = before


@pytest.fixture(autouse=True)
def _allow_local_servers(settings) -> None:
    """The stand-in upstreams listen on 127.0.0.1: allowlisted by IP literal, never by name."""
    settings.OUTBOUND_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]


@pytest.fixture
def redis_server() -> Iterator[PrivateRedis]:
    with private_redis() as server:
        yield server


@pytest.fixture
def private_broker(redis_server: PrivateRedis, settings) -> Iterator[PrivateRedis]:
    """Celery's broker and Django's cache on the private Redis, which the test may stop."""
    settings.CACHES = {
        "default": {
            "BACKEND": "okrplatform.cache.FailSoftRedisCache",
            "LOCATION": redis_server.url(1),
        }
    }
    with celery_on(redis_server.url(0)):
        yield redis_server


@pytest.fixture
def queue_name(settings) -> str:
    """A queue of the test's own for the integration runs."""
    name = f"okr-faults-{uuid.uuid4().hex[:10]}"
    settings.INTEGRATIONS_QUEUE = name
    return name


@contextmanager
def in_process_worker(
    queues: list[str], *, pool: str = "solo", concurrency: int = 1
) -> Iterator[Any]:
    """A real worker consuming ``queues`` from the current broker, in threads of this process
    (so monkeypatches apply), each task on its own database connection."""

    def close_connections(**_: object) -> None:
        connections.close_all()

    task_postrun.connect(close_connections, weak=False)
    consumed_before = celery_app.amqp.queues._consume_from
    try:
        with start_worker(
            celery_app,
            queues=queues,
            pool=pool,
            concurrency=concurrency,
            perform_ping_check=False,
            shutdown_timeout=20,
        ) as worker:
            yield worker
    finally:
        task_postrun.disconnect(close_connections)
        celery_app.amqp.queues._consume_from = consumed_before


def database_url() -> str:
    """The test database, for worker processes started by the tests."""
    database = connection.settings_dict
    return f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"


@contextmanager
def celery_process(
    command: str, *args: str, env: dict[str, str], name: str = "worker"
) -> Iterator[subprocess.Popen[bytes]]:
    """``celery -A okrplatform <command>`` in a process of its own, always stopped afterwards."""
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "okrplatform", command, "--loglevel=WARNING", *args],
        env={**os.environ, "OUTBOUND_ALLOWED_PRIVATE_HOSTS": "127.0.0.1", **env},
        cwd=BASE_DIR,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
