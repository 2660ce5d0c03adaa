"""Every membership of a user with its organisation, read by hand for OrganizationMiddleware.

Every organisation page pays for this read (the membership check and the organisation
switcher), and the ORM spent about three times as long building the query and its instances
as the database took to answer it. It crosses tenants on purpose, like ``memberships_of_user``,
and only ever for the user's own memberships. Plain SQL, so SQLite runs it too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import connection

from .models import Membership, Organization

if TYPE_CHECKING:
    from okrplatform.accounts.models import User

_MEMBERSHIP_FIELDS = [field.attname for field in Membership._meta.concrete_fields]
_ORGANIZATION_FIELDS = [field.attname for field in Organization._meta.concrete_fields]


def _columns(model: type[Membership] | type[Organization], alias: str) -> str:
    return ", ".join(f"{alias}.{field.column}" for field in model._meta.concrete_fields)


# The same rows, in the same order, as memberships_of_user(user).select_related("organization").
_SQL = f"""
    SELECT {_columns(Membership, "m")}, {_columns(Organization, "o")}
    FROM {Membership._meta.db_table} AS m
    JOIN {Organization._meta.db_table} AS o ON o.id = m.organization_id
    WHERE m.user_id = %s
    ORDER BY o.name
"""  # noqa: S608 - names from the models' metadata, the user id a parameter


def memberships_with_organizations(user: User) -> list[Membership]:
    """The user's memberships, each with its organisation and the user already attached."""
    split = len(_MEMBERSHIP_FIELDS)
    with connection.cursor() as cursor:
        cursor.execute(_SQL, [user.pk])
        rows = cursor.fetchall()
    memberships = []
    for row in rows:
        membership = Membership.from_db(connection.alias, _MEMBERSHIP_FIELDS, row[:split])
        membership.organization = Organization.from_db(
            connection.alias, _ORGANIZATION_FIELDS, row[split:]
        )
        membership.user = user
        memberships.append(membership)
    return memberships
