"""The watcher itself: a browser suite that misses CSP violations or JS errors would prove nothing."""

from __future__ import annotations

from playwright.sync_api import Route

from .harness import OpenSession

BROKEN_PAGE = """<!doctype html><html><head><title>broken</title></head><body>
<p style="color: red">inline style</p>
<script>document.title = "inline script ran";</script>
</body></html>"""


def test_the_watcher_reports_csp_violations_and_javascript_errors(
    open_session: OpenSession,
) -> None:
    session = open_session("watcher")
    page = session.page

    def serve_broken_page(route: Route) -> None:
        route.fulfill(
            status=200,
            content_type="text/html",
            body=BROKEN_PAGE,
            headers={
                "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'"
            },
        )

    page.route("**/__broken__/", serve_broken_page)
    session.goto("/__broken__/")
    # An uncaught error in a timer; the promise settles in a later timer, so by the time
    # evaluate() returns the browser has already reported the error.
    page.evaluate(
        """() => new Promise((resolve) => setTimeout(() => {
             setTimeout(resolve);
             throw new Error("boom from the page");
           }))"""
    )

    reports = "\n".join(session.problems)
    assert page.title() == "broken", "the inline script must have been blocked"
    assert "Content Security Policy directive 'script-src" in reports
    assert "Content Security Policy directive 'style-src" in reports
    assert "boom from the page" in reports
    session.problems.clear()  # expected here; any other test fails on such reports
