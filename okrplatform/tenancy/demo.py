"""The demo organisation `make run` seeds: realistic teams and people to click through."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from okrplatform.accounts.models import User

from .models import Membership, Organization, Team, TeamMembership
from .roles import Role
from .scope import organization_scope

DEMO_SLUG = "acme"
DEMO_EMAIL = "demo@okrplatform.test"
DEMO_PASSWORD = "demo-okr-2026"  # noqa: S105 - a published demo login, not a secret

# Each person: name, email, role and team.
PEOPLE = [
    ("Dana Demo", DEMO_EMAIL, Role.OWNER, None),
    ("Sam Rivera", "sam@acme.test", Role.ADMIN, "Sales"),
    ("Priya Natarajan", "priya@acme.test", Role.MEMBER, "Marketing"),
    ("Tom Becker", "tom@acme.test", Role.MEMBER, "Support"),
    ("Lena Kowalski", "lena@acme.test", Role.MEMBER, "Product"),
    ("Omar Haddad", "omar@acme.test", Role.MEMBER, "Finance"),
    ("Grace Liu", "grace@acme.test", Role.VIEWER, None),
    ("Jonas Berg", "jonas@acme.test", Role.MEMBER, "Customer Success"),
]
# Each team: name, parent team and the email of its lead.
TEAMS = [
    ("Sales", None, "sam@acme.test"),
    ("Marketing", None, "priya@acme.test"),
    ("Support", None, "tom@acme.test"),
    ("Customer Success", "Support", "jonas@acme.test"),
    ("Product", None, "lena@acme.test"),
    ("Finance", None, "omar@acme.test"),
]


@dataclass(frozen=True)
class DemoLogin:
    organization: Organization
    email: str
    password: str


@transaction.atomic
def seed_demo_organization() -> tuple[DemoLogin, bool]:
    """Create the demo organisation once; running it again changes nothing."""
    organization, created = Organization.objects.get_or_create(
        slug=DEMO_SLUG,
        defaults={
            "name": "Acme Corp",
            "ultimate_goal": "Make every small business run on data it trusts.",
        },
    )
    login = DemoLogin(organization=organization, email=DEMO_EMAIL, password=DEMO_PASSWORD)
    if not created:
        return login, False
    users: dict[str, User] = {}
    for full_name, email, role, _team in PEOPLE:
        user = User.objects.filter(email=email).first() or User.objects.create_user(
            email=email, password=DEMO_PASSWORD, full_name=full_name
        )
        users[email] = user
        Membership.objects.create(organization=organization, user=user, role=role)
    with organization_scope(organization.pk):
        teams: dict[str, Team] = {}
        for name, parent, lead_email in TEAMS:
            teams[name] = Team.objects.create(
                organization=organization,
                name=name,
                parent=teams.get(parent or ""),
                lead=users[lead_email],
            )
        for _name, email, _role, team_name in PEOPLE:
            if team_name:
                TeamMembership.objects.create(
                    organization=organization, team=teams[team_name], user=users[email]
                )
    return login, True
