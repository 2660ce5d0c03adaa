"""A gunicorn server on loopback for the bench (2 sync workers, the production command's shape),
and a light load generator: N concurrent clients on asyncio, one connection per request (gunicorn's
sync workers close every connection), bounded in time.

The client is deliberately cheap (raw sockets, no HTTP library) because it shares the machine's two
cores with the server it measures; the same client drives the product's endpoint and its
reference, so what it costs weighs on both alike.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from bench.measure import percentile


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def database_url() -> str:
    """The bench database, as a URL the server processes can use."""
    from django.db import connection

    database = connection.settings_dict
    credentials = database["USER"] + (f":{database['PASSWORD']}" if database["PASSWORD"] else "")
    return f"postgres://{credentials}@{database['HOST']}:{database['PORT']}/{database['NAME']}"


@contextmanager
def gunicorn(workers: int = 2, extra_env: dict[str, str] | None = None) -> Iterator[int]:
    """Serve the product (with ``bench.urls``) on a free loopback port; yields the port."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": database_url(),
        "DB_CONN_MAX_AGE": "60",
        "DEBUG": "false",
        **(extra_env or {}),
    }
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "gunicorn",
            "okrplatform.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status, _ = asyncio.run(_request(port, "GET", "/healthz", {}, b""))
            if status == 200:
                break
            time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not answer /healthz within 60 s")
        yield port
    finally:
        process.terminate()
        process.wait(30)


async def _request(
    port: int, method: str, path: str, headers: dict[str, str], body: bytes
) -> tuple[int, bytes]:
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return 0, b""
    # HTTP/1.0: the server answers with a plain body (no chunking) and closes.
    head = f"{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    if body:
        head += f"Content-Length: {len(body)}\r\n"
    writer.write(head.encode() + b"\r\n" + body)
    await writer.drain()
    response = await reader.read()
    writer.close()
    try:
        status = int(response.split(b" ", 2)[1])
    except (IndexError, ValueError):
        status = 0
    return status, response.partition(b"\r\n\r\n")[2]


@dataclass
class LoadResult:
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0

    @property
    def requests_per_second(self) -> float:
        return len(self.latencies) / self.seconds

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies) or [0.0]
        return {
            "requests": len(self.latencies),
            "errors": self.errors,
            "req_per_s": round(self.requests_per_second, 1),
            "p50_ms": round(percentile(ordered, 0.50) * 1000, 1),
            "p99_ms": round(percentile(ordered, 0.99) * 1000, 1),
        }


async def _load(
    port: int, path: str, headers: dict[str, str], clients: int, seconds: float
) -> LoadResult:
    result = LoadResult(seconds=seconds)
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            status, _ = await _request(port, "GET", path, headers, b"")
            if status == 200:
                result.latencies.append(time.perf_counter() - started)
            else:
                result.errors += 1

    await asyncio.gather(*(client() for _ in range(clients)))
    return result


def load(
    port: int, path: str, *, headers: dict[str, str], clients: int, seconds: float
) -> LoadResult:
    """``clients`` concurrent clients sending GETs back to back for ``seconds``."""
    return asyncio.run(_load(port, path, headers, clients, seconds))
