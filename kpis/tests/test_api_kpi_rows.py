"""The KPI lists' fast path (``kpis/api/kpi_rows.py``) answers the JSON ``KPISerializer`` gives,
byte for byte, on the PostgreSQL path and on the portable one (SQLite's)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from kpis.api.kpis import KPISerializer, OKRCandidateViewSet
from kpis.models import KPI, Health, KPITarget, TargetKind, UpdateFrequency
from kpis.periods import period_start
from kpis.selectors import prefetch_current_targets
from okrplatform.tenancy.models import Membership, Team
from okrplatform.tenancy.scope import organization_scope
from tests.api.conftest import KeyClient, issue_key

pytestmark = pytest.mark.django_db


def _kpis_of_every_kind(owner: Membership) -> None:
    """KPIs in every health, of every frequency, with every kind of target (and none), with
    superseded and future targets, null and non-null bounds, tolerances, values and times."""
    organization = owner.organization
    team = Team.unscoped.create(organization=organization, name="Support")
    now = timezone.now()
    kinds: list[str | None] = [*TargetKind.values, None]
    frequencies = UpdateFrequency.values
    values = [None, Decimal("0"), Decimal("-12.5"), Decimal("1234567.123456"), Decimal("7")]
    index = 0
    for health in Health.values:
        for kind in kinds:
            frequency = frequencies[index % len(frequencies)]
            value = values[index % len(values)]
            kpi = KPI.unscoped.create(
                organization=organization,
                name=f"KPI {index:02d} “{health}” ünïcode",
                key="" if index % 3 == 0 else f"kpi-{index}",
                description="" if index % 2 else "How it is measured.\nLine two.",
                owner_team=team if index % 2 else None,
                owner=owner.user if index % 3 else None,
                unit_kind=["number", "percent", "currency", "duration"][index % 4],
                currency_code="EUR" if index % 4 == 2 else "",
                unit_suffix="tickets" if index % 5 == 0 else "",
                decimal_places=index % 3,
                update_frequency=frequency,
                archived=index % 7 == 0,
                health=health,
                health_since=None if health == Health.NO_DATA else now - timedelta(days=index),
                latest_value=value,
                latest_value_at=None if value is None else now - timedelta(hours=index),
                last_recorded_at=None
                if value is None
                else datetime(2025, 3, 30, 1, 30, 15, 123456, tzinfo=UTC),
            )
            if kind is not None:
                current = period_start(frequency, now)
                old = period_start(frequency, datetime(2023, 1, 15, tzinfo=UTC))
                bounds = {
                    TargetKind.AT_LEAST: (Decimal("10.25"), None),
                    TargetKind.AT_MOST: (None, Decimal("99.999999")),
                    TargetKind.BETWEEN: (Decimal("-1"), Decimal("1E+3")),
                }[TargetKind(kind)]
                for effective_from, tolerance, offset in [
                    (old, None, Decimal("5")),  # superseded
                    (current if index % 2 else old + timedelta(days=400), Decimal("0.5"), 0),
                    (date(2099, 1, 1), None, Decimal("1")),  # not yet
                ]:
                    KPITarget.unscoped.get_or_create(
                        organization=organization,
                        kpi=kpi,
                        effective_from=effective_from,
                        defaults={
                            "kind": kind,
                            "lower": None if bounds[0] is None else bounds[0] + offset,
                            "upper": None if bounds[1] is None else bounds[1] + offset,
                            "tolerance": tolerance,
                        },
                    )
            index += 1


def _serializer_json(owner: Membership, kpis: Any) -> bytes:
    with organization_scope(owner.organization_id):
        page = prefetch_current_targets(list(kpis))
        return JSONRenderer().render(KPISerializer(page, many=True).data)


def _list_json(client: KeyClient, url: str) -> bytes:
    response = client.get(url, {"page_size": 500})
    assert response.status_code == 200, response.content
    return JSONRenderer().render(response.json()["results"])


@pytest.mark.parametrize("zone", ["UTC", "America/St_Johns"])
def test_the_list_is_the_serializers_json(owner: Membership, write_path: str, zone: str) -> None:
    _kpis_of_every_kind(owner)
    client = issue_key(owner)
    with override_settings(TIME_ZONE=zone):
        with organization_scope(owner.organization_id):
            expected = _serializer_json(owner, KPI.objects.order_by("name", "id"))
        assert b'"current_target":null' in expected
        assert b'"kind":"between"' in expected
        assert _list_json(client, reverse("api:kpi-list")) == expected


def test_the_candidates_are_the_serializers_json(owner: Membership, write_path: str) -> None:
    _kpis_of_every_kind(owner)
    client = issue_key(owner)
    with organization_scope(owner.organization_id):
        candidates = list(OKRCandidateViewSet().get_queryset())
    assert candidates, "the world has unhealthy KPIs that no objective addresses"
    expected = _serializer_json(owner, candidates)
    assert _list_json(client, reverse("api:okr-candidate-list")) == expected


def _path(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


# DRF's cursor keeps only the first ordering field as its position (plus an offset into the ties),
# so an ordering with ties (``health``) walks once only because the API's OrderingFilter appends
# ``id`` in the last field's direction.
@pytest.mark.parametrize("ordering", ["", "-name", "created_at", "health", "-health"])
def test_cursor_pages_walk_the_whole_list_once(
    owner: Membership, write_path: str, ordering: str
) -> None:
    """Pages of three, followed by their ``next`` links: every KPI once, in order, and
    ``previous`` leads back a page."""
    _kpis_of_every_kind(owner)
    client = issue_key(owner)
    with organization_scope(owner.organization_id):
        tiebreaker = "-id" if ordering.startswith("-") else "id"
        names = KPI.objects.order_by(ordering or "name", tiebreaker)
        expected_ids = list(names.values_list("pk", flat=True))
    link: str | None = reverse("api:kpi-list") + f"?page_size=3&ordering={ordering}"
    pages: list[list[int]] = []
    while link:
        document = client.get(link).json()
        pages.append([row["id"] for row in document["results"]])
        link = _path(document["next"]) if document["next"] else None
    seen = [pk for page in pages for pk in page]
    assert seen == expected_ids
    if ordering.lstrip("-") == "health":
        # Backwards, DRF's cursor counts its offset among ties from the page's first row, so a
        # ``previous`` page inside a run of ties may be shifted (known; forward walks are exact).
        return
    back = client.get(_path(document["previous"])).json()
    assert [row["id"] for row in back["results"]] == pages[-2]
