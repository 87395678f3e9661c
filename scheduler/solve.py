"""solve(instance) -> Result: the whole pipeline; no solver object leaks out of here.

Default method ``cpsat``. A small branch: a greedy timetable hints the aggregated CP-SAT
master (visits and lesson counts) for half the time; its best solution is placed into
periods exactly, day by day (a component that cannot be placed becomes a cut and the master
is solved again), and region steps improve that timetable for the rest. A large branch: a
weekly plan, a greedy timetable following it, then region steps until the time limit.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal, NamedTuple

from ortools.sat.python import cp_model

from scheduler.bounds.closing import Closing
from scheduler.bounds.flow import VisitIndex, coverage_bound, objective_lower_bound
from scheduler.bounds.patterns import PatternBound, pattern_bound
from scheduler.bounds.week_bound import BackgroundBound
from scheduler.bounds.week_dp import Signature
from scheduler.budget import Budget
from scheduler.config import SolverParams, Weights
from scheduler.errors import InstanceError
from scheduler.instance import Instance
from scheduler.model.data import Prepared, prepare
from scheduler.model.diagnose import capacity_notes
from scheduler.model.interrupt import interrupted, interrupted_by, run, was_interrupted, watching
from scheduler.model.master import Master, add_cut, build_master, coverage_cuts
from scheduler.model.pins import Replan
from scheduler.model.placement import Counts, Visit, counts_of, place
from scheduler.replan.pins import pin_issues
from scheduler.replan.previous import Previous, with_changes
from scheduler.result import Lesson, Result, Status, lessons_frame
from scheduler.search.from_programme import timetable_from_programme
from scheduler.search.greedy import fill, greedy
from scheduler.search.regions import improve, objective_of
from scheduler.search.week_plan import flow_week
from scheduler.validate import check, score

Method = Literal["cpsat", "greedy", "naive"]
ProgressFn = Callable[[float, float, float], None]  # (seconds, objective, bound)


def solve(
    instance: Instance,
    weights: Weights | None = None,
    params: SolverParams | None = None,
    *,
    method: Method = "cpsat",
    on_progress: ProgressFn | None = None,
    on_notes: Callable[[list[str]], None] | None = None,
    budget: Budget | None = None,
    previous: Previous | None = None,
) -> Result:
    """Assign ALTs to classes and periods.

    Parameters
    ----------
    instance
        The branch.
    weights
        Objective weights; defaults from ``defaults.toml``.
    params
        Time limit, workers, seed.
    method
        ``cpsat`` (default), ``greedy`` (the constructive baseline, no search) or ``naive``
        (one boolean per ALT, class, day and period; for benchmarks only).
    on_progress
        Called with (seconds, objective, bound) for each better solution.
    on_notes
        Called, before the search starts, with count-level reasons why some need cannot be
        covered ("ALTs can give at most 340 lessons, schools need 410").
    budget
        The time limit of the whole command (:class:`scheduler.budget.Budget`): preparing
        the branch and the search end by its search deadline, leaving its reserve for what
        follows; the stages ``prepare``, ``plan`` (large branches), ``search`` and
        ``result`` are marked in it. Default: ``params.time_limit`` from now, no reserve.
    previous
        A previous timetable to stay close to (:mod:`scheduler.replan.previous`): the search
        starts from it and pays ``weights.changed_lesson`` per lesson it does not keep.

    Raises
    ------
    InstanceError
        When the instance's pins cannot be kept (:func:`scheduler.replan.pins.pin_issues`).
    """
    weights = weights or Weights.default()
    params = params or SolverParams.default()
    budget = budget or Budget(params.time_limit)
    if instance.pins and (problems := pin_issues(instance)):
        raise InstanceError(problems)
    # Ctrl-C from here on stops the search and keeps the best timetable found so far.
    with watching():
        result = _solve(instance, weights, params, method, on_progress, on_notes, budget, previous)
    if was_interrupted():
        note = (
            f"Stopped by {interrupted_by()} after {result.seconds:.1f} s: "
            "the best timetable found so far."
        )
        result = result.model_copy(update={"notes": (*result.notes, note)})
    elif (late := _late(budget)) > max(OVERRUN_SECONDS, OVERRUN_SHARE * budget.limit):
        # Steps that cannot be cut short (a region step's last solve, the bound's last
        # round, placing the master's counts) ended this long after the search's deadline.
        note = (
            f"The search ended {late:.1f} s after its deadline ({budget.limit:g} s limit): "
            "a step under way when the time ran out was not cut short."
        )
        result = result.model_copy(update={"notes": (*result.notes, note)})
    result = _checked(instance, weights, result)
    # Pins kept (said if not) and, on a re-plan, the changes (scheduler.replan.previous).
    result = with_changes(instance, weights, result, previous)
    budget.mark("result")
    return result


# A search ending later than this after its deadline (this share of the limit, or these
# seconds if more) says why.
OVERRUN_SHARE = 0.05
OVERRUN_SECONDS = 1.0


def _late(budget: Budget) -> float:
    """Seconds by which the search ran past its deadline (0 when there was none, or when it
    started after it: preparation's overrun is said on its own, :func:`_unsearched`)."""
    began = budget.started
    for stage, ended in budget.stages:
        if stage == "search":
            return max(0.0, ended - max(began, budget.search_deadline))
        began = ended
    return 0.0


def _checked(instance: Instance, weights: Weights, result: Result) -> Result:
    """The result as the independent validator sees it: a lesson that breaks a hard rule
    (a bug; none is known) is dropped and said so, never handed to the user.

    Every hard rule is an upper limit or a clash, so dropping lessons never breaks one:
    one lesson named by each violation goes, until the validator has nothing to say.
    """
    lessons = list(result.lessons)
    broken: list[str] = []
    # A pin not kept is a lesson missing, which no drop mends (with_changes says it).
    while violations := [v for v in check(instance, lessons_frame(lessons)) if v.rule != "pin"]:
        broken += [str(v) for v in violations]
        for v in violations:
            named = [i for i, ls in enumerate(lessons) if v.names(ls)]
            if named:
                del lessons[named[-1]]
            else:  # a violation naming no lesson: nothing is safe to keep
                lessons = []
    if not broken:
        return result
    dropped = len(result.lessons) - len(lessons)
    notes = [
        *result.notes,
        f"Internal error, please report: {dropped} lesson(s) broke a hard rule and were "
        f"dropped ({'; '.join(broken[:3])}).",
    ]
    return _result(
        instance,
        weights,
        "FEASIBLE",
        result.method,
        lessons,
        None,
        result.bound,
        time.monotonic() - result.seconds,
        notes,
        result.progress,
    )


def _solve(
    instance: Instance,
    weights: Weights,
    params: SolverParams,
    method: Method,
    on_progress: ProgressFn | None,
    on_notes: Callable[[list[str]], None] | None,
    budget: Budget,
    previous: Previous | None = None,
) -> Result:
    t0 = time.monotonic()
    prep = prepare(instance)
    if previous is not None:  # every model and the greedy start see it (scheduler.model.pins)
        prep.replan = Replan.of(prep, previous.lessons, weights)
    notes = capacity_notes(prep)
    if on_notes:
        on_notes(list(notes))
    start = greedy(prep)
    budget.mark("prepare")
    # Writing will be as slow as preparing was: a busy machine gets a larger reserve.
    budget.rescale()
    if method == "greedy":
        return _result(instance, weights, "FEASIBLE", "greedy", start, None, None, t0, notes, ())
    # Every path below counts its time from t0: its limit is what the budget leaves it.
    params = params.model_copy(update={"time_limit": max(EMPTY, budget.search_deadline - t0)})
    if method == "naive":
        # The straightforward ALT x class x day x period model, kept for the benchmarks.
        from scheduler.reference.naive import solve_naive

        status, lessons, objective, bound, trace = solve_naive(
            prep, weights, params, start, on_progress
        )
        return _result(
            instance, weights, status, "naive", lessons, objective, bound, t0, notes, trace
        )
    job = _Job(prep, weights, params, start, notes, t0, on_progress, budget)
    if _out_of_time(job):
        return _unsearched(job, start, None)
    large = len(prep.visits) > LARGE_BRANCH_VISITS
    searched = _solve_large(job) if large else _solve_small(job)
    budget.mark("search")
    return _filled(job, searched)


# The time limit of a path given no time (params must have a positive one); it returns at once.
EMPTY = 0.01


def _out_of_time(job: _Job) -> bool:
    """Whether the search's deadline has passed (preparation took the whole limit)."""
    return time.monotonic() >= job.budget.search_deadline


def _unsearched(job: _Job, lessons: list[Lesson], bound: float | None) -> Result:
    """The timetable built before any search, when preparing the branch leaves no time for
    one: returned at once, and said so."""
    budget = job.budget
    kept = f", {budget.reserve:.1f} s of it kept for the outputs" if budget.reserve else ""
    job.notes.append(
        "Preparing the branch (candidate visits, bounds, the greedy start) left no time for "
        f"a search ({budget.elapsed():.1f} s of the {budget.limit:g} s limit{kept}): this is "
        "the greedy timetable; a longer limit lets the search improve on it."
    )
    return _result(
        job.prep.instance, job.weights, "FEASIBLE", "cpsat", lessons, None, bound, job.t0,
        job.notes, (),
    )  # fmt: skip


def _filled(job: _Job, result: Result) -> Result:
    """The result with every unmet lesson that still fits added (:func:`greedy.fill`): a
    search stopped by its time limit can leave one that a free ALT could simply take."""
    if result.status == "OPTIMAL" or not result.lessons:
        return result
    prep, weights = job.prep, job.weights
    lessons = fill(prep, list(result.lessons), weights)
    added = len(lessons) - len(result.lessons)
    if added == 0:
        return result
    objective = objective_of(prep, lessons, weights)
    bound = result.bound
    status: Status = "OPTIMAL" if bound is not None and objective <= bound else "FEASIBLE"
    shown = bound if bound is not None else (result.progress[-1][2] if result.progress else 0.0)
    trace = [*result.progress, (time.monotonic() - job.t0, float(objective), float(shown))]
    if job.on_progress:
        job.on_progress(*trace[-1])
    notes = [*result.notes, f"{added} unmet lesson(s) that still fitted were added at the end."]
    return _result(
        prep.instance, weights, status, result.method, lessons, None, bound, job.t0, notes, trace
    )


class _Job(NamedTuple):
    """What every solve path starts from: the branch, the goals, the greedy start, the notes
    so far, the clock, where progress goes and the command's time budget."""

    prep: Prepared
    weights: Weights
    params: SolverParams
    start: list[Lesson]
    notes: list[str]
    t0: float
    on_progress: ProgressFn | None
    budget: Budget


class _Progress(cp_model.CpSolverSolutionCallback):
    """Reports each better solution as (seconds, whole weighted objective, valid bound),
    appending it to ``trace``: the solve's one trace, shared by its successive searches, so
    a search that starts worse than the last one ended (the second level from the greedy
    hint, a master solved again after cuts) reports nothing until it is better."""

    def __init__(
        self,
        t0: float,
        on_progress: ProgressFn | None,
        total: cp_model.LinearExprT,
        bound: Callable[[float], float],
        trace: list[tuple[float, float, float]],
    ) -> None:
        super().__init__()
        self.t0 = t0
        self.on_progress = on_progress
        self.total = total
        self.bound = bound
        self.trace = trace

    def on_solution_callback(self) -> None:
        objective = float(self.value(self.total))
        # CP-SAT improves the stage's own objective, which also counts a continuity floor:
        # a solution can be better there and worse here. Only better ones are reported.
        if self.trace and objective >= self.trace[-1][1]:
            return
        point = (time.monotonic() - self.t0, objective, self.bound(self.best_objective_bound))
        self.trace.append(point)
        if self.on_progress:
            self.on_progress(*point)


# The first priority level: solved first, then fixed at its proven optimum.
FIRST_LEVEL = ("unmet_lesson", "under_floor_lesson")


@dataclass
class _Stage:
    """How the master's own objective maps to the whole weighted objective.

    The master minimises ``objective``; the whole weighted objective of a solution is its
    value plus ``offset``, and ``cap`` is a valid lower bound of every timetable the stage
    excludes (solutions of the first level above its proven optimum), so the whole bound is
    ``min(offset + master bound, cap)``, or ``floor`` (a bound found without the master,
    :func:`scheduler.bounds.flow.objective_lower_bound`) when that is higher.
    """

    objective: cp_model.LinearExprT
    offset: int = 0
    cap: float = math.inf
    fallback: tuple[Counts, int] | None = None
    fixed: bool = False  # the first level is fixed at its optimum by a constraint
    floor: float = 0.0
    # A bound of the rest found beside the master (scheduler.bounds.patterns), valid for the
    # timetables at the first level's optimum, like the master's own.
    rest: float = 0.0

    def bound(self, master_bound: float) -> float:
        return max(self.floor, min(self.offset + max(master_bound, self.rest), self.cap))


def _solver(
    params: SolverParams,
    seconds: float,
    pair: tuple[str, str] = ("max_lp", "core"),
    *,
    keep_hint: bool = True,
) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.5, seconds)
    # 0 means every core; more threads than cores only slices the same time thinner.
    workers = params.threads
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = params.seed
    solver.parameters.log_search_progress = params.log
    # Without it presolve's dual reductions can make a feasible hint infeasible, and CP-SAT
    # then starts from nothing (measured at 30 ALTs: first solution 30x worse than greedy).
    # Measured: it also weakens presolve, so it is off when the hint is infeasible anyway
    # (the second level starts from the greedy, which CP-SAT repairs).
    solver.parameters.keep_all_feasible_solutions_in_presolve = keep_hint
    if workers <= 2:
        # Measured on the demo and generated branches (docs/model.md): with two workers
        # the default pair (no LP, light LP) neither finds good timetables nor raises the
        # bound; an LP-heavy worker and a core-based one do both.
        solver.parameters.subsolvers.extend(pair[:workers])
    return solver


