"""Teams: the tree, a team's page, and their management by admins."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from okrplatform.errors import DomainError
from okrplatform.forms import add_domain_error
from okrplatform.tenancy import selectors, services
from okrplatform.tenancy.forms import TeamForm, TeamMemberAddForm
from okrplatform.tenancy.models import Team
from okrplatform.tenancy.permissions import action_required, current_membership
from okrplatform.tenancy.roles import Action


def _team_or_404(pk: int) -> Team:
    team = selectors.team_get(pk)
    if team is None:
        raise Http404("No such team.")
    return team


@action_required(Action.MANAGE_TEAMS, on_methods=("POST",))
@require_http_methods(["GET", "POST"])
def team_list(request: HttpRequest, org_slug: str) -> HttpResponse:
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            team = services.team_create(actor=current_membership(request), **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"Team “{team.name}” created.")
            return redirect("tenancy:team-detail", org_slug=org_slug, pk=team.pk)
    teams = list(selectors.team_list())
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "tenancy/team_list.html",
        {"team_tree": selectors.team_tree(teams), "form": form},
        status=status,
    )


def team_detail(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    team = _team_or_404(pk)
    context = {
        "team": team,
        "member_form": TeamMemberAddForm(),
        "form": TeamForm(
            team=team,
            initial={
                "name": team.name,
                "description": team.description,
                "parent": team.parent_id,
                "lead": team.lead_id,
            },
        ),
    }
    return render(request, "tenancy/team_detail.html", context)


@action_required(Action.MANAGE_TEAMS)
@require_POST
def team_edit(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    team = _team_or_404(pk)
    form = TeamForm(request.POST, team=team)
    if form.is_valid():
        try:
            services.team_update(actor=current_membership(request), team=team, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Team saved.")
            return redirect("tenancy:team-detail", org_slug=org_slug, pk=pk)
    team = _team_or_404(pk)  # the failed update may have touched the instance
    return render(
        request,
        "tenancy/team_detail.html",
        {"team": team, "form": form, "member_form": TeamMemberAddForm()},
        status=400,
    )


@action_required(Action.MANAGE_TEAMS)
@require_POST
def team_delete(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    team = _team_or_404(pk)
    services.team_delete(actor=current_membership(request), team=team)
    messages.success(request, f"Team “{team.name}” deleted; its sub-teams moved to the top level.")
    return redirect("tenancy:team-list", org_slug=org_slug)


@action_required(Action.MANAGE_TEAMS)
@require_POST
def team_member_add(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    team = _team_or_404(pk)
    form = TeamMemberAddForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a member of the organisation.")
    else:
        try:
            services.team_member_add(
                actor=current_membership(request), team=team, user=form.cleaned_data["user"]
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"{form.cleaned_data['user']} joined {team.name}.")
    return redirect("tenancy:team-detail", org_slug=org_slug, pk=pk)


@action_required(Action.MANAGE_TEAMS)
@require_POST
def team_member_remove(request: HttpRequest, org_slug: str, pk: int, user_pk: int) -> HttpResponse:
    team = _team_or_404(pk)
    team_membership = next(
        (tm for tm in team.team_memberships.all() if tm.user_id == user_pk), None
    )
    if team_membership is None:
        raise Http404("That person is not in this team.")
    services.team_member_remove(
        actor=current_membership(request), team=team, user=team_membership.user
    )
    messages.success(request, f"{team_membership.user} left {team.name}.")
    return redirect("tenancy:team-detail", org_slug=org_slug, pk=pk)
