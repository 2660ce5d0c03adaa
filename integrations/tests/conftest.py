from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _allow_local_servers(settings: pytest.FixtureRequest) -> None:
    """The test servers listen on 127.0.0.1: allowlisted by IP literal, never by name."""
    settings.OUTBOUND_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
