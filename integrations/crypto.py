"""Credentials at rest: Fernet (AES-128-CBC + HMAC-SHA256) under a MultiFernet key ring.

The encrypted payload carries the organisation id and decryption checks it, so a ciphertext
copied into another tenant's row (by a bug or by hand) is refused instead of handing one
tenant's password to another. Keys come from ``INTEGRATION_CREDENTIAL_KEYS`` (newest first);
outside production a key derived from ``SECRET_KEY`` keeps local use configuration-free.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class CredentialError(Exception):
    """The stored credentials cannot be read (wrong key, wrong organisation, tampering)."""


def _keys() -> list[bytes]:
    keys = [key.encode() for key in settings.INTEGRATION_CREDENTIAL_KEYS if key]
    if keys:
        return keys
    if getattr(settings, "PRODUCTION", False):  # settings refuse this already; belt and braces
        raise ImproperlyConfigured("INTEGRATION_CREDENTIAL_KEYS is required in production.")
    digest = hashlib.sha256(f"integration-credentials:{settings.SECRET_KEY}".encode()).digest()
    return [base64.urlsafe_b64encode(digest)]


def _ring() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in _keys()])


def secret_encrypt(*, organization_id: int, data: dict[str, Any]) -> str:
    payload = json.dumps({"organization_id": organization_id, "data": data}).encode()
    return _ring().encrypt(payload).decode()


def secret_decrypt(*, organization_id: int, ciphertext: str) -> dict[str, Any]:
    if not ciphertext:
        return {}
    try:
        payload = json.loads(_ring().decrypt(ciphertext.encode()))
    except (InvalidToken, ValueError):
        raise CredentialError(
            "The stored credentials cannot be decrypted; enter them again."
        ) from None
    if payload.get("organization_id") != organization_id:
        raise CredentialError("The stored credentials belong to another organisation.")
    data: dict[str, Any] = payload.get("data") or {}
    return data


def secret_rotate(ciphertext: str) -> str:
    """Re-encrypt with the newest key (the organisation binding is inside, untouched)."""
    if not ciphertext:
        return ciphertext
    try:
        return _ring().rotate(ciphertext.encode()).decode()
    except InvalidToken:
        raise CredentialError("A stored secret cannot be decrypted with any known key.") from None
