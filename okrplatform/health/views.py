"""Health endpoints for load balancers and monitors: plain text, no session, no tenant data."""

from __future__ import annotations

import logging
import threading

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache

from .selectors import QueueHealth, max_heartbeat_age, worker_health

logger = logging.getLogger(__name__)


class _StateChangeLog:
    """Logs the workers' health when it changes, not on every probe.

    A load balancer or monitor probes every few seconds; a stale queue would otherwise write one
    line per probe (Django logs every 5xx at ERROR) and bury everything else in the log. Per
    process: each web process says it once, which is what someone reading its log needs.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stale: frozenset[str] = frozenset()

    def observe(self, health: list[QueueHealth]) -> None:
        stale = frozenset(queue.queue for queue in health if not queue.healthy)
        with self._lock:
            if stale == self._stale:
                return
            self._stale = stale
        if stale:
            logger.warning(
                "Worker health check failing: no worker answered the canary on %s within %.0fs",
                ", ".join(sorted(stale)),
                max_heartbeat_age().total_seconds(),
            )
        else:
            logger.info("Worker health check passing again: every queue's canary was answered")

    def reset(self) -> None:
        with self._lock:
            self._stale = frozenset()


state_change_log = _StateChangeLog()


@never_cache
def worker(request: HttpRequest) -> HttpResponse:
    """200 when every queue's canary was answered within the allowed age, else 503.

    One line per queue, e.g. ``integrations ok 12s`` or ``default stale 340s`` / ``never``,
    so a monitor's alert already says which queue has no consumer.
    """
    health = worker_health()
    lines = [
        f"{queue.queue} {'ok' if queue.healthy else 'stale'} "
        + ("never" if queue.age_seconds is None else f"{queue.age_seconds:.0f}s")
        for queue in health
    ]
    lines.append(f"max age {max_heartbeat_age().total_seconds():.0f}s")
    status = 200 if all(queue.healthy for queue in health) else 503
    state_change_log.observe(health)
    response = HttpResponse("\n".join(lines) + "\n", content_type="text/plain", status=status)
    # A 503 here is an answer, not a server error: logged above once per change, so Django's
    # request logger must not add an ERROR line per probe.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response
