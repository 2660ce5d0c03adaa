"""Fixtures for the API tests: keys of each scope, and clients that send them."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from okrplatform.api.models import APIKeyScope
from okrplatform.api.services import api_key_create
from okrplatform.tenancy.models import Membership


class KeyClient(Client):
    """A test client that sends ``Authorization: Bearer <key>`` and JSON bodies."""

    def __init__(self, secret: str, **kwargs: Any) -> None:
        super().__init__(HTTP_AUTHORIZATION=f"Bearer {secret}", **kwargs)
        self.secret = secret

    def post_json(self, path: str, data: Any, **kwargs: Any) -> Any:
        return self.post(path, data, content_type="application/json", **kwargs)


def issue_key(membership: Membership, scope: str = APIKeyScope.READ_WRITE) -> KeyClient:
    issued = api_key_create(actor=membership, name=f"test {scope}", scope=scope)
    return KeyClient(issued.secret)


@pytest.fixture
def write_key(owner: Membership) -> KeyClient:
    return issue_key(owner, APIKeyScope.READ_WRITE)


@pytest.fixture
def read_key(owner: Membership) -> KeyClient:
    return issue_key(owner, APIKeyScope.READ_ONLY)


@pytest.fixture
def other_key(other_member: Membership) -> KeyClient:
    return issue_key(other_member, APIKeyScope.READ_WRITE)
