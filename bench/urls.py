"""The project's URLs plus the served reference page, for the benchmark run only (never mounted
in the product, so the isolation suite has nothing to cover)."""

from django.urls import path

from bench.reference import reference_page
from okrplatform.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("<slug:org_slug>/bench-reference/<int:pk>/", reference_page, name="bench-reference"),
    *project_urlpatterns,
]
