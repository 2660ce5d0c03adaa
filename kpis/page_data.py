"""What the KPI page reads: the KPI and everything it shows of it, in two implementations that
return the same rows.

- PostgreSQL: one hand-written statement for the page (``kpi_page``): the KPI with its team's
  and owner's names, the period series (the chart's points, the rows ``bench/kpi_page.py``'s
  reference fetches) as three arrays, and everything else the page shows (targets, the newest
  values with where they came from, the value count, the newest health changes, the data
  sources) as JSON subselects. The ORM path below is nine queries, and building and compiling
  them cost more than the rows of a 5-year KPI (``make bench``). A form that fails re-renders
  the page around a KPI already read: two queries (``page_data_postgresql``).
- Anywhere else (SQLite): the ORM, one query per part.

``kpis/tests/test_page_data.py`` runs both on PostgreSQL and checks they agree. Tenancy fails
closed in both: the SQL takes the organisation from ``current_organization_id()``, which raises
when none is bound, and filters every table on it; the ORM goes through the tenant managers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.db import connection, models

from integrations.models import Provider
from okrplatform.tenancy.models import Team
from okrplatform.tenancy.scope import current_organization_id

from . import selectors
from .charts import ChartPoint
from .models import KPI, KPITarget


@dataclass(frozen=True, slots=True)
class ValueRow:
    """One recorded point and where it came from (see ``kpis.provenance``)."""

    pk: int
    timestamp: datetime
    value: Decimal
    source: str
    note: str
    author_name: str  # full name, else e-mail; "" without an author
    run_pk: int | None = None
    run_scheduled_for: datetime | None = None
    data_source_pk: int | None = None
    integration_name: str = ""


@dataclass(frozen=True, slots=True)
class ChangeRow:
    period_start: date | None
    from_health: str
    to_health: str
    value: Decimal | None


@dataclass(frozen=True, slots=True)
class SourceRow:
    pk: int
    integration_name: str
    provider_label: str
    status: str


@dataclass(frozen=True)
class KPIPageData:
    targets: list[KPITarget]  # oldest first
    periods: list[ChartPoint]  # oldest first
    values: list[ValueRow]  # newest first, at most ``values_shown``
    value_count: int
    changes: list[ChangeRow]  # newest first, at most ``changes_shown``
    sources: list[SourceRow]


PERIODS_SQL = """
SELECT period_start, value, health FROM kpis_kpiperiod
WHERE organization_id = %(org)s AND kpi_id = %(kpi)s ORDER BY period_start
"""

# Numbers travel as text so they come back as exact Decimals; every table is filtered on the
# organisation, the joined ones too.
PAGE_COLUMNS = """
  (SELECT count(*) FROM kpis_kpivalue WHERE organization_id = %(org)s AND kpi_id = %(kpi)s),
  (SELECT coalesce(json_agg(json_build_array(
        id, kind, lower::text, upper::text, tolerance::text, effective_from, created_at
      ) ORDER BY effective_from), '[]')
   FROM kpis_kpitarget WHERE organization_id = %(org)s AND kpi_id = %(kpi)s),
  (SELECT coalesce(json_agg(json_build_array(
        id, "timestamp", value::text, source, note, author_name,
        run_id, scheduled_for, data_source_id, integration_name
      ) ORDER BY "timestamp" DESC), '[]')
   FROM (SELECT v.id, v.timestamp, v.value, v.source, v.note,
           coalesce(nullif(u.full_name, ''), u.email, '') AS author_name,
           r.id AS run_id, r.scheduled_for, s.id AS data_source_id,
           coalesce(i.name, '') AS integration_name
         FROM kpis_kpivalue v
         LEFT JOIN accounts_user u ON u.id = v.author_id
         LEFT JOIN integrations_syncrun r
           ON r.id = v.sync_run_id AND r.organization_id = %(org)s
         LEFT JOIN integrations_datasource s
           ON s.id = r.data_source_id AND s.organization_id = %(org)s
         LEFT JOIN integrations_integration i
           ON i.id = s.integration_id AND i.organization_id = %(org)s
         WHERE v.organization_id = %(org)s AND v.kpi_id = %(kpi)s
         ORDER BY v.timestamp DESC LIMIT %(values_shown)s) newest),
  (SELECT coalesce(json_agg(json_build_array(period_start, from_health, to_health, value)
      ORDER BY period_start DESC, changed_at DESC), '[]')
   FROM (SELECT period_start, from_health, to_health, value::text, changed_at
         FROM kpis_healthchange WHERE organization_id = %(org)s AND kpi_id = %(kpi)s
         ORDER BY period_start DESC, changed_at DESC LIMIT %(changes_shown)s) newest),
  (SELECT coalesce(json_agg(json_build_array(s.id, i.name, i.provider, s.status)
      ORDER BY s.id), '[]')
   FROM integrations_datasource s
   JOIN integrations_integration i ON i.id = s.integration_id AND i.organization_id = %(org)s
   WHERE s.organization_id = %(org)s AND s.kpi_id = %(kpi)s)
