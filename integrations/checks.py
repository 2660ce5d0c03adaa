"""Start-up check: a malformed credential key should stop the deploy, not the first sync."""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import CheckMessage, Error


def credential_keys_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for position, key in enumerate(settings.INTEGRATION_CREDENTIAL_KEYS, start=1):
        try:
            Fernet(key.encode())
        except ValueError:
            errors.append(
                Error(
                    f"INTEGRATION_CREDENTIAL_KEYS entry {position} is not a Fernet key "
                    "(32 url-safe base64-encoded bytes).",
                    id="integrations.E001",
                )
            )
    return errors
