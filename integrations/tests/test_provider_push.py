from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from integrations.providers import FetchError, push

NOW = datetime(2026, 3, 10, tzinfo=UTC)


def test_bearer_and_signature() -> None:
    body = b'{"value": 1}'
    signature = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    check = push.request_authenticated
    assert check(secret="s3cret", authorization="Bearer s3cret", signature="", body=body)
    assert check(secret="s3cret", authorization="", signature=signature, body=body)
    assert not check(secret="s3cret", authorization="Bearer wrong", signature="", body=body)
    assert not check(secret="s3cret", authorization="", signature=signature, body=b'{"value": 2}')
    assert not check(secret="", authorization="Bearer ", signature="", body=body)
    assert not check(secret="s3cret", authorization="", signature="", body=body)


def test_bodies() -> None:
    assert push.points_from_body(b'{"value": "4.5"}', NOW) == [push.Point(NOW, Decimal("4.5"))]
    points = push.points_from_body(
        b'{"points": [{"timestamp": "2026-01-31", "value": 3}, {"timestamp": 1767225600, "value": 4}]}',
        NOW,
    )
    assert [p.value for p in points] == [3, 4]
    for bad in (b"[1]", b"nope", b'{"value": null}', b'{"points": []}'):
        with pytest.raises(FetchError):
            push.points_from_body(bad, NOW)