"""
PAGE_SQL = f"SELECT {PAGE_COLUMNS}"


def _parsed(column: Any) -> Any:
    """psycopg parses ``json`` columns itself; this also copes with a loader that leaves text."""
    return json.loads(column) if isinstance(column, str) else column


M = TypeVar("M", bound=models.Model)

KPI_FIELDS = [field.attname for field in KPI._meta.concrete_fields]
_KPI_COLUMNS = (
    f"""{", ".join(f'k."{name}"' for name in KPI_FIELDS)}, t.name, u.full_name, u.email"""
)
_KPI_FROM = """
FROM kpis_kpi k
LEFT JOIN tenancy_team t ON t.id = k.owner_team_id AND t.organization_id = %(org)s
LEFT JOIN accounts_user u ON u.id = k.owner_id
"""
_KPI_WHERE = "WHERE k.organization_id = %(org)s AND k.id = %(kpi)s"
KPI_SQL = f"SELECT {_KPI_COLUMNS} {_KPI_FROM} {_KPI_WHERE}"

# The whole page in one round trip: the KPI, its period series as three arrays (as rows, the
# same points cost one more round trip and a tuple per row), and the page's other parts.
KPI_PAGE_SQL = f"""
SELECT {_KPI_COLUMNS}, series.starts, series.vals, series.healths, {PAGE_COLUMNS}
{_KPI_FROM}
LEFT JOIN LATERAL (
  SELECT array_agg(period_start ORDER BY period_start) AS starts,
         array_agg(value ORDER BY period_start) AS vals,
         array_agg(health ORDER BY period_start) AS healths
  FROM kpis_kpiperiod WHERE organization_id = %(org)s AND kpi_id = k.id
) series ON true
{_KPI_WHERE}
"""  # noqa: S608 - column names from the model, values bound


def kpi_for_page(pk: int) -> KPI | None:
    """The KPI with its team's and owner's names, as ``selectors.kpi_get`` returns it; on
    PostgreSQL by hand: building and compiling that ``select_related`` queryset cost more than
    a tenth of the page. The team and owner carry only what the page shows (other fields load
    on access)."""
    if connection.vendor != "postgresql":
        return selectors.kpi_get(pk)
    with connection.cursor() as cursor:
        cursor.execute(KPI_SQL, {"org": current_organization_id(), "kpi": pk})
        row = cursor.fetchone()
    return None if row is None else _kpi_from_row(row)


def _kpi_from_row(row: Sequence[Any]) -> KPI:
    """The KPI of ``_KPI_COLUMNS``: its fields, then its team's and owner's names."""
    kpi_values, (team_name, full_name, email) = row[:-3], row[-3:]
    kpi = KPI.from_db(connection.alias, KPI_FIELDS, kpi_values)
    if kpi.owner_team_id is not None and team_name is not None:
        kpi.owner_team = _partial(
            Team, id=kpi.owner_team_id, organization_id=kpi.organization_id, name=team_name
        )
    if kpi.owner_id is not None and email is not None:
        kpi.owner = _partial(get_user_model(), id=kpi.owner_id, full_name=full_name, email=email)
    return kpi


def _partial(model: type[M], **values: Any) -> M:
    """A ``model`` instance loaded with ``values`` only (``from_db`` wants them in the model's
    field order); its other fields load on access, like ``.only()``."""
    names = [field.attname for field in model._meta.concrete_fields if field.attname in values]
    return model.from_db(connection.alias, names, [values[name] for name in names])


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _provider_label(provider: str) -> str:
    return str(Provider(provider).label) if provider in Provider.values else provider


def _params(kpi_pk: int, values_shown: int, changes_shown: int) -> dict[str, Any]:
    return {
        "org": current_organization_id(),
        "kpi": kpi_pk,
        "values_shown": values_shown,
        "changes_shown": changes_shown,
    }


def page_data_postgresql(kpi: KPI, *, values_shown: int, changes_shown: int) -> KPIPageData:
    params = _params(kpi.pk, values_shown, changes_shown)
    with connection.cursor() as cursor:
        cursor.execute(PERIODS_SQL, params)
        periods = list(map(ChartPoint._make, cursor.fetchall()))
        cursor.execute(PAGE_SQL, params)
        parts = cursor.fetchone()
    return _page_data(kpi, params["org"], periods, parts)


def kpi_page_postgresql(
    pk: int, *, values_shown: int, changes_shown: int
) -> tuple[KPI, KPIPageData] | None:
    params = _params(pk, values_shown, changes_shown)
    with connection.cursor() as cursor:
        cursor.execute(KPI_PAGE_SQL, params)
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(KPI_FIELDS) + 3
    kpi = _kpi_from_row(row[:split])
    starts, values, healths = row[split : split + 3]
    periods = list(map(ChartPoint, starts, values, healths)) if starts else []
    return kpi, _page_data(kpi, params["org"], periods, row[split + 3 :])


def _page_data(
    kpi: KPI, organization_id: int, periods: list[ChartPoint], parts: Sequence[Any]
) -> KPIPageData:
    """The page's parts from the columns of ``PAGE_COLUMNS``."""
    value_count = parts[0]
    targets, values, changes, sources = (_parsed(part) for part in parts[1:])
    return KPIPageData(
        targets=[
            KPITarget(
                pk=pk,
                organization_id=organization_id,
                kpi=kpi,
                kind=kind,
                lower=_decimal(lower),
                upper=_decimal(upper),
                tolerance=_decimal(tolerance),
                effective_from=date.fromisoformat(effective_from),
                created_at=datetime.fromisoformat(created_at),
            )
            for pk, kind, lower, upper, tolerance, effective_from, created_at in targets
        ],
        periods=periods,
        values=[
            ValueRow(
                pk=pk,
                timestamp=datetime.fromisoformat(timestamp),
                value=Decimal(value),
                source=source,
                note=note,
                author_name=author_name,
                run_pk=run_pk,
                run_scheduled_for=_moment(scheduled_for),
                data_source_pk=data_source_pk,
                integration_name=integration_name,
            )
            for (
                pk,
                timestamp,
                value,
                source,
                note,
                author_name,
                run_pk,
                scheduled_for,
                data_source_pk,
                integration_name,
            ) in values
        ],
        value_count=value_count,
        changes=[
            ChangeRow(
                period_start=date.fromisoformat(start) if start else None,
                from_health=from_health,
                to_health=to_health,
                value=_decimal(value),
            )
            for start, from_health, to_health, value in changes
        ],
        sources=[
            SourceRow(pk, name, _provider_label(provider), status)
            for pk, name, provider, status in sources
        ],
    )


