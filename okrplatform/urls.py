from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from integrations import inbound as integrations_inbound
from okrplatform.health import views as health_views
from okrplatform.tenancy.views import members, organizations


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


# Renders without the database and shows the request id (okrplatform/requestid.py).
handler500 = "okrplatform.requestid.server_error"


# Organisation-scoped apps: each app's urls are mounted under /<org_slug>/ so the tenancy
# middleware resolves the organisation for every one of their views.
ORGANIZATION_URLS = [
    path("", include("okrplatform.tenancy.urls")),
    path("kpis/", include("kpis.urls")),
    path("okrs/", include("goals.urls")),
    path("boards/", include("boards.urls")),
    path("settings/api-keys/", include("okrplatform.api.keys_urls")),
    path("settings/webhooks/", include("okrplatform.webhooks.urls")),
    path("integrations/", include("integrations.urls")),
    path("notifications/", include("okrplatform.notifications.urls")),
]

urlpatterns = [
    path("", organizations.home_redirect, name="root"),
    path("healthz", healthz, name="healthz"),
    path("healthz/worker", health_views.worker, name="healthz-worker"),
    path("admin/", admin.site.urls),
    path("accounts/", include("okrplatform.accounts.urls")),
    # The REST API: the organisation comes from the API key, not the path (docs/api.md).
    path("api/v1/", include("okrplatform.api.urls")),
    # Inbound push for integrations: a machine with a per-source secret, no session, no org slug.
    path("api/push/<uuid:push_key>/", integrations_inbound.push_values, name="integration-push"),
    path("organizations/", organizations.organization_list, name="organizations"),
    path("invitations/<str:token>/", members.invitation_accept, name="invitation-accept"),
    path("<slug:org_slug>/", include(ORGANIZATION_URLS)),
]