def _weighted(
    master: Master, keys: tuple[str, ...] | None = None, *, floors: bool = False
) -> cp_model.LinearExprT:
    """Weighted sum of the master's exact terms (of ``keys`` only, when given), plus its
    lower-bound terms with ``floors``: those are what the master minimises."""
    items = [*master.terms.items(), *(master.term_bounds.items() if floors else ())]
    return sum(getattr(master.weights, k) * t for k, t in items if keys is None or k in keys)


def _first_level(
    master: Master,
    params: SolverParams,
    t0: float,
    trace: list[tuple[float, float, float]],
    on_progress: ProgressFn | None,
    floor: float,
) -> _Stage:
    """Solve the first priority level alone; when its optimum is proven, fix it and return
    the stage minimising the rest. Otherwise the stage is the whole weighted objective.
    ``floor`` is a valid bound of the whole objective known beforehand."""
    whole = _Stage(_weighted(master), floor=floor)
    keys = tuple(k for k in FIRST_LEVEL if k in master.terms)
    rest = tuple(k for k in [*master.terms, *master.term_bounds] if k not in FIRST_LEVEL)
    # A re-plan weighs changes against the first level too: no level is fixed before them.
    if not keys or not rest or master.prep.replan is not None:
        return whole
    first = _weighted(master, keys)
    master.model.minimize(first)
    # A small share of the time: the first level is easy when the hint is good.
    solver = _solver(
        params, 0.4 * (params.time_limit - (time.monotonic() - t0)), ("default_lp", "core")
    )
    progress = _Progress(t0, on_progress, whole.objective, lambda b: max(floor, b), trace)
    status = run(solver, master.model, progress)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        master.model.minimize(_weighted(master, floors=True))
        return whole
    counts = {v: k for v, n in master.lessons.items() if (k := solver.value(n)) > 0}
    fallback = (counts, round(solver.value(whole.objective)))
    if status != cp_model.OPTIMAL:
        # The weighted search goes on from the best first-level timetable, hinted whole.
        solution = list(solver.response_proto.solution)
        master.model.clear_hints()
        for index, value in enumerate(solution):
            master.model.add_hint(master.model.get_int_var_from_proto_index(index), value)
        master.model.minimize(_weighted(master, floors=True))
        return _Stage(whole.objective, fallback=fallback, floor=floor)
    best = round(solver.objective_value)
    values = {k: round(solver.value(master.terms[k])) for k in keys}
    # Timetables with a worse first level lose at least one step of its weights; a short
    # solve bounds them from below (the cap of the stage).
    step = math.gcd(*(getattr(master.weights, k) for k in keys))
    worse = master.model.clone()
    worse.add(first >= best + step)
    worse.minimize(_weighted(master, floors=True))
    probe = _solver(params, min(2.0, 0.05 * params.time_limit))
    probe_status = run(probe, worse)
    # Both are valid bounds of the excluded timetables (the other terms are never negative);
    # CP-SAT's bound stays valid even when the probe ends without a solution.
    cap = (
        math.inf
        if probe_status == cp_model.INFEASIBLE
        else max(best + step, probe.best_objective_bound)
    )
    master.model.add(first == best)
    if best == 0:
        coverage_cuts(
            master,
            all_given=values.get("unmet_lesson") == 0,
            floors_met=values.get("under_floor_lesson") == 0,
        )
    # The greedy hint stays: measured, the second level finds better timetables from it
    # (repaired by CP-SAT's first-solution search) than from the first level's timetable,
    # which is kept as the fallback should the second level find nothing in time.
    master.model.minimize(_weighted(master, rest, floors=True))
    return _Stage(
        _weighted(master, rest, floors=True),
        offset=best,
        cap=cap,
        fallback=fallback,
        fixed=True,
        floor=floor,
    )


