"""A realistic mix for ``make loadtest`` (``python -m bench.loadtest`` sets the environment):

- managers open boards, the board list and KPI pages, and now and then press "Sync now";
- members open the OKR page and check in on their key results;
- scripts push batches of KPI values through the API bulk endpoint with an API key, and read
  the KPI list.

Syncs run for real: "Sync now" enqueues a run that a Celery worker fetches from a local HTTP
source. Every request names a group (``name=``) so the report has one line per kind of request.
"""

from __future__ import annotations

import json
import os
import random
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from locust import HttpUser, between, task

ORG = os.environ.get("LOADTEST_ORG", "bench")
OKR_ORG = os.environ.get("LOADTEST_OKR_ORG", "bench-okrs")
BOARD = os.environ.get("LOADTEST_BOARD", "1")
PASSWORD = os.environ.get("LOADTEST_PASSWORD", "")
MANAGER = os.environ.get("LOADTEST_MANAGER", "")
MEMBER = os.environ.get("LOADTEST_MEMBER", "")
API_KEY = os.environ.get("LOADTEST_API_KEY", "")
KPIS = [int(pk) for pk in os.environ.get("LOADTEST_KPIS", "").split(",") if pk]
KEY_RESULTS = [int(pk) for pk in os.environ.get("LOADTEST_KEY_RESULTS", "").split(",") if pk]
SOURCES = [int(pk) for pk in os.environ.get("LOADTEST_SOURCES", "").split(",") if pk]
# A script's push: the last few days of 20 KPIs (a nightly export), 100 points.
BATCH_KPIS, BATCH_DAYS = 20, 5
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class SignedInUser(HttpUser):
    abstract = True
    email = ""

    def on_start(self) -> None:
        page = self.client.get("/accounts/login/", name="login page")
        token = CSRF.search(page.text)
        self.client.post(
            "/accounts/login/",
            data={
                "username": self.email,
                "password": PASSWORD,
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
            headers={"Referer": f"{self.host}/accounts/login/"},
            name="login",
        )

    def post_form(self, path: str, data: dict[str, Any], name: str) -> None:
        """POST as a browser does: the CSRF cookie's token in the form, the page as referer."""
        token = self.client.cookies.get("csrftoken", "")
        self.client.post(
            path,
            data={**data, "csrfmiddlewaretoken": token},
            headers={"Referer": f"{self.host}{path}", "X-CSRFToken": token},
            name=name,
        )


class Manager(SignedInUser):
    weight = 4
    wait_time = between(1, 4)
    email = MANAGER

    @task(6)
    def open_board(self) -> None:
        self.client.get(f"/{ORG}/boards/{BOARD}/", name="board (200 KPIs)")

    @task(2)
    def board_list(self) -> None:
        self.client.get(f"/{ORG}/boards/", name="board list")

    @task(3)
    def kpi_page(self) -> None:
        self.client.get(f"/{ORG}/kpis/{random.choice(KPIS)}/", name="KPI page")  # noqa: S311

    @task(1)
    def sync_now(self) -> None:
        source = random.choice(SOURCES)  # noqa: S311
        self.post_form(f"/{ORG}/integrations/sources/{source}/sync/", {}, name="sync now")


class Member(SignedInUser):
    weight = 4
    wait_time = between(2, 6)
    email = MEMBER

    @task(3)
    def okr_page(self) -> None:
        self.client.get(f"/{OKR_ORG}/okrs/", name="OKR cycle page")

    @task(2)
    def check_in(self) -> None:
        key_result = random.choice(KEY_RESULTS)  # noqa: S311
        path = f"/{OKR_ORG}/okrs/key-results/{key_result}/check-in/"
        self.client.get(path, name="check-in form")
        self.post_form(
            path,
            {
                "value": str(random.randint(0, 100)),  # noqa: S311
                "status": "on_track",
                "confidence": "7",
                "comment": "load test",
            },
            name="check-in",
        )


class Script(HttpUser):
    weight = 2
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.client.headers["Authorization"] = f"Bearer {API_KEY}"
        self.day = random.randint(0, 10_000)  # noqa: S311 - spread scripts over history

    @task(3)
    def push_values(self) -> None:
        start = datetime(2000, 1, 1, tzinfo=UTC) + timedelta(days=self.day)
        self.day += BATCH_DAYS
        points = [
            {
                "kpi": kpi,
                "timestamp": (start + timedelta(days=day)).isoformat(),
                "value": random.randint(0, 1000),  # noqa: S311
            }
            for kpi in random.sample(KPIS, BATCH_KPIS)
            for day in range(BATCH_DAYS)
        ]
        self.client.post(
            "/api/v1/kpi-values/bulk",
            data=json.dumps({"points": points}),
            headers={"Content-Type": "application/json"},
            name=f"API bulk ingest ({BATCH_KPIS * BATCH_DAYS} points)",
        )

    @task(2)
    def list_kpis(self) -> None:
        self.client.get("/api/v1/kpis/?page_size=50", name="API KPI list (50)")
