"""OpenAPI details drf-spectacular cannot infer: our two auth schemes and the problem-details
error responses every operation can answer."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema

from .access import ORGANIZATION_HEADER
from .errors import PROBLEM_CONTENT_TYPE


class APIKeyScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "okrplatform.api.authentication.APIKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An organisation's API key (Settings → API keys): "
            "`Authorization: Bearer <key>`.",
        }


class OrganizationSessionScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "okrplatform.api.authentication.OrganizationSessionAuthentication"
    name = ["cookieAuth", "organizationHeader"]
    priority = 1

    def get_security_definition(self, auto_schema: AutoSchema) -> list[dict[str, Any]]:
        return [
            {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME},
            {
                "type": "apiKey",
                "in": "header",
                "name": ORGANIZATION_HEADER,
                "description": "The organisation's slug, for signed-in browser calls.",
            },
        ]


PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "pointer": {"type": "string"},
                    "detail": {"type": "string"},
                    "code": {"type": "string"},
                },
                "required": ["field", "pointer", "detail", "code"],
            },
        },
    },
    "required": ["type", "title", "status", "detail"],
}

ERROR_STATUSES = {
    "400": "Malformed request or invalid fields",
    "401": "No or invalid credentials",
    "403": "The role or the key's scope does not allow this",
    "404": "No such object in this organisation",
    "413": "Request body too large",
    "429": "Rate limit reached; see the Retry-After header",
}


def add_problem_responses(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook: every operation documents its problem-details error responses."""
    components = result.setdefault("components", {})
    components.setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    reference = {
        PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}},
    }
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for code, description in ERROR_STATUSES.items():
                responses.setdefault(code, {"description": description, "content": reference})
    return result
