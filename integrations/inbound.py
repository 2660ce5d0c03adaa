"""The public push endpoint: ``POST /integrations/push/<push_key>/``.

It lives outside ``/<org_slug>/`` because the sender is a machine with no session. The URL's
key finds the data source (across organisations, on purpose: the key *is* the address), and
the request must carry the source's secret as a bearer token or an HMAC signature. Every
refusal answers the same 404/401 whether the key exists or not, so keys cannot be probed.
"""

from __future__ import annotations

import json
import uuid

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from kpis.models import KPI
from okrplatform.errors import DomainError

from .models import DataSource, Provider
from .providers import FetchError
from .providers import push as push_provider
from .services import push_secret
from .sync import push_receive


def _refused() -> JsonResponse:
    return JsonResponse({"error": "Unknown push URL or wrong secret."}, status=401)


@csrf_exempt  # authenticated by the source's secret, not by a browser session
@require_POST
def push_values(request: HttpRequest, push_key: uuid.UUID) -> JsonResponse:
    body = request.body
    if len(body) > push_provider.MAX_BODY_BYTES:
        return JsonResponse({"error": "The body is too large."}, status=413)
    source = (
        DataSource.unscoped.select_related("integration")
        .filter(push_key=push_key, integration__provider=Provider.PUSH)
        .first()
    )
    secret = push_secret(source) if source is not None else ""
    authenticated = push_provider.request_authenticated(
        secret=secret,
        authorization=request.headers.get("Authorization", ""),
        signature=request.headers.get(push_provider.SIGNATURE_HEADER, ""),
        body=body,
    )
    if source is None or not authenticated:
        return _refused()
    if not source.enabled:
        return JsonResponse({"error": "This data source is disabled."}, status=409)
    try:
        points = push_provider.points_from_body(body, timezone.now())
        if not KPI.unscoped.filter(pk=source.kpi_id, archived=False).exists():
            return JsonResponse({"error": "The KPI is archived."}, status=409)
        written = push_receive(source=source, points=points)
    except (FetchError, DomainError) as error:
        return JsonResponse({"error": error.message}, status=400)
    except json.JSONDecodeError:
        return JsonResponse({"error": "The body is not valid JSON."}, status=400)
    return JsonResponse({"written": written}, status=202)
