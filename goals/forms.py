"""Forms for OKR pages: input shapes only; the rules live in goals.services."""

from __future__ import annotations

from typing import Any

from django import forms

from kpis.models import KPI
from okrplatform.tenancy.models import Team
from okrplatform.tenancy.selectors import users_of_organization

from . import selectors
from .models import (
    ControlDirection,
    Cycle,
    CycleKind,
    CycleStatus,
    InitiativeStatus,
    KeyResult,
    KeyResultKind,
    KeyResultStatus,
    Objective,
    ObjectiveStatus,
)


class ObjectiveChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        owner = obj.owner_team.name if obj.owner_team else "Company"
        return f"{obj.title} ({owner}, {obj.cycle.name})"


class PersonChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.full_name or obj.email)


class ObjectiveForm(forms.Form):
    title = forms.CharField(max_length=200, help_text="Where to go: qualitative and ambitious.")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    cycle = forms.ModelChoiceField(queryset=Cycle.objects.none())
    owner_team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, empty_label="The company", label="Owner"
    )
    lead = PersonChoiceField(queryset=users_of_organization(), required=False)
    status = forms.ChoiceField(choices=ObjectiveStatus.choices, initial=ObjectiveStatus.DRAFT)
    pillar = forms.ModelChoiceField(
        queryset=selectors.pillar_list(), required=False, label="Strategic pillar"
    )
    parents = ObjectiveChoiceField(
        queryset=Objective.objects.none(),
        required=False,
        label="Aligned to objectives",
        help_text="The objectives this one contributes to (several allowed).",
    )
    kpis = forms.ModelMultipleChoiceField(
        queryset=KPI.objects.none(),
        required=False,
        label="Aligned to KPIs",
        help_text="The KPIs this objective is meant to fix or improve.",
    )

    def __init__(self, *args: Any, objective: Objective | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cycles = selectors.cycle_open_list()
        if objective is not None:
            cycles = cycles | Cycle.objects.filter(pk=objective.cycle_id)
        self.fields["cycle"].queryset = cycles  # type: ignore[attr-defined]
        self.fields["owner_team"].queryset = Team.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["parents"].queryset = selectors.parent_choices(exclude=objective)  # type: ignore[attr-defined]
        self.fields["kpis"].queryset = KPI.objects.filter(archived=False).order_by("name")  # type: ignore[attr-defined]


class KeyResultForm(forms.Form):
    title = forms.CharField(
        max_length=200, help_text="An outcome: “Reduce tickets from 1,200 to 800”."
    )
    kind = forms.ChoiceField(
        choices=KeyResultKind.choices, initial=KeyResultKind.METRIC, label="Type"
    )
    start_value = forms.CharField(required=False, label="Start", initial="0")
    target_value = forms.CharField(required=False, label="Target")
    control_direction = forms.ChoiceField(
        choices=[("", "—"), *ControlDirection.choices], required=False, label="Control"
    )
    unit = forms.CharField(max_length=20, required=False)
    weight = forms.DecimalField(initial=1, min_value=None, max_digits=6, decimal_places=2)
    lead = PersonChoiceField(queryset=users_of_organization(), required=False)
    kpi = forms.ModelChoiceField(
        queryset=KPI.objects.none(),
        required=False,
        label="Follows KPI",
        help_text="The key result's current value follows this KPI's latest value.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kpi"].queryset = KPI.objects.filter(archived=False).order_by("name")  # type: ignore[attr-defined]

    @staticmethod
    def initial_for(key_result: KeyResult) -> dict[str, Any]:
        return {
            "title": key_result.title,
            "kind": key_result.kind,
            "start_value": key_result.start_value.normalize(),
            "target_value": key_result.target_value.normalize(),
            "control_direction": key_result.control_direction,
            "unit": key_result.unit,
            "weight": key_result.weight,
            "lead": key_result.lead_id,
            "kpi": key_result.kpi_id,
        }


class InitiativeForm(forms.Form):
    title = forms.CharField(max_length=200, help_text="The work: “Write 40 help articles”.")
    key_result = forms.ModelChoiceField(
        queryset=KeyResult.objects.none(), required=False, empty_label="The whole objective"
    )
    lead = PersonChoiceField(queryset=users_of_organization(), required=False)
    status = forms.ChoiceField(choices=InitiativeStatus.choices)
    progress = forms.IntegerField(initial=0, label="Progress (%)")
    due_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, objective: Objective, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["key_result"].queryset = KeyResult.objects.filter(objective=objective)  # type: ignore[attr-defined]


class CheckInForm(forms.Form):
    value = forms.CharField(required=False, label="New value")
    done = forms.BooleanField(required=False, label="Done")
    status = forms.ChoiceField(choices=[("", "—"), *KeyResultStatus.choices], required=False)
    confidence = forms.IntegerField(
        required=False, min_value=1, max_value=10, label="Confidence (1–10)"
    )
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class CycleForm(forms.Form):
    name = forms.CharField(max_length=80)
    kind = forms.ChoiceField(choices=CycleKind.choices)
    start_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    parent = forms.ModelChoiceField(
        queryset=Cycle.objects.none(), required=False, label="Inside year", empty_label="—"
    )
    status = forms.ChoiceField(
        choices=[c for c in CycleStatus.choices if c[0] != CycleStatus.CLOSED]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = Cycle.objects.filter(kind=CycleKind.ANNUAL).order_by(  # type: ignore[attr-defined]
            "-start_date"
        )


class PillarForm(forms.Form):
    name = forms.CharField(max_length=120)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class GoalSettingsForm(forms.Form):
    automatic_status = forms.BooleanField(
        required=False, label="Compute key result status from pace"
    )
    initiatives_count_towards_progress = forms.BooleanField(
        required=False, label="Initiatives count towards objective progress"
    )
    children_count_towards_progress = forms.BooleanField(
        required=False, label="Aligned child objectives count towards progress"
    )


class CycleCloseForm(forms.Form):
    """One grade field per key result (prefilled with the suggestion), the objectives to carry
    over, and the cycle that receives them."""

    next_cycle = forms.ModelChoiceField(
        queryset=Cycle.objects.none(), required=False, label="Carry into", empty_label="—"
    )

    def __init__(
        self, *args: Any, cycle: Cycle, objectives: list[Objective], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["next_cycle"].queryset = selectors.cycle_open_list().exclude(pk=cycle.pk)  # type: ignore[attr-defined]
        self.objectives = objectives
        for objective in objectives:
            for key_result in objective.key_results.all():
                self.fields[f"grade_{key_result.pk}"] = forms.DecimalField(
                    label=key_result.title,
                    min_value=0,
                    max_value=1,
                    decimal_places=2,
                    initial=key_result.suggested_grade,  # type: ignore[attr-defined]
                )
            self.fields[f"carry_{objective.pk}"] = forms.BooleanField(
                required=False,
                label=f"Carry “{objective.title}” over",
                initial=objective.progress < 1,  # type: ignore[attr-defined]
            )

    def grade_field(self, key_result: KeyResult) -> forms.BoundField:
        return self[f"grade_{key_result.pk}"]
