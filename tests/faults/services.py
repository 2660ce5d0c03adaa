"""Private Redis and PostgreSQL servers the fault tests may stop and restart at will.

The machine's own PostgreSQL (5432) and Redis (6379) are shared with other test runs: the fault
tests never touch them. Each server here runs on a free port, in a temporary directory, and is
killed and removed by its context manager whatever the test did.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")
START_TIMEOUT = 20.0  # a ceiling for a server to come up, not a timing assertion


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until(check, what: str, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what} did not come up")


class PrivateRedis:
    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def _answers(self) -> bool:
        try:
            return bool(redis.Redis(port=self.port, socket_connect_timeout=0.2).ping())
        except redis.exceptions.ConnectionError:
            return False

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.directory)),
                *("--loglevel", "warning"),
            ],
            stdout=subprocess.DEVNULL,
        )
        _wait_until(self._answers, f"redis on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.process = None


@contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    directory = Path(tempfile.mkdtemp(prefix="okr-faults-redis-"))
    server = PrivateRedis(directory)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


class PrivateCluster:
    """A throwaway PostgreSQL cluster: trust authentication on 127.0.0.1, fsync off."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.data = directory / "data"
        self.socket_dir = directory / "socket"

    def _run(self, *command: str) -> None:
        # PostgreSQL refuses to run as root; the tests run as root here, so step down.
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, capture_output=True)

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def init(self) -> None:
        self.socket_dir.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres")
            shutil.chown(self.socket_dir, "postgres")
        self._run(
            str(POSTGRES_BIN / "initdb"),
            *("-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync"),
        )

    def pg_ctl(self, action: str, *extra: str) -> None:
        options = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            str(POSTGRES_BIN / "pg_ctl"),
            action,
            *("-D", str(self.data), "-w", "-t", "30", "-o", options),
            *("-l", str(self.directory / "postgres.log")),
            *extra,
        )

    def start(self) -> None:
        self.pg_ctl("start")

    def restart(self) -> None:
        """A fast restart: every connection is cut, in-flight queries fail."""
        self.pg_ctl("restart", "-m", "fast")

    def stop(self) -> None:
        self.pg_ctl("stop", "-m", "immediate")

    def create_database(self, name: str) -> None:
        self._run(
            str(POSTGRES_BIN / "createdb"),
            *("-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name),
        )


@contextmanager
def private_postgres() -> Iterator[PrivateCluster]:
    directory = Path(tempfile.mkdtemp(prefix="okr-faults-pg-"))
    cluster = PrivateCluster(directory)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # not running
            cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)
