"""Reads for API keys (scoped to the bound organisation, but for the key lookup itself)."""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import QuerySet

from okrplatform.tenancy.models import Organization

from .models import OrganizationAPIKey


def api_key_list() -> QuerySet[OrganizationAPIKey]:
    return OrganizationAPIKey.objects.select_related("created_by").order_by(
        "revoked_at", "-created_at"
    )


def api_key_get(pk: int) -> OrganizationAPIKey | None:
    return OrganizationAPIKey.objects.filter(pk=pk).first()


_KEY_FIELDS = [field.attname for field in OrganizationAPIKey._meta.concrete_fields]
_ORGANIZATION_FIELDS = [field.attname for field in Organization._meta.concrete_fields]
_USABLE_KEY_SQL = f"""
SELECT {", ".join(f"k.{name}" for name in _KEY_FIELDS)},
       {", ".join(f"o.{name}" for name in _ORGANIZATION_FIELDS)}
FROM {OrganizationAPIKey._meta.db_table} k
JOIN {Organization._meta.db_table} o ON o.id = k.organization_id
WHERE k.prefix = %s AND k.revoked_at IS NULL
"""  # noqa: S608 - only our own table and column names are interpolated


def api_key_usable(prefix: str) -> OrganizationAPIKey | None:
    """The unrevoked key with this prefix (unique), its organisation attached, read on every API
    request and never cached: a revoked key stops working at once.

    Across organisations on purpose: the key is what tells us the organisation. Hand-written on
    PostgreSQL because the ORM's ``select_related(...).first()`` cost 1 ms per request to build,
    five times the query itself (``make bench``, API list); psycopg returns the columns as the
    ORM would (aware datetimes), so they become model instances directly. Elsewhere (SQLite,
    whose datetimes the ORM converts) the ORM's query.
    """
    if connection.vendor != "postgresql":
        return (
            OrganizationAPIKey.unscoped.select_related("organization")
            .filter(prefix=prefix, revoked_at__isnull=True)
            .first()
        )
    with connection.cursor() as cursor:
        cursor.execute(_USABLE_KEY_SQL, [prefix])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(_KEY_FIELDS)
    api_key = OrganizationAPIKey.from_db(DEFAULT_DB_ALIAS, _KEY_FIELDS, row[:split])
    api_key.organization = Organization.from_db(DEFAULT_DB_ALIAS, _ORGANIZATION_FIELDS, row[split:])
    return api_key
