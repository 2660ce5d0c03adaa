"""The provider registry: one module per provider, each with its forms, validation and fetch."""

from __future__ import annotations

from . import csv_http, http_json, prometheus, push, sql
from .base import FetchError, Point, ProviderSpec

PROVIDERS: dict[str, ProviderSpec] = {
    spec.key: spec for spec in (http_json.SPEC, csv_http.SPEC, sql.SPEC, prometheus.SPEC, push.SPEC)
}


def provider_get(key: str) -> ProviderSpec:
    try:
        return PROVIDERS[key]
    except KeyError:
        raise FetchError(f"Unknown provider “{key}”.") from None


__all__ = ["PROVIDERS", "FetchError", "Point", "ProviderSpec", "provider_get"]
