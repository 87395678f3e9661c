"""Valid bounds that stay cheap at any size: the most lessons that can be covered, and a lower
bound on the objective.

The coverage bound is a maximum flow through ALTs, their days, school-days and schools; it
relaxes the master (schools per ALT-day, and absorption over several days, are dropped), so
no timetable covers more. The objective bound relaxes the branch into independent ALT weeks
(or independent school weeks), each priced exactly by a small dynamic programme, joined by a
knapsack over the lessons given. Both take a few seconds at 250 ALTs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import accumulate, chain

import numpy as np
from ortools.graph.python import max_flow

from scheduler.config import Weights
from scheduler.instance import DAYS, Day
from scheduler.model.data import Prepared, Visit, alt_week_capacity
from scheduler.model.master import visit_capacity

Node = tuple[str, ...]
Arc = tuple[Node, Node, int, Visit | None]  # (tail, head, capacity, the visit it stands for)
SOURCE: Node = ("source",)
SINK: Node = ("sink",)


def visit_network(index: VisitIndex) -> list[Arc]:
    """The arcs of the branch's lesson network: source -> ALT (weekly maximum) -> ALT-day
    (daily maximum) -> school-day (one arc per candidate visit, at most the visit's
    capacity) -> school (what its classes can absorb that day, and its ALTs-per-day limit
    times the largest visit) -> sink (the school's need). Every timetable is a flow of it.
    The visit capacities are the index's, computed once for every bound and the plan."""
    prep = index.prep
    inst = prep.instance
    arcs: list[Arc] = []
    largest: dict[tuple[str, Day], int] = defaultdict(int)
    alt_days: set[tuple[str, Day]] = set()
    for (a, s), caps in index.caps.items():
        for cap, d in caps:
            arcs.append((("alt-day", a, d), ("visit", s, d), cap, (a, s, d)))
            largest[(s, d)] = max(largest[(s, d)], cap)
            alt_days.add((a, d))
    for alt in inst.alts:
        arcs.append((SOURCE, ("alt", alt.alt_id), inst.max_lessons(alt), None))
        for d in DAYS:
            if (alt.alt_id, d) in alt_days:
                cap = inst.max_lessons_per_day(alt)
                arcs.append((("alt", alt.alt_id), ("alt-day", alt.alt_id, d), cap, None))
    for (s, d), most in largest.items():
        cap = min(prep.room(s, d)[1], inst.school_by_id[s].max_alts_per_day * most)
        arcs.append((("visit", s, d), ("school", s), cap, None))
    reached = {s for s, _d in largest}
    for s, classes in prep.needy.items():
        if s in reached:
            arcs.append((("school", s), SINK, sum(c.alt_lessons for c in classes), None))
    return arcs


def coverage_bound(prep: Prepared, index: VisitIndex | None = None) -> int:
    """Most lessons any timetable can give (an upper bound, often exact): the maximum flow
    of :func:`visit_network`. It relaxes the master (schools per ALT-day, and absorption
    over several days, are dropped), so no timetable covers more. ``index`` is
    :meth:`VisitIndex.of` (prep), when the caller has it already."""
    inst = prep.instance
    flow = max_flow.SimpleMaxFlow()
    ids: dict[Node, int] = {}
    for tail, head, cap, _v in visit_network(index or VisitIndex.of(prep)):
        flow.add_arc_with_capacity(
            ids.setdefault(tail, len(ids)), ids.setdefault(head, len(ids)), cap
        )
    if SOURCE not in ids or SINK not in ids:
        return 0
    if flow.solve(ids[SOURCE], ids[SINK]) != flow.OPTIMAL:  # pragma: no cover - always solvable
        return inst.need()
    return min(inst.need(), int(flow.optimal_flow()))


def objective_lower_bound(
    prep: Prepared, weights: Weights, covered_at_most: int, index: VisitIndex | None = None
) -> int:
    """A lower bound on the objective of every timetable, valid at any size.

    The given lessons T are at most ``covered_at_most`` and the need (no class gets more
    than it asks for); unmet lessons are the need minus T. Two relaxations each bound the
    rest, for every T, as a knapsack solved exactly by min-plus convolution:

    - by ALT: lessons under floor, schools, commute and busiest day are sums over ALTs,
      and an ALT teaching l lessons pays at least :func:`alt_week_least_cost` (l) on them;
    - by school: schools per ALT and commute are also sums over schools (ALT-school pairs,
      visits), and a school given g lessons pays at least :func:`school_week_least_cost` (g);
      lessons under floor and busiest days, per ALT, come from the loads alone.

    The better of the two counts. Load spread and continuity are bounded by 0. ``index``
    is :meth:`VisitIndex.of` (prep), when the caller has it already.
    """
    inst = prep.instance
    cap = min(inst.need(), covered_at_most)
    index = index or VisitIndex.of(prep)
    alts = [a.alt_id for a in inst.alts]
    by_alt = _knapsack([alt_week_least_cost(index, weights, a) for a in alts], cap)
    loads_only = _knapsack(
        [alt_week_least_cost(index, weights, a, pairs=False) for a in alts], cap
    )
    by_school = _knapsack([school_week_least_cost(index, weights, s) for s in prep.needy], cap)
    size = min(len(loads_only), len(by_school))
    unmet = weights.unmet_lesson * (inst.need() - np.arange(len(by_alt)))
    alt_side = by_alt + unmet
    school_side = loads_only[:size] + by_school[:size] + unmet[:size]
    return int(max(alt_side.min(), school_side.min()))


def _knapsack(costs: list[list[float]], cap: int) -> np.ndarray:
    """best[t]: the least total cost when the parts take t units in all (t <= cap);
    ``costs[i][u]`` is what part i costs taking u units."""
    best = np.zeros(1)
    for part in costs:
        grown = np.full(min(cap, len(best) + len(part) - 2) + 1, np.inf)
        for units, cost in enumerate(part):
            n = min(len(best), len(grown) - units)
            if n > 0:
                np.minimum(grown[units : units + n], best[:n] + cost, out=grown[units : units + n])
        best = grown
    return best


# Schools per ALT (ALTs per school) are counted exactly up to this many; more count as this
# many, which only lowers the bound.
MOST_PAIRS = 5


def _least_cost(
    members: list[tuple[list[int], int]], top: int, slots: int, weights: Weights
) -> np.ndarray:
    """least[l, n, k]: the least weighted ALT-schools and commute of using n members
    (saturating at MOST_PAIRS) on k visits that hold l lessons (l = top: at least top).

    ``members`` are (visit capacities, minutes a visit) of the ALT-school pairs on one side;
    visiting a member on j days holds at most its j largest capacities (already capped)."""
    least = np.full((top + 1, MOST_PAIRS + 1, slots + 1), np.inf)
    least[0, 0, 0] = 0.0
    for held, minutes in members:
        grown = least.copy()
        # From n members to n + 1, the last (saturated) row staying where it is.
        more = np.concatenate([np.full_like(least[:, :1, :], np.inf), least[:, :-1, :]], axis=1)
        more[:, -1, :] = np.minimum(more[:, -1, :], least[:, -1, :])
        for j, h in enumerate(held[:slots], start=1):
            src = more[:, :, : slots + 1 - j] + weights.commute_minute * j * minutes
            shifted = np.full_like(src, np.inf)
            shifted[h:] = src[: top + 1 - h]
            shifted[top] = np.minimum(shifted[top], src[top + 1 - h :].min(axis=0))
            np.minimum(grown[:, :, j:], shifted, out=grown[:, :, j:])
        least = grown
    # Holding at least l: the least over every larger capacity.
    out: np.ndarray = np.minimum.accumulate(least[::-1], axis=0)[::-1]
    return out + weights.alt_school * np.arange(MOST_PAIRS + 1)[None, :, None]


def _undominated(members: list[tuple[list[int], int]], slots: int) -> list[tuple[list[int], int]]:
    """The members without ``slots`` others that hold as much on every number of visits
    for no more minutes. A choice uses at most ``slots`` members, so one of a dropped
    member's dominators is always free to take its place at no more cost."""
    if not members:
        return []
    # Held lessons padded with -1: a shorter member never holds as much on more visits.
    lengths = [len(h) for h, _m in members]
    width = max(lengths)
    real = np.arange(width)[None, :] < np.array(lengths)[:, None]
    held = np.full((len(members), width), -1, dtype=np.int64)
    held[real] = list(chain.from_iterable(h for h, _m in members))
    # Ordered by minutes, then by held lessons, most first (lexicographically, a member
    # that is a prefix of another first, as Python orders lists); stable, like sorted().
    negated = np.where(real, -held, -held.max(initial=0) - 1)
    minutes = np.array([m for _h, m in members])
    order = np.lexsort([*(negated[:, k] for k in reversed(range(width))), minutes])
    held = held[order]
    # dominates[i, j]: member j holds as much as member i on every number of visits; the
    # earlier members (j < i) cost no more minutes, by the order.
    # Column by column: a 3-D comparison reduced over its short last axis is slower.
    dominates = np.tril(np.ones((len(members), len(members)), dtype=bool), k=-1)
    for k in range(width):
        dominates &= held[None, :, k] >= held[:, None, k]
    better = dominates.sum(axis=1)
    ordered = [members[i] for i in order]
    return [m for m, b in zip(ordered, better, strict=True) if b < slots]


def held_by_visits(caps: list[int], most: int) -> list[int]:
    """Lessons held by 1, 2, ... visits: the largest capacities first, at most ``most``."""
    # A few capacities per call, and ~10^5 calls at 250 ALTs: plain Python beats NumPy here.
    return [min(most, int(h)) for h in accumulate(sorted(caps, reverse=True))]


@dataclass
class VisitIndex:
    """Visit capacities grouped by ALT and by school, computed once for every bound."""

    prep: Prepared
    # caps[(alt, school)] = (capacity, day) of each candidate visit with room.
    caps: dict[tuple[str, str], list[tuple[int, Day]]]
    schools_of: dict[str, list[str]]
    alts_of: dict[str, list[str]]
    week: dict[str, int]  # alt_week_capacity
    # alt_week per ALT, computed once for both sides of the cheap bound and the week bound.
    _alt_weeks: dict[str, AltWeek] = field(default_factory=dict, repr=False)
    # need per school, asked for once per ALT-school pair by the bounds and the plan.
    _needs: dict[str, int] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, prep: Prepared) -> VisitIndex:
        """Index the candidate visits of ``prep``."""
        caps: dict[tuple[str, str], list[tuple[int, Day]]] = defaultdict(list)
        for v in prep.visits:
            if (c := visit_capacity(prep, v)) > 0:
                caps[(v[0], v[1])].append((c, v[2]))
        schools_of: dict[str, list[str]] = defaultdict(list)
        alts_of: dict[str, list[str]] = defaultdict(list)
        for a, s in caps:
            schools_of[a].append(s)
            alts_of[s].append(a)
        return cls(prep, caps, schools_of, alts_of, alt_week_capacity(prep))

    def need(self, school_id: str) -> int:
        """Lessons the school's classes ask for."""
        if (known := self._needs.get(school_id)) is not None:
            return known
        need = self._needs[school_id] = sum(c.alt_lessons for c in self.prep.needy[school_id])
        return need

    def alt_week(self, alt_id: str) -> AltWeek:
        """What bounds an ALT's week: their floor, most lessons, days and visit slots, and
        per reachable school the lessons 1, 2, ... visits hold and the commute."""
        if alt_id in self._alt_weeks:
            return self._alt_weeks[alt_id]
        prep = self.prep
        inst = prep.instance
        alt = inst.alt_by_id[alt_id]
        schools = self.schools_of.get(alt_id, [])
        days = {d for s in schools for _c, d in self.caps[(alt_id, s)]}
        top = min(inst.max_lessons(alt), self.week[alt_id]) if schools else 0
        members = [
            (
                s,
                held_by_visits([c for c, _d in self.caps[(alt_id, s)]], min(top, self.need(s))),
                prep.commute[(alt_id, s)],
            )
            for s in schools
        ]
        week = self._alt_weeks[alt_id] = AltWeek(
            floor=max(0, inst.min_lessons(alt) - prep.fixed_load.get(alt_id, 0)),
            top=top,
            days=len(days),
            slots=prep.settings.max_schools_per_day * len(days),
            members=members,
        )
        return week


