"""The project's URLs plus the served references, for the benchmark run only (never mounted in
the product, so the isolation suite has nothing to cover)."""

from django.urls import path

from bench.api_reference import BareRowsView
from bench.kpi_page import reference_kpi_page
from bench.okr_pages import reference_alignment_map, reference_cycle_page
from bench.reference import reference_page
from okrplatform.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("<slug:org_slug>/bench-reference/<int:pk>/", reference_page, name="bench-reference"),
    path(
        "<slug:org_slug>/bench-reference/kpi/<int:pk>/",
        reference_kpi_page,
        name="bench-reference-kpi",
    ),
    path(
        "<slug:org_slug>/bench-reference/cycle/", reference_cycle_page, name="bench-reference-cycle"
    ),
    path(
        "<slug:org_slug>/bench-reference/map/", reference_alignment_map, name="bench-reference-map"
    ),
    path("bench-api/bare-rows/", BareRowsView.as_view(), name="bench-bare-rows"),
    *project_urlpatterns,
]
