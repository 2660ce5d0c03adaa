"""Inbound push: tools that prefer to push (Zapier-style) POST values to a per-source URL.

The request is authenticated with the data source's secret, either as a bearer token
(``Authorization: Bearer <secret>``) or as an HMAC-SHA256 signature of the raw body
(``X-Signature-256: sha256=<hex>``). Body: ``{"value": 42}``, ``{"value": 42, "timestamp":
"2026-01-31"}`` or ``{"points": [{"timestamp": …, "value": …}, …]}``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import datetime
from typing import Any

from django import forms

from .base import FetchError, Point, ProviderSpec, points_cap, timestamp_parse, value_parse

SIGNATURE_HEADER = "X-Signature-256"
MAX_BODY_BYTES = 1024 * 1024


class SettingsForm(forms.Form):
    pass


class ExtractionForm(forms.Form):
    pass


def secret_generate() -> str:
    return secrets.token_urlsafe(32)


def request_authenticated(*, secret: str, authorization: str, signature: str, body: bytes) -> bool:
    if not secret:
        return False
    if authorization.startswith("Bearer "):
        return hmac.compare_digest(
            authorization[len("Bearer ") :].strip().encode(), secret.encode()
        )
    if signature.startswith("sha256="):
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(signature[len("sha256=") :].strip().encode(), expected.encode())
    return False


def points_from_body(body: bytes, now: datetime) -> list[Point]:
    try:
        data: Any = json.loads(body)
    except ValueError:
        raise FetchError("The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise FetchError('Send a JSON object: {"value": 42} or {"points": [...]}.')
    if "points" in data:
        items = data["points"]
        if not isinstance(items, list) or not items:
            raise FetchError("“points” must be a non-empty list.")
        points = []
        for number, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                raise FetchError(f"Point {number} is not an object.")
            points.append(
                Point(
                    timestamp_parse(item.get("timestamp"), where=f"Point {number}’s timestamp"),
                    value_parse(item.get("value"), where=f"Point {number}’s value"),
                )
            )
        return points_cap(points)
    timestamp = timestamp_parse(data["timestamp"]) if data.get("timestamp") else now
    return [Point(timestamp, value_parse(data.get("value")))]


SPEC = ProviderSpec(
    key="push",
    label="Inbound push",
    settings_form=SettingsForm,
    extraction_form=ExtractionForm,
    fetch=None,
    description="Your tools POST values to a secret URL of each data source.",
)
