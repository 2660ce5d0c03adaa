"""Teams: the tree (no cycles), leads who are members, membership, and one organisation only."""

from __future__ import annotations

import pytest
from django.test import Client

from okrplatform.errors import DomainError
from okrplatform.tenancy import services
from okrplatform.tenancy.forms import TeamForm
from okrplatform.tenancy.models import Membership, Organization, Team, TeamMembership
from okrplatform.tenancy.scope import organization_scope
from tests.factories import MembershipFactory, TeamFactory, TeamMembershipFactory, UserFactory


def _update(actor: Membership, team: Team, **changes: object) -> Team:
    fields: dict[str, object] = {
        "name": team.name,
        "description": team.description,
        "parent": team.parent,
        "lead": team.lead,
    }
    fields.update(changes)
    return services.team_update(actor=actor, team=team, **fields)  # type: ignore[arg-type]


def test_admin_creates_a_team_whose_lead_joins_it(
    admin_client_: Client, admin: Membership, member: Membership
) -> None:
    parent = TeamFactory(organization=admin.organization, name="Sales")

    response = admin_client_.post(
        "/acme/teams/",
        {"name": "Inside Sales", "description": "", "parent": parent.pk, "lead": member.user.pk},
    )

    team = Team.unscoped.get(name="Inside Sales")
    assert response.status_code == 302
    assert response["Location"] == f"/acme/teams/{team.pk}/"
    assert (team.organization, team.parent, team.lead) == (admin.organization, parent, member.user)
    assert TeamMembership.unscoped.filter(team=team, user=member.user).exists()


def test_team_names_are_unique_per_organisation_ignoring_case(
    admin: Membership, other_org: Organization
) -> None:
    TeamFactory(organization=admin.organization, name="Sales")
    TeamFactory(organization=other_org, name="Marketing")
    with pytest.raises(DomainError, match="already a team") as caught:
        services.team_create(actor=admin, name=" sales ")
    assert caught.value.field == "name"
    # Another organisation's team names are no obstacle.
    assert services.team_create(actor=admin, name="Marketing").name == "Marketing"


def test_a_team_cannot_sit_below_itself_or_its_sub_teams(admin: Membership) -> None:
    top = TeamFactory(organization=admin.organization, name="Top")
    middle = TeamFactory(organization=admin.organization, name="Middle", parent=top)
    bottom = TeamFactory(organization=admin.organization, name="Bottom", parent=middle)

    for new_parent in (top, middle, bottom):
        with pytest.raises(DomainError, match="below itself") as caught:
            _update(admin, top, parent=new_parent)
        assert caught.value.field == "parent"
    top.refresh_from_db()
    assert top.parent is None
    # Moving a leaf elsewhere in the tree is fine.
    _update(admin, bottom, parent=top)
    bottom.refresh_from_db()
    assert bottom.parent == top


def test_the_parent_choices_leave_out_the_team_and_its_sub_teams(admin: Membership) -> None:
    top = TeamFactory(organization=admin.organization, name="Top")
    middle = TeamFactory(organization=admin.organization, name="Middle", parent=top)
    TeamFactory(organization=admin.organization, name="Bottom", parent=middle)
    sibling = TeamFactory(organization=admin.organization, name="Sibling")

    with organization_scope(admin.organization_id):
        choices = TeamForm(team=middle).fields["parent"].choices  # type: ignore[attr-defined]

    offered = [value for value, _label in choices if value]
    assert offered == [sibling.pk, top.pk]


def test_the_edit_page_refuses_a_sub_team_as_parent(
    admin_client_: Client, admin: Membership
) -> None:
    top = TeamFactory(organization=admin.organization, name="Top")
    child = TeamFactory(organization=admin.organization, name="Child", parent=top)

    response = admin_client_.post(
        f"/acme/teams/{top.pk}/edit/", {"name": "Top", "parent": child.pk, "lead": ""}
    )

    assert response.status_code == 400
    assert response.context["form"].errors["parent"]
    top.refresh_from_db()
    assert top.parent is None


def test_the_lead_must_be_a_member_of_the_organisation(
    admin: Membership, other_member: Membership
) -> None:
    outsider = UserFactory()
    team = TeamFactory(organization=admin.organization)
    for lead in (outsider, other_member.user):
        with pytest.raises(DomainError, match="must be a member") as caught:
            services.team_create(actor=admin, name="New", lead=lead)
        assert caught.value.field == "lead"
        with pytest.raises(DomainError, match="must be a member"):
            _update(admin, team, lead=lead)
    assert Team.unscoped.count() == 1
    team.refresh_from_db()
    assert team.lead is None


def test_a_parent_from_another_organisation_is_refused(
    admin: Membership, other_org: Organization
) -> None:
    foreign = TeamFactory(organization=other_org)
    team = TeamFactory(organization=admin.organization)
    with pytest.raises(DomainError, match="does not belong") as caught:
        services.team_create(actor=admin, name="New", parent=foreign)
    assert caught.value.field == "parent"
    with pytest.raises(DomainError, match="does not belong"):
        _update(admin, team, parent=foreign)
    team.refresh_from_db()
    assert team.parent is None


