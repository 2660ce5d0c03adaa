"""URLs of OKR objects, built once per page from the reversed base paths.

A cycle page of 300 objectives and 1,000 key results needs thousands of links; ``{% url %}``
costs a full reverse each time and dominated the page's render time, so the pages receive the
links preformatted (as the boards do with their cards, ARCHITECTURE.md).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse

from goals.models import Objective


def add_links(objectives: Iterable[Objective], org_slug: str) -> None:
    """Set the links, and the prefetched relations as plain lists (``.all()`` in a template
    clones a queryset each time, thousands of times on a big page)."""
    base = reverse("goals:objective-list", kwargs={"org_slug": org_slug})
    kpi_base = reverse("kpis:kpi-list", kwargs={"org_slug": org_slug})
    for objective in objectives:
        objective.url = f"{base}{objective.pk}/"  # type: ignore[attr-defined]
        objective.kr_create_url = f"{base}{objective.pk}/key-results/new/"  # type: ignore[attr-defined]
        objective.initiative_create_url = f"{base}{objective.pk}/initiatives/new/"  # type: ignore[attr-defined]
        objective.kr_list = list(objective.key_results.all())  # type: ignore[attr-defined]
        objective.kpi_list = list(objective.kpis.all())  # type: ignore[attr-defined]
        objective.parent_list = list(objective.parents.all())  # type: ignore[attr-defined]
        objective.initiative_count = len(objective.initiatives.all())  # type: ignore[attr-defined]
        objective.is_open = objective.cycle.status != "closed"  # type: ignore[attr-defined]
        for key_result in objective.kr_list:  # type: ignore[attr-defined]
            key_result.check_in_url = f"{base}key-results/{key_result.pk}/check-in/"
        for kpi in objective.kpi_list:  # type: ignore[attr-defined]
            kpi.url = f"{kpi_base}{kpi.pk}/"
        for parent in objective.parent_list:  # type: ignore[attr-defined]
            parent.url = f"{base}{parent.pk}/"
