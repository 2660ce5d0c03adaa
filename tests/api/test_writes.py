"""Writes through the services: scope and role checks, domain errors as problem details with
the field, strict shapes (unknown fields, naive times), integrations' write-only credentials."""

from __future__ import annotations

import pytest
from django.test import Client

from goals.models import CheckIn, Objective
from integrations.models import Integration
from kpis.models import KPI, KPITarget, KPIValue
from okrplatform.api.models import APIKeyScope
from okrplatform.webhooks.models import WebhookDelivery
from tests.api.conftest import issue_key
from tests.factories import KPIFactory, TeamFactory
from tests.isolation.world import build_world


def _session(membership, slug: str) -> Client:
    client = Client(HTTP_X_ORGANIZATION=slug)
    client.force_login(membership.user)
    return client


def _json(client, method: str, url: str, data) -> object:
    return getattr(client, method)(url, data, content_type="application/json")


def test_a_key_creates_updates_archives_and_targets_a_kpi(write_key, org) -> None:
    created = write_key.post_json("/api/v1/kpis/", {"name": "Reply time", "key": "reply-time"})
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    changed = _json(
        write_key, "patch", f"/api/v1/kpis/{pk}/", {"unit_suffix": "min", "archived": True}
    )
    assert changed.status_code == 200
    assert (changed.json()["unit_suffix"], changed.json()["archived"]) == ("min", True)
    target = write_key.post_json(
        f"/api/v1/kpis/{pk}/targets/",
        {"kind": "at_most", "upper": "30", "effective_from": "2024-01-01"},
    )
    assert target.status_code == 201, target.content
    assert KPITarget.unscoped.get(kpi_id=pk).upper == 30
    assert write_key.get(f"/api/v1/kpis/{pk}/").json()["current_target"]["kind"] == "at_most"