# Most of the master's time left after the first level that the weekly-pattern bound may
# take; it stops as soon as it converges (the demo: 22-30 rounds, 5-9 s on two threads,
# at 2,830 inside a 30 s solve).
PATTERN_SHARE = 0.6


def _solve_cpsat(job: _Job, closing_until: float | None = None) -> Result:
    """The master path: first level, weekly patterns, closing the gap, the master's search
    and placement. ``closing_until`` lets closing the gap run past the master's own time (a
    caller with more time after it)."""
    prep, weights, params, start, notes, t0, on_progress, _budget = job
    instance = prep.instance
    master = build_master(prep, weights)
    _complete_hint(master, counts_of(start))
    trace: list[tuple[float, float, float]] = []
    # A re-plan's progress shows what its search weighs: the changes too, as its bound does.
    whole = _weighted(master, floors=prep.replan is not None)
    # Cheap and valid whatever the master proves: progress lines show a bound from the start.
    index = VisitIndex.of(prep)  # the visit capacities, shared by both bounds
    floor = objective_lower_bound(prep, weights, coverage_bound(prep, index), index)
    stage = _first_level(master, params, t0, trace, on_progress, floor)
    cuts: list[list[tuple[Visit, int]]] = []
    deadline = t0 + params.time_limit
    # Placement gets its share of the time limit: the master stops early enough for it.
    reserve = min(3.0, 0.1 * params.time_limit)
    if stage.fixed and stage.offset == 0 and all(k in master.terms for k in FIRST_LEVEL):
        # Every lesson given and every floor met: whole weeks bound the rest far better
        # than the master's relaxation (docs/model.md, "Weekly patterns").
        starts = [counts_of(start)] + ([stage.fallback[0]] if stage.fallback else [])
        left = deadline - reserve - time.monotonic()
        weeks = pattern_bound(
            prep, weights, time.monotonic() + PATTERN_SHARE * left, starts, params.threads
        )
        if weeks is not None:
            stage.rest = weeks.value
            notes.append(
                f"Weekly patterns bound the objective by {weeks.value:,} "
                f"({weeks.rounds} rounds, {weeks.weeks} weeks, "
                f"{'converged' if weeks.converged else 'stopped by the time limit'})."
            )
            closing = time.monotonic() + CLOSING_SHARE * (deadline - reserve - time.monotonic())
            closing = max(closing, closing_until or closing)
            closed = _close(job, master, stage, weeks, closing, trace)
            if closed is not None:
                lessons, objective = closed
                if objective <= stage.bound(0.0):
                    return _result(
                        instance,
                        weights,
                        "OPTIMAL",
                        "cpsat",
                        lessons,
                        objective,
                        stage.bound(0.0),
                        t0,
                        notes,
                        trace,
                    )
                # The master's search goes on from it (a complete hint it takes as its first
                # solution), with the weeks' bound raised.
                master.model.clear_hints()
                _complete_hint(master, counts_of(lessons))
    while True:
        solver = _solver(params, deadline - reserve - time.monotonic(), keep_hint=not stage.fixed)
        progress = _Progress(t0, on_progress, whole, stage.bound, trace)
        # Ctrl-C stops this search (or skips it): the best timetable so far is placed.
        status = run(solver, master.model, progress)
        found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        # Nothing new in time: the first level's timetable, unless cuts have since ruled it out.
        fallback = stage.fallback if status == cp_model.UNKNOWN and not cuts else None
        if found:
            counts = {k: v for k, n in master.lessons.items() if (v := solver.value(n)) > 0}
            master_objective = round(solver.value(whole))
        elif fallback is not None:
            counts, master_objective = fallback
        elif status == cp_model.INFEASIBLE and stage.fixed:
            # The cuts removed every timetable at the first level's relaxed optimum: go on
            # with the whole weighted objective (bounds stay valid, cuts only remove
            # timetables that cannot be placed).
            master = build_master(prep, weights)
            for conflict in cuts:
                add_cut(master, conflict)
            _hint(master, counts_of(start))
            whole = _weighted(master)
            stage = _Stage(whole, floor=floor)
            continue
        if not found and fallback is None:
            if status == cp_model.INFEASIBLE:  # only possible through a bug: all-zero is feasible
                return _result(
                    instance, weights, "INFEASIBLE", "cpsat", [], None, None, t0, notes, trace
                )
            notes.append("CP-SAT found no timetable in time; this is the greedy timetable.")
            return _result(
                instance, weights, "FEASIBLE", "cpsat", start, None, None, t0, notes, trace
            )
        # The master has every exact term and a lower bound of continuity (its floor), so
        # its bound is a bound of the whole problem.
        bound = stage.bound(solver.best_objective_bound)
        out_of_time = interrupted() or deadline - time.monotonic() < reserve + 0.5
        placement = place(
            prep, counts, repair=out_of_time, deadline=deadline, threads=params.threads
        )
        objective = master_objective + weights.continuity * placement.continuity
        if prep.replan is not None:  # changes count, as they do for the start it is weighed with
            objective = objective_of(prep, placement.lessons, weights)
        done = not placement.conflicts and not placement.dropped
        if done or out_of_time:
            if cuts:
                notes.append(f"Period placement added {len(cuts)} cut(s) to the master.")
            if not done:
                notes.append(
                    f"Out of time with {placement.dropped} lesson(s) that did not fit into "
                    "periods; they are reported as unmet."
                )
                objective = objective_of(prep, placement.lessons, weights)
            lessons = placement.lessons
            # Placement conflicts (many with several schools a day) can use up the time and
            # leave lessons out: the greedy start is then the better timetable.
            if objective > (start_objective := objective_of(prep, start, weights)):
                notes.append(
                    f"The search's timetable scored {objective}, worse than the greedy start; "
                    "this is the greedy timetable."
                )
                lessons, objective = start, start_objective
            # Optimal only when the bound meets the objective, continuity included.
            final: Status = "OPTIMAL" if bound >= objective - 1e-6 else "FEASIBLE"
            return _result(
                instance, weights, final, "cpsat", lessons, objective, bound, t0, notes, trace
            )
        for conflict in placement.conflicts:
            add_cut(master, conflict)
            cuts.append(conflict)
        master.model.clear_hints()
        _hint(master, {**counts, **{v: k - 1 for c in placement.conflicts for v, k in c}})


