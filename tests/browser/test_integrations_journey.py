"""Issue 5's "Done when" in a real browser: an admin connects an HTTP JSON API and a SQL
database, tests each connection (values shown, nothing saved), binds a KPI to each, watches
"Sync now" complete, and sees the new values on the board; then a broken source shows
"needs attention" with the reason on the integrations page.

The HTTP API is a local server thread; the SQL database is the machine's real PostgreSQL.
Celery runs eagerly (the autouse fixture), so a run finishes when its request commits and the
progress fragment's next poll shows it done.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from integrations.models import DataSource, Integration, SyncRun
from integrations.tests.httpserver import Reply, Route, fake_server
from kpis.models import KPIValue
from okrplatform.tenancy.roles import Role
from tests.factories import (
    PASSWORD,
    KPIFactory,
    KPITargetFactory,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
)

from .harness import BrowserSession, OpenSession

# Unique per run: test runs of other checkouts may share this PostgreSQL server.
SCRATCH_DATABASE = f"okr_browser_sql_source_{uuid.uuid4().hex[:8]}"
ADMIN_DSN = "host=127.0.0.1 user=postgres dbname=postgres"


def _json(payload: object) -> Reply:
    return Reply(200, json.dumps(payload).encode(), {"Content-Type": "application/json"})


@pytest.fixture
def sales_database() -> Iterator[str]:
    """A scratch PostgreSQL database with a small table for the SQL source to read."""
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {SCRATCH_DATABASE}")
    with psycopg.connect(
        f"host=127.0.0.1 user=postgres dbname={SCRATCH_DATABASE}", autocommit=True
    ) as db:
        db.execute("CREATE TABLE orders (id serial primary key, amount numeric)")
        db.execute("INSERT INTO orders (amount) VALUES (100), (200), (50)")
    yield SCRATCH_DATABASE
    with psycopg.connect(ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {SCRATCH_DATABASE} WITH (FORCE)")


def _add_orders(amount: int) -> None:
    with psycopg.connect(
        f"host=127.0.0.1 user=postgres dbname={SCRATCH_DATABASE}", autocommit=True
    ) as db:
        db.execute("INSERT INTO orders (amount) VALUES (%s)", [amount])


def _shot(session: BrowserSession, step: str) -> None:
    """A full-page screenshot from the top, so the sticky header is not painted mid-page."""
    session.page.evaluate("window.scrollTo(0, 0)")
    session.shot(step)


def _new_integration(session: BrowserSession, provider_label: str) -> Page:
    page = session.page
    session.goto("/acme/integrations/")
    page.get_by_role("link", name=provider_label, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"New {provider_label} integration")
    first_field = page.locator("section.card form .field").first
    expect(first_field.get_by_label("Name", exact=True)).to_be_visible()  # the name comes first
    return page


def _test_then_bind(session: BrowserSession, kpi_name: str, expected_value: str) -> None:
    """Test connection shows the value without saving; then the KPI is bound to the source."""
    page = session.page
    bind = page.locator("section").filter(has=page.get_by_role("heading", name="Bind a KPI"))
    bind.get_by_label("KPI", exact=True).select_option(label=kpi_name)
    sources_before = DataSource.unscoped.count()
    values_before = KPIValue.unscoped.count()
    runs_before = SyncRun.unscoped.count()
    bind.get_by_role("button", name="Test connection").click()
    result = page.get_by_test_id("test-result")
    expect(result).to_contain_text("It works.")
    expect(result).to_contain_text("Nothing was saved.")
    expect(result.locator("td.num")).to_have_text([expected_value])
    assert DataSource.unscoped.count() == sources_before
    assert KPIValue.unscoped.count() == values_before
    assert SyncRun.unscoped.count() == runs_before
    _shot(session, f"test-connection-{kpi_name.lower().replace(' ', '-')}")

    bind.get_by_role("button", name="Create data source").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(kpi_name)
    expect(page.locator(".flash-success")).to_contain_text("Data source created")
    # The backfill ran when the form's transaction committed: its run is in the log.
    expect(page.get_by_test_id("run-log")).to_contain_text("Succeeded")


def _past_the_last_slot() -> None:
    """Runs "now" are unique per second (clicks in the same second share one run), so a Sync
    now right after the backfill would show the backfill; wait for the next second instead."""
    last = SyncRun.unscoped.order_by("-scheduled_for")[0].scheduled_for
    while timezone.now().replace(microsecond=0) <= last:
        time.sleep(0.05)


def _sync_now(session: BrowserSession, step: str) -> None:
    page = session.page
    _past_the_last_slot()
    runs_before = SyncRun.unscoped.count()
    page.get_by_role("button", name="Sync now").click()
    progress = page.locator("#sync-progress").get_by_test_id("run-status")
    expect(progress).to_be_visible()
    # Queued first, then the fragment polls itself until the run has finished.
    expect(progress).to_contain_text("Succeeded")
    expect(progress).to_contain_text("1 value written")
    expect(progress).not_to_have_attribute("hx-get", re.compile(".*"))  # polling stopped
    assert SyncRun.unscoped.count() == runs_before + 1
    assert SyncRun.unscoped.order_by("-pk")[0].trigger == "manual"
    _shot(session, step)


def _card(page: Page, kpi_name: str) -> Locator:
    return page.get_by_test_id("kpi-card").filter(
        has=page.get_by_role("heading", name=kpi_name, exact=True)
    )


def test_admin_connects_http_and_sql_sources_syncs_and_sees_a_broken_one(
    open_session: OpenSession, settings: Any, sales_database: str
) -> None:
    settings.OUTBOUND_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    organization = OrganizationFactory(name="Acme Corp", slug="acme")
    MembershipFactory(
        organization=organization,
        role=Role.ADMIN,
        user=UserFactory(email="admin@acme.test", full_name="Ada Admin"),
    )
    signups = KPIFactory(organization=organization, name="Weekly signups")
    revenue = KPIFactory(organization=organization, name="Order revenue")
    KPITargetFactory(kpi=signups, kind="at_least", lower=50)
    api: dict[str, Route | Reply] = {"/stats": _json({"data": {"signups": 42}})}

    with fake_server(api) as server:
        admin = open_session("admin")
        page = admin.page
        admin.log_in("admin@acme.test", PASSWORD)
        admin.goto("/acme/integrations/")
        _shot(admin, "integrations-empty")

        # 1. The HTTP JSON API: connect, test, bind, sync.
        _new_integration(admin, "HTTP JSON API")
        page.get_by_label("Name", exact=True).fill("Growth API")
        page.get_by_label("URL", exact=True).fill(server.url("/stats"))
        page.get_by_label("Method", exact=True).select_option("GET")
        page.get_by_label("Authentication", exact=True).select_option("none")
        _shot(admin, "new-http-integration")
        page.get_by_role("button", name="Create integration").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Growth API")
        page.get_by_label("Expression", exact=True).fill("data.signups")
        _test_then_bind(admin, "Weekly signups", "42")
        assert Integration.unscoped.get(name="Growth API").settings["url"] == server.url("/stats")

        api["/stats"] = _json({"data": {"signups": 57}})
        _sync_now(admin, "http-sync-done")
        assert KPIValue.unscoped.filter(kpi=signups).order_by("-timestamp")[0].value == 57

        # 2. The SQL database: connect, test, bind, sync.
        _new_integration(admin, "SQL database")
        page.get_by_label("Name", exact=True).fill("Orders database")
        page.get_by_label("Engine", exact=True).select_option(label="PostgreSQL")
        page.get_by_label("Host", exact=True).fill("127.0.0.1")
        page.get_by_label("Port", exact=True).fill("5432")
        page.get_by_label("Database", exact=True).fill(sales_database)
        page.get_by_label("User", exact=True).fill("postgres")
        page.get_by_label("TLS", exact=True).select_option("disable")
        _shot(admin, "new-sql-integration")
        page.get_by_role("button", name="Create integration").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Orders database")
        page.get_by_label("Query", exact=True).fill("SELECT sum(amount) FROM orders")
        _test_then_bind(admin, "Order revenue", "350")

        _add_orders(125)
        _sync_now(admin, "sql-sync-done")
        assert KPIValue.unscoped.filter(kpi=revenue).order_by("-timestamp")[0].value == Decimal(475)

        # 3. The board shows the synced values.
        admin.goto("/acme/boards/all/")
        expect(_card(page, "Weekly signups").locator(".kpi-value")).to_contain_text("57")
        expect(_card(page, "Weekly signups").locator(".health-healthy")).to_be_visible()
        expect(_card(page, "Order revenue").locator(".kpi-value")).to_contain_text("475")
        _shot(admin, "board-updated")

        # 4. The API breaks: the source needs attention, with the reason, on the list page.
        api["/stats"] = Reply(200, b"<html>Oops</html>", {"Content-Type": "text/html"})
        admin.goto("/acme/integrations/")
        page.get_by_test_id("source-table").get_by_role("link", name="Weekly signups").click()
        _past_the_last_slot()
        page.get_by_role("button", name="Sync now").click()
        progress = page.locator("#sync-progress").get_by_test_id("run-status")
        expect(progress).to_contain_text("Failed")
        expect(progress).to_contain_text("The response is not valid JSON.")
        progress.get_by_role("link", name="Refresh the page").click()
        attention = page.get_by_role("alert").filter(has_text="Needs attention")
        expect(attention).to_contain_text("The response is not valid JSON.")
        expect(page.get_by_test_id("run-log")).to_contain_text("Failed")
        _shot(admin, "http-sync-failed")

    admin.goto("/acme/integrations/")
    sources = page.get_by_test_id("source-table")
    broken = sources.get_by_role("row").filter(has_text="Weekly signups")
    expect(broken).to_contain_text("Needs attention")
    expect(broken).to_contain_text("The response is not valid JSON.")
    expect(sources.get_by_role("row").filter(has_text="Order revenue")).to_contain_text("OK")
    connections = page.get_by_test_id("integration-table")
    expect(connections.get_by_role("row").filter(has_text="Growth API")).to_contain_text(
        "1 needs attention"
    )
    expect(page.get_by_test_id("integration-alerts")).to_contain_text(
        "The response is not valid JSON."
    )
    _shot(admin, "integrations-needs-attention")
    assert DataSource.unscoped.get(kpi=signups).status == "needs_attention"
