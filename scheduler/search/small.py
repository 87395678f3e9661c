"""The small-branch search: the aggregated CP-SAT master, then region steps.

A greedy timetable hints the master (visits and lesson counts), which gets
``master_share`` of the time: its first priority level alone, then (every lesson given)
the weekly-pattern bound and closing the gap, then the weighted search. Its best solution
is placed into periods exactly, day by day; a component that cannot be placed becomes a
cut and the master is solved again. Region steps (:class:`scheduler.search.regions.Lanes`)
improve that timetable for the rest of the time: the master's own search improves slowly
after its first seconds, region steps go on from its timetable faster (docs/model.md).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from scheduler.bounds.closing import Closing
from scheduler.bounds.flow import VisitIndex, coverage_bound, objective_lower_bound
from scheduler.bounds.patterns import PatternBound, pattern_bound
from scheduler.bounds.week_dp import Signature
from scheduler.model.cpsat import DEFAULT_SEED, new_solver
from scheduler.model.interrupt import interrupted
from scheduler.model.master import Master, add_cut, build_master, coverage_cuts
from scheduler.model.placement import Counts, Visit, counts_of, place
from scheduler.result import Lesson, Result, Status
from scheduler.search.job import Job
from scheduler.search.regions import Guide, Lanes, objective_of
from scheduler.search.week_plan import flow_week

# The first priority level: solved first, then fixed at its proven optimum.
FIRST_LEVEL = ("unmet_lesson", "under_floor_lesson")


@dataclass
class _Stage:
    """How the master's own objective maps to the whole weighted objective.

    The master minimises ``objective``; the whole weighted objective of a solution is its
    value plus ``offset``, and ``cap`` is a valid lower bound of every timetable the stage
    excludes (solutions of the first level above its proven optimum), so the whole bound is
    ``min(offset + master bound, cap)``, or ``known_bound`` (a bound found without the master,
    :func:`scheduler.bounds.flow.objective_lower_bound`) when that is higher.
    """

    objective: cp_model.LinearExprT
    offset: int = 0
    cap: float = math.inf
    fallback: tuple[Counts, int] | None = None
    fixed: bool = False  # the first level is fixed at its optimum by a constraint
    known_bound: float = 0.0
    # A bound of the rest found beside the master (scheduler.bounds.patterns), valid for the
    # timetables at the first level's optimum, like the master's own.
    rest: float = 0.0

    def bound(self, master_bound: float) -> float:
        return max(self.known_bound, min(self.offset + max(master_bound, self.rest), self.cap))


class _Progress(cp_model.CpSolverSolutionCallback):
    """Reports each better solution as (seconds, whole weighted objective, valid bound) into
    the job's one trace, shared by its successive searches, so a search that starts worse
    than the last one ended (the second level from the greedy hint, a master solved again
    after cuts) reports nothing until it is better."""

    def __init__(
        self, job: Job, total: cp_model.LinearExprT, bound: Callable[[float], float]
    ) -> None:
        super().__init__()
        self.job = job
        self.total = total
        self.bound = bound

    def on_solution_callback(self) -> None:
        objective = float(self.value(self.total))
        # CP-SAT improves the stage's own objective, which also counts a continuity bound:
        # a solution can be better there and worse here. Only better ones are reported.
        trace = self.job.trace
        if trace and objective >= trace[-1][1]:
            return
        self.job.report(objective, self.bound(self.best_objective_bound))


class _After(Guide):
    """Region steps after the master: only timetables better than the master's are
    reported, with the master's bound."""

    def __init__(self, job: Job, bound: float) -> None:
        super().__init__()
        self.job = job
        self.bound = bound

    def report(self, seconds: float, objective: float) -> None:
        trace = self.job.trace
        if trace and objective >= trace[-1][1]:
            return  # the search's start is the master's timetable: already reported
        self.job.report(objective, self.bound)


