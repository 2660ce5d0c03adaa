"""The platform journey in a real browser: sign up, invite, accept, switch organisation, roles."""

from __future__ import annotations

import re

from django.core import mail
from playwright.sync_api import expect

from okrplatform.accounts.models import User
from okrplatform.tenancy.models import Invitation, Membership, Organization
from okrplatform.tenancy.roles import Role
from tests.factories import (
    PASSWORD,
    MembershipFactory,
    OrganizationFactory,
    TeamFactory,
    UserFactory,
)

from .harness import PHONE, OpenSession

INVITATION_LINK = re.compile(r"https?://\S+/invitations/[^/\s]+/")


def test_sign_up_invite_a_colleague_who_joins_and_appears_in_the_member_list(
    open_session: OpenSession, mailoutbox: list[mail.EmailMessage]
) -> None:
    owner = open_session("owner")
    page = owner.page

    owner.goto("/accounts/signup/")
    owner.shot("sign-up-form")
    page.get_by_label("Your name").fill("Olivia Owner")
    page.get_by_label("Work email").fill("olivia@northwind.test")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_label("Organisation name").fill("Northwind Traders")
    page.get_by_label("Web address").fill("northwind")
    page.get_by_role("button", name="Create account and organisation").click()

    expect(page).to_have_url(owner.url("/northwind/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Northwind Traders")
    expect(page.locator(".flash-success")).to_contain_text("Welcome to Northwind Traders")
    owner.shot("new-organisation-home")
    assert Membership.unscoped.get(organization__slug="northwind").role == Role.OWNER

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Members").click()
    expect(page).to_have_url(owner.url("/northwind/members/"))
    owner.shot("members-before-invitation")
    invite_form = page.get_by_test_id("invite-form")
    invite_form.get_by_label("Email address").fill("max@northwind.test")
    invite_form.get_by_label("Role").select_option(label="Member")
    invite_form.get_by_role("button", name="Send invitation").click()
    expect(page.locator(".flash-success")).to_contain_text("Invitation sent to max@northwind.test")
    expect(page.get_by_test_id("pending-invitations")).to_contain_text("max@northwind.test")
    owner.shot("invitation-pending")

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["max@northwind.test"]
    link = INVITATION_LINK.search(str(mailoutbox[0].body))
    assert link is not None, mailoutbox[0].body

    # The invitee opens the emailed link on a phone, in a browser that knows nobody.
    invitee = open_session("invitee", viewport=PHONE)
    invitee.page.goto(link.group(0))
    expect(invitee.page.get_by_role("heading", level=1)).to_have_text("Join Northwind Traders")
    invitee.shot("invitation-landing")
    invitee.page.get_by_role("link", name="Create an account and join").click()
    expect(invitee.page.get_by_label("Work email")).to_have_value("max@northwind.test")
    expect(invitee.page.get_by_label("Organisation name")).to_have_count(0)
    invitee.page.get_by_label("Your name").fill("Max Member")
    invitee.page.get_by_label("Password", exact=True).fill(PASSWORD)
    invitee.page.get_by_label("Password again").fill(PASSWORD)
    invitee.shot("invitation-sign-up")
    invitee.page.get_by_role("button", name="Create account and join").click()
    expect(invitee.page).to_have_url(invitee.url("/northwind/"))
    expect(invitee.page.locator(".flash-success")).to_contain_text("Welcome to Northwind Traders")
    invitee.shot("invitee-home")
    assert invitee.horizontal_overflow() == 0

    # The link is spent: opening it again explains why instead of offering to join twice.
    invitee.page.goto(link.group(0))
    expect(invitee.page.get_by_role("alert")).to_have_text("This invitation has already been used.")
    expect(invitee.page.get_by_role("button", name="Accept invitation")).to_have_count(0)
    invitee.shot("invitation-used")

    page.reload()
    member_row = (
        page.get_by_test_id("member-table").get_by_role("row").filter(has_text="Max Member")
    )
    expect(member_row).to_contain_text("max@northwind.test")
    expect(page.get_by_test_id("pending-invitations")).not_to_contain_text("max@northwind.test")
    owner.shot("members-after-acceptance")
    assert Invitation.unscoped.get(email="max@northwind.test").accepted_at is not None


def test_person_in_two_organisations_switches_with_the_top_bar_switcher(
    open_session: OpenSession,
) -> None:
    person = UserFactory(full_name="Sam Switcher", email="sam@example.test")
    acme = OrganizationFactory(name="Acme Corp", slug="acme")
    globex = OrganizationFactory(name="Globex", slug="globex")
    MembershipFactory(organization=acme, user=person, role=Role.OWNER)
    MembershipFactory(organization=globex, user=person, role=Role.VIEWER)
    TeamFactory(organization=globex, name="Research")

    session = open_session("switcher")
    page = session.page
    session.log_in("sam@example.test", PASSWORD)
    session.goto("/acme/")
    switcher = page.get_by_test_id("org-switcher")
    expect(switcher).to_contain_text("Acme Corp")

    switcher.locator("summary").click()
    menu = switcher.locator(".menu-panel")
    expect(menu).to_be_visible()
    expect(menu.get_by_role("link", name=re.compile("Acme Corp"))).to_have_attribute(
        "aria-current", "true"
    )
    session.shot("switcher-open", full_page=False)

    # A click elsewhere closes the menu (static/js/menus.js), as people expect of a dropdown.
    page.get_by_role("heading", level=1).click()
    expect(menu).to_be_hidden()

    switcher.locator("summary").click()
    menu.get_by_role("link", name=re.compile("Globex")).click()
    expect(page).to_have_url(session.url("/globex/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Globex")
    expect(page.get_by_test_id("org-switcher")).to_contain_text("Viewer")
    expect(page.get_by_role("link", name="Research")).to_be_visible()
    session.shot("switched-to-globex")

    # The person's last organisation is remembered: the bare address brings them back to it.
    session.goto("/")
    expect(page).to_have_url(session.url("/globex/"))


def test_viewer_reads_everything_and_sees_no_management_forms(
    open_session: OpenSession, org: Organization, viewer: Membership
) -> None:
    TeamFactory(organization=org, name="Support")
    MembershipFactory(organization=org, role=Role.MEMBER, user=UserFactory(full_name="Mia Member"))

    session = open_session("viewer")
    page = session.page
    session.log_in(viewer.user.email, PASSWORD)

    session.goto("/acme/members/")
    table = page.get_by_test_id("member-table")
    expect(table).to_contain_text("Mia Member")
    expect(page.get_by_test_id("invite-form")).to_have_count(0)
    expect(table.locator("select")).to_have_count(0)
    expect(page.get_by_role("button", name="Remove")).to_have_count(0)
    expect(page.get_by_role("button", name="Leave")).to_have_count(1)  # anyone may leave
    session.shot("viewer-members")

    session.goto("/acme/teams/")
    expect(page.get_by_test_id("team-table")).to_contain_text("Support")
    expect(page.locator("main form")).to_have_count(0)
    session.shot("viewer-teams")

    page.get_by_role("link", name="Support").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Support")
    expect(page.locator("main form")).to_have_count(0)

    session.goto("/acme/settings/")
    expect(page.locator("main form")).to_have_count(0)
    expect(page.get_by_text("Only admins and owners can change")).to_be_visible()
    session.shot("viewer-settings")


def test_taken_web_address_is_explained_next_to_the_field_and_nothing_is_created(
    open_session: OpenSession, org: Organization
) -> None:
    session = open_session("newcomer", viewport=PHONE)
    session.expect_status(400)  # the form answers 400 Bad Request with the errors
    page = session.page
    session.goto("/accounts/signup/")
    page.get_by_label("Your name").fill("Nora Newcomer")
    page.get_by_label("Work email").fill("nora@example.test")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_label("Organisation name").fill("Acme")
    page.get_by_label("Web address").fill(org.slug)
    page.get_by_role("button", name="Create account and organisation").click()

    slug_field = page.locator(".field").filter(has=page.get_by_label("Web address"))
    expect(slug_field.locator(".field-error")).to_have_text(
        f"The web address “{org.slug}” is already taken."
    )
    expect(page.get_by_label("Web address")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Your name")).to_have_value("Nora Newcomer")  # nothing typed is lost
    session.shot("taken-web-address")
    assert session.horizontal_overflow() == 0
    assert not User.objects.filter(email="nora@example.test").exists()
    assert Organization.objects.count() == 1
