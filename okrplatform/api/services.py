"""Writes for API keys: create (the secret is returned once, never stored) and revoke."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from okrplatform.errors import DomainError, PermissionDeniedError
from okrplatform.tenancy.models import Membership
from okrplatform.tenancy.roles import Action

from .models import KEY_GENERATOR, APIKeyScope, OrganizationAPIKey
from .selectors import api_key_usable

# Writing last_used_at on every request would turn each read into a write; once a minute is
# precise enough for "is this key still in use?".
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedKey:
    api_key: OrganizationAPIKey
    secret: str  # the full key: shown to the admin once, then only its hash exists


def _require_admin(actor: Membership) -> None:
    if not actor.can(Action.MANAGE_INTEGRATIONS):
        raise PermissionDeniedError("Only admins and owners can manage API keys.")


@transaction.atomic
def api_key_create(*, actor: Membership, name: str, scope: str) -> IssuedKey:
    _require_admin(actor)
    name = name.strip()
    if not name:
        raise DomainError(
            "Give the key a name, e.g. the script or tool that will use it.", field="name"
        )
    if scope not in APIKeyScope.values:
        raise DomainError("Choose read only or read and write.", field="scope")
    secret, prefix, hashed_key = KEY_GENERATOR.generate()
    api_key = OrganizationAPIKey.unscoped.create(
        organization_id=actor.organization_id,
        name=name,
        scope=scope,
        prefix=prefix,
        hashed_key=hashed_key,
        created_by_id=actor.user_id,
    )
    return IssuedKey(api_key=api_key, secret=secret)


@transaction.atomic
def api_key_revoke(*, actor: Membership, api_key: OrganizationAPIKey) -> OrganizationAPIKey:
    _require_admin(actor)
    if api_key.organization_id != actor.organization_id:
        raise PermissionDeniedError("This key belongs to another organisation.")
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key


def api_key_authenticate(secret: str) -> OrganizationAPIKey | None:
    """The usable key ``secret`` belongs to (with its organisation), or None.

    The lookup crosses organisations on purpose: the key is what tells us the organisation.
    """
    prefix, dot, _rest = secret.partition(".")
    if not dot or len(prefix) != 8:
        return None
    api_key = api_key_usable(prefix)
    if api_key is None or not api_key.matches(secret):
        return None
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_RESOLUTION:
        OrganizationAPIKey.unscoped.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key
