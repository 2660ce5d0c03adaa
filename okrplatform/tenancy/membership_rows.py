"""Every membership of a user with its organisation, read by hand for OrganizationMiddleware,
with the unread count of the notification bell for the organisation of the page.

Every organisation page pays for this read (the membership check, the organisation switcher
and the bell of the top bar), and the ORM spent about three times as long building the query
and its instances as the database took to answer it; the bell was one more round trip. It
crosses tenants on purpose, like ``memberships_of_user``, and only ever for the user's own
memberships (the count only for the organisation of the page, and the user's own
notifications there). Plain SQL, so SQLite runs it too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import connection

from okrplatform.notifications.selectors import badge_label, unread_count_sql

from .models import Membership, Organization

if TYPE_CHECKING:
    from okrplatform.accounts.models import User

_MEMBERSHIP_FIELDS = [field.attname for field in Membership._meta.concrete_fields]
_ORGANIZATION_FIELDS = [field.attname for field in Organization._meta.concrete_fields]


def _columns(model: type[Membership] | type[Organization], alias: str) -> str:
    return ", ".join(f"{alias}.{field.column}" for field in model._meta.concrete_fields)


# The same rows, in the same order, as memberships_of_user(user).select_related("organization").
_SQL = f"""
    SELECT {_columns(Membership, "m")}, {_columns(Organization, "o")},
      CASE WHEN o.slug = %s THEN {unread_count_sql("o.id", "m.user_id")} END
    FROM {Membership._meta.db_table} AS m
    JOIN {Organization._meta.db_table} AS o ON o.id = m.organization_id
    WHERE m.user_id = %s
    ORDER BY o.name
"""  # noqa: S608 - names from the models' metadata, the slug and user id parameters


def memberships_with_organizations(
    user: User, *, unread_badge_of: str | None = None
) -> list[Membership]:
    """The user's memberships, each with its organisation and the user already attached; the
    membership of organisation ``unread_badge_of`` (a slug) also with ``unread_badge``, the
    bell's label (see ``okrplatform.notifications.context_processors``)."""
    split = len(_MEMBERSHIP_FIELDS)
    with connection.cursor() as cursor:
        cursor.execute(_SQL, [unread_badge_of, user.pk])
        rows = cursor.fetchall()
    memberships = []
    for row in rows:
        membership = Membership.from_db(connection.alias, _MEMBERSHIP_FIELDS, row[:split])
        membership.organization = Organization.from_db(
            connection.alias, _ORGANIZATION_FIELDS, row[split:-1]
        )
        membership.user = user
        if row[-1] is not None:
            membership.unread_badge = badge_label(row[-1])  # type: ignore[attr-defined]
        memberships.append(membership)
    return memberships
