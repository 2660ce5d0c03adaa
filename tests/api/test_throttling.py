"""The API's rate limit: a sliding log of the last minute, the same on Redis (one sorted set per
caller, updated atomically) as with DRF's own implementation on other caches."""

from __future__ import annotations

import pytest
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache

from okrplatform.api.throttling import APIKeyRateThrottle
from okrplatform.cache import FailSoftRedisCache
from tests.api.conftest import KeyClient


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["redis", "locmem"])
def clock(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Clock:
    assert isinstance(
        caches["default"], FailSoftRedisCache
    )  # the tests' cache is the private Redis
    cache.clear()
    if request.param == "locmem":
        monkeypatch.setattr(APIKeyRateThrottle, "cache", LocMemCache("throttle-test", {}))
    monkeypatch.setattr(APIKeyRateThrottle, "THROTTLE_RATES", {"api": "3/minute"})
    fake = Clock()
    monkeypatch.setattr(APIKeyRateThrottle, "timer", lambda self: fake())
    return fake


def _get(client: KeyClient) -> tuple[int, str | None]:
    response = client.get("/api/v1/kpis/")
    return response.status_code, response.headers.get("Retry-After")


def test_the_window_slides_and_retry_after_says_when(clock: Clock, read_key: KeyClient) -> None:
    assert [_get(read_key) for _ in range(3)] == [(200, None)] * 3
    clock.now += 20
    assert _get(read_key) == (429, "40")  # the oldest of the three leaves the window in 40 s
    clock.now += 39
    assert _get(read_key) == (429, "1")
    clock.now += 1.5  # the first three are older than a minute: refused requests never counted
    assert [_get(read_key) for _ in range(4)] == [(200, None)] * 3 + [(429, "60")]


def test_each_key_has_its_own_budget(
    clock: Clock, read_key: KeyClient, write_key: KeyClient
) -> None:
    assert [_get(read_key)[0] for _ in range(4)] == [200, 200, 200, 429]
    assert _get(write_key)[0] == 200


def test_requests_at_the_same_instant_all_count(clock: Clock, read_key: KeyClient) -> None:
    """Same clock reading, distinct entries (the sorted set's members must not collide)."""
    assert [_get(read_key)[0] for _ in range(5)] == [200, 200, 200, 429, 429]
