"""What people decided about an OKR candidate: dismissed, or snoozed until a date.

A decision belongs to one *unhealthy episode* of the KPI, identified by the KPI's
``health_since`` when the decision was taken. When the KPI recovers and turns unhealthy again,
``health_since`` moves on, the old decision no longer matches, and the KPI is a candidate again:
a new episode is new information.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from okrplatform.tenancy.scope import TenantModel


class CandidateDecision(TenantModel):
    class Kind(models.TextChoices):
        DISMISSED = "dismissed", "Dismissed"
        SNOOZED = "snoozed", "Snoozed"

    kpi = models.ForeignKey(
        "kpis.KPI", on_delete=models.CASCADE, related_name="candidate_decisions"
    )
    episode_started_at = models.DateTimeField(
        help_text="The KPI's health_since when the decision was taken: the episode it is about."
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    reason = models.TextField(blank=True)
    snoozed_until = models.DateField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "OKR candidate decision"
        ordering = ["-decided_at"]
        constraints = [
            # One decision per episode: deciding again (snooze after dismiss...) replaces it.
            models.UniqueConstraint(
                fields=["organization", "kpi", "episode_started_at"],
                name="candidate_decision_one_per_episode",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="snoozed") | models.Q(snoozed_until__isnull=False),
                name="candidate_decision_snooze_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi}: {self.get_kind_display()}"
