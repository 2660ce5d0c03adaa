from __future__ import annotations

import pytest
from django.db import connection


@pytest.fixture(params=["native", "portable"])
def write_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test through the PostgreSQL fast path and through the portable path (the one
    SQLite uses), by hiding the vendor from the code that picks the path."""
    if request.param == "portable":
        monkeypatch.setattr(connection, "vendor", "portable")
    return str(request.param)
