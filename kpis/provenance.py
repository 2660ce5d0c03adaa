"""Where a KPI value came from, in words for the KPI page: who typed it, which import or API
call wrote it, or which integration run fetched it (with a link to that data source's run log).

The rows reach the template preformatted, like the rest of the KPI page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.urls import reverse

from .models import ValueSource

if TYPE_CHECKING:
    from .page_data import ValueRow


@dataclass(frozen=True)
class ValueOrigin:
    label: str  # the kind of source: "Entered by hand", "CSV import", "REST API", "Integration"
    detail: str = ""  # by whom, or which connection and run
    url: str = ""  # the data source's run log, for integration values


SOURCE_LABELS = dict(ValueSource.choices)


def value_origin(point: ValueRow, *, org_slug: str) -> ValueOrigin:
    """Where ``point`` (a row of ``kpis.page_data``) came from."""
    label = str(SOURCE_LABELS.get(point.source, point.source))
    if (
        point.source == ValueSource.INTEGRATION
        and point.run_pk is not None
        and point.run_scheduled_for is not None
        and point.data_source_pk is not None
    ):
        url = (
            reverse("integrations:source-detail", args=[org_slug, point.data_source_pk])
            + f"#run-{point.run_pk}"
        )
        detail = f"{point.integration_name} · run of {point.run_scheduled_for:%Y-%m-%d %H:%M} UTC"
        return ValueOrigin(label, detail, url)
    if point.author_name:
        return ValueOrigin(label, f"by {point.author_name}")
    return ValueOrigin(label)
