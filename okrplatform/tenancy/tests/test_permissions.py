"""Viewers change nothing, members do not run the organisation: every form answers 403."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from conftest import client_for
from okrplatform.tenancy.models import Invitation, Membership, Organization, Team, TeamMembership
from okrplatform.tenancy.roles import Role
from tests.factories import InvitationFactory, TeamFactory, TeamMembershipFactory


def _state() -> list[Any]:
    """Everything a tenancy form could change, to compare before and after."""
    return [
        list(Organization.objects.order_by("pk").values()),
        list(Membership.unscoped.order_by("pk").values()),
        list(Team.unscoped.order_by("pk").values()),
        list(TeamMembership.unscoped.order_by("pk").values()),
        list(Invitation.unscoped.order_by("pk").values()),
    ]


def _forms(org: Organization, target: Membership) -> list[tuple[str, str, dict[str, Any]]]:
    """(action name, URL, data) of every tenancy form, aimed at real objects."""
    team = TeamFactory(organization=org, name="Sales")
    TeamMembershipFactory(team=team, user=target.user)
    invitation = InvitationFactory(organization=org)
    slug = org.slug
    return [
        ("invite", f"/{slug}/members/", {"email": "new@example.test", "role": Role.MEMBER}),
        ("change role", f"/{slug}/members/{target.pk}/role/", {"role": Role.ADMIN}),
        ("remove member", f"/{slug}/members/{target.pk}/remove/", {}),
        ("revoke invitation", f"/{slug}/invitations/{invitation.pk}/revoke/", {}),
        ("create team", f"/{slug}/teams/", {"name": "New team"}),
        ("edit team", f"/{slug}/teams/{team.pk}/edit/", {"name": "Renamed"}),
        ("delete team", f"/{slug}/teams/{team.pk}/delete/", {}),
        ("add team member", f"/{slug}/teams/{team.pk}/members/", {"user": target.user.pk}),
        (
            "remove team member",
            f"/{slug}/teams/{team.pk}/members/{target.user.pk}/remove/",
            {},
        ),
        ("settings", f"/{slug}/settings/", {"name": "Hacked", "ultimate_goal": "x"}),
    ]


TEAM_FORMS = {"create team", "edit team", "delete team", "add team member", "remove team member"}
MEMBER_FORMS = {"invite", "change role", "remove member", "revoke invitation", "settings"}


def test_every_form_is_listed(viewer: Membership, member: Membership) -> None:
    """A new POST view in tenancy/urls.py must join ``_forms`` above."""
    from django.urls import resolve

    from okrplatform.tenancy.urls import urlpatterns

    read_only_pages = {"home", "team-detail"}
    listed = _forms(viewer.organization, member)
    assert {name for name, _url, _data in listed} == TEAM_FORMS | MEMBER_FORMS
    assert {resolve(url).url_name for _name, url, _data in listed} == {
        pattern.name for pattern in urlpatterns
    } - read_only_pages


@pytest.mark.parametrize("action", sorted(TEAM_FORMS | MEMBER_FORMS))
def test_a_viewer_posting_any_form_gets_403_and_nothing_changes(
    viewer: Membership, member: Membership, action: str
) -> None:
    url, data = next((u, d) for name, u, d in _forms(viewer.organization, member) if name == action)
    before = _state()

    response = client_for(viewer).post(url, data)

    assert response.status_code == 403
    assert "Viewer" in response.content.decode()  # the page says which role this needed
    assert _state() == before


@pytest.mark.parametrize("action", sorted(TEAM_FORMS | MEMBER_FORMS))
def test_a_member_cannot_manage_teams_members_or_settings(
    member: Membership, viewer: Membership, action: str
) -> None:
    url, data = next((u, d) for name, u, d in _forms(member.organization, viewer) if name == action)
    before = _state()

    response = client_for(member).post(url, data)

    assert response.status_code == 403
    assert _state() == before


def test_viewers_still_read_every_page(viewer_client: Client, viewer: Membership) -> None:
    team = TeamFactory(organization=viewer.organization)
    for url in (
        "/acme/",
        "/acme/members/",
        "/acme/teams/",
        f"/acme/teams/{team.pk}/",
        "/acme/settings/",
    ):
        assert viewer_client.get(url).status_code == 200, url


def test_a_viewer_sees_the_settings_form_disabled(viewer_client: Client) -> None:
    form = viewer_client.get("/acme/settings/").context["form"]
    assert all(field.disabled for field in form.fields.values())


def test_an_admin_saves_the_settings(admin_client_: Client, admin: Membership) -> None:
    response = admin_client_.post(
        "/acme/settings/", {"name": "Acme Corporation", "ultimate_goal": "Run on data."}
    )
    assert response.status_code == 302
    admin.organization.refresh_from_db()
    assert (admin.organization.name, admin.organization.ultimate_goal) == (
        "Acme Corporation",
        "Run on data.",
    )