def _value_row(point: Any) -> ValueRow:
    author = point.author
    run = point.sync_run
    source = run.data_source if run is not None else None
    return ValueRow(
        pk=point.pk,
        timestamp=point.timestamp,
        value=point.value,
        source=point.source,
        note=point.note,
        author_name=(author.full_name or author.email) if author is not None else "",
        run_pk=run.pk if run is not None else None,
        run_scheduled_for=run.scheduled_for if run is not None else None,
        data_source_pk=source.pk if source is not None else None,
        integration_name=source.integration.name if source is not None else "",
    )


def page_data_portable(kpi: KPI, *, values_shown: int, changes_shown: int) -> KPIPageData:
    return KPIPageData(
        targets=selectors.kpi_targets(kpi),
        periods=[
            ChartPoint(*row)
            for row in selectors.kpi_periods(kpi).values_list("period_start", "value", "health")
        ],
        values=[_value_row(point) for point in selectors.kpi_values(kpi)[:values_shown]],
        value_count=selectors.kpi_values(kpi).count(),
        changes=[
            ChangeRow(change.period_start, change.from_health, change.to_health, change.value)
            for change in selectors.kpi_health_history(kpi)[:changes_shown]
        ],
        sources=[
            SourceRow(
                source.pk,
                source.integration.name,
                source.integration.get_provider_display(),
                source.status,
            )
            for source in kpi.data_sources.select_related("integration").order_by("pk")
        ],
    )


def kpi_page(pk: int, *, values_shown: int, changes_shown: int) -> tuple[KPI, KPIPageData] | None:
    """The KPI ``pk`` as ``kpi_for_page`` reads it and its ``kpi_page_data``, or None: one query
    on PostgreSQL."""
    if connection.vendor == "postgresql":
        return kpi_page_postgresql(pk, values_shown=values_shown, changes_shown=changes_shown)
    kpi = kpi_for_page(pk)
    if kpi is None:
        return None
    return kpi, page_data_portable(kpi, values_shown=values_shown, changes_shown=changes_shown)


def kpi_page_data(kpi: KPI, *, values_shown: int, changes_shown: int) -> KPIPageData:
    """Everything the KPI page shows of ``kpi`` besides its own fields: a fixed number of
    queries whatever the length of its history (two on PostgreSQL)."""
    read = page_data_postgresql if connection.vendor == "postgresql" else page_data_portable
    return read(kpi, values_shown=values_shown, changes_shown=changes_shown)
