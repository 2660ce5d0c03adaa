"""Organisation pages: the switcher, creating one, its home and its settings."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from okrplatform.errors import DomainError
from okrplatform.forms import add_domain_error
from okrplatform.tenancy import selectors, services
from okrplatform.tenancy.forms import OrganizationCreateForm, OrganizationSettingsForm
from okrplatform.tenancy.middleware import LAST_ORGANIZATION_SESSION_KEY
from okrplatform.tenancy.permissions import action_required, current_membership
from okrplatform.tenancy.roles import Action


def home_redirect(request: HttpRequest) -> HttpResponse:
    """``/``: the last organisation used, the list of organisations, or the login page."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    memberships = list(selectors.memberships_of_user(request.user))
    last_slug = request.session.get(LAST_ORGANIZATION_SESSION_KEY)
    for membership in memberships:
        if membership.organization.slug == last_slug:
            return redirect("tenancy:home", org_slug=last_slug)
    if len(memberships) == 1:
        return redirect("tenancy:home", org_slug=memberships[0].organization.slug)
    return redirect("organizations")


@login_required
@require_http_methods(["GET", "POST"])
def organization_list(request: HttpRequest) -> HttpResponse:
    """Every organisation the person belongs to, and a form to start a new one."""
    form = OrganizationCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organization = services.organization_create(
                name=form.cleaned_data["name"],
                slug=form.cleaned_data["slug"],
                owner=request.user,  # type: ignore[arg-type]
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"{organization.name} is ready. Invite your colleagues next.")
            return redirect("tenancy:member-list", org_slug=organization.slug)
    memberships = selectors.memberships_of_user(request.user)  # type: ignore[arg-type]
    return render(
        request, "tenancy/organization_list.html", {"memberships": memberships, "form": form}
    )


def organization_home(request: HttpRequest, org_slug: str) -> HttpResponse:
    membership = current_membership(request)
    teams = list(selectors.team_list())
    context = {
        "members": selectors.member_list()[:12],
        "member_count": selectors.member_list().count(),
        "team_tree": selectors.team_tree(teams),
        "pending_invitation_count": selectors.pending_invitations().count()
        if membership.can(Action.MANAGE_MEMBERS)
        else 0,
    }
    from boards.home import home_widgets  # the KPI widgets belong to the boards app

    context.update(home_widgets(org_slug))
    return render(request, "tenancy/organization_home.html", context)


@action_required(Action.MANAGE_ORGANIZATION, on_methods=("POST",))
@require_http_methods(["GET", "POST"])
def organization_settings(request: HttpRequest, org_slug: str) -> HttpResponse:
    membership = current_membership(request)
    organization = membership.organization
    form = OrganizationSettingsForm(
        request.POST or None,
        initial={"name": organization.name, "ultimate_goal": organization.ultimate_goal},
    )
    if not membership.can(Action.MANAGE_ORGANIZATION):
        for field in form.fields.values():
            field.disabled = True
    if request.method == "POST" and form.is_valid():
        services.organization_update(actor=membership, **form.cleaned_data)
        messages.success(request, "Organisation settings saved.")
        return redirect("tenancy:settings", org_slug=org_slug)
    return render(request, "tenancy/organization_settings.html", {"form": form})