def test_the_pages_refuse_foreign_parents_and_leads(
    admin_client_: Client, admin: Membership, other_member: Membership
) -> None:
    foreign_team = TeamFactory(organization=other_member.organization)

    response = admin_client_.post(
        "/acme/teams/", {"name": "New", "parent": foreign_team.pk, "lead": other_member.user.pk}
    )

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "parent" in errors
    assert "lead" in errors
    assert not Team.unscoped.filter(organization=admin.organization).exists()


def test_a_team_of_another_organisation_cannot_be_changed_through_the_service(
    admin: Membership, other_org: Organization
) -> None:
    foreign = TeamFactory(organization=other_org, name="Theirs")
    with pytest.raises(DomainError, match="does not belong"):
        _update(admin, foreign, name="Ours now")
    with pytest.raises(DomainError, match="does not belong"):
        services.team_delete(actor=admin, team=foreign)
    with pytest.raises(DomainError, match="does not belong"):
        services.team_member_add(actor=admin, team=foreign, user=admin.user)
    foreign.refresh_from_db()
    assert foreign.name == "Theirs"


def test_team_members_are_added_and_removed(
    admin_client_: Client, admin: Membership, member: Membership
) -> None:
    team = TeamFactory(organization=admin.organization, lead=member.user)

    response = admin_client_.post(f"/acme/teams/{team.pk}/members/", {"user": member.user.pk})
    assert response.status_code == 302
    assert TeamMembership.unscoped.filter(team=team, user=member.user).exists()

    detail = admin_client_.get(f"/acme/teams/{team.pk}/")
    assert member.user.full_name in detail.content.decode()

    response = admin_client_.post(f"/acme/teams/{team.pk}/members/{member.user.pk}/remove/")
    assert response.status_code == 302
    assert not TeamMembership.unscoped.filter(team=team, user=member.user).exists()
    team.refresh_from_db()
    assert team.lead is None  # the lead who left the team no longer leads it


def test_adding_twice_or_adding_a_non_member_is_refused(
    admin: Membership, member: Membership, other_member: Membership, scope: Organization
) -> None:
    team = TeamFactory(organization=admin.organization)
    services.team_member_add(actor=admin, team=team, user=member.user)
    with pytest.raises(DomainError, match="already in"):
        services.team_member_add(actor=admin, team=team, user=member.user)
    with pytest.raises(DomainError, match="Only members"):
        services.team_member_add(actor=admin, team=team, user=other_member.user)
    assert TeamMembership.unscoped.filter(team=team).count() == 1


def test_removing_someone_not_in_the_team_is_404(admin_client_: Client, admin: Membership) -> None:
    team = TeamFactory(organization=admin.organization)
    response = admin_client_.post(f"/acme/teams/{team.pk}/members/{admin.user.pk}/remove/")
    assert response.status_code == 404


def test_deleting_a_team_moves_its_sub_teams_to_the_top(
    admin_client_: Client, admin: Membership
) -> None:
    top = TeamFactory(organization=admin.organization, name="Top")
    child = TeamFactory(organization=admin.organization, name="Child", parent=top)
    TeamMembershipFactory(team=top, user=admin.user)

    response = admin_client_.post(f"/acme/teams/{top.pk}/delete/")

    assert response.status_code == 302
    assert not Team.unscoped.filter(pk=top.pk).exists()
    child.refresh_from_db()
    assert child.parent is None
    assert Membership.unscoped.filter(pk=admin.pk).exists()  # people stay in the organisation


def test_the_team_list_shows_the_tree_of_this_organisation_only(
    member_client: Client, member: Membership, other_org: Organization
) -> None:
    top = TeamFactory(organization=member.organization, name="Support")
    child = TeamFactory(organization=member.organization, name="Customer Success", parent=top)
    TeamMembershipFactory(team=child, user=member.user)
    TeamFactory(organization=other_org, name="Globex Secret Team")

    response = member_client.get("/acme/teams/")

    assert response.status_code == 200
    assert [(team.name, depth) for team, depth in response.context["team_tree"]] == [
        ("Support", 0),
        ("Customer Success", 1),
    ]
    assert [team.member_count for team, _depth in response.context["team_tree"]] == [0, 1]
    assert "Globex Secret Team" not in response.content.decode()
    assert b"New team" not in response.content  # members do not manage teams


def test_a_member_of_two_organisations_sees_each_ones_team_lead_choices(
    admin: Membership, other_org: Organization
) -> None:
    MembershipFactory(organization=other_org, user=admin.user)
    only_here = MembershipFactory(organization=admin.organization).user
    with organization_scope(other_org.pk):
        leads = list(TeamForm().fields["lead"].queryset)  # type: ignore[attr-defined]
    assert only_here not in leads
    assert admin.user in leads
