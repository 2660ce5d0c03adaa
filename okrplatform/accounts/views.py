from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from okrplatform.errors import DomainError
from okrplatform.forms import add_domain_error
from okrplatform.tenancy.models import Invitation

from . import services
from .forms import SignUpForm


@require_http_methods(["GET", "POST"])
def sign_up(request: HttpRequest) -> HttpResponse:
    """Create an account and an organisation, or an account that joins through an invitation."""
    token = request.GET.get("invitation", "")
    invitation = (
        Invitation.unscoped.select_related("organization").filter(token=token).first()
        if token
        else None
    )
    form = SignUpForm(
        request.POST or None,
        invited=invitation is not None,
        initial={"email": invitation.email} if invitation else None,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, organization = services.user_sign_up(
                full_name=data["full_name"],
                email=data["email"],
                password=data["password1"],
                organization_name=data.get("organization_name", ""),
                organization_slug=data.get("organization_slug", ""),
                invitation_token=token if invitation is not None else "",
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome to {organization.name}!")
            return redirect("tenancy:home", org_slug=organization.slug)
    return render(request, "accounts/sign_up.html", {"form": form, "invitation": invitation})
