"""The alignment map as a tree: ultimate goal → strategic pillars → company objectives → team
objectives → sub-team objectives, built in Python from rows already loaded (no query here).

An objective with several parents appears under each of them: the map answers "what serves
this?" for every parent. Objectives whose parents are not on the map are roots of their pillar.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .models import StrategicPillar
from .objective_rows import ObjectiveRow


@dataclass
class Node:
    objective: ObjectiveRow
    children: list[Node] = field(default_factory=list)


@dataclass
class PillarBranch:
    pillar: StrategicPillar | None  # None: objectives aligned to no pillar
    roots: list[Node]


def _sort_key(objective: ObjectiveRow) -> tuple[int, str, str]:
    if objective.owner_team_id is None:
        return (0, "", objective.title.lower())
    return (1, (objective.team_name or "").lower(), objective.title.lower())


def ancestor_ids(start: Iterable[int], edges: Iterable[tuple[int, int]]) -> set[int]:
    """``start`` and every objective above them, through any number of alignment levels."""
    parents: dict[int, list[int]] = {}
    for child_id, parent_id in edges:
        parents.setdefault(child_id, []).append(parent_id)
    found: set[int] = set()
    stack = list(start)
    while stack:
        pk = stack.pop()
        if pk not in found:
            found.add(pk)
            stack.extend(parents.get(pk, []))
    return found


def keep_with_ancestors(
    objectives: Sequence[ObjectiveRow], wanted: Iterable[int], edges: Iterable[tuple[int, int]]
) -> list[ObjectiveRow]:
    """``wanted`` objectives and every objective above them: a filtered map keeps its paths."""
    keep = ancestor_ids(wanted, edges)
    return [o for o in objectives if o.pk in keep]


def build_map(
    objectives: Sequence[ObjectiveRow],
    pillars: Sequence[StrategicPillar],
    edges: Iterable[tuple[int, int]],
) -> list[PillarBranch]:
    by_pk = {o.pk: o for o in objectives}
    children: dict[int, list[ObjectiveRow]] = {}
    has_parent: set[int] = set()
    for child_id, parent_id in edges:
        if child_id in by_pk and parent_id in by_pk:
            children.setdefault(parent_id, []).append(by_pk[child_id])
            has_parent.add(child_id)

    def node(objective: ObjectiveRow, path: frozenset[int]) -> Node:
        kids = sorted(children.get(objective.pk, []), key=_sort_key)
        return Node(
            objective,
            [node(kid, path | {kid.pk}) for kid in kids if kid.pk not in path],
        )

    roots = sorted((o for o in objectives if o.pk not in has_parent), key=_sort_key)
    branches = [
        PillarBranch(
            pillar, [node(o, frozenset({o.pk})) for o in roots if o.pillar_id == pillar.pk]
        )
        for pillar in pillars
    ]
    unaligned = [node(o, frozenset({o.pk})) for o in roots if o.pillar_id is None]
    if unaligned:
        branches.append(PillarBranch(None, unaligned))
    return branches
