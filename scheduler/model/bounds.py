"""Valid bounds that stay cheap at any size: the most lessons that can be covered, and a lower
bound on the objective derived from it.

The coverage bound is a maximum flow through ALTs, their days, school-days and schools; it
relaxes the master (schools per ALT-day, and absorption over several days, are dropped), so
no timetable covers more. It takes well under a second at 250 ALTs.
"""

from __future__ import annotations

from collections import defaultdict

from ortools.graph.python import max_flow

from scheduler.config import Weights
from scheduler.instance import DAYS, Day
from scheduler.model.data import Prepared, alt_week_capacity
from scheduler.model.master import visit_capacity

Visit = tuple[str, str, Day]


def coverage_bound(prep: Prepared) -> int:
    """Most lessons any timetable can give (an upper bound, often exact).

    A maximum flow: source -> ALT (weekly maximum) -> ALT-day (daily maximum) -> school-day
    (one edge per candidate visit, at most the visit's capacity) -> school-day total (what
    its classes can absorb that day, and its ALTs-per-day limit times the largest visit) ->
    school (its need) -> sink. Every timetable is a feasible flow, so none covers more.
    """
    inst = prep.instance
    flow = max_flow.SimpleMaxFlow()
    ids: dict[tuple[str, ...], int] = {}

    def node(*key: str) -> int:
        return ids.setdefault(key, len(ids))

    source, sink = node("source"), node("sink")
    visits = [(v, cap) for v in prep.visits if (cap := visit_capacity(prep, v)) > 0]
    largest: dict[tuple[str, Day], int] = defaultdict(int)
    for (a, s, d), cap in visits:
        flow.add_arc_with_capacity(node("alt-day", a, d), node("visit", s, d), cap)
        largest[(s, d)] = max(largest[(s, d)], cap)
    for alt in inst.alts:
        flow.add_arc_with_capacity(source, node("alt", alt.alt_id), inst.max_lessons(alt))
        for d in DAYS:
            if ("alt-day", alt.alt_id, d) in ids:
                flow.add_arc_with_capacity(
                    node("alt", alt.alt_id),
                    node("alt-day", alt.alt_id, d),
                    inst.max_lessons_per_day(alt),
                )
    for (s, d), most in largest.items():
        absorb = sum(prep.cap.get((c.key, d), 0) for c in prep.needy[s])
        cap = min(absorb, inst.school_by_id[s].max_alts_per_day * most)
        flow.add_arc_with_capacity(node("visit", s, d), node("school", s), cap)
    for s, classes in prep.needy.items():
        if ("school", s) in ids:
            flow.add_arc_with_capacity(
                node("school", s), sink, sum(c.alt_lessons for c in classes)
            )
    if flow.solve(source, sink) != flow.OPTIMAL:  # pragma: no cover - always solvable
        return inst.need()
    return min(inst.need(), int(flow.optimal_flow()))


def objective_lower_bound(prep: Prepared, weights: Weights, covered_at_most: int) -> int:
    """A lower bound on the objective of every timetable, from the coverage bound.

    Unmet lessons are at least need - covered_at_most. Lessons under the floor are at least
    (sum of floors) - covered_at_most, and at least each ALT's floor above what they could
    ever teach. The other goals are bounded by 0.
    """
    inst = prep.instance
    unmet = inst.need() - covered_at_most
    reach = alt_week_capacity(prep)
    floors = sum(inst.min_lessons(a) for a in inst.alts)
    out_of_reach = sum(max(0, inst.min_lessons(a) - reach[a.alt_id]) for a in inst.alts)
    under = max(floors - covered_at_most, out_of_reach, 0)
    return weights.unmet_lesson * unmet + weights.under_floor_lesson * under
