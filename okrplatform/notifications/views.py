"""The person's notifications in the current organisation: newest first, mark one or all read.

Every member may see their own notices (viewers too); nobody sees anyone else's, and another
organisation's notice answers 404 like a missing one.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from okrplatform.tenancy.permissions import current_membership

from . import selectors, services

PAGE_SIZE = 30


@require_GET
def notification_list(request: HttpRequest, org_slug: str) -> HttpResponse:
    membership = current_membership(request)
    paginator = Paginator(selectors.notification_list(recipient_id=membership.user_id), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "notifications/notification_list.html", {"page": page})


@require_POST
def notification_read(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    membership = current_membership(request)
    notice = selectors.notification_get(recipient_id=membership.user_id, pk=pk)
    if notice is None:
        raise Http404("No such notification.")
    services.notification_mark_read(notification=notice)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "notifications/notification_list.html#notice", {"notice": notice})
    return redirect("notifications:notification-list", org_slug=org_slug)


@require_POST
def notifications_read_all(request: HttpRequest, org_slug: str) -> HttpResponse:
    membership = current_membership(request)
    services.notifications_mark_all_read(recipient_id=membership.user_id)
    return redirect("notifications:notification-list", org_slug=org_slug)
