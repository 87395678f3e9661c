"""Closing the gap: every timetable within T of the weekly-pattern bound, listed and solved.

Column generation (:mod:`scheduler.bounds.patterns`) ends with duals at which every ALT's
weeks have been priced. LP duality then says a timetable costing at most ``LB + T`` (LB the
Lagrangian bound) uses, for every ALT, a week whose reduced cost is within T of that ALT's
least (:class:`scheduler.bounds.patterns.LastRound`). The dynamic programme lists the
signatures of those weeks (the lessons the week gives each school, with the least cost and
the least reduced cost of its weeks), and an integer programme chooses one signature per
ALT: every school's need given exactly, the programme's pair rows (ALTs a need takes, the
continuity bound), the load spread, and the duality budget (the chosen reduced costs add up
to at most ``LB + T - value``). Its days, periods and the rows that depend on them are left
out, so it is a relaxation of the timetables costing at most ``LB + T``:

- its optimum c* is a bound of the whole problem when c* <= LB + T, and ``LB + T`` is when
  it is higher (or there is no choice): the bound is ``min(c*, floor(LB + T) + 1)``;
- its best choice, realised with days and periods (the master with each ALT's schools and
  lessons fixed, then the placement), is a timetable, optimal when it costs the bound.

This is the enumeration of "Baldacci, Christofides, Mingozzi (2008)" for set partitioning,
on signatures instead of whole columns: a week's cost depends only on its schools, days and
busiest day, so listing every day vector is not needed: far fewer signatures than weeks lie
within the same limit. Valid only where the pattern bound is: every lesson given, every floor met.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import dataclass

from ortools.sat.python import cp_model

from scheduler.bounds.patterns import LP_TOLERANCE, SCALE, LastRound
from scheduler.bounds.week_dp import Signature
from scheduler.config import Weights
from scheduler.model.cpsat import new_solver
from scheduler.model.data import Prepared
from scheduler.model.interrupt import run


@dataclass(frozen=True)
class Closed:
    """What one solve of the relaxation proved and found.

    ``bound`` is valid for every timetable that gives every lesson and keeps every floor;
    ``chosen`` is the relaxation's best signature per ALT (None when it found none),
    ``limited`` whether the bound is the listing's reach (a longer listing may raise it).
    """

    bound: int
    chosen: dict[str, Signature] | None
    limited: bool
    threshold: float
    signatures: int
    seconds: float


class Closing:
    """The relaxation over the signatures of every week within ``threshold`` of the bound.

    Built by :meth:`listed`; :meth:`solve` bounds and finds, :meth:`exclude` removes a
    choice whose timetables are known (realised, or proven not to exist) with a bound of
    their cost, so the next solve finds the next best."""

    def __init__(
        self,
        prep: Prepared,
        weights: Weights,
        last: LastRound,
        threshold: float,
        found: dict[str, dict[Signature, tuple[float, float]]],
    ) -> None:
        self.threshold, self.seconds = threshold, 0.0
        self.model = m = cp_model.CpModel()
        self.x: dict[tuple[str, Signature], cp_model.IntVar] = {}
        for a, sigs in found.items():
            for sig in sigs:
                self.x[(a, sig)] = m.new_bool_var("")
        x = self.x
        for alt in prep.instance.alts:
            m.add_exactly_one(x[(alt.alt_id, sig)] for sig in found.get(alt.alt_id, {}))
        objective = self._school_rows(prep, weights, last)
        if last.programme.load_rows:
            objective.append(self._load_spread(prep, weights, found))
        # cost(x) >= value + the chosen reduced costs, and cost(x) <= LB + T; the reduced
        # costs enter as integers (SCALE per objective unit) rounded down: the row only loosens.
        room = last.lagrangian + threshold + LP_TOLERANCE - last.value
        m.add(
            sum(math.floor(found[a][sig][1] * SCALE) * v for (a, sig), v in x.items())
            <= math.floor(room * SCALE)
        )
        # Costs are whole numbers (weights times minutes, schools and lessons).
        objective.append(sum(math.floor(found[a][sig][0] + 1e-9) * v for (a, sig), v in x.items()))
        self.objective = sum(objective)
        m.minimize(self.objective)
        self.below = math.inf  # only choices costing less than this are still wanted
        # Every timetable costing at most `reach` has its weeks listed, hence a choice here.
        self.reach = math.floor(last.lagrangian + threshold - LP_TOLERANCE) + 1
        self.excluded = math.inf  # the least bound of the choices excluded so far

    def _school_rows(
        self, prep: Prepared, weights: Weights, last: LastRound
    ) -> list[cp_model.LinearExprT]:
        """Every school's need exactly, and the programme's pair rows (distinct ALTs a need
        takes, the continuity floor); the continuity terms of the objective."""
        m = self.model
        given: dict[str, list[cp_model.LinearExprT]] = defaultdict(list)
        pairs: dict[str, list[cp_model.IntVar]] = defaultdict(list)
        for (_a, sig), v in self.x.items():
            for s, n in sig:
                given[s].append(n * v)
                pairs[s].append(v)
        for s, classes in prep.needy.items():
            m.add(sum(given[s]) == sum(c.alt_lessons for c in classes))
        objective: list[cp_model.LinearExprT] = []
        for key, row in last.programme.cons.items():
            if key[0] == "alts_at":
                m.add(sum(pairs[key[1]]) >= math.ceil(row.lb() - 1e-9))
            elif key[0] == "cont":
                extra = m.new_int_var(0, len(pairs[key[1]]), "")
                m.add(extra - sum(pairs[key[1]]) >= math.ceil(row.lb() - 1e-9))
                objective.append(weights.continuity * extra)
        return objective

    def _load_spread(
        self,
        prep: Prepared,
        weights: Weights,
        found: dict[str, dict[Signature, tuple[float, float]]],
    ) -> cp_model.LinearExprT:
        """The load spread of the chosen signatures: hi >= every load >= lo."""
        m, x, inst = self.model, self.x, prep.instance
        most = max(inst.max_lessons(alt) for alt in inst.alts)
        hi, lo = m.new_int_var(0, most, "hi"), m.new_int_var(0, most, "lo")
        for alt in inst.alts:
            a = alt.alt_id
            load = prep.fixed_load.get(a, 0) + sum(
                sum(n for _s, n in sig) * x[(a, sig)] for sig in found.get(a, {})
            )
            m.add(hi >= load)
            m.add(lo <= load)
        return weights.load_spread * (hi - lo)

    @classmethod
    def listed(
        cls,
        prep: Prepared,
        weights: Weights,
        last: LastRound,
        threshold: float,
        deadline: float,
        max_nodes: int = 400_000,
    ) -> Closing | None:
        """List every week within ``threshold`` of the bound and build the relaxation; None
        when the listing is too long (``max_nodes`` steps for one ALT) or outlasts
        ``deadline`` (a ``time.monotonic()`` value)."""
        t0 = time.monotonic()
        found = last.signatures(threshold + LP_TOLERANCE, max_nodes, deadline)
        if found is None or time.monotonic() >= deadline:
            return None
        closing = cls(prep, weights, last, threshold, found)
        closing.seconds = time.monotonic() - t0
        return closing

    def exclude(self, chosen: dict[str, Signature], bound: float) -> None:
        """No more ``chosen``: every timetable making that choice costs at least ``bound``."""
        keys = [self.x[(a, sig)] for a, sig in chosen.items() if (a, sig) in self.x]
        self.model.add(sum(keys) <= len(keys) - 1)
        self.excluded = min(self.excluded, bound)

    def solve(self, deadline: float, threads: int = 1, below: float = math.inf) -> Closed:
        """The relaxation's best choice and the bound it proves, until ``deadline``; with
        ``below`` (a timetable's cost) only choices costing less are searched, which proves
        ``below`` when there is none."""
        t0 = time.monotonic()
        if below < self.below:
            # Proving that nothing cheaper exists is much faster than finding an optimum.
            self.model.add(self.objective <= math.ceil(below) - 1)
            self.below = below
        solver = new_solver(seconds=max(0.1, deadline - t0), workers=threads)
        status = run(solver, self.model)
        proven = math.inf if status == cp_model.INFEASIBLE else solver.best_objective_bound
        proven = min(proven, self.below)  # every choice costing less was searched
        bound = math.ceil(min(proven, self.excluded, self.reach) - 1e-6)  # reach is finite
        chosen = None
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            chosen = {a: sig for (a, sig), v in self.x.items() if solver.value(v)}
        self.seconds += time.monotonic() - t0
        return Closed(
            bound=bound,
            chosen=chosen,
            limited=bound == self.reach,
            threshold=self.threshold,
            signatures=len(self.x),
            seconds=self.seconds,
        )
