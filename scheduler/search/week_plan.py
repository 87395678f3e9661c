"""The weekly plan for large branches: which ALT teaches at which school, decided first.

Region search from the greedy timetable covers the need but keeps the greedy's pairs, and
the greedy (school by school, nearest free ALT) sends the last schools ALTs from across the
city: its timetables pay several times the commute of a transportation plan of the same
lessons. Moving an ALT across the city takes a chain of moves through many regions at once,
which one region step never sees. A min-cost flow over the whole branch sees it: it plans
who teaches where for the week, the planned start follows it
(:func:`scheduler.search.greedy.greedy`), and half the region steps free the schools and ALTs
between the timetable and that plan (:func:`scheduler.search.regions.improve`); the plan
guides, it never restricts."""

from __future__ import annotations

from ortools.graph.python import min_cost_flow

from scheduler.bounds.flow import SINK, SOURCE, Node, VisitIndex, visit_network
from scheduler.config import Weights

Pair = tuple[str, str]


def flow_week(index: VisitIndex, weights: Weights) -> dict[Pair, int]:
    """Weekly lessons per ALT-school pair of a min-cost maximum flow of the lesson network
    (:func:`scheduler.bounds.flow.visit_network`: weekly, daily, per-visit and per-school
    limits), ALTs' floors filled first.

    A lesson costs its share of the visit's commute and of the pair's ALT-school cost
    (spread over the most lessons the pair can hold). Its maximum flow is the coverage
    bound, so the plan covers every lesson any timetable can; a basic optimal flow is a
    forest, so it uses few pairs. (Re-estimating the shares from the previous flow,
    "dynamic slope scaling", was tried on a weekly version: it only raised the cost.)
    """
    prep = index.prep
    inst = prep.instance
    flow = min_cost_flow.SimpleMinCostFlow()
    ids: dict[Node, int] = {}

    def node(key: Node) -> int:
        return ids.setdefault(key, len(ids))

    most = {
        (a, s): min(index.need(s), index.week[a], sum(c for c, _d in caps))
        for (a, s), caps in index.caps.items()
    }
    arcs: dict[int, Pair] = {}
    for tail, head, cap, visit in visit_network(index):
        if tail == SOURCE:
            # Lessons above an ALT's floor cost more than any commute: floors fill first.
            floor = min(cap, inst.min_lessons(inst.alt_by_id[head[1]]))
            flow.add_arc_with_capacity_and_unit_cost(node(tail), node(head), floor, 0)
            flow.add_arc_with_capacity_and_unit_cost(node(tail), node(head), cap - floor, 10**6)
        elif visit is not None:
            pair = (visit[0], visit[1])
            cost = weights.commute_minute * prep.commute[pair] / cap + weights.alt_school / max(
                1, most[pair]
            )
            arc = flow.add_arc_with_capacity_and_unit_cost(
                node(tail), node(head), cap, round(100 * cost)
            )
            arcs[arc] = pair
        else:
            flow.add_arc_with_capacity_and_unit_cost(node(tail), node(head), cap, 0)
    if SOURCE not in ids or SINK not in ids:
        return {}
    # The maximum flow runs from supply to demand: as much as the schools could take.
    total = inst.need()
    flow.set_node_supply(ids[SOURCE], total)
    flow.set_node_supply(ids[SINK], -total)
    if flow.solve_max_flow_with_min_cost() != flow.OPTIMAL:  # pragma: no cover
        return {}
    out: dict[Pair, int] = {}
    for arc, pair in arcs.items():
        if (f := flow.flow(arc)) > 0:
            out[pair] = out.get(pair, 0) + f
    return out