# Share of the master's time left after the weekly-pattern bound that closing the gap may take
# (it stops as soon as it proves the optimum or has nothing more to list).
CLOSING_SHARE = 0.9
# The first listing covers the timetables within this share of the bound: the gap a run is
# asked to reach (issue 2: 1 %). A second one, up to the best timetable found, then proves it
# optimal when that is at most this many times as long.
CLOSING_GAP = 0.01
CLOSING_GROWTH = 3.0
# Choices of one listing realised at most (each a short master solve and a placement).
CLOSING_CHOICES = 20


def _close(
    job: _Job,
    master: Master,
    stage: _Stage,
    weeks: PatternBound,
    deadline: float,
    trace: list[tuple[float, float, float]],
) -> tuple[list[Lesson], int] | None:
    """Close the gap above the weekly-pattern bound (:mod:`scheduler.bounds.closing`): raise
    ``stage.rest`` to what the listings prove and return the best timetable they realise
    (placed into periods), or None.

    The relaxation's best choice may have no timetable (its days are left out) or cost more
    than it says: each realised choice is excluded with the master's bound of its days and
    the next one solved. Measured on the demo: the first listing (within 1 %) proves 2,858
    and realises 2,863 on its second choice; the second listing proves 2,863, optimal."""
    prep, weights, params, _start, notes, t0, on_progress, _budget = job
    last = weeks.last
    if last is None or not weeks.converged:
        return None
    threshold = CLOSING_GAP * max(1.0, last.lagrangian)
    best: tuple[list[Lesson], int] | None = None
    known: list[tuple[dict[str, Signature], float]] = []  # realised choices, their bounds
    of_pair: dict[tuple[str, str], list[cp_model.IntVar]] = {}  # lessons per ALT-school pair
    for (a, s, _d), n in master.lessons.items():
        of_pair.setdefault((a, s), []).append(n)
    while time.monotonic() < deadline and not interrupted():
        closing = Closing.listed(prep, weights, last, threshold, deadline)
        if closing is None:
            break
        for chosen, lower in known:
            closing.exclude(chosen, lower)
        closed = None
        for _choice in range(CLOSING_CHOICES):
            closed = closing.solve(deadline, params.threads, best[1] if best else math.inf)
            stage.rest = max(stage.rest, closed.bound)
            if closed.chosen is None or (
                best is not None and (best[1] <= stage.rest or closed.limited)
            ):
                break
            realised = _realise(master, of_pair, stage, closed.chosen, params, deadline)
            if realised is None:  # out of time
                break
            counts, lower = realised
            known.append((closed.chosen, lower))
            closing.exclude(closed.chosen, lower)
            if counts is None:
                continue
            placed = place(prep, counts, deadline=deadline, threads=params.threads)
            objective = objective_of(prep, placed.lessons, weights)
            if placed.conflicts or placed.dropped or (best is not None and objective >= best[1]):
                continue
            best = placed.lessons, objective
            point = (time.monotonic() - t0, float(objective), stage.bound(0.0))
            trace.append(point)
            if on_progress:
                on_progress(*point)
        if closed is not None:
            notes.append(
                f"Every week within {closed.threshold:,.1f} of it listed ({closed.signatures:,} "
                f"choices): the bound is {stage.rest:,} ({closed.seconds:.1f} s)."
            )
        if best is None or best[1] <= stage.rest:
            break
        # Listing up to the least cost known possible (the best timetable, or the bound of a
        # realised choice whose periods came out dearer: continuity above its floor) proves
        # it, or finds a cheaper choice.
        known_least = min([best[1], *(lower for _c, lower in known)])
        wanted = known_least - 1 - last.lagrangian + 0.01
        if wanted <= threshold or wanted > CLOSING_GROWTH * threshold:
            break
        threshold = wanted
    return best


