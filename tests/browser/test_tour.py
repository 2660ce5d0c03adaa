"""A walk through every platform page of the demo organisation, on a laptop and on a phone.

The screenshots are for people to judge the look; the assertions catch what a person would
notice at once: a page that scrolls sideways on a phone, a menu that will not open, an error in
the console (the `open_session` fixture fails the test on those).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from okrplatform.tenancy.demo import DEMO_EMAIL, DEMO_PASSWORD, seed_demo_organization
from okrplatform.tenancy.models import Team

from .harness import DESKTOP, PHONE, OpenSession

PAGES = [
    ("home", "/acme/", "Acme Corp"),
    ("members", "/acme/members/", "Members"),
    ("teams", "/acme/teams/", "Teams"),
    ("settings", "/acme/settings/", "Settings"),
    ("organisations", "/organizations/", "Your organisations"),
]


@pytest.mark.parametrize(
    ("device", "viewport"), [("laptop", DESKTOP), ("phone", PHONE)], ids=["laptop", "phone"]
)
def test_every_platform_page_fits_the_screen(
    open_session: OpenSession, device: str, viewport: dict[str, int]
) -> None:
    seed_demo_organization()
    support = Team.unscoped.get(organization__slug="acme", name="Support")

    session = open_session(device, viewport=viewport)
    page = session.page
    session.goto("/accounts/login/")
    session.shot("login")
    session.log_in(DEMO_EMAIL, DEMO_PASSWORD)

    for name, path, heading in [*PAGES, ("team", f"/acme/teams/{support.pk}/", "Support")]:
        session.goto(path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        session.shot(name)
        assert session.horizontal_overflow() == 0, f"{path} scrolls sideways on a {device}"

    session.expect_status(404)
    assert session.goto("/no-such-organisation/").status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    session.shot("not-found")

    session.goto("/acme/")
    page.get_by_label("Account menu").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    session.shot("account-menu", full_page=False)
    page.keyboard.press("Escape")
    expect(page.get_by_role("button", name="Log out")).to_be_hidden()


def test_signed_out_pages_fit_a_phone(open_session: OpenSession) -> None:
    session = open_session("guest", viewport=PHONE)
    for name, path in [
        ("sign-up", "/accounts/signup/"),
        ("log-in", "/accounts/login/"),
        ("password-reset", "/accounts/password-reset/"),
    ]:
        session.goto(path)
        session.shot(name)
        assert session.horizontal_overflow() == 0, f"{path} scrolls sideways on a phone"
