"""Redis stopped while the app serves: pages and the API keep working, "Sync now" says plainly
that background work is unavailable and starts nothing, and once Redis is back the dispatcher and
the sweeper send every run that was due, once; notices made during the outage are emailed once.

Redis here is the test's own server (the machine's is shared), stopped and started at will.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import redis
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from boards.tests.helpers import add_series, make_board, make_kpi
from goals.tests.factories import KeyResultFactory, ObjectiveFactory
from integrations import sync
from integrations.models import RunStatus, SyncRun
from integrations.tests.factories import DataSourceFactory, IntegrationFactory
from integrations.tests.httpserver import Reply, fake_server
from kpis.models import KPIValue
from okrplatform.background import BACKGROUND_UNAVAILABLE
from okrplatform.notifications import sweeper as email_sweeper
from okrplatform.notifications.models import Notification, NotificationKind
from okrplatform.notifications.services import NoticeDraft, notifications_send
from tests.api.conftest import issue_key
from tests.factories import MembershipFactory, OrganizationFactory

from .conftest import in_process_worker, wait_for

pytestmark = pytest.mark.faults

SERIES = json.dumps({"items": [{"t": "2026-01-01", "v": 5}, {"t": "2026-02-01", "v": 6}]})


def _source(organization, url: str, **fields):
    return DataSourceFactory(
        organization=organization,
        integration=IntegrationFactory(
            organization=organization, settings={"url": url, "method": "GET", "auth": "none"}
        ),
        extraction={"expression": "items", "timestamp_key": "t", "value_key": "v"},
        **fields,
    )


@pytest.mark.django_db
def test_pages_and_the_api_keep_working_with_redis_stopped(
    private_broker, org, owner, member_client
) -> None:
    kpi = make_kpi(org, "Churn")
    add_series(kpi, [3, 4, 5], end=timezone.now().date())
    board = make_board(org, "Ops", [kpi])
    objective = ObjectiveFactory(organization=org, title="Keep customers")
    KeyResultFactory(objective=objective, title="Churn under 2%")
    api = issue_key(owner)
    cache.set("probe", "here")
    assert cache.get("probe") == "here"  # the cache really is the private Redis

    private_broker.stop()

    assert cache.get("probe", "missed") == "missed"  # a miss, not an exception
    pages = [
        reverse("boards:board-detail", args=[org.slug, board.pk]),
        reverse("boards:board-list", args=[org.slug]),
        reverse("kpis:kpi-list", args=[org.slug]),
        reverse("kpis:kpi-detail", args=[org.slug, kpi.pk]),
        reverse("goals:objective-list", args=[org.slug]),
        reverse("goals:objective-detail", args=[org.slug, objective.pk]),
    ]
    for page in pages:
        response = member_client.get(page)
        assert response.status_code == 200, page
    assert b"Churn" in member_client.get(pages[0]).content
    # The API's rate limits are counted in Redis: they fail open for the outage, not with a 500.
    response = api.get("/api/v1/kpis/")
    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == ["Churn"]


@pytest.mark.django_db
def test_sync_now_says_background_work_is_unavailable_and_starts_nothing(
    private_broker, queue_name, org, admin_client_, django_capture_on_commit_callbacks
) -> None:
    source = _source(org, "http://127.0.0.1:9/m")
    url = reverse("integrations:source-sync", args=[org.slug, source.pk])
    private_broker.stop()

    response = admin_client_.post(url, follow=True)
    assert response.status_code == 200
    assert BACKGROUND_UNAVAILABLE in [str(m) for m in response.context["messages"]]
    fragment = admin_client_.post(url, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    assert BACKGROUND_UNAVAILABLE in fragment.content.decode()
    assert not SyncRun.unscoped.exists()  # nothing half-started for the sweeper to run later

    private_broker.start()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_.post(url, follow=True)
    assert "Sync started." in [str(m) for m in response.context["messages"]]
    assert SyncRun.unscoped.count() == 1
    queued = redis.Redis.from_url(private_broker.url(0)).llen(queue_name)
    assert queued == 1


@pytest.mark.django_db(transaction=True)
def test_runs_due_during_the_outage_are_sent_once_the_broker_is_back(
    private_broker, queue_name, monkeypatch
) -> None:
    organization = OrganizationFactory()
    past = timezone.now() - timedelta(minutes=1)
    with fake_server(
        {"/m": Reply(200, SERIES.encode(), {"Content-Type": "application/json"})}
    ) as server:
        dispatched_in_outage = [
            _source(organization, server.url("/m"), next_run_at=past) for _ in range(2)
        ]
        private_broker.stop()

        # A dispatch that was already running when Redis went: the runs are made, the schedule
        # moves on, and the failed sends neither raise nor lose the runs.
        created = sync.due_sources_dispatch()
        assert len(created) == 2
        runs = SyncRun.unscoped.filter(pk__in=created)
        assert {run.status for run in runs} == {RunStatus.QUEUED}
        assert all(run.lease_expires_at <= timezone.now() for run in runs)  # due for the sweeper
        assert sync.expired_runs_sweep() == created  # tries, fails, keeps them: still no error
        assert SyncRun.unscoped.filter(pk__in=created, attempts=0).count() == 2

        # Came due while beat could not even reach the broker: only the schedule row knows.
        came_due_later = _source(organization, server.url("/m"), next_run_at=timezone.now())

        private_broker.start()
        monkeypatch.setattr(sync, "_broker_down_until", 0.0)  # the breaker's window, elapsed
        with in_process_worker([queue_name]):
            [later_run] = sync.due_sources_dispatch()
            assert sorted(sync.expired_runs_sweep()) == sorted(created)
            wait_for(
                lambda: SyncRun.unscoped.filter(finished_at__isnull=False).count() == 3,
                "the three runs",
            )

    every_source = [*dispatched_in_outage, came_due_later]
    runs = SyncRun.unscoped.order_by("pk")
    assert [run.data_source_id for run in runs] == [source.pk for source in every_source]
    assert [(run.status, run.attempts) for run in runs] == [(RunStatus.SUCCEEDED, 1)] * 3, [
        run.error for run in runs
    ]
    assert runs.last().pk == later_run
    assert len(server.requests) == 3  # each run fetched once
    for source in every_source:
        assert KPIValue.unscoped.filter(kpi=source.kpi).count() == 2


@pytest.mark.django_db(transaction=True)
def test_notice_emails_lost_in_the_outage_are_sent_once_the_broker_is_back(
    private_broker,
) -> None:
    organization = OrganizationFactory()
    owner = MembershipFactory(organization=organization, role="owner")
    private_broker.stop()

    # The change commits; its email task cannot be sent (logged, not raised): only the notice
    # in the app knows an email is owed.
    [notice_id] = notifications_send(
        organization_id=organization.pk,
        drafts=[
            NoticeDraft(
                recipient_id=owner.user_id,
                kind=NotificationKind.KPI_UNHEALTHY,
                title="Churn is unhealthy",
                dedupe_key="kpi-unhealthy:1",
            )
        ],
    )
    assert Notification.unscoped.get(pk=notice_id).emailed_at is None
    assert mail.outbox == []

    private_broker.start()
    after_grace = timezone.now() + email_sweeper.SWEEP_GRACE + timedelta(seconds=1)
    with in_process_worker(["default"]):
        assert email_sweeper.unsent_emails_sweep(now=after_grace) == [notice_id]
        wait_for(lambda: len(mail.outbox) == 1, "the notice's email")
        # A second beat's sweep a moment later finds nothing owed.
        assert email_sweeper.unsent_emails_sweep(now=after_grace) == []
    assert [message.to for message in mail.outbox] == [[owner.user.email]]
    assert Notification.unscoped.get(pk=notice_id).emailed_at is not None
