"""Organisation-scoped API keys.

Key generation, hashing and constant-time verification come from djangorestframework-api-key's
``KeyGenerator`` (keys are ``<8-char prefix>.<32-char secret>``, stored as a SHA-512 hash: safe
for high-entropy random keys and cheap enough to verify on every request). We keep our own small
model rather than the library's concrete ``APIKey`` so keys are tenant rows like everything else
and no unused global table is created. The full key is shown once; the prefix identifies it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from rest_framework_api_key.crypto import KeyGenerator

from okrplatform.tenancy.scope import TenantModel

KEY_GENERATOR = KeyGenerator()


class APIKeyScope(models.TextChoices):
    READ_ONLY = "read_only", "Read only"
    READ_WRITE = "read_write", "Read and write"


class OrganizationAPIKey(TenantModel):
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=8, unique=True, editable=False)
    hashed_key = models.CharField(max_length=150, editable=False)
    scope = models.CharField(
        max_length=12, choices=APIKeyScope.choices, default=APIKeyScope.READ_ONLY
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["organization", "-created_at"], name="api_key_org_created_idx")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def can_write(self) -> bool:
        return self.scope == APIKeyScope.READ_WRITE

    def matches(self, key: str) -> bool:
        return KEY_GENERATOR.verify(key, self.hashed_key)
