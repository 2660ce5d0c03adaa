"""Health endpoints for load balancers and monitors: plain text, no session, no tenant data."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache

from .selectors import max_heartbeat_age, worker_health


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
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain", status=status)
