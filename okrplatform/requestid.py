"""A request id on every response and every log line, so a 500 a person reports can be found.

The id comes from the load balancer's ``X-Request-ID`` when it sends a sane one (so one id
follows the request through every hop), or is made here. It is bound in a ContextVar for the
request, stamped on log records by ``RequestIDLogFilter``, sent back in the ``X-Request-ID``
header, and shown on the 500 page.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.template import loader

HEADER = "X-Request-ID"
# Anything else from outside (a newline, 10 kB, markup) is replaced, never echoed into logs.
_ACCEPTED = re.compile(r"[A-Za-z0-9._:-]{8,64}")
_NO_REQUEST = "-"

current_request_id: ContextVar[str] = ContextVar("request_id", default=_NO_REQUEST)


def request_id_of(request: HttpRequest) -> str:
    return getattr(request, "request_id", None) or current_request_id.get()


class RequestIDMiddleware:
    """Outermost middleware, so even a response built from an exception carries the id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        offered = request.headers.get(HEADER, "")
        request_id = offered if _ACCEPTED.fullmatch(offered) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = current_request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            current_request_id.reset(token)
        response[HEADER] = request_id
        return response


class RequestIDLogFilter(logging.Filter):
    """Adds ``request_id`` to every record ("-" outside a request: workers, commands)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True


_make_record = logging.getLogRecordFactory()


def _record_with_request_id(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _make_record(*args, **kwargs)
    record.request_id = current_request_id.get()
    return record


# Stamped when the record is made, not only by our handler's filter: handlers added later (Celery
# replaces the root logger's, log shippers add their own) see the id too.
logging.setLogRecordFactory(_record_with_request_id)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 handler. It must work with the database down: no context processors, no user,
    no organisation, nothing but the id to quote to the operators."""
    request_id = request_id_of(request)
    if request.path.startswith("/api/"):
        problem = {
            "type": "about:blank",
            "title": "Server error",
            "status": 500,
            "detail": "The error was logged. Quote the request id when you report it.",
            "request_id": request_id,
        }
        return JsonResponse(problem, status=500, content_type="application/problem+json")
    body = loader.get_template("500.html").render({"request_id": request_id})
    return HttpResponse(body, status=500)
