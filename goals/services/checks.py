"""Checks the OKR writes share: a name was given, a related row is the actor's organisation's,
and the objective is one the actor may change, in a cycle that is still open."""

from __future__ import annotations

from typing import Any

from goals.models import Objective
from okrplatform.errors import DomainError
from okrplatform.tenancy.models import Membership

from .permissions import require_objective_editor


def required_text(value: str, message: str, *, field: str = "title") -> str:
    """``value`` without surrounding blanks; ``message`` says what to enter when nothing is left."""
    text = (value or "").strip()
    if not text:
        raise DomainError(message, field=field)
    return text


def require_own(organization_id: int, row: Any, message: str, *, field: str) -> None:
    """Refuse another organisation's row (None is allowed). The forms and the API offer only the
    actor's own, so this stops a forged id."""
    if row is not None and row.organization_id != organization_id:
        raise DomainError(message, field=field)


def require_open_cycle(objective: Objective) -> None:
    """A closed cycle's OKRs were graded as they stand: they no longer change."""
    cycle = objective.cycle
    if cycle.is_closed:
        raise DomainError(
            f"This cycle is closed: {cycle.name} was graded and its OKRs can no longer change."
        )


def require_editable(actor: Membership, objective: Objective) -> None:
    """Every change to an objective, its key results and its initiatives: by the objective's
    editors, in an open cycle."""
    require_objective_editor(actor, objective)
    require_open_cycle(objective)
