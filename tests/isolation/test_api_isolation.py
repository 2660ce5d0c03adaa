"""The tenant-isolation suite, API section: every route under ``/api/v1/``.

API routes are not under ``/<org_slug>/``: the organisation comes from the key. So here org B's
key (and B's owner signed in, naming A in ``X-Organization``) asks for org A's objects by id:
every answer is 404 and nothing of A's changes; B's lists contain none of A's rows. A new API
route this file does not know makes ``test_every_api_route_is_covered`` fail.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.api.conftest import KeyClient
from tests.isolation.test_isolation import _tenant_snapshot, all_patterns
from tests.isolation.world import MARKER, TenantWorld, build_world

API_NAMESPACE = "api"

API_PUBLIC = {
    "api:schema": "the OpenAPI document: no tenant data",
    "api:swagger-ui": "Swagger UI page: no tenant data",
    "api:redoc": "Redoc page: no tenant data",
}
# Routes without an object id: lists (and the organisation itself, and bulk ingest).
API_NO_OBJECT = {
    "api:organization",
    "api:kpi-value-bulk",
    "api:team-list",
    "api:member-list",
    "api:kpi-list",
    "api:okr-candidate-list",
    "api:kpi-value-list",
    "api:board-list",
    "api:strategic-pillar-list",
    "api:cycle-list",
    "api:objective-list",
    "api:key-result-list",
    "api:initiative-list",
    "api:check-in-list",
    "api:integration-list",
    "api:data-source-list",
    "api:sync-run-list",
    "api:webhook-list",
    "api:webhook-delivery-list",
}
API_OBJECT_KWARGS: dict[str, Callable[[TenantWorld], dict[str, Any]]] = {
    "api:team-detail": lambda w: {"pk": w.team.pk},
    "api:member-detail": lambda w: {"pk": w.member.pk},
    "api:kpi-detail": lambda w: {"pk": w.api_kpi.pk},
    "api:okr-candidate-detail": lambda w: {"pk": w.api_kpi.pk},
    "api:kpi-value-detail": lambda w: {"pk": w.api_value.pk},
    "api:board-detail": lambda w: {"pk": w.api_board.pk},
    "api:strategic-pillar-detail": lambda w: {"pk": w.api_pillar.pk},
    "api:cycle-detail": lambda w: {"pk": w.api_cycle.pk},
    "api:objective-detail": lambda w: {"pk": w.api_objective.pk},
    "api:key-result-detail": lambda w: {"pk": w.api_key_result.pk},
    "api:initiative-detail": lambda w: {"pk": w.api_initiative.pk},
    "api:check-in-detail": lambda w: {"pk": w.api_check_in.pk},
    "api:kpi-targets": lambda w: {"pk": w.api_kpi.pk},
    "api:integration-detail": lambda w: {"pk": w.integration.pk},
    "api:data-source-detail": lambda w: {"pk": w.data_source.pk},
    "api:sync-run-detail": lambda w: {"pk": w.sync_run.pk},
    "api:webhook-detail": lambda w: {"pk": w.webhook_subscription.pk},
    "api:webhook-rotate-secret": lambda w: {"pk": w.webhook_subscription.pk},
    "api:webhook-delivery-detail": lambda w: {"pk": w.webhook_delivery.pk},
    "api:webhook-delivery-replay": lambda w: {"pk": w.webhook_delivery.pk},
}
# POST-only actions on one object: GET answers 405 before any lookup; their POST must be 404.
API_OBJECT_ACTIONS = {"api:kpi-targets", "api:webhook-rotate-secret", "api:webhook-delivery-replay"}
# Admin work no API key may do, reads included: keys get 403 for any id (no oracle), so these
# are probed with B's owner signed in, naming B, asking for A's objects.
API_ADMIN_SESSIONS_ONLY = {
    name
    for name in API_NO_OBJECT | set(API_OBJECT_KWARGS)
    if name.split(":")[1].startswith(("integration-", "data-source-", "sync-run-", "webhook-"))
}


def api_patterns() -> list[tuple[str, str, set[str]]]:
    return [p for p in all_patterns() if p[0].split(":")[0] == API_NAMESPACE]


def _is_format_suffix(route: str) -> bool:
    return "<format>" in route or "(?P<format>" in route


def test_every_api_route_is_covered() -> None:
    known = set(API_PUBLIC) | API_NO_OBJECT | set(API_OBJECT_KWARGS)
    uncovered = [
        f"{route} ({name}): add it to API_NO_OBJECT or API_OBJECT_KWARGS"
        for name, route, _kwargs in api_patterns()
        if name not in known
    ]
    assert not uncovered, "API routes the isolation suite does not cover:\n" + "\n".join(uncovered)
    names = {name for name, _, _ in api_patterns()}
    assert not known - names, f"stale entries: {known - names}"


@pytest.fixture
def worlds(db: None) -> tuple[TenantWorld, TenantWorld]:
    # world.py's WORLD_EXTENSIONS include tests.api.world.api_world_extend.
    return build_world("alpha", MARKER), build_world("bravo", "Bravo")


@pytest.fixture
def intruder_key(worlds: tuple[TenantWorld, TenantWorld]) -> KeyClient:
    return KeyClient(worlds[1].api_secret)


@pytest.fixture
def intruder_session(worlds: tuple[TenantWorld, TenantWorld]) -> Client:
    client = Client(HTTP_X_ORGANIZATION=worlds[0].organization.slug)
    client.force_login(worlds[1].owner.user)
    return client


@pytest.fixture
def intruder_admin_session(worlds: tuple[TenantWorld, TenantWorld]) -> Client:
    """B's owner, signed in and naming B: the strongest caller of admin-only routes."""
    client = Client(HTTP_X_ORGANIZATION=worlds[1].organization.slug)
    client.force_login(worlds[1].owner.user)
    return client