def _realise(
    master: Master,
    of_pair: dict[tuple[str, str], list[cp_model.IntVar]],
    stage: _Stage,
    chosen: dict[str, Signature],
    params: SolverParams,
    deadline: float,
) -> tuple[Counts | None, float] | None:
    """The master's best days for a choice of lessons per ALT and school (``of_pair``: the
    master's lesson variables of each pair) and a bound of every timetable making that
    choice ((None, inf) when there is none); None when the search ends without either."""
    model = master.model.clone()  # same variable indices, so the same handles
    for (a, s), z in master.z.items():
        lessons = dict(chosen.get(a, ())).get(s, 0)
        model.add(z == int(lessons > 0))
        if lessons:
            model.add(sum(of_pair[(a, s)]) == lessons)
    solver = _solver(params, min(REALISE_SECONDS, deadline - time.monotonic()))
    status = run(solver, model)
    if status == cp_model.INFEASIBLE:
        return None, math.inf
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    counts = {v: k for v, n in master.lessons.items() if (k := solver.value(n)) > 0}
    return counts, stage.offset + solver.best_objective_bound


# A realisation fixes every ALT's schools and lessons: only days are left (the demo: 0.1 s).
REALISE_SECONDS = 5.0


def _complete_hint(master: Master, counts: Counts) -> None:
    """Hint every variable of the master, auxiliaries included, with a known timetable.

    CP-SAT takes a complete feasible hint as its first solution; a partial one (decisions
    only) it may fail to complete on larger branches (measured at 30 ALTs: the first
    solution came after 4.6 s and was 30 times worse than the greedy). The auxiliaries are
    completed by a one-worker solve with every decision fixed. Falls back to the partial hint.
    """
    _hint(master, counts)
    fixed = master.model.clone()
    for visit, n in master.lessons.items():
        k = counts.get(visit, 0)
        fixed.add(n == k)
        fixed.add(master.y[visit] == (k > 0))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.max_time_in_seconds = 5.0
    if run(solver, fixed) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return
    size = len(master.model.proto.variables)
    values = list(solver.response_proto.solution)[:size]
    master.model.clear_hints()
    for index, value in enumerate(values):
        master.model.add_hint(master.model.get_int_var_from_proto_index(index), value)


