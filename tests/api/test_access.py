"""Authentication, scopes and roles, problem details and throttling."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client

from okrplatform.api.models import OrganizationAPIKey
from okrplatform.api.selectors import api_key_usable
from okrplatform.api.services import api_key_authenticate, api_key_create, api_key_revoke
from okrplatform.api.throttling import APIKeyRateThrottle
from okrplatform.tenancy.models import Organization
from tests.api.conftest import KeyClient
from tests.factories import KPIFactory

BULK = "/api/v1/kpi-values/bulk"


def _point(kpi):
    return {"points": [{"kpi": kpi.pk, "timestamp": "2024-01-01T00:00:00Z", "value": 1}]}


def test_no_credentials_answer_401_with_a_problem_document(db) -> None:
    response = Client().get("/api/v1/kpis/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_wrong_key_is_refused(org) -> None:
    assert KeyClient("abcdefgh.not-the-secret").get("/api/v1/kpis/").status_code == 401


def test_a_revoked_key_stops_working(owner, write_key) -> None:
    assert write_key.get("/api/v1/kpis/").status_code == 200
    api_key_revoke(actor=owner, api_key=OrganizationAPIKey.unscoped.get())
    assert write_key.get("/api/v1/kpis/").status_code == 401


def test_keys_are_stored_hashed_and_record_their_last_use(write_key) -> None:
    api_key = OrganizationAPIKey.unscoped.get()
    assert write_key.secret.split(".")[1] not in api_key.hashed_key
    assert api_key.last_used_at is None
    write_key.get("/api/v1/kpis/")
    api_key.refresh_from_db()
    assert api_key.last_used_at is not None


def test_a_read_only_key_cannot_write(read_key, org) -> None:
    kpi = KPIFactory(organization=org)
    response = read_key.post_json(BULK, _point(kpi))
    assert response.status_code == 403
    assert "read only" in response.json()["detail"]


def test_a_read_write_key_writes_but_cannot_manage_members(write_key, org, member) -> None:
    kpi = KPIFactory(organization=org)
    assert write_key.post_json(BULK, _point(kpi)).status_code == 200
    response = write_key.patch(
        f"/api/v1/members/{member.pk}/", {"role": "admin"}, content_type="application/json"
    )
    assert response.status_code == 403


def _session(membership, organization_slug):
    client = Client(enforce_csrf_checks=True, HTTP_X_ORGANIZATION=organization_slug)
    client.force_login(membership.user)
    return client


def test_a_session_names_its_organisation_in_a_header(member, org, other_org) -> None:
    assert _session(member, org.slug).get("/api/v1/organization/").json()["slug"] == org.slug
    assert _session(member, other_org.slug).get("/api/v1/organization/").status_code == 404
    client = Client()
    client.force_login(member.user)
    assert client.get("/api/v1/organization/").status_code == 400


def test_session_writes_need_the_csrf_token(admin, org, member) -> None:
    client = _session(admin, org.slug)
    url = f"/api/v1/members/{member.pk}/"
    assert client.patch(url, {"role": "viewer"}, content_type="application/json").status_code == 403
    client.get("/api/v1/organization/")
    token = client.cookies.get("csrftoken")
    if token is None:  # the token cookie is set by any page that renders a form
        client.get(f"/{org.slug}/members/")
        token = client.cookies["csrftoken"]
    response = client.patch(
        url, {"role": "viewer"}, content_type="application/json", HTTP_X_CSRFTOKEN=token.value
    )
    assert response.status_code == 200, response.content
    assert response.json()["role"] == "viewer"


def test_a_members_session_cannot_manage_members(member, viewer, org) -> None:
    client = Client(HTTP_X_ORGANIZATION=org.slug)
    client.force_login(member.user)
    response = client.delete(f"/api/v1/members/{viewer.pk}/")
    assert response.status_code == 403
    assert "Member" in response.json()["detail"]


def test_a_viewers_session_cannot_write_values(viewer, org) -> None:
    kpi = KPIFactory(organization=org)
    client = Client(HTTP_X_ORGANIZATION=org.slug)
    client.force_login(viewer.user)
    assert client.post(BULK, _point(kpi), content_type="application/json").status_code == 403


def test_throttling_answers_429_with_retry_after(write_key, monkeypatch) -> None:
    cache.clear()
    monkeypatch.setattr(
        APIKeyRateThrottle, "THROTTLE_RATES", {"api": "3/minute", "api_bulk": "3/minute"}
    )
    statuses = [write_key.get("/api/v1/kpis/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = write_key.get("/api/v1/kpis/")
    assert int(response["Retry-After"]) > 0
    assert response.json()["status"] == 429


@pytest.mark.parametrize("path", ["/api/v1/schema/", "/api/v1/docs/", "/api/v1/redoc/"])
def test_the_schema_and_its_viewers_are_served(db, path) -> None:
    response = Client().get(path)
    assert response.status_code == 200
    assert b"cdn" not in response.content.lower()


def test_admins_create_and_revoke_keys_in_the_ui(owner_client, org, member_client) -> None:
    url = f"/{org.slug}/settings/api-keys/"
    assert member_client.get(url).status_code == 403
    response = owner_client.post(url, {"name": "Nightly export", "scope": "read_only"})
    assert response.status_code == 200
    secret = response.context["issued"].secret
    assert secret in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert secret not in owner_client.get(url).content.decode()  # shown once
    assert KeyClient(secret).get("/api/v1/kpis/").status_code == 200
    api_key = OrganizationAPIKey.unscoped.get()
    owner_client.post(f"/{org.slug}/settings/api-keys/{api_key.pk}/revoke/")
    assert KeyClient(secret).get("/api/v1/kpis/").status_code == 401


def test_the_api_is_linked_in_the_navigation_for_admins_only(
    owner_client, member_client, org
) -> None:
    link = f'href="/{org.slug}/settings/api-keys/"'
    assert link in owner_client.get(f"/{org.slug}/").content.decode()
    assert link not in member_client.get(f"/{org.slug}/").content.decode()


@pytest.mark.parametrize("vendor", ["postgresql", "portable"])
def test_the_key_lookup_gives_the_orms_key_and_organisation(owner, monkeypatch, vendor) -> None:
    """The hand-written lookup (PostgreSQL) and the ORM's (elsewhere) agree, aware datetimes
    included, and neither finds a revoked key."""
    issued = api_key_create(actor=owner, name="lookup", scope="read_only")
    api_key_authenticate(issued.secret)  # sets last_used_at
    expected = OrganizationAPIKey.unscoped.select_related("organization").get()
    if vendor == "portable":
        monkeypatch.setattr(connection, "vendor", "portable")
    found = api_key_usable(issued.api_key.prefix)
    assert found is not None
    for field in OrganizationAPIKey._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(expected, field.attname), field.name
    assert found.last_used_at is not None
    assert found.last_used_at.tzinfo is not None
    for field in Organization._meta.concrete_fields:
        assert getattr(found.organization, field.attname) == getattr(
            expected.organization, field.attname
        ), field.name
    api_key_revoke(actor=owner, api_key=expected)
    assert api_key_usable(issued.api_key.prefix) is None
