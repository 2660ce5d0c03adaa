"""KPI pages: the list, create/edit, and the KPI page with its chart, values and health history.

Thin: forms shape input, ``kpis.services`` decides and raises, the rows reach the templates
preformatted (template number filters dominate render time, ARCHITECTURE.md).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from okrplatform.errors import DomainError
from okrplatform.forms import add_domain_error, form_html
from okrplatform.tenancy.models import Team
from okrplatform.tenancy.permissions import action_required, current_membership
from okrplatform.tenancy.roles import Action

from . import selectors, services
from .charts import history_chart
from .formatting import format_target, format_value
from .forms import ArchiveForm, KPIForm, TargetForm, ValueEditForm, ValueForm
from .health import is_overdue, target_for_period
from .models import KPI, Health, KPIValue
from .page_data import KPIPageData, kpi_page, kpi_page_data
from .periods import period_bounds, period_label, period_start
from .provenance import value_origin

VALUES_SHOWN = 24  # the newest; the whole series is in the chart and the CSV export
HEALTH_CHANGES_SHOWN = 24
HEALTH_FILTERS = [(value, label) for value, label in Health.choices] + [
    (selectors.OVERDUE, "Overdue")
]


def _kpi_or_404(pk: int) -> KPI:
    kpi = selectors.kpi_get(pk)
    if kpi is None:
        raise Http404("No such KPI.")
    return kpi


def _editable_kpi(request: HttpRequest, pk: int) -> KPI:
    kpi = _kpi_or_404(pk)
    if not services.kpi_can_edit(current_membership(request), kpi):
        raise PermissionDenied(
            f"Only members of {kpi.owner_team or 'its team'}, its owner and admins can change “{kpi.name}”."
        )
    return kpi


def _int_or_none(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


def kpi_list(request: HttpRequest, org_slug: str) -> HttpResponse:
    membership = current_membership(request)
    team_id = _int_or_none(request.GET.get("team"))
    health = request.GET.get("health") or None
    include_archived = request.GET.get("archived") == "1"
    kpis = list(
        selectors.kpi_list(team_id=team_id, health=health, include_archived=include_archived)
    )
    targets = selectors.current_targets(kpis)
    team_ids = (
        services.editable_team_ids(membership) if membership.can(Action.EDIT_CONTENT) else set()
    )
    now = timezone.now()
    rows = [
        {
            "kpi": kpi,
            "value": format_value(kpi.latest_value, kpi),
            "target": format_target(targets[kpi.pk], kpi),
            "overdue": is_overdue(kpi, now),
            "updated": kpi.latest_value_at
            and period_label(
                kpi.update_frequency, period_start(kpi.update_frequency, kpi.latest_value_at)
            ),
            "editable": services.kpi_can_edit(membership, kpi, team_ids=team_ids),
        }
        for kpi in kpis
    ]
    context = {
        "rows": rows,
        "teams": Team.objects.order_by("name"),
        "health_filters": HEALTH_FILTERS,
        "selected_team": team_id,
        "selected_health": health,
        "include_archived": include_archived,
    }
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request:  # the filters swap only the table
        return render(request, "kpis/kpi_list.html#kpi-rows", context)
    return render(request, "kpis/kpi_list.html", context)


@action_required(Action.EDIT_CONTENT)
@require_http_methods(["GET", "POST"])
def kpi_create(request: HttpRequest, org_slug: str) -> HttpResponse:
    membership = current_membership(request)
    form = KPIForm(request.POST or None, organization=membership.organization)
    if request.method == "POST" and form.is_valid():
        try:
            kpi = services.kpi_create(actor=membership, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, f"KPI “{kpi.name}” created. Set its target range next.")
            return redirect("kpis:kpi-detail", org_slug=org_slug, pk=kpi.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "kpis/kpi_form.html", {"form": form, "kpi": None}, status=status)


@require_http_methods(["GET", "POST"])
def kpi_edit(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    kpi = _editable_kpi(request, pk)
    membership = current_membership(request)
    data = request.POST if request.method == "POST" else None
    form = KPIForm(data, organization=membership.organization, initial=KPIForm.initial_for(kpi))
    if request.method == "POST" and form.is_valid():
        try:
            services.kpi_update(actor=membership, kpi=kpi, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "KPI saved.")
            return redirect("kpis:kpi-detail", org_slug=org_slug, pk=pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "kpis/kpi_form.html", {"form": form, "kpi": _kpi_or_404(pk)}, status=status
    )


@require_POST
def kpi_archive(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    kpi = _editable_kpi(request, pk)
    form = ArchiveForm(request.POST)
    archived = form.is_valid() and form.cleaned_data["archived"]
    services.kpi_archive(actor=current_membership(request), kpi=kpi, archived=archived)
    messages.success(request, f"“{kpi.name}” {'archived' if archived else 'restored'}.")
    return redirect("kpis:kpi-detail", org_slug=org_slug, pk=pk)


def _value_rows(kpi: KPI, data: KPIPageData, org_slug: str) -> list[dict[str, Any]]:
    """The newest values, preformatted, with their edit and delete addresses (reversed once for
    all rows: two ``{% url %}`` per row were a tenth of the page's render)."""
    local = timezone.get_current_timezone()
    frequency = kpi.update_frequency
    edit_url = reverse("kpis:value-edit", args=[org_slug, kpi.pk, 0])
    delete_url = reverse("kpis:value-delete", args=[org_slug, kpi.pk, 0])
    return [
        {
            "pk": point.pk,
            "when": timezone.localtime(point.timestamp, local).strftime("%Y-%m-%d %H:%M"),
            "period": period_label(frequency, period_start(frequency, point.timestamp)),
            "value": format_value(point.value, kpi),
            "note": point.note,
            "origin": value_origin(point, org_slug=org_slug),
            "edit_url": edit_url.replace("/values/0/", f"/values/{point.pk}/"),
            "delete_url": delete_url.replace("/values/0/", f"/values/{point.pk}/"),
        }
        for point in data.values
    ]


def _detail_context(
    request: HttpRequest,
    kpi: KPI,
    *,
    data: KPIPageData | None = None,
    target_form: TargetForm | None = None,
    value_form: ValueForm | None = None,
) -> dict[str, Any]:
    membership = current_membership(request)
    org_slug = membership.organization.slug
    if data is None:
        data = kpi_page_data(kpi, values_shown=VALUES_SHOWN, changes_shown=HEALTH_CHANGES_SHOWN)
    targets = data.targets
    now = timezone.now()
    current = target_for_period(targets, period_start(kpi.update_frequency, now))
    health_labels = dict(Health.choices)
    changes = [
        {
            "period": period_label(kpi.update_frequency, change.period_start)
            if change.period_start
            else "",
            "from_health": change.from_health,
            "from_label": health_labels.get(change.from_health, change.from_health),
            "to_health": change.to_health,
            "to_label": health_labels.get(change.to_health, change.to_health),
            "value": format_value(change.value, kpi),
        }
        for change in data.changes
    ]
    target_rows = [
        {
            "text": format_target(target, kpi),
            "from": period_label(kpi.update_frequency, target.effective_from),
            "tolerance": format_value(target.tolerance, kpi) if target.tolerance else "",
            "current": target is current,
        }
        for target in reversed(targets)
    ]
    can_edit = services.kpi_can_edit(membership, kpi)
    initial_from = period_start(kpi.update_frequency, now)
    return {
        "kpi": kpi,
        "can_edit": can_edit,
        "chart": history_chart(
            data.periods,
            targets,
            frequency=kpi.update_frequency,
            unit=kpi,
            title=f"{kpi.name}: history",
        ),
        "period_count": len(data.periods),
        "current_value": format_value(kpi.latest_value, kpi),
        "current_target": format_target(current, kpi),
        "overdue": is_overdue(kpi, now),
        "value_rows": _value_rows(kpi, data, org_slug),
        "value_count": data.value_count,
        "data_sources": data.sources,
        "changes": changes,
        "target_rows": target_rows,
        "target_form_html": form_html(
            target_form
            or TargetForm(
                initial={
                    "kind": current.kind if current else "at_least",
                    "effective_from": initial_from,
                }
            )
        ),
        "value_form_html": form_html(value_form or ValueForm(kpi=kpi)),
        "archive_form": ArchiveForm(initial={"archived": not kpi.archived}),
    }


def kpi_detail(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    page = kpi_page(pk, values_shown=VALUES_SHOWN, changes_shown=HEALTH_CHANGES_SHOWN)
    if page is None:
        raise Http404("No such KPI.")
    kpi, data = page
    return render(request, "kpis/kpi_detail.html", _detail_context(request, kpi, data=data))


@require_POST
def target_set(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    kpi = _editable_kpi(request, pk)
    form = TargetForm(request.POST)
    if form.is_valid():
        try:
            target = services.kpi_target_set(
                actor=current_membership(request), kpi=kpi, **form.cleaned_data
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request,
                f"Target {format_target(target, kpi)} applies from {period_label(kpi.update_frequency, target.effective_from)}.",
            )
            return redirect("kpis:kpi-detail", org_slug=org_slug, pk=pk)
    kpi = _kpi_or_404(pk)
    return render(
        request, "kpis/kpi_detail.html", _detail_context(request, kpi, target_form=form), status=400
    )


@require_POST
def value_record(request: HttpRequest, org_slug: str, pk: int) -> HttpResponse:
    kpi = _editable_kpi(request, pk)
    form = ValueForm(request.POST, kpi=kpi)
    if form.is_valid():
        period = form.cleaned_data["period"]
        try:
            point = services.kpi_value_record(
                actor=current_membership(request),
                kpi=kpi,
                timestamp=period_bounds(kpi.update_frequency, period)[0],
                value=form.cleaned_data["value"],
                note=form.cleaned_data["note"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request,
                f"{format_value(point.value, kpi)} recorded for {period_label(kpi.update_frequency, period)}.",
            )
            return redirect("kpis:kpi-detail", org_slug=org_slug, pk=pk)
    kpi = _kpi_or_404(pk)
    return render(
        request, "kpis/kpi_detail.html", _detail_context(request, kpi, value_form=form), status=400
    )


def _value_or_404(kpi: KPI, value_pk: int) -> KPIValue:
    point = selectors.kpi_value_get(value_pk, kpi=kpi)
    if point is None:
        raise Http404("No such value.")
    return point


@require_http_methods(["GET", "POST"])
def value_edit(request: HttpRequest, org_slug: str, pk: int, value_pk: int) -> HttpResponse:
    kpi = _editable_kpi(request, pk)
    point = _value_or_404(kpi, value_pk)
    form = ValueEditForm(
        request.POST or None, initial={"value": point.value.normalize(), "note": point.note}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.kpi_value_record(
                actor=current_membership(request),
                kpi=kpi,
                timestamp=point.timestamp,
                value=form.cleaned_data["value"],
                note=form.cleaned_data["note"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, "Value saved.")
            return redirect("kpis:kpi-detail", org_slug=org_slug, pk=pk)
    context = {
        "kpi": kpi,
        "point": point,
        "form": form,
        "period": period_label(
            kpi.update_frequency, period_start(kpi.update_frequency, point.timestamp)
        ),
        "when": timezone.localtime(point.timestamp).strftime("%Y-%m-%d %H:%M"),
    }
    return render(
        request, "kpis/value_edit.html", context, status=400 if request.method == "POST" else 200
    )


@require_POST
def value_delete(request: HttpRequest, org_slug: str, pk: int, value_pk: int) -> HttpResponse:
    kpi = _editable_kpi(request, pk)
    point = _value_or_404(kpi, value_pk)
    services.kpi_value_delete(actor=current_membership(request), value=point)
    messages.success(request, f"Value of {timezone.localtime(point.timestamp):%Y-%m-%d} deleted.")
    return redirect("kpis:kpi-detail", org_slug=org_slug, pk=pk)