def _hint(master: Master, counts: Counts) -> None:
    """Hint every decision variable with a known timetable (zeros elsewhere)."""
    for visit, n in master.lessons.items():
        k = counts.get(visit, 0)
        master.model.add_hint(n, k)
        master.model.add_hint(master.y[visit], k > 0)
    # One pass over the visits, not one per (ALT, school) pair.
    taught = {(a, s) for (a, s, _d), k in counts.items() if k > 0}
    for pair, z in master.z.items():
        master.model.add_hint(z, pair in taught)


def _result(
    instance: Instance,
    weights: Weights,
    status: Status,
    method: str,
    lessons: list[Lesson],
    objective: int | None,
    bound: float | None,
    t0: float,
    notes: list[str],
    trace: tuple[tuple[float, float, float], ...] | list[tuple[float, float, float]],
) -> Result:
    """Turn a timetable into a Result; the penalty breakdown comes from the validator's score."""
    scored = score(instance, lessons_frame(lessons), weights)
    return Result(
        status=status,
        method=method,
        objective=scored.objective if objective is None else objective,
        bound=bound,
        seconds=round(time.monotonic() - t0, 3),
        lessons=tuple(sorted(lessons, key=Lesson.sort_key)),
        penalties={k: getattr(weights, k) * v for k, v in scored.terms.items()},
        weights=weights.model_dump(),
        notes=tuple(notes),
        progress=tuple(trace),
    )