@dataclass(frozen=True)
class AltWeek:
    """One ALT's week as the bounds see it (:meth:`VisitIndex.alt_week`)."""

    floor: int  # weekly floor left for this model
    top: int  # most lessons in the week
    days: int  # days with some reachable visit
    slots: int  # visits a week can hold (max_schools_per_day a day)
    # (school, lessons held by 1, 2, ... visits there, commute minutes) per reachable school
    members: list[tuple[str, list[int], int]]


def alt_week_least_cost(
    index: VisitIndex, weights: Weights, alt_id: str, *, pairs: bool = True
) -> list[float]:
    """A lower bound, per load l = 0, 1, ... (up to what the ALT can teach), of an ALT's
    weighted lessons under floor, schools, commute and busiest day (with ``pairs``; else
    only lessons under floor and busiest day) when teaching l lessons.

    A dynamic programme over the ALT's reachable schools: each is left out or visited on j
    days, which holds at most the j largest visit capacities there (and the school's need),
    costs j commutes and uses j of the ALT's visit slots (max_schools_per_day a day). The
    busiest day is at least the load over the visit days. Other ALTs compete for nothing
    here, so it relaxes the ALT's real week.
    """
    week = index.alt_week(alt_id)
    top, slots = week.top, week.slots
    under = [weights.under_floor_lesson * max(0, week.floor - load) for load in range(top + 1)]
    if not pairs:
        peaks = [weights.day_peak * -(-load // max(1, week.days)) for load in range(top + 1)]
        return [u + p for u, p in zip(under, peaks, strict=True)]
    members = [(held, minutes) for _s, held, minutes in week.members]
    least = _least_cost(_undominated(members, slots), top, slots, weights)
    visit_days = np.maximum(1, np.minimum(np.arange(slots + 1), week.days))
    out = []
    for load in range(top + 1):
        peak = weights.day_peak * np.ceil(load / visit_days - 1e-9)
        out.append(under[load] + float((least[load] + peak[None, :]).min()))
    return out


def school_week_least_cost(index: VisitIndex, weights: Weights, school_id: str) -> list[float]:
    """A lower bound, per lessons given g = 0, 1, ... (up to the need), of the ALT-school
    pairs and commutes a school's visits cost: the same programme as
    :func:`alt_week_least_cost` over the ALTs that can come, with max_alts_per_day visits a day."""
    prep = index.prep
    inst = prep.instance
    need = index.need(school_id)
    alts = index.alts_of.get(school_id, [])
    if not alts:
        return [0.0]
    days = {d for a in alts for _c, d in index.caps[(a, school_id)]}
    slots = inst.school_by_id[school_id].max_alts_per_day * len(days)
    members = [
        (
            held_by_visits([c for c, _d in index.caps[(a, school_id)]], min(need, index.week[a])),
            prep.commute[(a, school_id)],
        )
        for a in alts
    ]
    least = _least_cost(_undominated(members, slots), need, slots, weights)
    return [float(least[g].min()) for g in range(need + 1)]
