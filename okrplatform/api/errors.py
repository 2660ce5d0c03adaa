"""Every API error as RFC 9457 problem details (``application/problem+json``).

``{"type", "title", "status", "detail", "instance", "errors": [{"field", "pointer", "detail",
"code"}]}`` - ``errors`` lists field-level messages, with the field as a dotted path
(``points.3.value``) and as a JSON pointer (``/points/3/value``).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

from okrplatform.errors import DomainError, PermissionDeniedError

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://okrplatform.dev/problems/"
NON_FIELD = "non_field_errors"


def _flatten(detail: Any, path: tuple[str, ...] = ()) -> list[dict[str, str]]:
    if isinstance(detail, dict):
        items: list[dict[str, str]] = []
        for key, value in detail.items():
            inner = path if key in (NON_FIELD, "detail") else (*path, str(key))
            items += _flatten(value, inner)
        return items
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return [_error(path, item) for item in detail]
        items = []
        for index, value in enumerate(detail):
            if value:  # DRF puts {} for the valid items of a list
                items += _flatten(value, (*path, str(index)))
        return items
    return [_error(path, detail)]


def _error(path: tuple[str, ...], message: Any) -> dict[str, str]:
    return {
        "field": ".".join(path),
        "pointer": "/" + "/".join(path) if path else "",
        "detail": str(message),
        "code": getattr(message, "code", "invalid"),
    }


def problem(
    status: int,
    detail: str,
    *,
    instance: str = "",
    code: str = "",
    errors: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code if code else "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    return body


def _as_drf(exc: Exception) -> Exception:
    if isinstance(exc, PermissionDeniedError):
        return exceptions.PermissionDenied(exc.message)
    if isinstance(exc, DomainError):
        return exceptions.ValidationError({exc.field or NON_FIELD: [exc.message]})
    return exc


def _message_and_code(exc: Exception) -> tuple[str, str]:
    if isinstance(exc, Http404):
        return str(exc) or "Not found.", "not-found"
    if isinstance(exc, DjangoPermissionDenied):
        return str(exc) or "Permission denied.", "permission-denied"
    if isinstance(exc, exceptions.APIException):
        detail = exc.detail
        codes = exc.get_codes()
        message = str(detail) if isinstance(detail, str) else "Request refused."
        return message, codes.replace("_", "-") if isinstance(codes, str) else ""
    return str(exc), ""


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    exc = _as_drf(exc)
    response = exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: Django logs it and answers 500
    request = context.get("request")
    instance = request.path if request is not None else ""
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        detail = (
            "The request has invalid fields."
            if any(e["field"] for e in errors)
            else (errors[0]["detail"] if errors else "Invalid request.")
        )
        body = problem(
            response.status_code, detail, instance=instance, code="validation-error", errors=errors
        )
    else:
        message, code = _message_and_code(exc)
        body = problem(response.status_code, message, instance=instance, code=code)
    response.data = body
    response.content_type = PROBLEM_CONTENT_TYPE
    return response
