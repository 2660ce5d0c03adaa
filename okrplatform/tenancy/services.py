"""Writes for organisations, members, invitations and teams.

Keyword-only, atomic, raising ``DomainError`` with a message a person can act on. Services take
the acting ``Membership`` where a role decides, so the rules hold for pages and API alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from okrplatform.errors import DomainError, PermissionDeniedError

from .models import Invitation, Membership, Organization, Team, TeamMembership
from .roles import ROLE_RANK, Action, Role
from .scope import organization_scope

if TYPE_CHECKING:
    from okrplatform.accounts.models import User

# Top-level URL segments an organisation slug must never shadow.
RESERVED_SLUGS = frozenset(
    {
        "accounts",
        "admin",
        "api",
        "static",
        "media",
        "invitations",
        "organizations",
        "healthz",
        "favicon.ico",
        "robots.txt",
        "new",
        "settings",
        "__debug__",
    }
)


def _require(actor: Membership, action: Action) -> None:
    if not actor.can(action):
        raise PermissionDeniedError(
            f"Your role ({actor.get_role_display()}) does not allow this; ask an admin."
        )


def organization_slug_validate(slug: str) -> None:
    if not slug:
        raise DomainError("Choose a web address made of letters, digits and dashes.", field="slug")
    if slug in RESERVED_SLUGS:
        raise DomainError(f"“{slug}” is reserved; choose another web address.", field="slug")
    if Organization.objects.filter(slug=slug).exists():
        raise DomainError(f"The web address “{slug}” is already taken.", field="slug")


@transaction.atomic
def organization_create(
    *, name: str, slug: str = "", owner: User, ultimate_goal: str = ""
) -> Organization:
    """Create an organisation with ``owner`` as its first owner."""
    slug = slugify(slug or name)[:60]
    organization_slug_validate(slug)
    try:
        with transaction.atomic():
            organization = Organization.objects.create(
                name=name.strip(), slug=slug, ultimate_goal=ultimate_goal
            )
    except IntegrityError as error:  # a concurrent sign-up took the slug first
        raise DomainError(f"The web address “{slug}” is already taken.", field="slug") from error
    Membership.objects.create(organization=organization, user=owner, role=Role.OWNER)
    return organization


@transaction.atomic
def organization_update(*, actor: Membership, name: str, ultimate_goal: str) -> Organization:
    _require(actor, Action.MANAGE_ORGANIZATION)
    organization = actor.organization
    organization.name = name.strip()
    organization.ultimate_goal = ultimate_goal
    organization.save(update_fields=["name", "ultimate_goal"])
    return organization


# --- Members --------------------------------------------------------------------------------


def _owner_count(organization: Organization) -> int:
    with organization_scope(organization.pk):
        return Membership.objects.filter(role=Role.OWNER).count()


def _lock_owners(membership: Membership) -> None:
    """Lock the owners' rows, so two concurrent demotions cannot both pass the last-owner check,
    and re-read the role under the lock (the caller's instance may be stale)."""
    list(
        Membership.unscoped.select_for_update().filter(
            organization_id=membership.organization_id, role=Role.OWNER
        )
    )
    membership.refresh_from_db(fields=["role"])


@transaction.atomic
def membership_change_role(*, actor: Membership, membership: Membership, role: str) -> Membership:
    _require(actor, Action.MANAGE_MEMBERS)
    _validate_same_organization(actor.organization, membership=membership)
    if role not in Role.values:
        raise DomainError(f"“{role}” is not a role.", field="role")
    touches_owner = Role.OWNER in (role, membership.role)
    if touches_owner and not actor.can(Action.GRANT_OWNER):
        raise PermissionDeniedError(
            "Only an owner can make someone an owner or change an owner's role."
        )
    _lock_owners(membership)
    if (
        membership.role == Role.OWNER
        and role != Role.OWNER
        and _owner_count(membership.organization) <= 1
    ):
        raise DomainError(
            "An organisation needs at least one owner: make someone else an owner first."
        )
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, actor: Membership, membership: Membership) -> None:
    if actor.pk != membership.pk:  # anyone may leave; removing others needs the right
        _require(actor, Action.MANAGE_MEMBERS)
        if ROLE_RANK[membership.role] > ROLE_RANK[actor.role]:
            raise PermissionDeniedError("You cannot remove someone with a higher role than yours.")
    _validate_same_organization(actor.organization, membership=membership)
    _lock_owners(membership)
    if membership.role == Role.OWNER and _owner_count(membership.organization) <= 1:
        raise DomainError(
            "This is the last owner: make someone else an owner before removing them."
        )
    TeamMembership.unscoped.filter(
        organization_id=membership.organization_id, user_id=membership.user_id
    ).delete()
    # Someone who left cannot lead a team of the organisation any more.
    Team.unscoped.filter(
        organization_id=membership.organization_id, lead_id=membership.user_id
    ).update(lead=None)
    membership.delete()


