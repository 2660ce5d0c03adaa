"""The KPI lists' fast path (``kpis/api/kpi_rows.py``) answers the JSON ``KPISerializer`` gives,
byte for byte, on the PostgreSQL path and on the portable one (SQLite's)."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db.models import F
from django.test import RequestFactory, override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from kpis.api.kpi_page_sql import kpi_page_rows
from kpis.api.kpis import KPISerializer, OKRCandidateViewSet
from kpis.models import KPI, Health, KPITarget, TargetKind, UpdateFrequency
from kpis.periods import period_start
from kpis.selectors import prefetch_current_targets
from okrplatform.api.keyset import KeysetPage
from okrplatform.tenancy.models import Membership, Team
from okrplatform.tenancy.scope import TenantScopeError, organization_scope
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


def _expected_ids(ordering: str) -> list[int]:
    """Every KPI's id in the list's order for ``?ordering=``: ``id`` as the last key in the
    direction of the last field, NULLs as the largest value (last up, first down)."""
    terms = [term for term in ordering.split(",") if term] or ["name"]
    terms.append("-id" if terms[-1].startswith("-") else "id")
    order = [
        F(term[1:]).desc(nulls_first=True) if term.startswith("-") else F(term).asc(nulls_last=True)
        for term in terms
    ]
    return list(KPI.objects.order_by(*order).values_list("pk", flat=True))


def _walk(client: KeyClient, link: str | None, direction: str) -> list[list[int]]:
    pages: list[list[int]] = []
    while link:
        response = client.get(link)
        assert response.status_code == 200, response.content
        document = response.json()
        pages.append([row["id"] for row in document["results"]])
        link = _path(document[direction]) if document[direction] else None
    return pages


@pytest.mark.parametrize(
    "ordering",
    ["", "-name", "health", "-health", "latest_value_at", "-latest_value_at", "health,-name"],
)
def test_cursor_pages_walk_the_whole_list_once_both_ways(
    owner: Membership, write_path: str, ordering: str
) -> None:
    """Pages of three, followed by their ``next`` links: every KPI once, in order; then from the
    last page back by ``previous`` links: the same pages, to the first (which has none). Ties
    (``health``), NULLs (``latest_value_at``) and mixed directions included."""
    _kpis_of_every_kind(owner)
    client = issue_key(owner)
    with organization_scope(owner.organization_id):
        expected_ids = _expected_ids(ordering)
    first = reverse("api:kpi-list") + f"?page_size=3&ordering={ordering}"
    pages = _walk(client, first, "next")
    assert [pk for page in pages for pk in page] == expected_ids
    assert all(len(page) == 3 for page in pages[:-1])
    last = client.get(first).json()
    while last["next"]:
        last = client.get(_path(last["next"])).json()
    back = _walk(client, _path(last["previous"]), "previous")
    assert back == pages[-2::-1]


def test_a_filtered_list_pages_on_the_orm_path_too(owner: Membership) -> None:
    """A filter takes the ORM path on PostgreSQL as well: same rows as the serializer's, and the
    same keyset walk."""
    _kpis_of_every_kind(owner)
    client = issue_key(owner)
    with organization_scope(owner.organization_id):
        kept = KPI.objects.filter(archived=False)
        expected = _serializer_json(owner, kept.order_by("-health", "-id"))
        expected_ids = list(kept.order_by("-health", "-id").values_list("pk", flat=True))
    url = reverse("api:kpi-list") + "?archived=false&ordering=-health"
    response = client.get(url + "&page_size=500")
    assert JSONRenderer().render(response.json()["results"]) == expected
    pages = _walk(client, url + "&page_size=4", "next")
    assert [pk for page in pages for pk in page] == expected_ids


def test_ties_beyond_a_thousand_rows_walk_once(owner: Membership, write_path: str) -> None:
    """1,100 KPIs of one health: DRF's offset cursor stopped at 1,000 rows of ties; the keyset
    walks them all, forward and back."""
    KPI.unscoped.bulk_create(
        KPI(organization=owner.organization, name=f"KPI {index:04d}", health=Health.AT_RISK)
        for index in range(1100)
    )
    client = issue_key(owner)
    with organization_scope(owner.organization_id):
        expected_ids = _expected_ids("health")
    pages = _walk(client, reverse("api:kpi-list") + "?ordering=health&page_size=300", "next")
    assert [pk for page in pages for pk in page] == expected_ids
    last = client.get(reverse("api:kpi-list") + "?ordering=health&page_size=300")
    document = last.json()
    while document["next"]:
        document = client.get(_path(document["next"])).json()
    back = _walk(client, _path(document["previous"]), "previous")
    assert [pk for page in reversed(back) for pk in page] == expected_ids[:900]


@pytest.mark.parametrize(
    "cursor",
    [
        base64.b64encode(b"p=KPI+01&r=1").decode(),  # DRF's own format, from before
        "not base64!",
        base64.urlsafe_b64encode(b'{"v":1,"o":"name,id","p":["KPI 01","7"],"r":0}').decode(),
        base64.urlsafe_b64encode(b'{"v":1,"o":"name,id","p":["KPI 01"],"r":0}').decode(),
        base64.urlsafe_b64encode(b'{"v":1,"o":"name,id","p":[null,7],"r":0}').decode(),
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
    ],
)
def test_a_stale_or_damaged_cursor_is_a_clear_400(
    owner: Membership, write_path: str, cursor: str
) -> None:
    _kpis_of_every_kind(owner)
    response = issue_key(owner).get(reverse("api:kpi-list"), {"cursor": cursor})
    assert response.status_code == 400, response.content
    assert "start again from the first page" in response.json()["detail"]


def test_a_cursor_of_another_ordering_is_a_clear_400(owner: Membership, write_path: str) -> None:
    _kpis_of_every_kind(owner)
    client = issue_key(owner)
    document = client.get(reverse("api:kpi-list"), {"page_size": 2}).json()
    cursor = parse_qs(urlsplit(document["next"]).query)["cursor"][0]
    assert client.get(reverse("api:kpi-list"), {"cursor": cursor}).status_code == 200
    response = client.get(reverse("api:kpi-list"), {"cursor": cursor, "ordering": "health"})
    assert response.status_code == 400
    assert "another ordering" in response.json()["detail"]


def test_the_hand_written_page_shows_only_the_callers_kpis(
    owner: Membership, other_member: Membership
) -> None:
    """Another organisation's KPIs and targets (same names, same health) never appear, on any
    page, in any ordering."""
    _kpis_of_every_kind(owner)
    _kpis_of_every_kind(other_member)
    client = issue_key(owner)
    with organization_scope(owner.organization_id):
        own = set(KPI.objects.values_list("pk", flat=True))
    for ordering in ["", "health", "-latest_value_at"]:
        url = reverse("api:kpi-list") + f"?page_size=4&ordering={ordering}"
        seen = [pk for page in _walk(client, url, "next") for pk in page]
        assert sorted(seen) == sorted(own)
    with organization_scope(other_member.organization_id):
        expected = _serializer_json(other_member, KPI.objects.order_by("name", "id"))
    assert _list_json(issue_key(other_member), reverse("api:kpi-list")) == expected


def test_the_hand_written_page_refuses_to_run_without_an_organisation(
    owner: Membership, rf: RequestFactory
) -> None:
    paginator = KeysetPage()
    paginator.start(Request(rf.get("/api/v1/kpis/")), KPI, ["name", "id"])
    with pytest.raises(TenantScopeError):
        kpi_page_rows(paginator, timezone.now())
