from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from .models import Team
from .roles import Role
from .selectors import team_tree, users_of_organization


class OrganizationCreateForm(forms.Form):
    name = forms.CharField(label="Organisation name", max_length=120)
    slug = forms.SlugField(
        label="Web address",
        max_length=60,
        required=False,
        help_text="Letters, digits and dashes; leave empty to derive it from the name.",
    )


class OrganizationSettingsForm(forms.Form):
    name = forms.CharField(label="Organisation name", max_length=120)
    ultimate_goal = forms.CharField(
        label="Ultimate goal",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The long-term destination your OKRs serve.",
    )


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Email address")
    role = forms.ChoiceField(label="Role", choices=Role.choices, initial=Role.MEMBER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Role.choices)


class TeamChoiceField(forms.ModelChoiceField[Team]):
    def label_from_instance(self, obj: Team) -> str:
        return obj.name


class TeamForm(forms.Form):
    name = forms.CharField(label="Name", max_length=120)
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    parent = TeamChoiceField(
        label="Parent team",
        queryset=Team.objects.all(),
        required=False,
        empty_label="— top level —",
    )
    lead = forms.ModelChoiceField(
        label="Team lead",
        queryset=users_of_organization(),
        required=False,
        empty_label="— nobody —",
    )

    def __init__(self, *args: Any, team: Team | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parent_field = self.fields["parent"]
        assert isinstance(parent_field, TeamChoiceField)
        # Show the tree indented; a team cannot be its own parent.
        ordered = team_tree(list(Team.objects.all()))
        parent_field.choices = [("", "— top level —")] + [
            (t.pk, "\u2003" * depth + t.name)
            for t, depth in ordered
            if team is None or t.pk != team.pk
        ]


class TeamMemberAddForm(forms.Form):
    user = forms.ModelChoiceField(label="Member", queryset=get_user_model().objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user_field = self.fields["user"]
        assert isinstance(user_field, forms.ModelChoiceField)
        user_field.queryset = users_of_organization()
