"""Per-caller rate limits, counted in the cache (Redis in tests and production), so every web
worker shares one count. Each API key has its own budget; signed-in browsers one per person.

DRF's ``SimpleRateThrottle`` keeps each caller's log of request times as one pickled list: every
request reads and rewrites the whole list (the budget's worth of timestamps, two round trips),
and two workers answering the same caller at once overwrite each other's entries, so requests go
uncounted. On Redis the same sliding log lives in a sorted set instead, updated in one atomic
round trip (``FailSoftRedisCache.sliding_log_admit``): same window, same limit, same
``Retry-After``. Other caches (``make run`` without Redis) keep DRF's own implementation.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache as default_cache
from django.core.cache import caches
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from okrplatform.cache import FailSoftRedisCache

from .access import ApiAccess


class APIKeyRateThrottle(SimpleRateThrottle):
    scope = "api"
    num_requests: int
    duration: int
    now: float

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        access: ApiAccess | None = getattr(request, "api_access", None)
        ident = access.identity if access is not None else f"ip:{self.get_ident(request)}"
        return f"throttle:{self.scope}:{ident}"

    def _sliding_log(self) -> FailSoftRedisCache | None:
        backend = caches["default"] if self.cache is default_cache else self.cache
        return backend if isinstance(backend, FailSoftRedisCache) else None

    def allow_request(self, request: Request, view: Any) -> bool:
        log = self._sliding_log()
        if log is None or self.rate is None:
            return super().allow_request(request, view)
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        count, self.oldest = log.sliding_log_admit(
            self.key, now=self.now, duration=self.duration, limit=self.num_requests
        )
        self.count = count
        return count < self.num_requests

    def wait(self) -> float | None:
        """DRF's ``wait()``: the rest of the oldest request's window, shared among the requests
        the budget will then allow."""
        if self._sliding_log() is None:
            waited: float | None = super().wait()
            return waited
        remaining_duration = self.duration - (self.now - self.oldest)
        available_requests = self.num_requests - self.count + 1
        if available_requests <= 0:
            return None
        return remaining_duration / float(available_requests)


class BulkWriteRateThrottle(APIKeyRateThrottle):
    """Bulk ingest is heavier: its own, smaller budget, on top of the general one."""

    scope = "api_bulk"
