"""Stop `make test` early, with one clear line, when PostgreSQL or Redis is not reachable."""

from __future__ import annotations

import os
import socket
import sys
from urllib.parse import urlparse

SERVICES = [
    (
        "PostgreSQL",
        os.environ.get("DATABASE_URL", ""),
        5432,
        "start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    ),
    (
        "Redis",
        os.environ.get("CELERY_BROKER_URL", ""),
        6379,
        "start it: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save ''",
    ),
]


def main() -> int:
    for name, url, default_port, hint in SERVICES:
        parsed = urlparse(url)
        host, port = parsed.hostname or "127.0.0.1", parsed.port or default_port
        try:
            socket.create_connection((host, port), timeout=3).close()
        except OSError:
            print(
                f"make test needs {name} at {host}:{port}, and it is not reachable — {hint}",
                file=sys.stderr,
            )
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