# --- Invitations ----------------------------------------------------------------------------


@transaction.atomic
def invitation_create(*, actor: Membership, email: str, role: str) -> Invitation:
    _require(actor, Action.MANAGE_MEMBERS)
    email = email.strip().lower()
    if role not in Role.values:
        raise DomainError(f"“{role}” is not a role.", field="role")
    if role == Role.OWNER and not actor.can(Action.GRANT_OWNER):
        raise PermissionDeniedError("Only an owner can invite another owner.", field="role")
    organization = actor.organization
    if Membership.unscoped.filter(organization=organization, user__email__iexact=email).exists():
        raise DomainError(f"{email} is already a member of {organization.name}.", field="email")
    pending = Invitation.unscoped.filter(
        organization=organization, accepted_at__isnull=True, revoked_at__isnull=True
    ).filter(email__iexact=email)
    # An expired invitation may be replaced; a live one should not be sent twice.
    for invitation in pending:
        if not invitation.is_expired:
            raise DomainError(f"{email} already has a pending invitation.", field="email")
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                organization=organization, email=email, role=role, invited_by=actor.user
            )
    except IntegrityError as error:  # a concurrent request invited the same address first
        raise DomainError(f"{email} already has a pending invitation.", field="email") from error
    return invitation


def invitation_send(*, invitation: Invitation, accept_url: str) -> None:
    context = {"invitation": invitation, "accept_url": accept_url}
    send_mail(
        subject=f"You are invited to {invitation.organization.name} on okrplatform",
        message=render_to_string("tenancy/email/invitation.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[invitation.email],
    )


@transaction.atomic
def invitation_revoke(*, actor: Membership, invitation: Invitation) -> None:
    _require(actor, Action.MANAGE_MEMBERS)
    _validate_same_organization(actor.organization, invitation=invitation)
    if invitation.accepted_at is not None:
        raise DomainError("This invitation was already accepted.")
    if invitation.revoked_at is not None:
        raise DomainError("This invitation was already withdrawn.")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])


def invitation_check(invitation: Invitation) -> None:
    if invitation.accepted_at is not None:
        raise DomainError("This invitation has already been used.")
    if invitation.revoked_at is not None:
        raise DomainError("This invitation was withdrawn; ask for a new one.")
    if invitation.is_expired:
        raise DomainError("This invitation has expired; ask an admin to send a new one.")


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Membership:
    invitation = (
        Invitation.unscoped.select_for_update()
        .select_related("organization")
        .filter(token=token)
        .first()
    )
    if invitation is None:
        raise DomainError("This invitation link is not valid.")
    invitation_check(invitation)
    if invitation.email.lower() != user.email.lower():
        raise DomainError(
            f"This invitation was sent to {invitation.email}; log in with that address to accept it."
        )
    membership: Membership
    membership, created = Membership.unscoped.get_or_create(
        organization=invitation.organization, user=user, defaults={"role": invitation.role}
    )
    if not created:
        raise DomainError(f"You are already a member of {invitation.organization.name}.")
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


