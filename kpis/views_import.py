"""CSV import (upload → preview → confirm) and CSV export of KPI history. Thin: the work is in
``kpis.csv_io``."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from okrplatform.errors import DomainError, PermissionDeniedError
from okrplatform.forms import add_domain_error
from okrplatform.tenancy.permissions import action_required, current_membership
from okrplatform.tenancy.roles import Action

from . import selectors
from .csv_io.export import current_values_rows, kpi_history_rows
from .csv_io.forms import HistoryImportForm
from .csv_io.parsing import ERRORS_KEPT
from .csv_io.staging import kpi_import_apply, kpi_import_preview_create
from .import_models import KPIImport
from .models import KPI


def _kpi_or_404(pk: int) -> KPI:
    kpi = selectors.kpi_get(pk)
    if kpi is None:
        raise Http404("No such KPI.")
    return kpi


def _import_or_404(request: HttpRequest, pk: int) -> KPIImport:
    """A preview is private to the person who uploaded it: anyone else gets the same 404."""
    kpi_import = (
        KPIImport.objects.defer("points")
        .select_related("kpi")
        .filter(pk=pk, created_by_id=request.user.pk)
        .first()
    )
    if kpi_import is None:
        raise Http404("No such import.")
    return kpi_import


def _upload(request: HttpRequest, org_slug: str, kpi: KPI | None) -> HttpResponse:
    form = HistoryImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            kpi_import = kpi_import_preview_create(
                membership=current_membership(request),
                upload=upload,
                file_name=upload.name or "upload.csv",
                size=upload.size or 0,
                kpi=kpi,
                date_format=form.cleaned_data["date_format"],
            )
        except PermissionDeniedError as error:
            raise PermissionDenied(error.message) from error
        except DomainError as error:
            add_domain_error(form, error)
        else:
            return redirect("kpis:import-preview", org_slug=org_slug, pk=kpi_import.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "kpis/import_upload.html", {"form": form, "kpi": kpi}, status=status)


@action_required(Action.EDIT_CONTENT)
@require_http_methods(["GET", "POST"])
def kpi_import_upload(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    """Upload one KPI's history (columns timestamp/date, value, note)."""
    return _upload(request, org_slug, _kpi_or_404(pk))


@action_required(Action.EDIT_CONTENT)
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Upload the history of several KPIs, named by key or name in a ``kpi`` column."""
    return _upload(request, org_slug, None)


@action_required(Action.EDIT_CONTENT)
def import_preview(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    kpi_import = _import_or_404(request, pk)  # before the method check: foreign ids answer 404
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    context = {
        "kpi_import": kpi_import,
        "errors_shown": len(kpi_import.errors),
        "errors_kept": ERRORS_KEPT,
        "can_confirm": kpi_import.status == KPIImport.Status.PREVIEW
        and not kpi_import.is_expired
        and kpi_import.point_count > 0,
    }
    return render(request, "kpis/import_preview.html", context)


@action_required(Action.EDIT_CONTENT)
@require_POST
def import_confirm(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    kpi_import = _import_or_404(request, pk)
    try:
        result = kpi_import_apply(membership=current_membership(request), kpi_import=kpi_import)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            f"Imported {result.written:,} values: {result.created:,} new, {result.updated:,} updated.",
        )
    return redirect("kpis:import-preview", org_slug=org_slug, pk=pk)


class _Echo:
    """A file-like that hands back what csv.writer writes, so rows can be streamed."""

    def write(self, value: str) -> str:
        return value


def _csv_response(rows: Iterable[list[str]], file_name: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff"  # spreadsheets read UTF-8 only with the BOM; our import skips it
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


def kpi_export(
    request: HttpRequest, org_slug: str, pk: int
) -> HttpResponse | StreamingHttpResponse:
    """Every point of one KPI's history, oldest first."""
    kpi = _kpi_or_404(pk)  # before the method check: foreign ids answer 404
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    organization_id = current_membership(request).organization_id
    name = slugify(kpi.key or kpi.name) or f"kpi-{kpi.pk}"
    return _csv_response(
        kpi_history_rows(kpi, organization_id=organization_id), f"{name}-history.csv"
    )


@require_GET
def kpis_export(request: HttpRequest, org_slug: str) -> StreamingHttpResponse:
    """Every KPI (not archived) with its current value and health."""
    organization_id = current_membership(request).organization_id
    rows = current_values_rows(
        KPI.objects.filter(archived=False).order_by("name"), organization_id=organization_id
    )
    return _csv_response(rows, f"{org_slug}-kpis-{timezone.localdate():%Y-%m-%d}.csv")
