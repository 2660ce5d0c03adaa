"""Forms of the board pages: validation of input only; the rules live in ``boards.services``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from kpis.models import KPI
from okrplatform.tenancy.models import Team

from .cards import HEALTH_FILTERS, SORTS
from .models import BoardSection


class BoardFilterForm(forms.Form):
    """The board's filters, read from the query string. Unknown values are simply ignored."""

    team = forms.TypedChoiceField(label="Team", required=False, coerce=int, empty_value=None)
    health = forms.ChoiceField(label="Health", required=False)
    sort = forms.ChoiceField(label="Sort by", required=False)

    def __init__(
        self, *args: Any, teams: Sequence[tuple[int, str]], board_order: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", "All teams"), *teams]  # type: ignore[attr-defined]
        self.fields["health"].choices = [("", "Any health"), *HEALTH_FILTERS]  # type: ignore[attr-defined]
        sorts = [(key, label) for key, label in SORTS.items() if board_order or key != "board"]
        self.fields["sort"].choices = sorts  # type: ignore[attr-defined]

    def options(self) -> list[dict[str, Any]]:
        """Each filter's choices with the selected one marked, for plain <select> markup (the
        widget templates cost more than the rest of the filter bar together)."""
        chosen = self.values()
        selected = {"team": chosen["team_id"], "health": chosen["health"], "sort": chosen["sort"]}
        if not selected["sort"]:
            selected["sort"] = self.fields["sort"].choices[0][0]  # type: ignore[attr-defined]
        fields = []
        for name in ("team", "health", "sort"):
            field = self.fields[name]
            current = "" if selected[name] is None else str(selected[name])
            options = [(str(v), label, str(v) == current) for v, label in field.choices]  # type: ignore[attr-defined]
            fields.append({"name": name, "label": field.label, "options": options})
        return fields

    def values(self) -> dict[str, Any]:
        """The valid filters; an invalid one (a stale team id) falls back to "any"."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "team_id": data.get("team"),
            "health": data.get("health") or "",
            "sort": data.get("sort") or "",
        }


class TeamChoiceField(forms.ModelChoiceField[Team]):
    def label_from_instance(self, obj: Team) -> str:
        return obj.name


class BoardForm(forms.Form):
    name = forms.CharField(label="Name", max_length=120)
    description = forms.CharField(
        label="Description",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What this board is for, and who looks at it.",
    )
    owner_team = TeamChoiceField(
        label="Owner team",
        queryset=Team.objects.order_by("name"),
        required=False,
        empty_label="— no team —",
        help_text="Its members may edit the board; everyone in the organisation can read it.",
    )


class KPIChoiceField(forms.ModelChoiceField[KPI]):
    def label_from_instance(self, obj: KPI) -> str:
        return obj.name


class SectionChoiceField(forms.ModelChoiceField[BoardSection]):
    def label_from_instance(self, obj: BoardSection) -> str:
        return obj.title


class BoardKPIAddForm(forms.Form):
    kpi = KPIChoiceField(label="KPI", queryset=KPI.objects.none())
    section = SectionChoiceField(
        label="Section",
        queryset=BoardSection.objects.none(),
        required=False,
        empty_label="— none —",
    )

    def __init__(self, *args: Any, board_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kpi"].queryset = (  # type: ignore[attr-defined]
            KPI.objects.filter(archived=False)
            .exclude(board_items__board_id=board_id)
            .order_by("name")
        )
        self.fields["section"].queryset = BoardSection.objects.filter(board_id=board_id)  # type: ignore[attr-defined]


class BoardKPIMoveForm(forms.Form):
    kpi = forms.IntegerField(widget=forms.HiddenInput)
    position = forms.IntegerField(label="Position", min_value=0)
    section = forms.IntegerField(label="Section", required=False)


class BoardKPIRemoveForm(forms.Form):
    kpi = forms.IntegerField(widget=forms.HiddenInput)


class SectionForm(forms.Form):
    title = forms.CharField(label="Section title", max_length=120)


class SectionTargetForm(forms.Form):
    section = forms.IntegerField(widget=forms.HiddenInput)
    title = forms.CharField(label="Title", max_length=120, required=False)
