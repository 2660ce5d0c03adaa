"""A thin layer over Playwright's sync API for the browser suite.

A `BrowserSession` is one person's browser (its own context, so its own cookies). It keeps what
the browser complained about — console errors, uncaught exceptions, Content-Security-Policy
violations, failed requests, unexpected HTTP statuses — so the test fails on any of them, and it
saves full-page screenshots under ``test-output/screenshots/<test>-<step>.png``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, ConsoleMessage, Error, Page, Request, Response

TEST_OUTPUT = Path(__file__).resolve().parents[2] / "test-output"
SCREENSHOTS = TEST_OUTPUT / "screenshots"
CONSOLE_LOGS = TEST_OUTPUT / "console"

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 400, "height": 860}

# Chromium logs a CSP refusal as a console error too; this listener makes the report explicit and
# also catches violations that Chromium only reports as events. Init scripts are injected by the
# DevTools protocol, so the page's own CSP does not block this one.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""

# A document answered with an error status shows up as this console line; the status itself is
# checked from the response, so the line is not a problem of its own.
FAILED_DOCUMENT = re.compile(r"^Failed to load resource: the server responded with a status of")


@dataclass
class BrowserSession:
    """One person's browser tab, watched for problems."""

    context: BrowserContext
    page: Page
    base_url: str
    test_name: str
    label: str
    problems: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    allowed_statuses: set[int] = field(default_factory=set)
    document_urls: dict[str, int] = field(default_factory=dict)
    step_counter: list[int] = field(default_factory=lambda: [0])

    def __post_init__(self) -> None:
        self.context.add_init_script(CSP_LISTENER)
        self.page.on("console", self._on_console)
        self.page.on("pageerror", self._on_page_error)
        self.page.on("requestfailed", self._on_request_failed)
        self.page.on("response", self._on_response)

    # --- watching ---------------------------------------------------------------------------
    def _on_console(self, message: ConsoleMessage) -> None:
        url = message.location.get("url", "")
        self.console.append(f"[{self.label}] {message.type} {url}: {message.text}")
        if message.type not in {"error", "warning"}:
            return
        if FAILED_DOCUMENT.match(message.text) and url in self.document_urls:
            return  # judged by its status in _on_response
        if (
            message.type == "warning"
            and "CSP" not in message.text
            and "Content Security" not in message.text
        ):
            return  # Chromium warns about many harmless things; CSP warnings still count
        self.problems.append(f"[{self.label}] console {message.type} at {url}: {message.text}")

    def _on_page_error(self, error: Error) -> None:
        self.console.append(f"[{self.label}] uncaught {error.message}")
        self.problems.append(f"[{self.label}] JavaScript error: {error.message}")

    def _on_request_failed(self, request: Request) -> None:
        if request.failure and "ERR_ABORTED" in request.failure:
            return  # a navigation that replaced a pending one
        self.problems.append(
            f"[{self.label}] request failed: {request.method} {request.url} ({request.failure})"
        )

    def _on_response(self, response: Response) -> None:
        request = response.request
        status = response.status
        if request.is_navigation_request():
            self.document_urls[response.url] = status
            if status >= 400 and status not in self.allowed_statuses:
                self.problems.append(
                    f"[{self.label}] {request.method} {response.url} answered {status}"
                )
        elif status >= 400:
            self.problems.append(
                f"[{self.label}] {request.method} {response.url} answered {status}"
            )

    def expect_status(self, *statuses: int) -> None:
        """Declare that documents answering these statuses are part of the test (e.g. a 400 form)."""
        self.allowed_statuses.update(statuses)

    # --- doing ------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    def goto(self, path: str) -> Response:
        response = self.page.goto(self.url(path))
        assert response is not None, f"no response for {path}"
        return response

    def shot(self, step: str, **options: Any) -> Path:
        """Save a full-page screenshot as ``<test>-<nn>-<step>.png`` (numbered in step order)."""
        self.step_counter[0] += 1
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{self.test_name}-{self.step_counter[0]:02d}-{step}.png"
        self.page.screenshot(path=str(path), full_page=options.pop("full_page", True), **options)
        return path

    def horizontal_overflow(self) -> int:
        """How many pixels the page is wider than the window (0 when nothing scrolls sideways)."""
        overflow: int = self.page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        return overflow

    def log_in(self, email: str, password: str) -> None:
        self.goto("/accounts/login/")
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(password)
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="Log in").click()
        assert "/accounts/login/" not in self.page.url, "login failed"


# What the `open_session` fixture hands a test: call it once per person (label, viewport=...).
OpenSession = Callable[..., BrowserSession]