@pytest.mark.parametrize("name", sorted(API_OBJECT_KWARGS))
def test_foreign_objects_answer_404(
    name: str,
    worlds: tuple[TenantWorld, TenantWorld],
    intruder_key: KeyClient,
    intruder_admin_session: Client,
) -> None:
    alpha, _bravo = worlds
    url = reverse(name, kwargs=API_OBJECT_KWARGS[name](alpha))
    before = _tenant_snapshot(alpha.organization.pk)
    intruder = intruder_admin_session if name in API_ADMIN_SESSIONS_ONLY else intruder_key
    response = intruder.get(url)
    expected_get = 405 if name in API_OBJECT_ACTIONS else 404
    assert response.status_code == expected_get, f"GET {url} answered {response.status_code}"
    assert MARKER.lower() not in response.content.decode().lower()
    if name in API_OBJECT_ACTIONS:
        response = intruder.post(url, "{}", content_type="application/json")
        assert response.status_code == 404, f"POST {url} answered {response.status_code}"
    # Writes may be refused before any lookup (405, or 403 when keys may not do that at all);
    # then A's id must get exactly the answer a non-existent id gets: no oracle.
    missing = reverse(name, kwargs={**API_OBJECT_KWARGS[name](alpha), "pk": 2**31 - 1})
    for client in {intruder, intruder_key}:
        for method in ("post", "put", "patch", "delete"):
            response = getattr(client, method)(url, "{}", content_type="application/json")
            assert response.status_code in (403, 404, 405), (
                f"{method} {url}: {response.status_code}"
            )
            baseline = getattr(client, method)(missing, "{}", content_type="application/json")
            assert response.status_code == baseline.status_code
    assert _tenant_snapshot(alpha.organization.pk) == before


@pytest.mark.parametrize(
    "name", ["api:objective-detail", "api:key-result-detail", "api:initiative-detail"]
)
def test_foreign_okrs_cannot_be_deleted(
    name: str, worlds: tuple[TenantWorld, TenantWorld], intruder_key: KeyClient
) -> None:
    """B's read-write key may delete OKRs, but not A's: 404, and A keeps everything."""
    alpha, _bravo = worlds
    before = _tenant_snapshot(alpha.organization.pk)
    response = intruder_key.delete(reverse(name, kwargs=API_OBJECT_KWARGS[name](alpha)))
    assert response.status_code == 404
    assert _tenant_snapshot(alpha.organization.pk) == before


@pytest.mark.parametrize("name", sorted(API_NO_OBJECT - {"api:kpi-value-bulk"}))
def test_own_lists_show_no_foreign_rows(
    name: str,
    worlds: tuple[TenantWorld, TenantWorld],
    intruder_key: KeyClient,
    intruder_admin_session: Client,
) -> None:
    intruder = intruder_admin_session if name in API_ADMIN_SESSIONS_ONLY else intruder_key
    response = intruder.get(reverse(name))
    assert response.status_code == 200
    body = response.content.decode()
    assert MARKER.lower() not in body.lower()
    assert "bravo" in body.lower() or name in {"api:okr-candidate-list"} or '"results"' in body


@pytest.mark.parametrize("name", sorted(API_NO_OBJECT | set(API_OBJECT_KWARGS)))
def test_session_naming_a_foreign_organisation_answers_404(
    name: str, worlds: tuple[TenantWorld, TenantWorld], intruder_session: Client
) -> None:
    alpha, _bravo = worlds
    kwargs = API_OBJECT_KWARGS[name](alpha) if name in API_OBJECT_KWARGS else {}
    url = reverse(name, kwargs=kwargs)
    before = _tenant_snapshot(alpha.organization.pk)
    assert intruder_session.get(url).status_code in (404, 405)
    assert intruder_session.post(url, "{}", content_type="application/json").status_code in (
        403,  # CSRF is checked before the organisation: still nothing revealed or written
        404,
        405,
    )
    assert _tenant_snapshot(alpha.organization.pk) == before


def test_bulk_ingest_with_foreign_kpi_ids_and_keys_writes_nothing(
    worlds: tuple[TenantWorld, TenantWorld], intruder_key: KeyClient
) -> None:
    alpha, _bravo = worlds
    before = _tenant_snapshot(alpha.organization.pk)
    points = [
        {"kpi": alpha.api_kpi.pk, "timestamp": "2024-01-01T00:00:00Z", "value": 1},
        {"kpi_key": alpha.api_kpi.key, "timestamp": "2024-01-01T00:00:00Z", "value": 1},
    ]
    response = intruder_key.post_json(reverse("api:kpi-value-bulk"), {"points": points})
    assert response.status_code == 400
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"points.0.kpi", "points.1.kpi_key"}
    assert _tenant_snapshot(alpha.organization.pk) == before
