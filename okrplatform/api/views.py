"""Base classes of every API view: resolve the organisation once and bind the tenant scope.

The scope is bound in ``initial()`` (after authentication, before permissions) and stays bound
until the whole response is rendered: the token is handed to ``OrganizationMiddleware``, whose
``finally`` resets it after rendering, exactly as for pages. Binding it in the middleware layer
rather than resetting in ``finalize_response`` means lazy querysets rendered late still run in
the right organisation, and never in none.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from rest_framework import status, viewsets
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.views import APIView

from okrplatform.tenancy.roles import Action
from okrplatform.tenancy.scope import _current_organization_id

from .access import ApiAccess, access_resolve
from .permissions import access_of


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class OrganizationAPIMixin:
    """Permissions come from ``DEFAULT_PERMISSION_CLASSES`` (``OrganizationPermission``)."""

    read_action: Action = Action.VIEW
    write_action: Action = Action.EDIT_CONTENT

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        django_request = request._request
        if not hasattr(django_request, "organization"):
            # Without the middleware nobody would reset the scope after the response: refuse.
            raise ImproperlyConfigured("API views need OrganizationMiddleware installed.")
        self._refuse_oversized(request)
        self.perform_authentication(request)  # type: ignore[attr-defined]
        access = access_resolve(request)
        request.api_access = access  # type: ignore[attr-defined]
        if access is not None:
            django_request.organization = access.organization
            django_request.membership = access.membership  # type: ignore[attr-defined]
            token = _current_organization_id.set(access.organization.pk)
            django_request._organization_scope_token = token  # type: ignore[attr-defined]
        super().initial(request, *args, **kwargs)  # type: ignore[misc]

    def _refuse_oversized(self, request: Request) -> None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit: int = settings.API_MAX_BODY_BYTES
        if length > limit:
            raise PayloadTooLarge(f"The request body is larger than {limit:,} bytes.")

    @property
    def access(self) -> ApiAccess:
        return access_of(self.request)  # type: ignore[attr-defined]


class OrganizationAPIView(OrganizationAPIMixin, APIView):
    pass


class OrganizationViewSet(OrganizationAPIMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    # Any id reaches the view (DRF's default refuses dots), so "/kpis/0.5/" gets the same
    # problem-details 404 as any missing object instead of the site's HTML 404 page.
    lookup_value_regex = "[^/]+"


class OrganizationReadOnlyViewSet(
    OrganizationAPIMixin,
    viewsets.ReadOnlyModelViewSet,  # type: ignore[type-arg]
):
    lookup_value_regex = "[^/]+"