def _weighted(
    master: Master, keys: tuple[str, ...] | None = None, *, with_bounds: bool = False
) -> cp_model.LinearExprT:
    """Weighted sum of the master's exact terms (of ``keys`` only, when given), plus its
    lower-bound terms with ``with_bounds``: those are what the master minimises."""
    items = [*master.terms.items(), *(master.term_bounds.items() if with_bounds else ())]
    return sum(getattr(master.weights, k) * t for k, t in items if keys is None or k in keys)


class SmallSearch:
    """The small path, stage by stage: :meth:`run` is the whole of it."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.prep, self.weights, self.params = job.prep, job.weights, job.params
        self.cfg, self.bounds = job.settings.search, job.settings.bounds
        self.clock = job.clock
        self.index = VisitIndex.of(job.prep)  # the visit capacities, shared by the bounds
        # The master's own time (set by :meth:`run`): its limit and deadline on the clock.
        self.limit = self.clock.limit
        self.deadline = self.clock.deadline
        self.closing_until: float | None = None
        self.cuts: list[list[tuple[Visit, int]]] = []

    # ---- the path ----------------------------------------------------------------------------

    def run(self) -> Result:
        """The master for its share of the time (its bound, and the optimum it proves on
        small branches), then region steps from its timetable until the deadline."""
        job, clock = self.job, self.clock
        self.limit = clock.limit * self.cfg.master_share
        self.deadline = clock.t0 + self.limit
        # Closing the gap may take most of the region steps' time too: it proves the optimum
        # or hands them a better timetable.
        self.closing_until = clock.t0 + self.cfg.closing_until * clock.limit
        first = self.master()
        if first.status == "OPTIMAL" or interrupted():
            return first
        # The master's bound already counts the cheap one; it has none only when it found
        # nothing.
        bound = first.bound
        if bound is None:
            covered = coverage_bound(self.prep, self.index)
            bound = float(objective_lower_bound(self.prep, self.weights, covered, self.index))
        lanes = Lanes(
            self.prep,
            self.weights,
            self.params,
            self.cfg,
            clock,
            _After(job, bound),
            plan=flow_week(self.index, self.weights),
        )
        lessons, objective, steps = lanes.run(list(first.lessons))
        notes = [*first.notes, f"After the master: {steps} improving region steps."]
        status: Status = "OPTIMAL" if objective <= bound else "FEASIBLE"
        return job.result(status, lessons, objective, bound, notes)

    def master(self) -> Result:
        """The master path: first level, weekly patterns, closing the gap, the master's
        search and placement, within the master's deadline."""
        job, prep, weights = self.job, self.prep, self.weights
        self.model = build_master(prep, weights)
        self.complete_hint(counts_of(job.start))
        # A re-plan's progress shows what its search weighs: the changes too, as its bound does.
        self.whole = _weighted(self.model, with_bounds=prep.replan is not None)
        # Cheap and valid whatever the master proves: progress lines show a bound from the
        # start.
        covered = coverage_bound(prep, self.index)
        self.known_bound = objective_lower_bound(prep, weights, covered, self.index)
        self.stage = self.first_level()
        # Placement gets its share of the time limit: the master stops early enough for it.
        self.reserve = min(
            self.cfg.placement_reserve_seconds, self.cfg.placement_reserve_share * self.limit
        )
        if self._all_given() and not self.clock.deterministic:
            closed = self.weekly_patterns()
            if closed is not None:
                return closed
        return self.search_and_place()

    def _all_given(self) -> bool:
        stage = self.stage
        every = all(k in self.model.terms for k in FIRST_LEVEL)
        return stage.fixed and stage.offset == 0 and every

    # ---- the first level ---------------------------------------------------------------------

    def first_level(self) -> _Stage:
        """Solve the first priority level alone; when its optimum is proven, fix it and
        return the stage minimising the rest. Otherwise the stage is the whole weighted
        objective."""
        master, job, clock = self.model, self.job, self.clock
        whole = _Stage(_weighted(master), known_bound=self.known_bound)
        keys = tuple(k for k in FIRST_LEVEL if k in master.terms)
        rest = tuple(k for k in [*master.terms, *master.term_bounds] if k not in FIRST_LEVEL)
        # A re-plan weighs changes against the first level too: no level is fixed before them.
        if not keys or not rest or master.prep.replan is not None:
            return whole
        first = _weighted(master, keys)
        master.model.minimize(first)
        # A small share of the time: the first level is easy when the hint is good.
        seconds = self.cfg.first_level_share * (self.limit - (clock.now() - clock.t0))
        solver = self._solver(seconds, ("default_lp", "core"))
        status = clock.run(solver, master.model, _Progress(job, whole.objective, whole.bound))
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            master.model.minimize(_weighted(master, with_bounds=True))
            return whole
        counts = {v: k for v, n in master.lessons.items() if (k := solver.value(n)) > 0}
        fallback = (counts, round(solver.value(whole.objective)))
        if status != cp_model.OPTIMAL:
            # The weighted search goes on from the best first-level timetable, hinted whole.
            self._hint_solution(list(solver.response_proto.solution))
            master.model.minimize(_weighted(master, with_bounds=True))
            return _Stage(whole.objective, fallback=fallback, known_bound=self.known_bound)
        best = round(solver.objective_value)
        values = {k: round(solver.value(master.terms[k])) for k in keys}
        cap = self._worse_first_level(first, best, keys)
        master.model.add(first == best)
        if best == 0:
            coverage_cuts(
                master,
                all_given=values.get("unmet_lesson") == 0,
                floors_met=values.get("under_floor_lesson") == 0,
            )
        # The greedy hint stays: the second level finds better timetables from it (repaired
        # by CP-SAT's first-solution search) than from the first level's timetable, which is
        # kept as the fallback should the second level find nothing in time.
        master.model.minimize(_weighted(master, rest, with_bounds=True))
        return _Stage(
            _weighted(master, rest, with_bounds=True),
            offset=best,
            cap=cap,
            fallback=fallback,
            fixed=True,
            known_bound=self.known_bound,
        )

    def _worse_first_level(
        self, first: cp_model.LinearExprT, best: int, keys: tuple[str, ...]
    ) -> float:
        """A lower bound of every timetable with a worse first level: they lose at least one
        step of its weights, and a short solve bounds them from below."""
        master = self.model
        step = math.gcd(*(getattr(master.weights, k) for k in keys))
        worse = master.model.clone()
        worse.add(first >= best + step)
        worse.minimize(_weighted(master, with_bounds=True))
        seconds = min(self.cfg.probe_seconds, self.cfg.probe_share * self.limit)
        probe = self._solver(seconds)
        status = self.clock.run(probe, worse)
        # Both are valid bounds of the excluded timetables (the other terms are never
        # negative); CP-SAT's bound stays valid even when the probe ends without a solution.
        if status == cp_model.INFEASIBLE:
            return math.inf
        return max(best + step, probe.best_objective_bound)

    # ---- weekly patterns and closing the gap -------------------------------------------------

    def weekly_patterns(self) -> Result | None:
        """Every lesson given and every floor met: whole weeks bound the rest far better
        than the master's relaxation (docs/model.md, "Weekly patterns"); closing the gap
        above them may prove the optimum (its Result) or hint the master with a better
        timetable (None: the master's search goes on)."""
        job, stage = self.job, self.stage
        starts = [counts_of(job.start)] + ([stage.fallback[0]] if stage.fallback else [])
        left = self.deadline - self.reserve - time.monotonic()
        share = time.monotonic() + self.bounds.pattern_share * left
        weeks = pattern_bound(self.prep, self.weights, share, starts, self.params.threads)
        if weeks is None:
            return None
        stage.rest = weeks.value
        job.notes.append(
            f"Weekly patterns bound the objective by {weeks.value:,} "
            f"({weeks.rounds} rounds, {weeks.weeks} weeks, "
            f"{'converged' if weeks.converged else 'stopped by the time limit'})."
        )
        now = time.monotonic()
        closing = now + self.bounds.closing_share * (self.deadline - self.reserve - now)
        closing = max(closing, self.closing_until or closing)
        closed = self.close(weeks, closing)
        if closed is None:
            return None
        lessons, objective = closed
        if objective <= stage.bound(0.0):
            return job.result("OPTIMAL", lessons, objective, stage.bound(0.0))
        # The master's search goes on from it (a complete hint it takes as its first
        # solution), with the weeks' bound raised.
        self.model.model.clear_hints()
        self.complete_hint(counts_of(lessons))
        return None

    def close(self, weeks: PatternBound, deadline: float) -> tuple[list[Lesson], int] | None:
        """Close the gap above the weekly-pattern bound (:mod:`scheduler.bounds.closing`):
        raise ``stage.rest`` to what the listings prove and return the best timetable they
        realise (placed into periods), or None.

        The relaxation's best choice may have no timetable (its days are left out) or cost
        more than it says: each realised choice is excluded with the master's bound of its
        days and the next one solved; a second listing, up to the best timetable found,
        then proves it optimal or finds a cheaper choice."""
        last = weeks.last
        if last is None or not weeks.converged:
            return None
        threshold = self.bounds.closing_gap * max(1.0, last.lagrangian)
        self._best: tuple[list[Lesson], int] | None = None
        self._known: list[tuple[dict[str, Signature], float]] = []  # realised, their bounds
        self._of_pair: dict[tuple[str, str], list[cp_model.IntVar]] = {}  # lessons per pair
        for (a, s, _d), n in self.model.lessons.items():
            self._of_pair.setdefault((a, s), []).append(n)
        while time.monotonic() < deadline and not interrupted():
            closing = Closing.listed(self.prep, self.weights, last, threshold, deadline)
            if closing is None or not self._listing(closing, deadline):
                break
            best = self._best
            if best is None or best[1] <= self.stage.rest:
                break
            # Listing up to the least cost known possible (the best timetable, or the bound
            # of a realised choice whose periods came out dearer: continuity above its
            # bound) proves it, or finds a cheaper choice.
            known_least = min([best[1], *(lower for _c, lower in self._known)])
            wanted = known_least - 1 - last.lagrangian + 0.01
            if wanted <= threshold or wanted > self.bounds.closing_growth * threshold:
                break
            threshold = wanted
        return self._best

    def _listing(self, closing: Closing, deadline: float) -> bool:
        """Realise the listing's choices, best first, until one proves the bound or the
        choices run out; False when time ran out before any was solved."""
        stage, job = self.stage, self.job
        for chosen, lower in self._known:
            closing.exclude(chosen, lower)
        closed = None
        for _choice in range(self.bounds.closing_choices):
            best = self._best
            closed = closing.solve(deadline, self.params.threads, best[1] if best else math.inf)
            stage.rest = max(stage.rest, closed.bound)
            if closed.chosen is None or (
                best is not None and (best[1] <= stage.rest or closed.limited)
            ):
                break
            realised = self._realise(closed.chosen, deadline)
            if realised is None:  # out of time
                break
            counts, lower = realised
            self._known.append((closed.chosen, lower))
            closing.exclude(closed.chosen, lower)
            if counts is not None:
                self._keep_if_better(counts, deadline)
        if closed is None:
            return False
        job.notes.append(
            f"Every week within {closed.threshold:,.1f} of it listed ({closed.signatures:,} "
            f"choices): the bound is {stage.rest:,} ({closed.seconds:.1f} s)."
        )
        return True

    def _keep_if_better(self, counts: Counts, deadline: float) -> None:
        """Place a realised choice; keep it when it is whole and beats the best so far."""
        placed = place(self.prep, counts, deadline=deadline, threads=self.params.threads)
        objective = objective_of(self.prep, placed.lessons, self.weights)
        best = self._best
        if placed.conflicts or placed.dropped or (best is not None and objective >= best[1]):
            return
        self._best = placed.lessons, objective
        self.job.report(objective, self.stage.bound(0.0))

    def _realise(
        self, chosen: dict[str, Signature], deadline: float
    ) -> tuple[Counts | None, float] | None:
        """The master's best days for a choice of lessons per ALT and school and a bound of
        every timetable making that choice ((None, inf) when there is none); None when the
        search ends without either."""
        master, stage = self.model, self.stage
        model = master.model.clone()  # same variable indices, so the same handles
        for (a, s), z in master.z.items():
            lessons = dict(chosen.get(a, ())).get(s, 0)
            model.add(z == int(lessons > 0))
            if lessons:
                model.add(sum(self._of_pair[(a, s)]) == lessons)
        # A realisation fixes every ALT's schools and lessons: only days are left.
        seconds = min(self.bounds.closing_realise_seconds, deadline - time.monotonic())
        solver = self._solver(seconds)
        status = self.clock.run(solver, model)
        if status == cp_model.INFEASIBLE:
            return None, math.inf
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        counts = {v: k for v, n in master.lessons.items() if (k := solver.value(n)) > 0}
        return counts, stage.offset + solver.best_objective_bound

    # ---- the master's search and placement ---------------------------------------------------

    def search_and_place(self) -> Result:
        """The master's weighted search, then its counts placed into periods; a component
        that cannot be placed becomes a cut and the master is searched again."""
        job, clock = self.job, self.clock
        while True:
            seconds = self.deadline - self.reserve - clock.now()
            solver = self._solver(seconds, keep_hint=not self.stage.fixed)
            progress = _Progress(job, self.whole, self.stage.bound)
            # Ctrl-C stops this search (or skips it): the best timetable so far is placed.
            status = clock.run(solver, self.model.model, progress)
            found = self._found(solver, status)
            if found is None:
                if status == cp_model.INFEASIBLE and self.stage.fixed:
                    self._unfix()
                    continue
                return self._nothing_found(status)
            counts, master_objective = found
            # The master has every exact term and a lower bound of continuity,
            # so its bound is a bound of the whole problem.
            bound = self.stage.bound(solver.best_objective_bound)
            done = self._place(counts, master_objective, bound)
            if done is not None:
                return done

    def _found(
        self, solver: cp_model.CpSolver, status: cp_model.CpSolverStatus
    ) -> tuple[Counts, int] | None:
        """The master's counts and objective, or the first level's when nothing new came in
        time (unless cuts have since ruled it out); None without either."""
        if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            counts = {k: v for k, n in self.model.lessons.items() if (v := solver.value(n)) > 0}
            return counts, round(solver.value(self.whole))
        if status == cp_model.UNKNOWN and not self.cuts:
            return self.stage.fallback
        return None

    def _unfix(self) -> None:
        """The cuts removed every timetable at the first level's relaxed optimum: go on with
        the whole weighted objective (bounds stay valid, cuts only remove timetables that
        cannot be placed)."""
        self.model = build_master(self.prep, self.weights)
        for conflict in self.cuts:
            add_cut(self.model, conflict)
        self._hint(counts_of(self.job.start))
        self.whole = _weighted(self.model)
        self.stage = _Stage(self.whole, known_bound=self.known_bound)

    def _nothing_found(self, status: cp_model.CpSolverStatus) -> Result:
        job = self.job
        if status == cp_model.INFEASIBLE:  # only possible through a bug: all-zero is feasible
            return job.result("INFEASIBLE", [], None, None)
        job.notes.append("CP-SAT found no timetable in time; this is the greedy timetable.")
        return job.result("FEASIBLE", job.start, None, None)

    def _place(self, counts: Counts, master_objective: int, bound: float) -> Result | None:
        """Place the master's counts: the Result when they fit or time is out, else None
        after adding the conflicts as cuts and hinting the master below them."""
        job, clock, weights = self.job, self.clock, self.weights
        late = clock.now() >= self.deadline - self.reserve - 0.5
        out_of_time = interrupted() or late or clock.guarded()
        placement = place(
            self.prep,
            counts,
            repair=out_of_time,
            deadline=self.deadline if not clock.deterministic else None,
            effort=self.cfg.master_place_effort,
            threads=self.params.threads,
        )
        objective = master_objective + weights.continuity * placement.continuity
        if self.prep.replan is not None:  # changes count, as they do for the start
            objective = objective_of(self.prep, placement.lessons, weights)
        done = not placement.conflicts and not placement.dropped
        if not done and not out_of_time:
            for conflict in placement.conflicts:
                add_cut(self.model, conflict)
                self.cuts.append(conflict)
            self.model.model.clear_hints()
            below = {v: k - 1 for c in placement.conflicts for v, k in c}
            self._hint({**counts, **below})
            return None
        if self.cuts:
            job.notes.append(f"Period placement added {len(self.cuts)} cut(s) to the master.")
        if not done:
            job.notes.append(
                f"Out of time with {placement.dropped} lesson(s) that did not fit into "
                "periods; they are reported as unmet."
            )
            objective = objective_of(self.prep, placement.lessons, weights)
        lessons = placement.lessons
        # Placement conflicts (many with several schools a day) can use up the time and
        # leave lessons out: the greedy start is then the better timetable.
        if objective > (start_objective := objective_of(self.prep, job.start, weights)):
            job.notes.append(
                f"The search's timetable scored {objective}, worse than the greedy start; "
                "this is the greedy timetable."
            )
            lessons, objective = job.start, start_objective
        # Optimal only when the bound meets the objective, continuity included.
        final: Status = "OPTIMAL" if bound >= objective - 1e-6 else "FEASIBLE"
        return job.result(final, lessons, objective, bound)

    # ---- solvers and hints -------------------------------------------------------------------

    def _solver(
        self,
        seconds: float,
        pair: tuple[str, str] = ("max_lp", "core"),
        *,
        keep_hint: bool = True,
    ) -> cp_model.CpSolver:
        """A master solver of ``seconds`` (at least half a second)."""
        solver = new_solver(self.params, max(0.5, seconds), guard=self.clock.guard, log=True)
        # Without it presolve's dual reductions can make a feasible hint infeasible, and
        # CP-SAT then starts from nothing (a first solution far worse than the greedy). It
        # also weakens presolve, so it is off when the hint is infeasible anyway (the second
        # level starts from the greedy, which CP-SAT repairs).
        solver.parameters.keep_all_feasible_solutions_in_presolve = keep_hint
        workers = solver.parameters.num_workers
        if workers <= 2:
            # With two workers the default pair (no LP, light LP) neither finds good
            # timetables nor raises the bound; an LP-heavy worker and a core-based one do
            # both (docs/model.md).
            solver.parameters.subsolvers.extend(pair[:workers])
        return solver

    def complete_hint(self, counts: Counts) -> None:
        """Hint every variable of the master, auxiliaries included, with a known timetable.

        CP-SAT takes a complete feasible hint as its first solution; a partial one
        (decisions only) it may fail to complete on larger branches. The auxiliaries are
        completed by a one-worker solve with every decision fixed. Falls back to the partial
        hint."""
        master = self.model
        self._hint(counts)
        fixed = master.model.clone()
        for visit, n in master.lessons.items():
            k = counts.get(visit, 0)
            fixed.add(n == k)
            fixed.add(master.y[visit] == (k > 0))
        solver = new_solver(
            self.params,
            self.cfg.hint_seconds,
            workers=1,
            seed=DEFAULT_SEED,
            guard=self.clock.guard,
        )
        if self.clock.run(solver, fixed) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return
        size = len(master.model.proto.variables)
        self._hint_solution(list(solver.response_proto.solution)[:size])

    def _hint_solution(self, values: list[int]) -> None:
        """Hint every variable of the master with a solution's values."""
        model = self.model.model
        model.clear_hints()
        for index, value in enumerate(values):
            model.add_hint(model.get_int_var_from_proto_index(index), value)

    def _hint(self, counts: Counts) -> None:
        """Hint every decision variable with a known timetable (zeros elsewhere)."""
        master = self.model
        for visit, n in master.lessons.items():
            k = counts.get(visit, 0)
            master.model.add_hint(n, k)
            master.model.add_hint(master.y[visit], k > 0)
        # One pass over the visits, not one per (ALT, school) pair.
        taught = {(a, s) for (a, s, _d), k in counts.items() if k > 0}
        for pair, z in master.z.items():
            master.model.add_hint(z, pair in taught)
