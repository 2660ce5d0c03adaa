"""The two steps of a CSV import: parse and stage a preview, then apply it in one transaction.

Between the steps the parsed points wait in a ``KPIImport`` row of the uploader's organisation;
the confirm step writes exactly those, after checking again that the person may still edit every
KPI they touch. Writing goes through ``kpi_values_record_many`` (bulk upsert on (KPI, timestamp)),
so importing the same file twice leaves the same state as importing it once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from functools import reduce
from operator import or_
from typing import IO

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kpis.import_models import KPIImport
from kpis.models import KPI, KPIValue, ValueSource
from kpis.services import (
    PointInput,
    RecordResult,
    editable_team_ids,
    kpi_can_edit,
    kpi_values_record_many,
)
from okrplatform.errors import DomainError, PermissionDeniedError
from okrplatform.tenancy.models import Membership

from .dates import CSVImportError
from .parsing import MAX_IMPORT_BYTES, KPIResolver, ParsedPoint, ParseResult, history_csv_parse


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def kpi_edit_check(membership: Membership) -> Callable[[KPI], bool]:
    """``kpi_can_edit`` for many KPIs, with the person's teams read once."""
    team_ids = editable_team_ids(membership)
    return lambda kpi: kpi_can_edit(membership, kpi, team_ids=team_ids)


def _existing(points: list[ParsedPoint]) -> dict[tuple[int, datetime], tuple[Decimal, str]]:
    """Stored (value, note) of the points' (KPI, timestamp)s: one query over each KPI's span."""
    spans: dict[int, tuple[datetime, datetime]] = {}
    for point in points:
        low, high = spans.get(point.kpi_id, (point.timestamp, point.timestamp))
        spans[point.kpi_id] = (min(low, point.timestamp), max(high, point.timestamp))
    if not spans:
        return {}
    ranges = [
        Q(kpi_id=kpi_id, timestamp__gte=low, timestamp__lte=high)
        for kpi_id, (low, high) in spans.items()
    ]
    rows = KPIValue.objects.filter(reduce(or_, ranges)).values_list(
        "kpi_id", "timestamp", "value", "note"
    )
    return {
        (kpi_id, timestamp): (value, note) for kpi_id, timestamp, value, note in rows.iterator()
    }


def _count_changes(kpi_import: KPIImport, points: list[ParsedPoint]) -> None:
    existing = _existing(points)
    for point in points:
        stored = existing.get((point.kpi_id, point.timestamp))
        if stored is None:
            kpi_import.create_count += 1
        elif stored == (point.value, point.note):
            kpi_import.unchanged_count += 1
        else:
            kpi_import.update_count += 1


def kpi_import_preview_create(
    *,
    membership: Membership,
    upload: IO[bytes],
    file_name: str,
    size: int,
    kpi: KPI | None = None,
    date_format: str = "auto",
) -> KPIImport:
    """Parse an uploaded history file and stage what it would write, with its errors.

    ``kpi`` for one KPI's history (no ``kpi`` column); without it the file names a KPI per row.
    Raises CSVImportError when the file as a whole cannot be read.
    """
    if size > MAX_IMPORT_BYTES:
        raise CSVImportError(
            f"The file is {_megabytes(size)}; the limit is {_megabytes(MAX_IMPORT_BYTES)}. "
            "Split it and import the parts one after the other.",
            field="file",
        )
    if upload.seekable():
        upload.seek(0)  # read from the start, whatever looked at the upload before
    can_edit = kpi_edit_check(membership)
    if kpi is not None:
        if not can_edit(kpi):
            raise PermissionDeniedError(f"You may not enter values for “{kpi.name}”.")
        if kpi.archived:
            raise DomainError(f"“{kpi.name}” is archived: restore it before importing values.")
        result = history_csv_parse(upload, kpi=kpi, date_format=date_format)
    else:
        kpis = KPI.objects.only("pk", "name", "key", "archived", "owner_team_id", "owner_id")
        resolver = KPIResolver(kpis, can_edit=can_edit)
        result = history_csv_parse(upload, resolver=resolver, date_format=date_format)
    return _stage(membership, result, kpi=kpi, file_name=file_name)


def _stage(
    membership: Membership, result: ParseResult, *, kpi: KPI | None, file_name: str
) -> KPIImport:
    kpi_import = KPIImport(
        organization_id=membership.organization_id,
        kpi=kpi,
        created_by=membership.user,
        file_name=file_name[:255],
        date_format=result.date_format,
        rows_read=result.rows_read,
        rows_with_errors=result.rows_with_errors,
        error_count=result.error_count,
        duplicate_count=result.duplicate_count,
        errors=[[error.row, error.column, error.message] for error in result.errors],
        notes=result.notes,
        points=[
            [point.kpi_id, point.timestamp.isoformat(), str(point.value), point.note]
            for point in result.points
        ],
    )
    _count_changes(kpi_import, result.points)
    with transaction.atomic():
        # Previews nobody confirmed are dead weight (their points can be megabytes): drop them.
        KPIImport.objects.filter(
            status=KPIImport.Status.PREVIEW, expires_at__lt=timezone.now()
        ).delete()
        kpi_import.save()
    return kpi_import


def kpi_import_apply(*, membership: Membership, kpi_import: KPIImport) -> RecordResult:
    """Write the staged points of ``kpi_import``, all or nothing, and mark it applied."""
    with transaction.atomic():
        locked = KPIImport.objects.select_for_update().get(pk=kpi_import.pk)
        if locked.created_by_id != membership.user_id:
            raise PermissionDeniedError("Only the person who uploaded the file can confirm it.")
        if locked.status == KPIImport.Status.APPLIED:
            raise DomainError("This file has already been imported.")
        if locked.is_expired:
            raise DomainError("This preview has expired: upload the file again.")
        if not locked.points:
            raise DomainError("The file has no valid rows to import.")
        _check_still_editable(membership, {kpi_id for kpi_id, *_rest in locked.points})
        points = [
            PointInput(
                kpi_id=kpi_id,
                timestamp=datetime.fromisoformat(timestamp),
                value=Decimal(value),
                note=note,
            )
            for kpi_id, timestamp, value, note in locked.points
        ]
        result = kpi_values_record_many(
            organization_id=membership.organization_id,
            points=points,
            source=ValueSource.IMPORT,
            author=membership.user,
        )
        locked.status = KPIImport.Status.APPLIED
        locked.applied_at = timezone.now()
        locked.points = []  # written now; keep the counts as a record, not the payload
        locked.save(update_fields=["status", "applied_at", "points"])
    kpi_import.status, kpi_import.applied_at = locked.status, locked.applied_at
    return result


def _check_still_editable(membership: Membership, kpi_ids: set[int]) -> None:
    """Between preview and confirm a KPI may have been deleted, archived or moved to a team the
    person is not in: refuse the whole import rather than write part of it."""
    can_edit = kpi_edit_check(membership)
    kpis = {
        kpi.pk: kpi
        for kpi in KPI.objects.filter(pk__in=kpi_ids).only(
            "pk", "name", "archived", "owner_team_id", "owner_id"
        )
    }
    for kpi_id in sorted(kpi_ids):
        kpi = kpis.get(kpi_id)
        if kpi is None:
            raise DomainError("A KPI in this file was deleted after the preview: upload it again.")
        if kpi.archived:
            raise DomainError(
                f"“{kpi.name}” was archived after the preview: upload the file again."
            )
        if not can_edit(kpi):
            raise PermissionDeniedError(f"You may no longer enter values for “{kpi.name}”.")
