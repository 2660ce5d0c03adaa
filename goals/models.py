"""OKRs: strategy (pillars), cycles, objectives, key results, initiatives and check-ins.

Progress is never stored: it is derived from the key results' values by ``goals.progress`` (pure
functions) when a page is rendered, so a value that changes (a check-in, a linked KPI's new
value) can never leave a stale percentage behind. Only grades, which people decide at the close
of a cycle, are stored.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from kpis.models import value_field
from okrplatform.tenancy.scope import TenantModel


class StrategicPillar(TenantModel):
    """One of the few long-term themes the organisation's OKRs serve, in a chosen order."""

    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        indexes = [models.Index(fields=["organization", "position"], name="pillar_org_pos_idx")]

    def __str__(self) -> str:
        return self.name


class GoalSettings(TenantModel):
    """How the organisation wants OKR progress and status computed (one row per organisation)."""

    automatic_status = models.BooleanField(
        default=False,
        help_text="Compute key result status from pace instead of asking for it at check-in.",
    )
    initiatives_count_towards_progress = models.BooleanField(
        default=False, help_text="Objective progress also averages its initiatives' progress."
    )
    children_count_towards_progress = models.BooleanField(
        default=False, help_text="Objective progress also averages its aligned child objectives."
    )

    class Meta:
        verbose_name_plural = "goal settings"
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="goal_settings_one_per_org")
        ]


class CycleKind(models.TextChoices):
    QUARTERLY = "quarterly", "Quarter"
    ANNUAL = "annual", "Year"
    CUSTOM = "custom", "Custom"


class CycleStatus(models.TextChoices):
    PLANNING = "planning", "Planning"
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"


class Cycle(TenantModel):
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=10, choices=CycleKind.choices, default=CycleKind.QUARTERLY)
    start_date = models.DateField()
    end_date = models.DateField()
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sub_cycles",
        help_text="The year this quarter belongs to.",
    )
    status = models.CharField(
        max_length=10, choices=CycleStatus.choices, default=CycleStatus.PLANNING
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-start_date", "kind"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="cycle_ends_after_start",
            )
        ]
        indexes = [
            models.Index(fields=["organization", "status", "start_date"], name="cycle_org_idx")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.status == CycleStatus.CLOSED


class ObjectiveStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"


class Objective(TenantModel):
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="objectives")
    owner_team = models.ForeignKey(
        "tenancy.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="objectives",
        help_text="Leave empty for a company objective.",
    )
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=ObjectiveStatus.choices, default=ObjectiveStatus.DRAFT
    )
    pillar = models.ForeignKey(
        StrategicPillar,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="objectives",
    )
    parents = models.ManyToManyField(
        "self",
        through="ObjectiveAlignment",
        through_fields=("child", "parent"),
        symmetrical=False,
        related_name="children",
        blank=True,
    )
    kpis = models.ManyToManyField(
        "kpis.KPI", through="ObjectiveKPI", related_name="objectives", blank=True
    )
    score = models.DecimalField(
        max_digits=4, decimal_places=2, null=True, blank=True, help_text="Set when graded."
    )
    carried_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="carried_into"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]
        indexes = [
            models.Index(fields=["organization", "cycle", "owner_team"], name="objective_cycle_idx")
        ]

    def __str__(self) -> str:
        return self.title


class ObjectiveAlignment(TenantModel):
    """``child`` contributes to ``parent``; an objective may have several parents."""

    child = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="+")
    parent = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "child", "parent"], name="objective_alignment_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(child=models.F("parent")), name="objective_not_own_parent"
            ),
        ]


class ObjectiveKPI(TenantModel):
    """The objective is meant to fix or improve this KPI."""

    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="+")
    kpi = models.ForeignKey("kpis.KPI", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = "objective–KPI alignment"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "objective", "kpi"], name="objective_kpi_unique"
            )
        ]
        indexes = [models.Index(fields=["organization", "kpi"], name="objective_kpi_kpi_idx")]


class KeyResultKind(models.TextChoices):
    METRIC = "metric", "Metric (from X to Y)"
    PERCENTAGE = "percentage", "Percentage (from X% to Y%)"
    MILESTONE = "milestone", "Milestone (done / not done)"
    CONTROL = "control", "Control (stay above or below a threshold)"


class ControlDirection(models.TextChoices):
    AT_LEAST = "at_least", "Stay at or above"
    AT_MOST = "at_most", "Stay at or below"


class KeyResultStatus(models.TextChoices):
    ON_TRACK = "on_track", "On track"
    NEEDS_ATTENTION = "needs_attention", "Needs attention"
    OFF_TRACK = "off_track", "Off track"
    ACCOMPLISHED = "accomplished", "Accomplished"


class KeyResult(TenantModel):
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="key_results")
    title = models.CharField(max_length=200)
    kind = models.CharField(
        max_length=12, choices=KeyResultKind.choices, default=KeyResultKind.METRIC
    )
    start_value = value_field(default=0)
    target_value = value_field(default=1)
    current_value = value_field(null=True, blank=True)
    control_direction = models.CharField(
        max_length=10, choices=ControlDirection.choices, blank=True, help_text="Control KRs only."
    )
    unit = models.CharField(max_length=20, blank=True, help_text="e.g. tickets, %, €")
    weight = models.DecimalField(max_digits=6, decimal_places=2, default=1)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kpi = models.ForeignKey(
        "kpis.KPI",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="key_results",
        help_text="The KR's current value follows this KPI's latest value.",
    )
    status = models.CharField(max_length=16, choices=KeyResultStatus.choices, blank=True)
    grade = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "pk"]
        indexes = [
            models.Index(fields=["organization", "objective"], name="kr_org_objective_idx"),
            models.Index(fields=["organization", "kpi"], name="kr_org_kpi_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class InitiativeStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    BLOCKED = "blocked", "Blocked"


class Initiative(TenantModel):
    """Work (output) meant to move a key result (outcome); attached to a KR or an objective."""

    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="initiatives")
    key_result = models.ForeignKey(
        KeyResult, null=True, blank=True, on_delete=models.CASCADE, related_name="initiatives"
    )
    title = models.CharField(max_length=200)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=12, choices=InitiativeStatus.choices, default=InitiativeStatus.NOT_STARTED
    )
    progress = models.PositiveSmallIntegerField(default=0, help_text="0–100 %")
    due_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["organization", "objective"], name="initiative_org_obj_idx")
        ]

    def __str__(self) -> str:
        return self.title


class CheckIn(TenantModel):
    key_result = models.ForeignKey(KeyResult, on_delete=models.CASCADE, related_name="check_ins")
    value = value_field(null=True, blank=True)
    status = models.CharField(max_length=16, choices=KeyResultStatus.choices, blank=True)
    confidence = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="How confident are you of reaching the target? 1–10"
    )
    comment = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = "check-in"
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["organization", "key_result", "-created_at"], name="checkin_kr_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key_result} @ {self.created_at:%Y-%m-%d}: {self.value}"
