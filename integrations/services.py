"""Writes for integrations and data sources (admins only), and the connection test.

Keyword-only and atomic, raising ``DomainError`` (naming the field) or ``PermissionDeniedError``.
Secrets enter here in clear, leave encrypted, and are never returned except the push secret,
which is shown once when it is generated.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from kpis.models import KPI
from okrplatform.background import BACKGROUND_UNAVAILABLE, broker_available
from okrplatform.errors import DomainError, PermissionDeniedError
from okrplatform.tenancy.models import Membership
from okrplatform.tenancy.roles import Action

from .crypto import CredentialError, secret_decrypt, secret_encrypt
from .models import DataSource, Integration, Provider, RunTrigger, ScheduleKind, SyncRun
from .providers import FetchError, Point, provider_get
from .providers import push as push_provider
from .schedule import next_slot, schedule_validate


def _require_admin(actor: Membership) -> None:
    if not actor.can(Action.MANAGE_INTEGRATIONS):
        raise PermissionDeniedError("Only admins can manage integrations.")


def _validated(form_class: type[Any], fields: dict[str, Any]) -> dict[str, Any]:
    """Run the provider's form over ``fields`` here too: the service is the last gate, whoever
    calls it (a page, the API, a script)."""
    form = form_class(data={k: v for k, v in fields.items() if v is not None})
    if not form.is_valid():
        name, errors = next(iter(form.errors.items()))
        raise DomainError(str(errors[0]), field=None if name == "__all__" else name)
    cleaned: dict[str, Any] = form.cleaned_data
    return cleaned


def _split_secrets(provider: str, fields: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    spec = provider_get(provider)
    fields = _validated(spec.settings_form, fields)
    settings = {k: v for k, v in fields.items() if k not in spec.secret_fields}
    secrets = {k: str(v) for k, v in fields.items() if k in spec.secret_fields and v}
    return settings, secrets


def integration_credentials(integration: Integration) -> dict[str, Any]:
    """The decrypted credentials, for a fetch. Never put the result in a context or a log."""
    return secret_decrypt(
        organization_id=integration.organization_id,
        ciphertext=integration.credentials_ciphertext,
    )


@transaction.atomic
def integration_create(
    *, actor: Membership, provider: str, name: str, fields: dict[str, Any]
) -> Integration:
    _require_admin(actor)
    if provider not in Provider.values:
        raise DomainError("Choose a provider.", field="provider")
    settings, secrets = _split_secrets(provider, fields)
    integration = Integration(
        organization_id=actor.organization_id,
        provider=provider,
        name=name.strip(),
        settings=settings,
        created_by=actor.user,
    )
    if secrets:
        integration.credentials_ciphertext = secret_encrypt(
            organization_id=actor.organization_id, data=secrets
        )
    try:
        with transaction.atomic():
            integration.save()
    except IntegrityError:
        raise DomainError("An integration with this name exists already.", field="name") from None
    return integration


@transaction.atomic
def integration_update(
    *, actor: Membership, integration: Integration, name: str, fields: dict[str, Any]
) -> Integration:
    """Secret fields left blank keep their stored value (they are never shown to be edited)."""
    _require_admin(actor)
    settings, secrets = _split_secrets(integration.provider, fields)
    integration.name = name.strip()
    integration.settings = settings
    if secrets:
        try:
            stored = integration_credentials(integration)
        except CredentialError:
            stored = {}
        integration.credentials_ciphertext = secret_encrypt(
            organization_id=integration.organization_id, data={**stored, **secrets}
        )
    try:
        with transaction.atomic():
            integration.save()
    except IntegrityError:
        raise DomainError("An integration with this name exists already.", field="name") from None
    return integration


@transaction.atomic
def integration_delete(*, actor: Membership, integration: Integration) -> None:
    _require_admin(actor)
    integration.delete()


def connection_test(
    *,
    integration: Integration,
    extraction: dict[str, Any],
    fields: dict[str, Any] | None = None,
) -> list[Point]:
    """Fetch now, with unsaved settings if given, and return the points without saving them."""
    spec = provider_get(integration.provider)
    if spec.fetch is None:
        raise DomainError("Push sources receive values; there is nothing to fetch.")
    settings: dict[str, Any] = dict(integration.settings)
    secrets: dict[str, str] = {}
    if fields is not None:
        settings, secrets = _split_secrets(integration.provider, fields)
    try:
        credentials = {**integration_credentials(integration), **secrets}
    except CredentialError as error:
        raise DomainError(str(error)) from None
    try:
        return spec.fetch(
            settings=settings, credentials=credentials, extraction=extraction, now=timezone.now()
        )
    except FetchError as error:
        raise DomainError(error.message) from None


def _schedule_fields(fields: dict[str, Any]) -> dict[str, Any]:
    kind = fields.get("schedule_kind") or ScheduleKind.HOURLY
    interval = fields.get("schedule_interval_minutes") or 60
    at: time | None = fields.get("schedule_time")
    cron = (fields.get("schedule_cron") or "").strip()
    schedule_validate(kind=kind, interval_minutes=interval, at=at, cron=cron)
    return {
        "schedule_kind": kind,
        "schedule_interval_minutes": interval,
        "schedule_time": at,
        "schedule_cron": cron,
    }


def data_source_next_run(source: DataSource, *, after: datetime) -> datetime | None:
    if not source.enabled or source.integration.provider == Provider.PUSH:
        return None
    return next_slot(
        kind=source.schedule_kind,
        after=after,
        interval_minutes=source.schedule_interval_minutes,
        at=source.schedule_time,
        cron=source.schedule_cron,
    )


@transaction.atomic
def data_source_create(
    *,
    actor: Membership,
    integration: Integration,
    kpi: KPI,
    extraction: dict[str, Any],
    enabled: bool = True,
    **schedule: Any,
) -> tuple[DataSource, str | None]:
    """Create the source and return it with its push secret (shown once), if it has one.

    A pulled source backfills straight away: its first run is queued now, and providers that
    can return history (series, range queries) bring it in on that run.
    """
    _require_admin(actor)
    if (
        kpi.organization_id != actor.organization_id
        or integration.organization_id != kpi.organization_id
    ):
        raise DomainError("Choose a KPI of this organisation.", field="kpi")
    extraction = _validated(provider_get(integration.provider).extraction_form, extraction)
    source = DataSource(
        organization_id=actor.organization_id,
        integration=integration,
        kpi=kpi,
        extraction=extraction,
        enabled=enabled,
        **_schedule_fields(schedule),
    )
    secret = None
    if integration.provider == Provider.PUSH:
        secret = push_provider.secret_generate()
        source.push_secret_ciphertext = secret_encrypt(
            organization_id=actor.organization_id, data={"secret": secret}
        )
    now = timezone.now()
    source.next_run_at = data_source_next_run(source, after=now)
    source.save()
    if source.next_run_at is not None:
        from .sync import sync_run_request

        sync_run_request(source=source, trigger=RunTrigger.BACKFILL)
    return source, secret


@transaction.atomic
def data_source_update(
    *,
    actor: Membership,
    source: DataSource,
    extraction: dict[str, Any],
    enabled: bool,
    **schedule: Any,
) -> DataSource:
    _require_admin(actor)
    for name, value in _schedule_fields(schedule).items():
        setattr(source, name, value)
    source.extraction = _validated(
        provider_get(source.integration.provider).extraction_form, extraction
    )
    source.enabled = enabled
    source.next_run_at = data_source_next_run(source, after=timezone.now())
    source.save()
    return source


@transaction.atomic
def data_source_delete(*, actor: Membership, source: DataSource) -> None:
    _require_admin(actor)
    source.delete()


@transaction.atomic
def push_secret_regenerate(*, actor: Membership, source: DataSource) -> str:
    _require_admin(actor)
    if source.integration.provider != Provider.PUSH:
        raise DomainError("Only push sources have a secret.")
    secret = push_provider.secret_generate()
    source.push_secret_ciphertext = secret_encrypt(
        organization_id=source.organization_id, data={"secret": secret}
    )
    source.save(update_fields=["push_secret_ciphertext"])
    return secret


def push_secret(source: DataSource) -> str:
    try:
        data = secret_decrypt(
            organization_id=source.organization_id, ciphertext=source.push_secret_ciphertext
        )
    except CredentialError:
        return ""
    return str(data.get("secret", ""))


def sync_now(*, actor: Membership, source: DataSource) -> SyncRun:
    _require_admin(actor)
    if source.integration.provider == Provider.PUSH:
        raise DomainError("Push sources receive values; there is nothing to sync.")
    # Refused rather than queued: a run that starts whenever the broker returns is not what
    # "now" promised, and the schedule catches up on its own. (Should the broker die between
    # this check and the send, the run waits for the sweeper: late, never lost, never a 500.)
    if not broker_available():
        raise DomainError(BACKGROUND_UNAVAILABLE)
    from .sync import sync_run_request

    return sync_run_request(source=source, trigger=RunTrigger.MANUAL)
