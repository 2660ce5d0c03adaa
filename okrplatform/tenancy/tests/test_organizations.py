"""Organisations: the switcher, the landing redirect, creating one, and 404 for strangers."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import client_for
from okrplatform.errors import DomainError
from okrplatform.tenancy import services
from okrplatform.tenancy.models import Membership, Organization
from okrplatform.tenancy.roles import Role
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory


@pytest.fixture
def two_org_member(member: Membership, other_org: Organization) -> Membership:
    """``member`` of Acme who is also a viewer of Globex."""
    MembershipFactory(organization=other_org, user=member.user, role=Role.VIEWER)
    return member


def test_the_switcher_lists_only_the_users_own_organisations(two_org_member: Membership) -> None:
    stranger_org = OrganizationFactory(name="Initech", slug="initech")
    MembershipFactory(organization=stranger_org)

    response = client_for(two_org_member).get("/acme/")

    listed = [m.organization.slug for m in response.context["user_memberships"]]
    assert listed == ["acme", "globex"]  # by name: Acme Corp, Globex
    html = response.content.decode()
    assert 'href="/globex/"' in html
    assert "Initech" not in html
    assert 'href="/initech/"' not in html


def test_switching_organisation_changes_the_role_shown(two_org_member: Membership) -> None:
    client = client_for(two_org_member)
    assert client.get("/acme/").context["membership"].role == Role.MEMBER
    assert client.get("/globex/").context["membership"].role == Role.VIEWER


def test_root_redirects_to_the_last_used_organisation(two_org_member: Membership) -> None:
    client = client_for(two_org_member)
    client.get("/globex/teams/")
    assert client.get("/")["Location"] == "/globex/"
    client.get("/acme/members/")
    assert client.get("/")["Location"] == "/acme/"


def test_root_without_a_last_organisation(two_org_member: Membership, member: Membership) -> None:
    # Several organisations and no history: the list to choose from.
    assert client_for(two_org_member).get("/")["Location"] == "/organizations/"


def test_root_with_a_single_organisation_goes_there(member_client: Client) -> None:
    assert member_client.get("/")["Location"] == "/acme/"


@pytest.mark.django_db
def test_root_for_anonymous_visitors_and_for_people_without_organisations(
    client: Client,
) -> None:
    assert client.get("/")["Location"] == "/accounts/login/"
    client.force_login(UserFactory())
    assert client.get("/")["Location"] == "/organizations/"


def test_a_stale_last_organisation_is_ignored(two_org_member: Membership) -> None:
    client = client_for(two_org_member)
    client.get("/globex/")
    Membership.unscoped.filter(user=two_org_member.user, organization__slug="globex").delete()
    assert client.get("/")["Location"] == "/acme/"


def test_strangers_get_404_for_an_organisation_and_its_pages(
    other_client: Client, member: Membership
) -> None:
    for url in ("/acme/", "/acme/members/", "/acme/teams/", "/acme/settings/", "/nowhere/"):
        assert other_client.get(url).status_code == 404, url


def test_anyone_logged_in_can_start_another_organisation(
    member_client: Client, member: Membership
) -> None:
    response = member_client.post("/organizations/", {"name": "Side Project", "slug": ""})

    assert response.status_code == 302
    assert response["Location"] == "/side-project/members/"
    created = Membership.unscoped.get(organization__slug="side-project")
    assert (created.user, created.role) == (member.user, Role.OWNER)


def test_starting_an_organisation_with_a_taken_or_reserved_address_is_refused(
    member_client: Client,
) -> None:
    for slug, message in (("acme", "already taken"), ("healthz", "reserved")):
        response = member_client.post("/organizations/", {"name": "X", "slug": slug})
        assert response.status_code == 200
        assert message in response.context["form"].errors["slug"][0]
    assert Organization.objects.count() == 1


def test_a_name_without_letters_needs_an_explicit_address(member: Membership) -> None:
    with pytest.raises(DomainError, match="web address") as caught:
        services.organization_create(name="!!!", owner=member.user)
    assert caught.value.field == "slug"


def test_no_organisation_can_shadow_a_top_level_url() -> None:
    """A new top-level path in okrplatform/urls.py must join RESERVED_SLUGS."""
    from okrplatform.urls import urlpatterns

    segments = {str(pattern.pattern).split("/")[0] for pattern in urlpatterns}
    segments -= {"", "<slug:org_slug>"}
    assert segments
    assert segments <= services.RESERVED_SLUGS, segments - services.RESERVED_SLUGS
