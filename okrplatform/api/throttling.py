"""Per-caller rate limits, counted in the cache (Redis in tests and production), so every web
worker shares one count. Each API key has its own budget; signed-in browsers one per person."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from .access import ApiAccess


class APIKeyRateThrottle(SimpleRateThrottle):
    scope = "api"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        access: ApiAccess | None = getattr(request, "api_access", None)
        ident = access.identity if access is not None else f"ip:{self.get_ident(request)}"
        return f"throttle:{self.scope}:{ident}"


class BulkWriteRateThrottle(APIKeyRateThrottle):
    """Bulk ingest is heavier: its own, smaller budget, on top of the general one."""

    scope = "api_bulk"
