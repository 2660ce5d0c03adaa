"""KPIs: health metrics of business as usual, their target ranges over time, and their values.

A KPI keeps a small denormalised summary of its current state (latest value, health, since
when) so boards read one row per KPI; the summary is updated by ``kpis.services`` at write time
for O(values written), never O(history).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from okrplatform.tenancy.scope import TenantModel


class UnitKind(models.TextChoices):
    NUMBER = "number", "Plain number"
    PERCENTAGE = "percentage", "Percentage"
    CURRENCY = "currency", "Currency"
    DURATION = "duration", "Duration (minutes)"
    CUSTOM = "custom", "Custom suffix"


class UpdateFrequency(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"


class Aggregation(models.TextChoices):
    LAST = "last", "Last value"
    SUM = "sum", "Sum"
    AVERAGE = "average", "Average"
    MIN = "min", "Minimum"
    MAX = "max", "Maximum"


class Health(models.TextChoices):
    HEALTHY = "healthy", "Healthy"
    AT_RISK = "at_risk", "At risk"
    UNHEALTHY = "unhealthy", "Unhealthy"
    NO_DATA = "no_data", "No data"


class TargetKind(models.TextChoices):
    AT_LEAST = "at_least", "Stay at or above"
    AT_MOST = "at_most", "Stay at or below"
    BETWEEN = "between", "Stay between"


class ValueSource(models.TextChoices):
    MANUAL = "manual", "Entered by hand"
    IMPORT = "import", "CSV import"
    API = "api", "REST API"
    INTEGRATION = "integration", "Integration"


VALUE_MAX_DIGITS = 20
VALUE_DECIMAL_PLACES = 6


def value_field(**kwargs: object) -> models.DecimalField:  # type: ignore[type-arg]
    return models.DecimalField(
        max_digits=VALUE_MAX_DIGITS,
        decimal_places=VALUE_DECIMAL_PLACES,
        **kwargs,  # type: ignore[arg-type]
    )


class KPI(TenantModel):
    name = models.CharField(max_length=200)
    key = models.SlugField(
        max_length=80,
        blank=True,
        help_text="A stable key of your choosing for scripts and the API (e.g. support-reply-time).",
    )
    description = models.TextField(blank=True, help_text="How it is measured, and where from.")
    owner_team = models.ForeignKey(
        "tenancy.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="kpis"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    unit_kind = models.CharField(max_length=12, choices=UnitKind.choices, default=UnitKind.NUMBER)
    currency_code = models.CharField(max_length=3, blank=True, help_text="ISO 4217, e.g. EUR")
    unit_suffix = models.CharField(max_length=20, blank=True, help_text="e.g. tickets, NPS, users")
    decimal_places = models.PositiveSmallIntegerField(default=0)
    update_frequency = models.CharField(
        max_length=10, choices=UpdateFrequency.choices, default=UpdateFrequency.MONTHLY
    )
    aggregation = models.CharField(
        max_length=10, choices=Aggregation.choices, default=Aggregation.LAST
    )
    hysteresis_periods = models.PositiveSmallIntegerField(
        default=1, help_text="Health changes only after this many consecutive periods agree."
    )
    archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    # Current state, maintained by kpis.services when values or targets change.
    health = models.CharField(max_length=10, choices=Health.choices, default=Health.NO_DATA)
    health_since = models.DateTimeField(null=True, blank=True)
    latest_value = value_field(
        null=True, blank=True, help_text="The value of the newest period with data (aggregated)"
    )
    latest_value_at = models.DateTimeField(
        null=True, blank=True, help_text="Timestamp of the newest point"
    )
    last_recorded_at = models.DateTimeField(
        null=True, blank=True, help_text="When a value last arrived"
    )

    class Meta:
        verbose_name = "KPI"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "organization",
                Lower("key"),
                condition=~models.Q(key=""),
                name="kpi_key_unique_per_organization",
            )
        ]
        indexes = [
            models.Index(fields=["organization", "archived", "health"], name="kpi_org_health_idx"),
            models.Index(fields=["organization", "owner_team"], name="kpi_org_team_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class KPITarget(TenantModel):
    """The target range that holds from ``effective_from`` (a period start) until the next one."""

    kpi = models.ForeignKey(KPI, on_delete=models.CASCADE, related_name="targets")
    kind = models.CharField(max_length=10, choices=TargetKind.choices)
    lower = value_field(null=True, blank=True, help_text="X in “stay at or above X”")
    upper = value_field(null=True, blank=True, help_text="Y in “stay at or below Y”")
    tolerance = value_field(
        null=True,
        blank=True,
        help_text="Values this far outside the range are “at risk” rather than unhealthy.",
    )
    effective_from = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kpi", "effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kpi", "effective_from"],
                name="kpi_target_unique_per_period",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="between") | models.Q(lower__lte=models.F("upper")),
                name="kpi_target_between_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi}: {self.get_kind_display()} from {self.effective_from}"


class KPIValue(TenantModel):
    """One point of a KPI's time series; unique per (KPI, timestamp): writing it again updates it."""

    # No index of its own: the unique (organization, kpi, timestamp) constraint leads with it.
    # Every index on the largest table costs every write (docs/scaling.md).
    organization = models.ForeignKey(
        "tenancy.Organization",
        on_delete=models.CASCADE,
        related_name="+",
        editable=False,
        db_index=False,
    )
    # Its plain index stays for deleting a KPI's points (small: B-tree deduplication). Reads go
    # by organisation, KPI and time, which the unique constraint serves in either direction.
    kpi = models.ForeignKey(KPI, on_delete=models.CASCADE, related_name="values")
    timestamp = models.DateTimeField()
    value = value_field()
    source = models.CharField(
        max_length=12, choices=ValueSource.choices, default=ValueSource.MANUAL
    )
    note = models.CharField(max_length=500, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now=True)
    # The run that wrote the point (integrations); cleared when a later write of another kind
    # replaces it. The partial index below stands in for the default FK index: most points come
    # from people, imports and the API, and an index full of NULLs would only cost space.
    sync_run = models.ForeignKey(
        "integrations.SyncRun",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="kpi_values",
        db_index=False,
    )

    class Meta:
        verbose_name = "KPI value"
        ordering = ["kpi", "-timestamp"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kpi", "timestamp"], name="kpi_value_unique_per_timestamp"
            )
        ]
        indexes = [
            # Deleting a run (with its data source) clears its points through this.
            models.Index(
                fields=["sync_run"],
                condition=models.Q(sync_run__isnull=False),
                name="kpi_value_sync_run_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi} @ {self.timestamp:%Y-%m-%d}: {self.value}"


class KPIPeriod(TenantModel):
    """One period with data of one KPI: its aggregated value and the health it was judged at.

    The materialised period series is what makes writes O(values written): a new value
    re-aggregates only its own period, and hysteresis reads the stored verdicts of the few
    periods before it instead of re-reading the whole history. ``raw_health`` is the verdict of
    this period alone; ``health`` is the KPI's health after hysteresis at this period.
    """

    # No index of its own: kpi_period_recent_idx below leads with kpi and serves the foreign key.
    # With both, the planner took the plain one for the board's "newest 24 periods" and sorted
    # every period of each KPI (make bench: 5x slower card query).
    kpi = models.ForeignKey(KPI, on_delete=models.CASCADE, related_name="periods", db_index=False)
    period_start = models.DateField()
    value = value_field()
    last_timestamp = models.DateTimeField(help_text="Timestamp of the period's newest point")
    raw_health = models.CharField(max_length=10, choices=Health.choices)
    health = models.CharField(max_length=10, choices=Health.choices)

    class Meta:
        verbose_name = "KPI period"
        ordering = ["kpi", "period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kpi", "period_start"], name="kpi_period_unique"
            )
        ]
        indexes = [
            # The board's sparklines (boards/card_query.py) read the newest periods of each KPI
            # from the index alone (an index-only scan: value and organisation are included).
            models.Index(
                fields=["kpi", "-period_start"],
                include=["organization", "value"],
                name="kpi_period_recent_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kpi} {self.period_start}: {self.value} ({self.health})"


class HealthChange(TenantModel):
    """Every change of a KPI's health, with the period and value that caused it."""

    kpi = models.ForeignKey(KPI, on_delete=models.CASCADE, related_name="health_changes")
    from_health = models.CharField(max_length=10, choices=Health.choices)
    to_health = models.CharField(max_length=10, choices=Health.choices)
    changed_at = models.DateTimeField()
    period_start = models.DateField(null=True, blank=True)
    value = value_field(null=True, blank=True)

    class Meta:
        ordering = ["-changed_at"]
        indexes = [
            models.Index(fields=["organization", "-changed_at"], name="health_change_org_idx"),
            models.Index(fields=["kpi", "-changed_at"], name="health_change_kpi_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kpi}: {self.from_health} → {self.to_health}"


# Models of the CSV import and of OKR candidates live in their own modules; importing them here
# registers them with the app.
from .candidates_models import CandidateDecision  # noqa: E402, F401
from .import_models import KPIImport  # noqa: E402, F401
