"""Members and invitations."""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from okrplatform.errors import DomainError
from okrplatform.forms import add_domain_error
from okrplatform.tenancy import selectors, services, tasks
from okrplatform.tenancy.forms import InvitationForm, RoleForm
from okrplatform.tenancy.models import Invitation
from okrplatform.tenancy.permissions import action_required, current_membership, require_action
from okrplatform.tenancy.roles import Action, Role


def _member_page(
    request: HttpRequest, invitation_form: InvitationForm, status: int = 200
) -> HttpResponse:
    membership = current_membership(request)
    can_manage = membership.can(Action.MANAGE_MEMBERS)
    context = {
        "members": selectors.member_list(),
        "invitations": selectors.pending_invitations() if can_manage else [],
        "invitation_form": invitation_form,
        "roles": Role.choices,
    }
    return render(request, "tenancy/member_list.html", context, status=status)


@action_required(Action.MANAGE_MEMBERS, on_methods=("POST",))
@require_http_methods(["GET", "POST"])
def member_list(request: HttpRequest, org_slug: str) -> HttpResponse:
    """The members page; admins also invite here (POST)."""
    form = InvitationForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                invitation = services.invitation_create(
                    actor=current_membership(request),
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                accept_url = request.build_absolute_uri(
                    reverse("invitation-accept", args=[invitation.token])
                )
                transaction.on_commit(
                    partial(
                        tasks.invitation_email_send.delay,
                        organization_id=invitation.organization_id,
                        invitation_id=invitation.pk,
                        accept_url=accept_url,
                    )
                )
                messages.success(request, f"Invitation sent to {invitation.email}.")
                return redirect("tenancy:member-list", org_slug=org_slug)
        return _member_page(request, form, status=400)
    return _member_page(request, form)


@action_required(Action.MANAGE_MEMBERS)
@require_POST
def member_change_role(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    membership = selectors.member_get(pk)
    if membership is None:
        raise Http404
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the roles.")
    else:
        try:
            services.membership_change_role(
                actor=current_membership(request),
                membership=membership,
                role=form.cleaned_data["role"],
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"{membership.user} is now {membership.get_role_display()}.")
    return redirect("tenancy:member-list", org_slug=org_slug)


@require_POST
def member_remove(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    """Admins remove members; anyone may remove themselves (leave)."""
    actor = current_membership(request)
    membership = selectors.member_get(pk)
    if membership is None:
        raise Http404
    leaving = membership.pk == actor.pk  # decided now: delete() clears the instance's pk
    if not leaving:
        require_action(request, Action.MANAGE_MEMBERS)  # 403 for viewers and members
    try:
        services.membership_remove(actor=actor, membership=membership)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("tenancy:member-list", org_slug=org_slug)
    if leaving:
        messages.success(request, f"You left {actor.organization.name}.")
        return redirect("organizations")
    messages.success(request, f"{membership.user} was removed from the organisation.")
    return redirect("tenancy:member-list", org_slug=org_slug)


@action_required(Action.MANAGE_MEMBERS)
@require_POST
def invitation_revoke(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    invitation = selectors.invitation_get(pk)
    if invitation is None:
        raise Http404
    try:
        services.invitation_revoke(actor=current_membership(request), invitation=invitation)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"The invitation for {invitation.email} was withdrawn.")
    return redirect("tenancy:member-list", org_slug=org_slug)


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the invitation email. Not under an organisation: the guest is not a member yet."""
    invitation = (
        Invitation.unscoped.select_related("organization", "invited_by").filter(token=token).first()
    )
    if invitation is None:
        raise Http404("This invitation link is not valid.")
    problem = None
    try:
        services.invitation_check(invitation)
    except DomainError as error:
        problem = error.message
    if request.method == "POST" and problem is None:
        if not request.user.is_authenticated:
            return redirect(f"{reverse('accounts:login')}?next={request.path}")
        try:
            with transaction.atomic():
                membership = services.invitation_accept(token=token, user=request.user)
        except DomainError as error:
            problem = error.message
        else:
            messages.success(request, f"Welcome to {membership.organization.name}!")
            return redirect("tenancy:home", org_slug=membership.organization.slug)
    status = 400 if problem and request.method == "POST" else 200
    return render(
        request,
        "tenancy/invitation_accept.html",
        {"invitation": invitation, "problem": problem},
        status=status,
    )