# --- Teams ----------------------------------------------------------------------------------


def _validate_team_parent(team: Team | None, parent: Team | None) -> None:
    if parent is None or team is None or team.pk is None:
        return
    ancestor: Team | None = parent
    while ancestor is not None:
        if ancestor.pk == team.pk:
            raise DomainError(
                "A team cannot sit below itself or one of its sub-teams.", field="parent"
            )
        ancestor = ancestor.parent


def _validate_team_name(organization: Organization, name: str, exclude_pk: int | None) -> str:
    name = name.strip()
    if not name:
        raise DomainError("Give the team a name.", field="name")
    taken = (
        Team.unscoped.filter(organization=organization)
        .annotate(lname=Lower("name"))
        .filter(lname=name.lower())
    )
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise DomainError(f"There is already a team called “{name}”.", field="name")
    return name


def _validate_same_organization(organization: Organization, **objects: object) -> None:
    for field, obj in objects.items():
        if obj is not None and getattr(obj, "organization_id", None) != organization.pk:
            raise DomainError("That choice does not belong to this organisation.", field=field)


def _validate_lead(organization: Organization, lead: User | None) -> None:
    if (
        lead is not None
        and not Membership.unscoped.filter(organization=organization, user=lead).exists()
    ):
        raise DomainError("The team lead must be a member of the organisation.", field="lead")


@transaction.atomic
def team_create(
    *,
    actor: Membership,
    name: str,
    description: str = "",
    parent: Team | None = None,
    lead: User | None = None,
) -> Team:
    _require(actor, Action.MANAGE_TEAMS)
    organization = actor.organization
    _validate_same_organization(organization, parent=parent)
    _validate_lead(organization, lead)
    team: Team = Team.objects.create(
        organization=organization,
        name=_validate_team_name(organization, name, None),
        description=description,
        parent=parent,
        lead=lead,
    )
    if lead is not None:
        TeamMembership.objects.create(organization=organization, team=team, user=lead)
    return team


@transaction.atomic
def team_update(
    *,
    actor: Membership,
    team: Team,
    name: str,
    description: str,
    parent: Team | None,
    lead: User | None,
) -> Team:
    _require(actor, Action.MANAGE_TEAMS)
    organization = actor.organization
    _validate_same_organization(organization, parent=parent, team=team)
    _validate_team_parent(team, parent)
    _validate_lead(organization, lead)
    team.name = _validate_team_name(organization, name, team.pk)
    team.description = description
    team.parent = parent
    team.lead = lead
    team.save()
    if lead is not None:
        TeamMembership.objects.get_or_create(organization=organization, team=team, user=lead)
    return team


@transaction.atomic
def team_delete(*, actor: Membership, team: Team) -> None:
    _require(actor, Action.MANAGE_TEAMS)
    _validate_same_organization(actor.organization, team=team)
    team.delete()  # sub-teams move up to the top level (parent is SET_NULL)


@transaction.atomic
def team_member_add(*, actor: Membership, team: Team, user: User) -> TeamMembership:
    _require(actor, Action.MANAGE_TEAMS)
    organization = actor.organization
    _validate_same_organization(organization, team=team)
    if not Membership.unscoped.filter(organization=organization, user=user).exists():
        raise DomainError("Only members of the organisation can join its teams.", field="user")
    team_membership: TeamMembership
    team_membership, created = TeamMembership.objects.get_or_create(
        organization=organization, team=team, user=user
    )
    if not created:
        raise DomainError(f"{user} is already in {team.name}.", field="user")
    return team_membership


@transaction.atomic
def team_member_remove(*, actor: Membership, team: Team, user: User) -> None:
    _require(actor, Action.MANAGE_TEAMS)
    _validate_same_organization(actor.organization, team=team)
    TeamMembership.objects.filter(team=team, user=user).delete()
    if team.lead_id == user.pk:
        team.lead = None
        team.save(update_fields=["lead"])
