"""Browser fixtures: Debian's Chromium driven by Playwright against pytest-django's live server.

We never download a browser: Playwright starts the distribution's ``/usr/bin/chromium``
(``.ci/run`` installs it). One browser process serves the whole session; every person in a test
gets a fresh context, so cookies never leak between them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright
from pytest_django.live_server_helper import LiveServer

from .harness import CONSOLE_LOGS, DESKTOP, BrowserSession, OpenSession

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ALLOW_ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"
_RUNNING_DRIVERS: list[Playwright] = []  # at most one: see playwright_driver
TIMEOUT_MS = 10_000  # a generous ceiling for one action; a healthy page answers in milliseconds


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="package")
def playwright_driver() -> Iterator[Playwright]:
    """Playwright for the browser tests only, torn down after the last one.

    Its sync API keeps an event loop running in this thread, and Django then refuses ORM calls
    from the test body (factories, assertions on the database). The test thread never shares a
    connection with the live server's threads, so the guard protects nothing here; it is lifted
    only while the driver runs, so the rest of the suite keeps it.

    A browser test outside this package imports these fixtures, which gives it a second
    package-scoped instance that is still alive when this package starts; Playwright refuses a
    second sync driver in the same thread, so a running one is shared.
    """
    if _RUNNING_DRIVERS:
        yield _RUNNING_DRIVERS[-1]
        return
    previous = os.environ.get(ALLOW_ASYNC_UNSAFE)
    os.environ[ALLOW_ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as driver:
            _RUNNING_DRIVERS.append(driver)
            try:
                yield driver
            finally:
                _RUNNING_DRIVERS.pop()
    finally:
        if previous is None:
            os.environ.pop(ALLOW_ASYNC_UNSAFE, None)
        else:
            os.environ[ALLOW_ASYNC_UNSAFE] = previous


@pytest.fixture(scope="package")
def chromium(playwright_driver: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)"
        )
    browser = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


@pytest.fixture
def open_session(
    chromium: Browser, live_server: LiveServer, request: pytest.FixtureRequest
) -> Iterator[OpenSession]:
    """Open a fresh browser (own cookies) for one person; the test fails if any of them complains."""
    test_name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name).strip("_")
    sessions: list[BrowserSession] = []
    step_counter = [0]

    def _open(label: str = "user", viewport: dict[str, int] | None = None) -> BrowserSession:
        context = chromium.new_context(viewport=viewport or DESKTOP, base_url=live_server.url)  # type: ignore[arg-type]
        context.set_default_timeout(TIMEOUT_MS)
        session = BrowserSession(
            context=context,
            page=context.new_page(),
            base_url=live_server.url,
            test_name=test_name,
            label=label,
            step_counter=step_counter,
        )
        sessions.append(session)
        return session

    yield _open
    console = [line for session in sessions for line in session.console]
    if console:  # kept for whoever investigates a failure; the problems below fail the test
        CONSOLE_LOGS.mkdir(parents=True, exist_ok=True)
        (CONSOLE_LOGS / f"{test_name}.log").write_text("\n".join(console) + "\n")
    problems = [problem for session in sessions for problem in session.problems]
    for session in sessions:
        session.context.close()
    if problems:
        pytest.fail("The browser reported problems:\n" + "\n".join(problems), pytrace=False)
