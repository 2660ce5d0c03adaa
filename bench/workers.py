"""Real Celery worker processes for the bench, on a queue of their own, on the broker of the
environment (Redis under ``make bench``)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from bench.server import database_url


def unique_queue(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@contextmanager
def celery_workers(queue: str, *, processes: int = 2) -> Iterator[None]:
    """``processes`` single-process prefork workers consuming ``queue`` (the shape of
    ``bench.integrations_sync``), with the bench's no-op task loaded."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": database_url(),
        "OUTBOUND_ALLOWED_PRIVATE_HOSTS": "127.0.0.1",
        "DB_CONN_MAX_AGE": "60",
        "BENCH_INTEGRATIONS_QUEUE": queue,
    }
    workers = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "okrplatform",
                "worker",
                "--include",
                "bench.tasks",
                "--pool=prefork",
                "--concurrency=1",
                "-Q",
                queue,
                "-n",
                f"{queue}-{index}@%h",
                "--loglevel=WARNING",
                "--without-mingle",
                "--without-gossip",
                "--without-heartbeat",
            ],
            env=env,
            stdout=subprocess.DEVNULL,  # the start-up banner; warnings and errors stay on stderr
        )
        for index in range(processes)
    ]
    try:
        yield
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