def test_domain_errors_name_their_field(write_key, org) -> None:
    KPIFactory(organization=org, key="taken")
    response = write_key.post_json("/api/v1/kpis/", {"name": "Other", "key": "taken"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert [e["field"] for e in response.json()["errors"]] == ["key"]
    kpi = KPIFactory(organization=org)
    between = write_key.post_json(
        f"/api/v1/kpis/{kpi.pk}/targets/",
        {"kind": "between", "lower": "10", "upper": "5", "effective_from": "2024-01-01"},
    )
    assert between.json()["errors"][0]["field"] == "lower"


def test_unknown_fields_and_naive_times_are_refused(write_key, org) -> None:
    kpi = KPIFactory(organization=org)
    unknown = write_key.post_json("/api/v1/kpis/", {"name": "X", "colour": "red"})
    assert unknown.json()["errors"][0]["field"] == "colour"
    naive = write_key.post_json(
        "/api/v1/kpi-values/", {"kpi": kpi.pk, "timestamp": "2024-01-01T00:00:00", "value": 1}
    )
    assert naive.status_code == 400
    assert naive.json()["errors"][0]["field"] == "timestamp"
    assert not KPIValue.unscoped.exists()


def test_one_value_is_recorded_and_deleted(write_key, org) -> None:
    kpi = KPIFactory(organization=org)
    response = write_key.post_json(
        "/api/v1/kpi-values/", {"kpi": kpi.pk, "timestamp": "2024-01-01T00:00:00Z", "value": "7.5"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["source"] == "api"
    assert KPI.unscoped.get(pk=kpi.pk).latest_value == 7.5
    assert write_key.delete(f"/api/v1/kpi-values/{response.json()['id']}/").status_code == 204
    assert not KPIValue.unscoped.exists()


def test_a_read_only_key_writes_nothing(owner, org) -> None:
    read_key = issue_key(owner, APIKeyScope.READ_ONLY)
    kpi = KPIFactory(organization=org)
    for url, body in [
        ("/api/v1/kpis/", {"name": "X"}),
        ("/api/v1/kpi-values/", {"kpi": kpi.pk, "timestamp": "2024-01-01T00:00:00Z", "value": 1}),
        (
            f"/api/v1/kpis/{kpi.pk}/targets/",
            {"kind": "at_most", "upper": 1, "effective_from": "2024-01-01"},
        ),
    ]:
        response = read_key.post_json(url, body)
        assert response.status_code == 403, url
        assert "read only" in response.json()["detail"]
    assert KPI.unscoped.count() == 1


def test_members_edit_only_their_teams_kpis(member, org) -> None:
    client = _session(member, org.slug)
    foreign = KPIFactory(organization=org, owner_team=TeamFactory(organization=org))
    response = _json(client, "patch", f"/api/v1/kpis/{foreign.pk}/", {"name": "Mine now"})
    assert response.status_code == 403
    assert KPI.unscoped.get(pk=foreign.pk).name != "Mine now"


def test_a_key_acts_with_its_creators_current_role(owner, admin, org) -> None:
    key = issue_key(admin, APIKeyScope.READ_WRITE)
    assert key.post_json("/api/v1/kpis/", {"name": "Company KPI"}).status_code == 201
    admin.role = "viewer"
    admin.save()
    assert key.post_json("/api/v1/kpis/", {"name": "Another"}).status_code == 403
    admin.delete()
    response = key.post_json("/api/v1/kpis/", {"name": "Another"})
    assert response.status_code == 403
    assert "no longer a member" in response.json()["detail"]


def test_okrs_are_written_with_alignment_and_check_ins_emit_events(
    db, django_capture_on_commit_callbacks
) -> None:
    world = build_world("writes", "Writes")
    key = issue_key(world.owner, APIKeyScope.READ_WRITE)
    cycle = key.post_json(
        "/api/v1/cycles/",
        {"name": "Q3", "kind": "quarterly", "start_date": "2026-07-01", "end_date": "2026-09-30"},
    )
    assert cycle.status_code == 201, cycle.content
    parent = world.api_objective
    objective = key.post_json(
        "/api/v1/objectives/",
        {
            "title": "Empower customers to help themselves",
            "cycle": cycle.json()["id"],
            "parents": [parent.pk],
            "kpis": [world.api_kpi.pk],
            "pillar": world.api_pillar.pk,
        },
    )
    assert objective.status_code == 201, objective.content
    body = objective.json()
    assert (body["parents"], body["kpis"]) == ([parent.pk], [world.api_kpi.pk])
    loop = _json(key, "patch", f"/api/v1/objectives/{parent.pk}/", {"parents": [body["id"]]})
    assert loop.status_code == 400
    assert loop.json()["errors"][0]["field"] == "parents"
    status = _json(key, "patch", f"/api/v1/objectives/{body['id']}/", {"status": "active"})
    assert status.json()["status"] == "active"
    kr = key.post_json(
        "/api/v1/key-results/",
        {
            "objective": body["id"],
            "title": "Tickets 1200 → 800",
            "start_value": 1200,
            "target_value": 800,
        },
    )
    assert kr.status_code == 201, kr.content
    initiative = key.post_json(
        "/api/v1/initiatives/",
        {"objective": body["id"], "key_result": kr.json()["id"], "title": "Write 40 articles"},
    )
    assert initiative.status_code == 201, initiative.content
    with django_capture_on_commit_callbacks(execute=False):
        check_in = key.post_json(
            "/api/v1/check-ins/", {"key_result": kr.json()["id"], "value": 1000, "confidence": 7}
        )
    assert check_in.status_code == 201, check_in.content
    assert CheckIn.unscoped.get(pk=check_in.json()["id"]).author_id == world.owner.user_id
    assert Objective.unscoped.get(pk=body["id"]).status == "active"


def test_objective_events_are_logged_for_subscribers(
    db, django_capture_on_commit_callbacks, settings
) -> None:
    from okrplatform.tenancy.scope import organization_scope
    from okrplatform.webhooks.services import webhook_subscription_create

    settings.OUTBOUND_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    world = build_world("events", "Events")
    with organization_scope(world.organization.pk):
        webhook_subscription_create(
            actor=world.owner,
            url="http://127.0.0.1:9/",
            events=["objective.created", "objective.status_changed"],
        )
    key = issue_key(world.owner, APIKeyScope.READ_WRITE)
    with django_capture_on_commit_callbacks(execute=False):
        created = key.post_json(
            "/api/v1/objectives/", {"title": "New", "cycle": world.api_cycle.pk}
        )
        _json(key, "patch", f"/api/v1/objectives/{created.json()['id']}/", {"status": "active"})
    events = list(
        WebhookDelivery.unscoped.filter(event__startswith="objective.")
        .order_by("pk")
        .values_list("event", "payload")
    )
    assert [event for event, _p in events] == ["objective.created", "objective.status_changed"]
    assert events[1][1]["previous_status"] == "draft"


def test_cycles_need_an_admin(member, org) -> None:
    response = _session(member, org.slug).post(
        "/api/v1/cycles/",
        {"name": "Q3", "kind": "quarterly", "start_date": "2026-07-01", "end_date": "2026-09-30"},
        content_type="application/json",
    )
    assert response.status_code == 403


@pytest.fixture
def admin_session(admin, org) -> Client:
    return _session(admin, org.slug)


def test_integration_credentials_are_write_only(admin_session, org) -> None:
    response = admin_session.post(
        "/api/v1/integrations/",
        {
            "provider": "http_json",
            "name": "Warehouse",
            "settings": {"url": "https://stats.example.com/x", "auth": "bearer", "method": "GET"},
            "credentials": {"token": "s3cret-token"},
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert "s3cret-token" not in response.content.decode()
    assert response.json()["has_credentials"] is True
    integration = Integration.unscoped.get()
    assert "s3cret-token" not in integration.credentials_ciphertext
    detail = admin_session.get(f"/api/v1/integrations/{integration.pk}/")
    assert "s3cret-token" not in detail.content.decode()
    misplaced = _json(
        admin_session,
        "patch",
        f"/api/v1/integrations/{integration.pk}/",
        {"settings": {"token": "x"}},
    )
    assert misplaced.json()["errors"][0]["field"] == "settings.token"
    kpi = KPIFactory(organization=org)
    source = admin_session.post(
        "/api/v1/data-sources/",
        {
            "integration": integration.pk,
            "kpi": kpi.pk,
            "extraction": {"expression": "value"},
            "schedule_kind": "none",
        },
        content_type="application/json",
    )
    assert source.status_code == 201, source.content
    assert admin_session.get("/api/v1/sync-runs/").status_code == 200


def test_members_sessions_and_keys_cannot_manage_integrations(member, owner, org) -> None:
    body = {"provider": "http_json", "name": "W", "settings": {"url": "https://a.example.com/"}}
    assert (
        _session(member, org.slug)
        .post("/api/v1/integrations/", body, content_type="application/json")
        .status_code
        == 403
    )
    assert _session(member, org.slug).get("/api/v1/integrations/").status_code == 403
    key = issue_key(owner, APIKeyScope.READ_WRITE)
    assert key.post_json("/api/v1/integrations/", body).status_code == 403
    assert key.get("/api/v1/sync-runs/").status_code == 403
    assert not Integration.unscoped.exists()
