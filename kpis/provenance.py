"""Where a KPI value came from, in words for the KPI page: who typed it, which import or API
call wrote it, or which integration run fetched it (with a link to that data source's run log).

The rows reach the template preformatted, like the rest of the KPI page.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from .models import KPIValue, ValueSource


@dataclass(frozen=True)
class ValueOrigin:
    label: str  # the kind of source: "Entered by hand", "CSV import", "REST API", "Integration"
    detail: str = ""  # by whom, or which connection and run
    url: str = ""  # the data source's run log, for integration values


def value_origin(point: KPIValue, *, org_slug: str) -> ValueOrigin:
    """Needs ``author`` and ``sync_run__data_source__integration`` selected with the point."""
    label = point.get_source_display()
    run = point.sync_run
    if point.source == ValueSource.INTEGRATION and run is not None:
        source = run.data_source
        url = reverse("integrations:source-detail", args=[org_slug, source.pk]) + f"#run-{run.pk}"
        detail = f"{source.integration.name} · run of {run.scheduled_for:%Y-%m-%d %H:%M} UTC"
        return ValueOrigin(label, detail, url)
    if point.author is not None:
        return ValueOrigin(label, f"by {point.author.full_name or point.author.email}")
    return ValueOrigin(label)
