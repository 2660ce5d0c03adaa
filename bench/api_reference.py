"""The yardstick of the API list: a bare DRF endpoint returning 50 plain rows, with none of the
product's API machinery (no key lookup, no organisation binding, no permission, no throttle, no
filters, no pagination, no serializer). Mounted only by ``bench.urls``."""

from __future__ import annotations

from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kpis.models import KPI


class BareRowsView(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()

    def get(self, request: Request) -> Response:
        organization_id = int(request.query_params.get("org", "0"))
        rows = list(
            KPI.unscoped.filter(organization_id=organization_id)
            .order_by("name", "id")
            .values("id", "name", "health", "latest_value", "latest_value_at")[:50]
        )
        return Response(rows)
