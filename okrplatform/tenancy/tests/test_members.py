"""Members: role changes, removal, leaving, and the owner rules that keep an organisation owned."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import client_for
from okrplatform.errors import DomainError, PermissionDeniedError
from okrplatform.tenancy import services
from okrplatform.tenancy.models import Membership, Team, TeamMembership
from okrplatform.tenancy.roles import Role
from tests.factories import MembershipFactory, TeamFactory, TeamMembershipFactory


def _role_of(membership: Membership) -> str:
    membership.refresh_from_db()
    return membership.role


def _change_role(client: Client, membership: Membership, role: str) -> None:
    response = client.post(f"/acme/members/{membership.pk}/role/", {"role": role})
    assert response.status_code == 302


# --- Role changes -----------------------------------------------------------------------------


def test_admin_changes_a_members_role(admin_client_: Client, member: Membership) -> None:
    _change_role(admin_client_, member, Role.VIEWER)
    assert _role_of(member) == Role.VIEWER
    _change_role(admin_client_, member, Role.ADMIN)
    assert _role_of(member) == Role.ADMIN


def test_only_an_owner_grants_the_owner_role(
    admin: Membership, owner: Membership, member: Membership
) -> None:
    with pytest.raises(PermissionDeniedError, match="Only an owner"):
        services.membership_change_role(actor=admin, membership=member, role=Role.OWNER)
    assert _role_of(member) == Role.MEMBER
    services.membership_change_role(actor=owner, membership=member, role=Role.OWNER)
    assert _role_of(member) == Role.OWNER


def test_an_admin_cannot_alter_an_owners_role(
    admin_client_: Client, admin: Membership, owner: Membership
) -> None:
    _change_role(admin_client_, owner, Role.VIEWER)  # the page explains; nothing changes
    assert _role_of(owner) == Role.OWNER
    with pytest.raises(PermissionDeniedError):
        services.membership_change_role(actor=admin, membership=owner, role=Role.ADMIN)
    assert _role_of(owner) == Role.OWNER


def test_demoting_the_last_owner_is_refused(owner_client: Client, owner: Membership) -> None:
    with pytest.raises(DomainError, match="at least one owner"):
        services.membership_change_role(actor=owner, membership=owner, role=Role.ADMIN)
    response = owner_client.post(
        f"/acme/members/{owner.pk}/role/", {"role": Role.ADMIN}, follow=True
    )
    assert "at least one owner" in response.content.decode()
    assert _role_of(owner) == Role.OWNER


def test_an_owner_may_step_down_once_there_is_another_owner(owner: Membership) -> None:
    second = MembershipFactory(organization=owner.organization, role=Role.OWNER)
    services.membership_change_role(actor=owner, membership=owner, role=Role.MEMBER)
    assert _role_of(owner) == Role.MEMBER
    assert _role_of(second) == Role.OWNER


def test_an_unknown_role_is_refused(admin_client_: Client, member: Membership) -> None:
    _change_role(admin_client_, member, "emperor")
    assert _role_of(member) == Role.MEMBER


def test_a_membership_of_another_organisation_is_out_of_reach(
    owner: Membership, other_member: Membership
) -> None:
    with pytest.raises(DomainError, match="does not belong"):
        services.membership_change_role(actor=owner, membership=other_member, role=Role.VIEWER)
    with pytest.raises(DomainError, match="does not belong"):
        services.membership_remove(actor=owner, membership=other_member)
    assert _role_of(other_member) == Role.ADMIN
    # Through the page, the foreign id is simply not found.
    assert client_for(owner).post(f"/acme/members/{other_member.pk}/remove/").status_code == 404


# --- Removing and leaving ---------------------------------------------------------------------


def test_admin_removes_a_member_with_their_team_places(
    admin_client_: Client, member: Membership
) -> None:
    team = TeamFactory(organization=member.organization, lead=member.user)
    TeamMembershipFactory(team=team, user=member.user)

    response = admin_client_.post(f"/acme/members/{member.pk}/remove/")

    assert response.status_code == 302
    assert not Membership.unscoped.filter(pk=member.pk).exists()
    assert not TeamMembership.unscoped.filter(user=member.user).exists()
    team.refresh_from_db()
    assert team.lead is None  # a former member leads nothing


def test_removing_someone_elsewhere_leaves_their_other_organisations_alone(
    owner: Membership, member: Membership, other_org: object
) -> None:
    elsewhere = MembershipFactory(organization=other_org, user=member.user)
    other_team = TeamFactory(organization=other_org, lead=member.user)
    TeamMembershipFactory(team=other_team, user=member.user)

    services.membership_remove(actor=owner, membership=member)

    assert Membership.unscoped.filter(pk=elsewhere.pk).exists()
    assert TeamMembership.unscoped.filter(team=other_team, user=member.user).exists()
    other_team.refresh_from_db()
    assert other_team.lead == member.user


def test_removing_the_last_owner_is_refused(owner: Membership) -> None:
    with pytest.raises(DomainError, match="last owner"):
        services.membership_remove(actor=owner, membership=owner)
    response = client_for(owner).post(f"/acme/members/{owner.pk}/remove/", follow=True)
    assert "last owner" in response.content.decode()
    assert Membership.unscoped.filter(pk=owner.pk).exists()


def test_an_admin_cannot_remove_an_owner(admin: Membership, owner: Membership) -> None:
    MembershipFactory(organization=owner.organization, role=Role.OWNER)  # not the last one
    with pytest.raises(PermissionDeniedError, match="higher role"):
        services.membership_remove(actor=admin, membership=owner)
    assert Membership.unscoped.filter(pk=owner.pk).exists()


def test_an_owner_removes_another_owner(owner: Membership) -> None:
    second = MembershipFactory(organization=owner.organization, role=Role.OWNER)
    services.membership_remove(actor=owner, membership=second)
    assert not Membership.unscoped.filter(pk=second.pk).exists()


@pytest.mark.parametrize("role", [Role.MEMBER, Role.VIEWER, Role.ADMIN])
def test_anyone_may_leave(owner: Membership, role: str) -> None:
    leaving = MembershipFactory(organization=owner.organization, role=role)
    team = TeamFactory(organization=owner.organization)
    TeamMembershipFactory(team=team, user=leaving.user)

    response = client_for(leaving).post(f"/acme/members/{leaving.pk}/remove/")

    assert response.status_code == 302
    assert response["Location"] == "/organizations/"
    assert not Membership.unscoped.filter(pk=leaving.pk).exists()
    assert not TeamMembership.unscoped.filter(user=leaving.user).exists()
    # Gone means gone: the organisation answers 404 now.
    assert client_for(leaving).get("/acme/").status_code == 404


def test_members_and_viewers_cannot_remove_others(member: Membership, viewer: Membership) -> None:
    for actor, target in ((member, viewer), (viewer, member)):
        response = client_for(actor).post(f"/acme/members/{target.pk}/remove/")
        assert response.status_code == 403
        assert Membership.unscoped.filter(pk=target.pk).exists()


def test_the_members_page_lists_only_this_organisations_members(
    member_client: Client, member: Membership, other_member: Membership
) -> None:
    response = member_client.get("/acme/members/")
    assert response.status_code == 200
    listed = {m.pk for m in response.context["members"]}
    assert member.pk in listed
    assert other_member.pk not in listed
    assert listed == set(
        Membership.unscoped.filter(organization=member.organization).values_list("pk", flat=True)
    )
    # Members see no pending invitations and no invitation form.
    assert b"Invite someone" not in response.content


def test_team_rows_survive_role_changes(owner: Membership, member: Membership) -> None:
    team = TeamFactory(organization=owner.organization)
    TeamMembershipFactory(team=team, user=member.user)
    services.membership_change_role(actor=owner, membership=member, role=Role.VIEWER)
    assert Team.unscoped.filter(pk=team.pk).exists()
    assert TeamMembership.unscoped.filter(team=team, user=member.user).exists()
