"""The KPI widgets of the organisation home: health counts, recent health changes, candidates.

``organization_home`` (tenancy) calls ``home_widgets()`` and the template includes
``boards/home_widgets.html``; two queries, whatever the number of KPIs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from kpis.formatting import format_value
from kpis.models import KPI, Health, HealthChange
from kpis.periods import MONTH_NAMES

from .card_query import overdue_q
from .cards import kpi_url_maker

RECENT_CHANGES = 10


@dataclass(frozen=True)
class HealthChangeLine:
    kpi_name: str
    kpi_url: str
    from_health: str
    from_label: str
    to_health: str
    to_label: str
    when_text: str
    when_iso: str
    value_text: str


def _when(moment: datetime) -> str:
    local = timezone.localtime(moment)
    return f"{local.day} {MONTH_NAMES[local.month - 1][:3]} {local.year}"


def url_or_empty(name: str, organization_slug: str) -> str:
    try:
        return reverse(name, kwargs={"org_slug": organization_slug})
    except NoReverseMatch:  # the page belongs to a feature not built yet
        return ""


def home_widgets(organization_slug: str) -> dict[str, Any]:
    kpi_counts = KPI.objects.filter(archived=False).aggregate(
        total=Count("pk"),
        healthy=Count("pk", filter=Q(health=Health.HEALTHY)),
        at_risk=Count("pk", filter=Q(health=Health.AT_RISK)),
        unhealthy=Count("pk", filter=Q(health=Health.UNHEALTHY)),
        no_data=Count("pk", filter=Q(health=Health.NO_DATA)),
        overdue=Count("pk", filter=overdue_q(timezone.now())),
    )
    url_of = kpi_url_maker(organization_slug)
    changes = [
        HealthChangeLine(
            kpi_name=change.kpi.name,
            kpi_url=url_of(change.kpi_id),
            from_health=change.from_health,
            from_label=Health(change.from_health).label,
            to_health=change.to_health,
            to_label=Health(change.to_health).label,
            when_text=_when(change.changed_at),
            when_iso=change.changed_at.isoformat(),
            value_text=format_value(change.value, change.kpi) if change.value is not None else "",
        )
        for change in HealthChange.objects.filter(kpi__archived=False)
        .select_related("kpi")
        .order_by("-changed_at", "-pk")[:RECENT_CHANGES]
    ]
    return {
        "kpi_counts": kpi_counts,
        "health_changes": changes,
        "candidates_url": url_or_empty("kpis:candidate-list", organization_slug),
        "all_kpis_url": reverse("boards:all-kpis", kwargs={"org_slug": organization_slug}),
    }
