"""Grid entry: last period's values for a whole board; valid rows saved, invalid rows kept."""

from __future__ import annotations

import re
from datetime import date

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from boards.tests.conftest import BoardWorld
from kpis.models import KPI, KPIValue
from kpis.periods import last_completed_period_start, period_bounds, previous_period_start
from okrplatform.tenancy.models import Organization


def entry_url(org: Organization, world: BoardWorld) -> str:
    return reverse("boards:grid-entry", args=[org.slug, world.board.pk])


def row_html(body: str, kpi: KPI) -> str:
    match = re.search(rf'<tr[^>]*data-kpi="{kpi.pk}".*?</tr>', body, re.S)
    assert match, f"no row for {kpi.name}"
    return match.group(0)


def _last_month() -> date:
    return last_completed_period_start("monthly", timezone.now())


def test_form_lists_the_board_kpis_with_last_period_selected(
    org: Organization, world: BoardWorld, member_client: Client
) -> None:
    response = member_client.get(entry_url(org, world))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Fax orders" not in body  # archived
    reply = row_html(body, world.reply_time)
    assert f'<option value="{_last_month().isoformat()}" selected>' in reply
    assert "Now 52 min" in reply
    assert "target ≤ 30 min" in reply
    assert f'name="kpi-{world.reply_time.pk}-value"' in reply
    assert f'<label class="sr-only" for="kpi-{world.reply_time.pk}-value">' in reply  # labelled


def test_rows_of_other_teams_are_read_only_for_a_member(
    org: Organization, world: BoardWorld, member_client: Client
) -> None:
    body = member_client.get(entry_url(org, world)).content.decode()
    revenue = row_html(body, world.revenue)  # owned by Sales; the member is in Support
    assert "Read only" in revenue
    assert "<input" not in revenue


def test_mixed_valid_and_invalid_rows(
    org: Organization, world: BoardWorld, admin_client_: Client
) -> None:
    last_month = _last_month()
    older = previous_period_start("monthly", last_month)
    reply, revenue, nps, signups = world.reply_time, world.revenue, world.nps, world.signups
    response = admin_client_.post(
        entry_url(org, world),
        {
            f"kpi-{reply.pk}-value": "27",
            f"kpi-{reply.pk}-period": last_month.isoformat(),
            f"kpi-{reply.pk}-note": "Back on track after hiring",
            f"kpi-{revenue.pk}-value": "12O,000",  # a letter O: not a number
            f"kpi-{revenue.pk}-period": last_month.isoformat(),
            f"kpi-{nps.pk}-value": "NaN",
            f"kpi-{nps.pk}-period": older.isoformat(),
            f"kpi-{signups.pk}-value": "1,250",
            f"kpi-{signups.pk}-period": older.isoformat(),
        },
    )
    assert response.status_code == 400
    body = response.content.decode()

    # Valid rows are stored, at the start of the chosen period, with the note.
    stored = KPIValue.unscoped.get(kpi=reply, timestamp=period_bounds("monthly", last_month)[0])
    assert stored.value == 27
    assert stored.note == "Back on track after hiring"
    assert (
        KPIValue.unscoped.get(kpi=signups, timestamp=period_bounds("monthly", older)[0]).value
        == 1250
    )
    assert "Saved 27 min for" in row_html(body, reply)

    # Invalid rows keep their input and show the error next to the cell.
    revenue_row = row_html(body, revenue)
    assert 'value="12O,000"' in revenue_row
    assert "is not a number" in revenue_row
    assert 'aria-invalid="true"' in revenue_row
    nps_row = row_html(body, nps)
    assert 'value="NaN"' in nps_row
    assert "NaN" in re.search(r'data-testid="cell-error">([^<]+)', nps_row).group(1)  # type: ignore[union-attr]
    assert f'<option value="{older.isoformat()}" selected>' in nps_row
    assert KPIValue.unscoped.filter(kpi=revenue).count() == 12  # nothing added
    assert KPIValue.unscoped.filter(kpi=nps).count() == 2
    assert "Saved 2; 2 rows need attention" in body


def test_all_valid_redirects_to_the_board(
    org: Organization, world: BoardWorld, member_client: Client
) -> None:
    last_month = _last_month()
    response = member_client.post(
        entry_url(org, world),
        {
            f"kpi-{world.reply_time.pk}-value": "31",
            f"kpi-{world.reply_time.pk}-period": last_month.isoformat(),
            f"kpi-{world.nps.pk}-value": "",  # empty rows are skipped
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("boards:board-detail", args=[org.slug, world.board.pk])
    assert (
        KPIValue.unscoped.get(
            kpi=world.reply_time, timestamp=period_bounds("monthly", last_month)[0]
        ).value
        == 31
    )


def test_entering_the_same_period_again_updates_the_point(
    org: Organization, world: BoardWorld, member_client: Client
) -> None:
    last_month = _last_month()
    for value in ("40", "33"):
        member_client.post(
            entry_url(org, world),
            {
                f"kpi-{world.reply_time.pk}-value": value,
                f"kpi-{world.reply_time.pk}-period": last_month.isoformat(),
            },
        )
    points = KPIValue.unscoped.filter(
        kpi=world.reply_time, timestamp=period_bounds("monthly", last_month)[0]
    )
    assert [p.value for p in points] == [33]


def test_a_member_cannot_write_another_teams_kpi_by_posting_anyway(
    org: Organization, world: BoardWorld, member_client: Client
) -> None:
    before = KPIValue.unscoped.filter(kpi=world.revenue).count()
    response = member_client.post(
        entry_url(org, world),
        {
            f"kpi-{world.revenue.pk}-value": "1",
            f"kpi-{world.revenue.pk}-period": _last_month().isoformat(),
        },
    )
    assert response.status_code == 400  # nothing to save: the row is read only
    assert KPIValue.unscoped.filter(kpi=world.revenue).count() == before


def test_nothing_typed_says_so(org: Organization, world: BoardWorld, member_client: Client) -> None:
    response = member_client.post(entry_url(org, world), {})
    assert response.status_code == 400
    assert "Nothing to save" in response.content.decode()


def test_note_without_value_is_an_error(
    org: Organization, world: BoardWorld, member_client: Client
) -> None:
    response = member_client.post(
        entry_url(org, world), {f"kpi-{world.reply_time.pk}-note": "forgot the number"}
    )
    row = row_html(response.content.decode(), world.reply_time)
    assert "Enter a value, or clear the note." in row
    assert 'value="forgot the number"' in row


def test_viewers_cannot_enter_values(
    org: Organization, world: BoardWorld, viewer_client: Client
) -> None:
    assert viewer_client.get(entry_url(org, world)).status_code == 403
    response = viewer_client.post(
        entry_url(org, world),
        {
            f"kpi-{world.reply_time.pk}-value": "1",
            f"kpi-{world.reply_time.pk}-period": _last_month().isoformat(),
        },
    )
    assert response.status_code == 403
    assert KPIValue.unscoped.filter(kpi=world.reply_time).count() == 3


def test_all_kpis_grid_entry(org: Organization, world: BoardWorld, admin_client_: Client) -> None:
    body = admin_client_.get(reverse("boards:all-grid-entry", args=[org.slug])).content.decode()
    assert body.count('data-testid="entry-row"') == 4
