"""``/api/v1/``: the schema, its two viewers, and every app's resources.

Each app's ``api.py`` has ``register(router) -> extra urlpatterns``; the organisation comes
from the API key (or the ``X-Organization`` header of a signed-in browser), never the path.
"""

from __future__ import annotations

from importlib import import_module

from csp.decorators import csp_update
from django.urls import path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.routers import SimpleRouter

app_name = "api"

API_MODULES = [
    "okrplatform.tenancy.api",
    "kpis.api",
    "boards.api",
    "goals.api",
    "integrations.api",
    "okrplatform.webhooks.api",
]

router = SimpleRouter()
extra_urls = []
for module_name in API_MODULES:
    extra_urls += import_module(module_name).register(router)

swagger = SpectacularSwaggerSplitView.as_view(
    url_name="api:schema", template_name="api/swagger_ui.html"
)
# Redoc renders with styled-components, which injects <style> elements, and parses the schema
# in a blob: worker. Only this page relaxes the CSP for that; nothing of ours runs on it.
redoc = csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["blob:"]})(
    SpectacularRedocView.as_view(url_name="api:schema", template_name="api/redoc.html")
)

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", swagger, name="swagger-ui"),
    path("redoc/", redoc, name="redoc"),
    *extra_urls,
    *router.urls,
]
