"""A Redis cache that degrades to a miss when Redis is down, instead of failing the request.

Nothing the cache holds is the only copy of anything (sessions and data live in PostgreSQL), so
a cache outage must cost speed, not pages. Today the only user is the API's rate limiting
(``sliding_log_admit`` below): with Redis down every count reads as empty, so throttling fails
open for the outage. That is the
deliberate trade: an hour of unmetered API calls beats an hour of 500s for every API client.

After a failure the cache stays bypassed for ``RETRY_AFTER`` seconds, so an outage costs one
connection attempt per process per window, not one per cache call (a dropped host would
otherwise make every call wait for the socket timeout).
"""

from __future__ import annotations

import logging
import math
import secrets
import threading
import time
from typing import Any, TypeVar, cast

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

T = TypeVar("T")
RETRY_AFTER = 5.0
UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)


# The API's rate limit as a sliding log in one sorted set per caller, in one atomic round trip:
# forget the requests older than the window, and record this one only if fewer than the limit
# remain. Answers the count in the window (before this request) and the oldest one's time.
_SLIDING_LOG = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local count = redis.call('ZCARD', KEYS[1])
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2] or ARGV[1]
if count < tonumber(ARGV[3]) then
    redis.call('ZADD', KEYS[1], ARGV[1], ARGV[5])
    redis.call('EXPIRE', KEYS[1], ARGV[4])
end
return {count, oldest}
"""


class FailSoftRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS") or {})
        # Fail fast: a page must not wait seconds on a cache it can do without.
        options.setdefault("socket_connect_timeout", 0.5)
        options.setdefault("socket_timeout", 0.5)
        super().__init__(server, {**params, "OPTIONS": options})
        self._bypass_until = 0.0
        self._lock = threading.Lock()
        self._sliding_log: Any = None

    @property
    def is_bypassed(self) -> bool:
        return time.monotonic() < self._bypass_until

    def _tolerant(self, method: str, fallback: T, *args: Any) -> T:
        """``RedisCache.<method>(*args)`` (or this class's own private ``_<method>``), or
        ``fallback`` while Redis is unavailable."""
        if self.is_bypassed:
            return fallback
        owner = type(self) if method.startswith("_") else RedisCache
        try:
            return cast(T, getattr(owner, method)(self, *args))
        except UNAVAILABLE as error:
            with self._lock:
                if not self.is_bypassed:
                    logger.warning("cache unavailable, bypassed for %ss: %s", RETRY_AFTER, error)
                self._bypass_until = time.monotonic() + RETRY_AFTER
            return fallback

    def add(
        self,
        key: Any,
        value: Any,
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> bool:
        return self._tolerant("add", False, key, value, timeout, version)

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._tolerant("get", default, key, default, version)

    def set(
        self,
        key: Any,
        value: Any,
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> None:
        self._tolerant("set", None, key, value, timeout, version)

    def touch(
        self, key: Any, timeout: float | None = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        return self._tolerant("touch", False, key, timeout, version)

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._tolerant("delete", False, key, version)

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        return self._tolerant("get_many", {}, keys, version)

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._tolerant("has_key", False, key, version)

    def set_many(
        self,
        data: dict[Any, Any],
        timeout: float | None = DEFAULT_TIMEOUT,
        version: int | None = None,
    ) -> list[Any]:
        return self._tolerant("set_many", [], data, timeout, version)

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        self._tolerant("delete_many", None, keys, version)

    def clear(self) -> None:
        self._tolerant("clear", None)

    def sliding_log_admit(
        self, key: str, *, now: float, duration: float, limit: int
    ) -> tuple[int, float]:
        """Record a request at ``now`` under ``key`` unless ``limit`` were made in the last
        ``duration`` seconds; answers (requests in the window before this one, the oldest one's
        time). Atomic, so concurrent workers never lose each other's requests. Fails open:
        ``(0, now)`` while Redis is unavailable."""
        return self._tolerant("_sliding_log_admit", (0, now), key, now, duration, limit)

    def _sliding_log_admit(
        self, key: str, now: float, duration: float, limit: int
    ) -> tuple[int, float]:
        redis_key = self.make_and_validate_key(key)
        if self._sliding_log is None:
            # One client and script for the process (Django's cache builds a client per call);
            # both are safe to share between threads, connections come from the pool.
            client = self._cache.get_client(redis_key, write=True)
            self._sliding_log = client.register_script(_SLIDING_LOG)
        member = f"{now!r}:{secrets.token_hex(4)}"  # two requests may share a clock reading
        args = [repr(now), repr(now - duration), limit, max(1, math.ceil(duration)), member]
        count, oldest = self._sliding_log(keys=[redis_key], args=args)
        return int(count), float(oldest)
