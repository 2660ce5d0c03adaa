"""Invitations: sent by email through the Celery task, accepted once, by the right person."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from conftest import client_for
from okrplatform.errors import DomainError, PermissionDeniedError
from okrplatform.tenancy import services
from okrplatform.tenancy.models import Invitation, Membership, Organization
from okrplatform.tenancy.roles import Role
from okrplatform.tenancy.tasks import invitation_email_send
from tests.factories import InvitationFactory, UserFactory

CaptureOnCommit = Callable[..., AbstractContextManager[list[Callable[[], Any]]]]


def _invite(client: Client, email: str, role: str = Role.MEMBER) -> Any:
    return client.post("/acme/members/", {"email": email, "role": role})


def _accept_url(invitation: Invitation) -> str:
    return f"/invitations/{invitation.token}/"


# --- Creating and sending ---------------------------------------------------------------------


def test_admin_invites_by_email_and_the_task_sends_it_after_commit(
    admin_client_: Client,
    admin: Membership,
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = _invite(admin_client_, " New.Person@Example.test ", Role.VIEWER)

    assert response.status_code == 302
    invitation = Invitation.unscoped.get()
    assert (invitation.organization, invitation.email, invitation.role) == (
        admin.organization,
        "new.person@example.test",
        Role.VIEWER,
    )
    assert invitation.invited_by == admin.user
    assert invitation.expires_at > timezone.now() + timedelta(days=13)
    assert len(callbacks) == 1  # the email waits for the invitation row to be committed
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["new.person@example.test"]
    assert "Acme Corp" in email.subject
    assert f"http://testserver/invitations/{invitation.token}/" in str(email.body)
    assert "as Viewer" in str(email.body)


def test_duplicate_pending_invitation_is_refused_and_sends_nothing(
    admin_client_: Client,
    admin: Membership,
    django_capture_on_commit_callbacks: CaptureOnCommit,
) -> None:
    InvitationFactory(organization=admin.organization, email="guest@example.test")

    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(admin_client_, "GUEST@example.test")

    assert response.status_code == 400
    assert (
        "already has a pending invitation" in response.context["invitation_form"].errors["email"][0]
    )
    assert Invitation.unscoped.count() == 1
    assert mail.outbox == []


def test_inviting_an_existing_member_is_refused(admin_client_: Client, member: Membership) -> None:
    response = _invite(admin_client_, member.user.email.upper())
    assert response.status_code == 400
    assert "already a member" in response.context["invitation_form"].errors["email"][0]
    assert not Invitation.unscoped.exists()


def test_an_expired_invitation_is_replaced_by_a_new_one(admin: Membership) -> None:
    expired = InvitationFactory(
        organization=admin.organization,
        email="guest@example.test",
        expires_at=timezone.now() - timedelta(days=1),
    )

    fresh = services.invitation_create(actor=admin, email="guest@example.test", role=Role.MEMBER)

    expired.refresh_from_db()
    assert expired.revoked_at is not None
    assert fresh.pk != expired.pk
    assert fresh.is_pending


def test_only_an_owner_may_invite_an_owner(admin: Membership, owner: Membership) -> None:
    with pytest.raises(PermissionDeniedError, match="Only an owner"):
        services.invitation_create(actor=admin, email="boss@example.test", role=Role.OWNER)
    assert not Invitation.unscoped.exists()
    invitation = services.invitation_create(actor=owner, email="boss@example.test", role=Role.OWNER)
    assert invitation.role == Role.OWNER


def test_a_member_cannot_invite(member: Membership) -> None:
    with pytest.raises(PermissionDeniedError):
        services.invitation_create(actor=member, email="x@example.test", role=Role.MEMBER)


def test_an_unknown_role_is_refused(admin: Membership) -> None:
    with pytest.raises(DomainError, match="not a role") as caught:
        services.invitation_create(actor=admin, email="x@example.test", role="emperor")
    assert caught.value.field == "role"


def test_the_task_sends_nothing_for_an_invitation_that_is_no_longer_pending(
    org: Organization,
) -> None:
    invitation = InvitationFactory(organization=org, revoked_at=timezone.now())
    invitation_email_send.delay(
        organization_id=org.pk, invitation_id=invitation.pk, accept_url="http://x/"
    )
    assert mail.outbox == []


def test_the_task_only_sees_invitations_of_the_organisation_it_is_given(
    org: Organization, other_org: Organization
) -> None:
    invitation = InvitationFactory(organization=org)
    invitation_email_send.delay(
        organization_id=other_org.pk, invitation_id=invitation.pk, accept_url="http://x/"
    )
    assert mail.outbox == []
    invitation_email_send.delay(
        organization_id=org.pk, invitation_id=invitation.pk, accept_url="http://x/"
    )
    assert len(mail.outbox) == 1


def test_the_task_refuses_to_run_without_an_organisation(org: Organization) -> None:
    invitation = InvitationFactory(organization=org)
    with pytest.raises(TypeError, match="organization_id"):
        invitation_email_send.delay(invitation_id=invitation.pk, accept_url="http://x/")  # type: ignore[call-arg]
    assert mail.outbox == []


# --- Accepting --------------------------------------------------------------------------------


def test_the_invited_person_accepts_and_joins_with_the_role(
    org: Organization, owner: Membership
) -> None:
    user = UserFactory(email="guest@example.test")
    invitation = InvitationFactory(organization=org, email="Guest@Example.test", role=Role.ADMIN)
    client = Client()
    client.force_login(user)

    page = client.get(_accept_url(invitation))
    assert page.status_code == 200
    assert page.context["problem"] is None
    response = client.post(_accept_url(invitation))

    assert response.status_code == 302
    assert response["Location"] == "/acme/"
    membership = Membership.unscoped.get(user=user)
    assert (membership.organization, membership.role) == (org, Role.ADMIN)
    invitation.refresh_from_db()
    assert invitation.accepted_by == user
    assert invitation.accepted_at is not None


def test_an_anonymous_visitor_is_offered_sign_up_and_sent_to_log_in_on_post(
    client: Client, org: Organization
) -> None:
    invitation = InvitationFactory(organization=org)
    page = client.get(_accept_url(invitation))
    assert f"/accounts/signup/?invitation={invitation.token}" in page.content.decode()
    response = client.post(_accept_url(invitation))
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={_accept_url(invitation)}"
    assert not Membership.unscoped.exists()


def test_an_unknown_token_is_404(client: Client, org: Organization) -> None:
    assert client.get("/invitations/not-a-real-token/").status_code == 404


def _post_accept(user_email: str, invitation: Invitation) -> Any:
    client = Client()
    client.force_login(UserFactory(email=user_email))
    return client.post(_accept_url(invitation))


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ({"expires_at": timezone.now() - timedelta(minutes=1)}, "has expired"),
        ({"revoked_at": timezone.now()}, "was withdrawn"),
        ({"accepted_at": timezone.now()}, "already been used"),
    ],
    ids=["expired", "revoked", "used"],
)
def test_an_unusable_invitation_explains_why_and_changes_nothing(
    org: Organization, state: dict[str, Any], message: str
) -> None:
    invitation = InvitationFactory(organization=org, email="guest@example.test", **state)

    response = _post_accept("guest@example.test", invitation)

    assert response.status_code == 400
    assert message in response.context["problem"]
    assert message in response.content.decode()
    assert not Membership.unscoped.exists()


def test_an_invitation_cannot_be_used_twice(org: Organization) -> None:
    invitation = InvitationFactory(organization=org, email="guest@example.test")
    user = UserFactory(email="guest@example.test")
    services.invitation_accept(token=invitation.token, user=user)
    Membership.unscoped.filter(user=user).delete()  # even after leaving again

    with pytest.raises(DomainError, match="already been used"):
        services.invitation_accept(token=invitation.token, user=user)
    assert not Membership.unscoped.filter(user=user).exists()


def test_the_wrong_person_cannot_accept(org: Organization) -> None:
    invitation = InvitationFactory(organization=org, email="guest@example.test")

    response = _post_accept("intruder@example.test", invitation)

    assert response.status_code == 400
    assert "was sent to guest@example.test" in response.context["problem"]
    assert not Membership.unscoped.exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_accepting_when_already_a_member_is_refused_and_keeps_the_role(
    viewer: Membership,
) -> None:
    invitation = InvitationFactory(
        organization=viewer.organization, email=viewer.user.email, role=Role.ADMIN
    )

    response = client_for(viewer).post(_accept_url(invitation))

    assert response.status_code == 400
    assert "already a member" in response.context["problem"]
    viewer.refresh_from_db()
    assert viewer.role == Role.VIEWER
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


# --- Revoking ---------------------------------------------------------------------------------


def test_admin_revokes_a_pending_invitation(admin_client_: Client, admin: Membership) -> None:
    invitation = InvitationFactory(organization=admin.organization)

    response = admin_client_.post(f"/acme/invitations/{invitation.pk}/revoke/")

    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert not invitation.is_pending


def test_revoking_twice_or_after_acceptance_is_refused(admin: Membership) -> None:
    revoked = InvitationFactory(organization=admin.organization, revoked_at=timezone.now())
    accepted = InvitationFactory(organization=admin.organization, accepted_at=timezone.now())
    with pytest.raises(DomainError, match="already withdrawn"):
        services.invitation_revoke(actor=admin, invitation=revoked)
    with pytest.raises(DomainError, match="already accepted"):
        services.invitation_revoke(actor=admin, invitation=accepted)
    accepted.refresh_from_db()
    assert accepted.revoked_at is None


def test_an_invitation_of_another_organisation_cannot_be_revoked(
    admin: Membership, other_org: Organization
) -> None:
    foreign = InvitationFactory(organization=other_org)
    with pytest.raises(DomainError, match="does not belong"):
        services.invitation_revoke(actor=admin, invitation=foreign)
    foreign.refresh_from_db()
    assert foreign.revoked_at is None


def test_a_second_organisation_can_invite_the_same_address(
    admin: Membership, other_member: Membership
) -> None:
    services.invitation_create(actor=admin, email="guest@example.test", role=Role.MEMBER)
    services.invitation_create(actor=other_member, email="guest@example.test", role=Role.MEMBER)
    assert Invitation.unscoped.filter(email="guest@example.test").count() == 2
