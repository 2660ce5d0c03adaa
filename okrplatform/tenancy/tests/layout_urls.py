"""A page that renders nothing but the layout, to count what every organisation page pays."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import include, path


def bare_layout(request: HttpRequest, org_slug: str) -> HttpResponse:
    return render(request, "base.html")


urlpatterns = [
    path("<slug:org_slug>/bare-layout/", bare_layout, name="bare-layout"),
    path("", include("okrplatform.urls")),
]