# Share of the time the master gets on a small branch; region steps have the rest.
MASTER_SHARE = 0.5
# Share of the time by which closing the gap ends on a small branch.
CLOSING_UNTIL = 0.7


def _solve_small(job: _Job) -> Result:
    """A small branch: the master for half the time (its bound, and the optimum it proves
    on small branches), then region steps from its timetable.

    The master's own search improves slowly after its first seconds (CP-SAT's generic
    neighbourhoods on one thread); region steps, which free a few schools and their ALTs at
    a time, go on from its timetable faster. Measured (30 s, 2 workers, solver seed 4):
    the demo 2,867 against 3,159 for the master alone, ``generate(10, 1)`` 2,775 against
    3,163, ``generate(10, 2)`` 2,645 against 2,854, with the same bound (docs/model.md).
    With several schools a day the master's counts often do not fit into periods as well,
    and region steps drop what does not fit: the demo with two schools a day 2,913 against
    12,935 for the master alone (one lesson unmet).
    """
    prep, weights, params, _start, _notes, t0, on_progress, _budget = job
    share = params.model_copy(update={"time_limit": params.time_limit * MASTER_SHARE})
    # Closing the gap may take most of the region steps' time too: it proves the optimum or
    # hands them a better timetable (the demo: seeds 5 and 7 of 12 ran out at 15 s).
    first = _solve_cpsat(job._replace(params=share), t0 + CLOSING_UNTIL * params.time_limit)
    if first.status == "OPTIMAL" or interrupted():
        return first
    index = VisitIndex.of(prep)
    # The master's bound already counts the cheap one; it has none only when it found nothing.
    bound = first.bound
    if bound is None:
        bound = float(objective_lower_bound(prep, weights, coverage_bound(prep, index), index))
    trace = list(first.progress)

    def report(seconds: float, objective: float, _bound: float) -> None:
        if trace and objective >= trace[-1][1]:
            return  # the search's start is the master's timetable: already reported
        trace.append((seconds, objective, bound))
        if on_progress:
            on_progress(seconds, objective, bound)

    lessons, objective, steps = improve(
        prep,
        weights,
        params,
        list(first.lessons),
        t0 + params.time_limit,
        t0,
        report,
        plan=flow_week(index, weights),
    )
    more = [
        *first.notes,
        f"After the master: {steps} improving region steps.",
    ]
    status: Status = "OPTIMAL" if objective <= bound else "FEASIBLE"
    return _result(
        prep.instance, weights, status, "cpsat", lessons, objective, bound, t0, more, trace
    )


# ---- large branches -------------------------------------------------------------------------
# The large path's bounds, flow plan and planned start take about this many times as long as
# preparing the branch (CPU seconds at 250 ALTs: 4.6 against 1.6; at 120 ALTs 1.75 against
# 0.6): docs/model.md, "The time limit".
PLAN_PER_PREPARE = 3.0
# The search starts again from the programme's pairs only with at least this share of the
# time limit left (the region search covers what that timetable leaves short in seconds,
# then improves it: docs/model.md, "Starting from the programme").
REALISE_LEFT = 0.2
# Above this many candidate visits (about 20 ALTs in a generated city) one master is slow to
# build and its search stalls; the region LNS improves the greedy timetable instead.
LARGE_BRANCH_VISITS = 2_500


def _one_school_a_day(prep: Prepared) -> Prepared:
    """The same candidates under ``max_schools_per_day`` 1 (a stricter rule, so every
    timetable of it is valid for the branch)."""
    inst = prep.instance
    one = inst.settings.model_copy(update={"max_schools_per_day": 1})
    return replace(prep, instance=inst.model_copy(update={"settings": one}))


