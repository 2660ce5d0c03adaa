from __future__ import annotations

from typing import Any, cast

from django import forms

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
        # Show the tree indented, leaving out the team itself and its sub-teams: a team cannot
        # sit below itself (the service enforces it too).
        choices: list[tuple[int | str, str]] = [("", "— top level —")]
        subtree_depth: int | None = None
        for candidate, depth in team_tree(list(Team.objects.all())):
            if subtree_depth is not None and depth > subtree_depth:
                continue
            subtree_depth = None
            if team is not None and candidate.pk == team.pk:
                subtree_depth = depth
                continue
            choices.append((candidate.pk, "\u2003" * depth + candidate.name))
        cast(forms.ChoiceField, self.fields["parent"]).choices = choices


class TeamMemberAddForm(forms.Form):
    # The queryset is scoped when it runs, so one built here serves every organisation.
    user = forms.ModelChoiceField(
        label="Member", queryset=users_of_organization(), empty_label="Choose a member…"
    )
