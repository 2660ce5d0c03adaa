"""The integration forms show only the fields that matter (static/js/integration-forms.js): the
authentication fields of an HTTP connection follow the chosen kind of authentication, the
schedule fields of a data source follow the chosen schedule, and a refused value comes back with
its own error, in sight, with everything else that was typed still there."""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import Locator, Page, expect

from integrations.models import DataSource, Integration
from integrations.tests.httpserver import Reply, fake_server
from okrplatform.tenancy.roles import Role
from tests.factories import (
    PASSWORD,
    KPIFactory,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
)

from .harness import BrowserSession, OpenSession

AUTH_FIELDS = {
    "Bearer token": "bearer",
    "User name (basic)": "basic",
    "Password (basic)": "basic",
    "API key header name": "api_key",
    "API key": "api_key",
}
SCHEDULE_FIELDS = {
    "Every N minutes": "interval",
    "Daily at (UTC, HH:MM)": "daily",
    "Cron (UTC)": "cron",
}


def _field(form: Locator, label: str) -> Locator:
    """The field's wrapper (label, input, help, errors): what the script shows and hides."""
    # An inner locator is matched inside each wrapper, so it starts from the page, not the form.
    return form.locator(".field").filter(has=form.page.get_by_label(label, exact=True))


def _expect_only(form: Locator, fields: dict[str, str], chosen: str) -> None:
    """Of ``fields`` (label → the choice that needs it), exactly the ones ``chosen`` needs show."""
    for label, needed_by in fields.items():
        if needed_by == chosen:
            expect(_field(form, label)).to_be_visible()
        else:
            expect(_field(form, label)).to_be_hidden()


def _expect_refused(form: Locator, label: str, error: str, kept: dict[str, str]) -> None:
    """The server refused the value of ``label``: its error, the only one, stands under it, and
    the values in ``kept`` (label → value) come back as they were typed."""
    expect(_field(form, label).locator(".field-error")).to_have_text(error)
    expect(form.locator(".field-error")).to_have_count(1)
    for other, value in kept.items():
        expect(form.get_by_label(other, exact=True)).to_have_value(value)


def _shot(session: BrowserSession, step: str) -> None:
    session.page.evaluate("window.scrollTo(0, 0)")
    session.shot(step)


def test_auth_and_schedule_fields_follow_the_choice_and_a_refused_value_keeps_the_rest(
    open_session: OpenSession, settings: Any
) -> None:
    settings.OUTBOUND_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    organization = OrganizationFactory(name="Acme Corp", slug="acme")
    MembershipFactory(
        organization=organization,
        role=Role.ADMIN,
        user=UserFactory(email="admin@acme.test", full_name="Ada Admin"),
    )
    signups = KPIFactory(organization=organization, name="Weekly signups")
    stats = Reply(200, json.dumps({"signups": 42}).encode(), {"Content-Type": "application/json"})
    with fake_server({"/stats": stats}) as server:
        admin = open_session("admin")
        page: Page = admin.page
        admin.log_in("admin@acme.test", PASSWORD)

        # 1. A new HTTP JSON API connection: no authentication shows none of its fields.
        admin.goto("/acme/integrations/")
        page.get_by_role("link", name="HTTP JSON API", exact=True).click()
        connection = page.locator("section.card form")
        auth = connection.get_by_label("Authentication", exact=True)
        expect(auth).to_have_value("none")
        _expect_only(connection, AUTH_FIELDS, "none")
        for kind in ("bearer", "basic", "api_key", "none", "basic"):
            auth.select_option(kind)
            _expect_only(connection, AUTH_FIELDS, kind)
        _shot(admin, "basic-auth-fields")

        # 2. A malformed extra header is refused by the server: its error shows under it, and the
        # name, URL, chosen authentication and user name come back as typed (the password, a
        # secret, is never sent back to the browser).
        admin.expect_status(400)
        connection.get_by_label("Name", exact=True).fill("Growth API")
        connection.get_by_label("URL", exact=True).fill(server.url("/stats"))
        connection.get_by_label("User name (basic)", exact=True).fill("ada")
        connection.get_by_label("Password (basic)", exact=True).fill("s3cret")
        connection.get_by_label("Headers", exact=True).fill("Accept application/json")
        connection.get_by_role("button", name="Create integration").click()
        _expect_refused(
            connection,
            "Headers",
            "“Accept application/json” is not “Name: value”.",
            {
                "Name": "Growth API",
                "URL": server.url("/stats"),
                "Authentication": "basic",
                "User name (basic)": "ada",
                "Headers": "Accept application/json",
            },
        )
        _expect_only(connection, AUTH_FIELDS, "basic")  # the page opens with the choice applied
        _shot(admin, "refused-header")
        assert not Integration.unscoped.exists()

        connection.get_by_label("Headers", exact=True).fill("Accept: application/json")
        connection.get_by_label("Password (basic)", exact=True).fill("s3cret")
        connection.get_by_role("button", name="Create integration").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Growth API")

        # 3. Binding a KPI: the schedule fields follow the chosen schedule.
        bind = page.locator("section").filter(has=page.get_by_role("heading", name="Bind a KPI"))
        schedule = bind.get_by_label("Schedule", exact=True)
        _expect_only(bind, SCHEDULE_FIELDS, schedule.input_value())
        for kind in ("interval", "daily", "cron", "hourly", "cron"):
            schedule.select_option(kind)
            _expect_only(bind, SCHEDULE_FIELDS, kind)

        # 4. A cron expression the server refuses: its error, in sight, and the rest as typed.
        bind.get_by_label("KPI", exact=True).select_option(label="Weekly signups")
        bind.get_by_label("Expression", exact=True).fill("signups")
        bind.get_by_label("Cron (UTC)", exact=True).fill("every monday")
        bind.get_by_role("button", name="Create data source").click()
        _expect_refused(
            bind,
            "Cron (UTC)",
            "Not a valid cron expression (five fields, e.g. “*/15 * * * *”).",
            {
                "KPI": str(signups.pk),
                "Expression": "signups",
                "Schedule": "cron",
                "Cron (UTC)": "every monday",
            },
        )
        _expect_only(bind, SCHEDULE_FIELDS, "cron")
        # The refused field stays in sight whatever is chosen, so its error is not lost from view.
        schedule.select_option("interval")
        expect(_field(bind, "Cron (UTC)")).to_be_visible()
        expect(_field(bind, "Every N minutes")).to_be_visible()
        expect(_field(bind, "Daily at (UTC, HH:MM)")).to_be_hidden()
        _shot(admin, "refused-cron")
        assert not DataSource.unscoped.exists()

        schedule.select_option("cron")
        bind.get_by_label("Cron (UTC)", exact=True).fill("*/15 * * * *")
        bind.get_by_role("button", name="Create data source").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Weekly signups")
        assert DataSource.unscoped.get().schedule_cron == "*/15 * * * *"
