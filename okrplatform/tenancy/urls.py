"""Organisation pages, mounted under ``/<org_slug>/`` by the project's urls."""

from django.urls import path

from .views import members, organizations, teams

app_name = "tenancy"

urlpatterns = [
    path("", organizations.organization_home, name="home"),
    path("settings/", organizations.organization_settings, name="settings"),
    path("members/", members.member_list, name="member-list"),
    path("members/<int:pk>/role/", members.member_change_role, name="member-role"),
    path("members/<int:pk>/remove/", members.member_remove, name="member-remove"),
    path("invitations/<int:pk>/revoke/", members.invitation_revoke, name="invitation-revoke"),
    path("teams/", teams.team_list, name="team-list"),
    path("teams/<int:pk>/", teams.team_detail, name="team-detail"),
    path("teams/<int:pk>/edit/", teams.team_edit, name="team-edit"),
    path("teams/<int:pk>/delete/", teams.team_delete, name="team-delete"),
    path("teams/<int:pk>/members/", teams.team_member_add, name="team-member-add"),
    path(
        "teams/<int:pk>/members/<int:user_pk>/remove/",
        teams.team_member_remove,
        name="team-member-remove",
    ),
]