def _solve_large(job: _Job) -> Result:
    """Greedy start, then large-neighbourhood search by region until the time limit."""
    prep, weights, params, start, notes, t0, on_progress, budget = job
    # The bounds and the plan cannot be cut short: not begun when they would end past the
    # deadline (on a busy machine too, since preparing took as long).
    if budget.search_seconds() < PLAN_PER_PREPARE * dict(budget.split()).get("prepare", 0.0):
        budget.mark("plan")
        return _unsearched(job, start, None)

    instance = prep.instance
    index = VisitIndex.of(prep)  # the visit capacities, shared by the bounds and the plan
    covered = coverage_bound(prep, index)
    bound = objective_lower_bound(prep, weights, covered, index)
    need = instance.need()
    notes.append(
        f"No timetable can give more than {covered} of the {need} lessons (a maximum-flow bound)."
        if covered < need
        else f"All {need} lessons can be given (a maximum-flow bound)."
    )
    trace: list[tuple[float, float, float]] = []
    if _out_of_time(job):  # the plan would only add to the overrun (2.5 s at 250 ALTs)
        budget.mark("plan")
        return _unsearched(job, start, float(bound))

    # Who teaches where for the week, planned over the whole branch: the search starts from
    # a greedy pass that follows it, and steps that free the schools and ALTs between the
    # timetable and this plan move ALTs across the city.
    plan = flow_week(index, weights)
    # With several schools a day the region steps lose (docs/model.md: counts that do not fit
    # into periods, split days, continuity): the search keeps to one school a day, whose
    # timetables are valid here too, and the final fill pass (_filled) adds what a second
    # school a day still gives. The bound above stays the branch's own.
    search = _one_school_a_day(prep) if prep.settings.max_schools_per_day > 1 else prep
    starts = [start] if search is prep else [greedy(search)]
    start = min([*starts, greedy(search, plan)], key=lambda ls: objective_of(prep, ls, weights))
    budget.mark("plan")
    if _out_of_time(job):
        best = min(start, job.start, key=lambda ls: objective_of(prep, ls, weights))
        return _unsearched(job, best, float(bound))
    # The bound of weeks that forget their days, on a thread beside the search: it lifts the
    # cheap bound by ~10 % at 120 ALTs once it converges (docs/model.md).
    background = BackgroundBound(prep, weights, t0 + params.time_limit, [start], bound, index)

    def report(seconds: float, objective: float, _bound: float) -> None:
        now = float(background.value)
        trace.append((seconds, objective, now))
        if on_progress:
            on_progress(seconds, objective, now)

    handed: list[float] = []  # when the search first took the programme's plan

    def replan() -> dict[tuple[str, str], int] | None:
        better = background.plan
        if better is not None and not handed:
            handed.append(time.monotonic() - t0)
        return better

    realised: list[str] = []  # what became of the timetable from the programme

    def restart() -> list[Lesson] | None:
        # Once the programme has converged, and while enough time is left for the search to
        # cover what it leaves short, a timetable built from its pairs replaces the search's
        # (docs/model.md, "Starting from the programme").
        weeks = background.result
        if realised or weeks is None or weeks.support is None:
            return None
        if instance.pins or prep.replan is not None:
            return None  # a timetable from the programme's pairs knows no pins or changes
        began = time.monotonic()
        left = t0 + params.time_limit - began
        if left < REALISE_LEFT * params.time_limit:
            realised.append(
                f"The programme converged {began - t0:.1f} s into the run, too late to start"
                " again from its pairs."
            )
            return None
        fresh = timetable_from_programme(
            search, weights, params, weeks.support, t0 + params.time_limit
        )
        short = instance.need() - len(fresh)
        realised.append(
            f"Started again at {began - t0:.1f} s from the programme's pairs: a timetable"
            f" built in {time.monotonic() - began:.1f} s, {short} lessons short, objective"
            f" {objective_of(prep, fresh, weights):,}."
        )
        return fresh

    try:
        # Once the bound converges, its programme's pairs replace the flow plan: fewer
        # pairs, closer to the bound (docs/model.md, "The programme's plan").
        lessons, objective, steps = improve(
            search,
            weights,
            params,
            start,
            t0 + params.time_limit,
            t0,
            report,
            plan=plan,
            replan=replan,
            restart=restart,
            # Until the programme converges the search's work is insurance: one lane, and
            # the other core to the programme (docs/model.md, "Starting from the programme").
            pending=lambda: not realised and background.running,
        )
    finally:
        weeks = background.finish()
    notes += realised
    if weeks is not None and weeks.value > bound:
        state = "converged" if weeks.converged else "not converged"
        if weeks.plan is not None and handed:
            state += (
                f"; the plan steps followed its {len(weeks.plan)} ALT-school pairs from"
                f" {handed[0]:.1f} s (the flow plan's {len(plan)})"
            )
        notes.append(
            f"Bound from weeks without their days: {weeks.value} (the cheap bound {bound}),"
            f" {weeks.rounds} rounds in {weeks.seconds:.1f} s, {state}."
        )
    elif weeks is not None:
        notes.append(
            f"The bound from weeks without their days stopped below the cheap bound {bound}"
            f" after {weeks.rounds} rounds in {weeks.seconds:.1f} s; the cheap bound stands."
        )
    if weeks is not None and weeks.cold:
        # Slower, not wrong: every round's bound is still valid (docs/model.md).
        notes.append(f"The bound's LP process failed and ran in MathOpt: {weeks.cold}.")
    bound = max(bound, background.value)
    if search is not prep and (plain := objective_of(prep, job.start, weights)) < objective:
        lessons, objective = job.start, plain
    notes.append(f"Large branch: {steps} improving region steps after the greedy start.")
    status: Status = "OPTIMAL" if objective <= bound else "FEASIBLE"
    return _result(
        instance, weights, status, "cpsat", lessons, objective, float(bound), t0, notes, trace
    )
