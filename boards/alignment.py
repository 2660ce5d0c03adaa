"""The hook through which the OKR feature tells boards how many Objectives are aligned to a KPI.

Boards must not import goals (goals depends on KPIs, not the other way round), so the goals app
registers a counter when it loads, e.g. in ``GoalsConfig.ready()``::

    from boards.alignment import aligned_okr_counter_register
    aligned_okr_counter_register(selectors.aligned_objective_counts_by_kpi)

The counter takes KPI ids and returns ``{kpi_id: count}`` in ONE query (omitting zeros is fine),
so a board keeps a constant number of queries. Until a counter is registered the cards show no
count at all rather than a made-up zero.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

AlignedOKRCounter = Callable[[Sequence[int]], Mapping[int, int]]

_counters: list[AlignedOKRCounter] = []


def aligned_okr_counter_register(counter: AlignedOKRCounter) -> None:
    if counter not in _counters:
        _counters.append(counter)


def aligned_okr_counter_unregister(counter: AlignedOKRCounter) -> None:
    if counter in _counters:
        _counters.remove(counter)


def aligned_okr_counts(kpi_ids: Sequence[int]) -> dict[int, int] | None:
    """``{kpi_id: number of aligned Objectives}`` for every id, or None when nothing counts them."""
    if not _counters:
        return None
    totals = dict.fromkeys(kpi_ids, 0)
    if not kpi_ids:
        return totals
    for counter in _counters:
        for kpi_id, count in counter(kpi_ids).items():
            if kpi_id in totals:
                totals[kpi_id] += count
    return totals
