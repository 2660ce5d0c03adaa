"""A page that renders nothing but the layout, to count what every organisation page pays."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import include, path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from okrplatform.notifications.models import Notification


def bare_layout(request: HttpRequest, org_slug: str) -> HttpResponse:
    if request.method == "POST":  # a view that reads every notice, then renders a page
        Notification.objects.filter(recipient_id=request.user.pk).update(read_at=timezone.now())
    return render(request, "base.html")


urlpatterns = [
    path("<slug:org_slug>/bare-layout/", csrf_exempt(bare_layout), name="bare-layout"),
    path("", include("okrplatform.urls")),
]
