"""Seed the private PostgreSQL cluster of the restart test: ``python -m tests.faults.seed_private``
with DATABASE_URL pointing at it. Prints the session key of a signed-in member of ``acme``."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "okrplatform.settings")


def main() -> None:
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from boards.tests.helpers import make_kpi
    from okrplatform.tenancy.roles import Role
    from tests.factories import MembershipFactory, OrganizationFactory

    organization = OrganizationFactory(name="Acme", slug="acme")
    membership = MembershipFactory(organization=organization, role=Role.OWNER)
    for name in ("Churn", "Revenue", "Uptime"):
        make_kpi(organization, name)
    session = SessionStore()
    session[SESSION_KEY] = str(membership.user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = membership.user.get_session_auth_hash()
    session.create()
    print(session.session_key)  # noqa: T201 - read by the test


if __name__ == "__main__":
    main()
