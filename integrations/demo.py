"""Demo data: integrations that work offline in ``make run``.

A push source is fed by the seed itself (the way a Zapier-style tool would), so the demo shows
a live source, its status and pushed values without reaching any network. An HTTP JSON
connection is added without data sources, ready for an admin to try "Test connection".
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from kpis.models import KPI
from okrplatform.tenancy.models import Organization

from .crypto import secret_encrypt
from .models import DataSource, Integration, Provider, ScheduleKind
from .providers import Point
from .providers import push as push_provider
from .sync import push_receive

DEMO_KPI = "Website unique visitors"


def seed(organization: Organization) -> None:
    kpi = KPI.objects.filter(name=DEMO_KPI).first() or KPI.objects.order_by("pk").first()
    if kpi is None:
        return
    push = Integration.objects.create(
        organization=organization, provider=Provider.PUSH, name="Web analytics (push)"
    )
    source = DataSource.objects.create(
        organization=organization,
        integration=push,
        kpi=kpi,
        schedule_kind=ScheduleKind.NONE,
        push_secret_ciphertext=secret_encrypt(
            organization_id=organization.pk, data={"secret": push_provider.secret_generate()}
        ),
    )
    latest = kpi.latest_value if kpi.latest_value is not None else Decimal(0)
    push_receive(
        source=source,
        points=[Point(timezone.now() - timedelta(minutes=5), latest)],
    )
    Integration.objects.create(
        organization=organization,
        provider=Provider.HTTP_JSON,
        name="Status API (example)",
        settings={
            "url": "https://status.example.com/api/summary.json",
            "method": "GET",
            "auth": "none",
        },
    )
