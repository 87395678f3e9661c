"""solve(instance) -> Result: the whole pipeline; no solver object leaks out of here.

Default method ``cpsat``: a greedy timetable hints the aggregated CP-SAT master (visits and
lesson counts); its best solution is placed into periods exactly, day by day; a component
that cannot be placed becomes a cut and the master is solved again with the time left.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from typing import Literal

from ortools.sat.python import cp_model

from scheduler.config import SolverParams, Weights
from scheduler.instance import Instance
from scheduler.model.data import Prepared, prepare
from scheduler.model.diagnose import capacity_notes
from scheduler.model.greedy import greedy
from scheduler.model.master import Master, add_cut, build_master
from scheduler.model.placement import Counts, place
from scheduler.result import Lesson, Result, Status, lessons_frame
from scheduler.validate import score

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
    """
    weights = weights or Weights.default()
    params = params or SolverParams.default()
    t0 = time.monotonic()
    prep = prepare(instance)
    notes = capacity_notes(prep)
    if on_notes:
        on_notes(list(notes))
    start = greedy(prep)
    if method == "greedy":
        return _result(instance, weights, "FEASIBLE", "greedy", start, None, None, t0, notes, ())
    if method == "naive":
        # The straightforward ALT x class x day x period model, kept for the benchmarks.
        from scheduler.model.naive import solve_naive

        status, lessons, objective, bound, trace = solve_naive(
            prep, weights, params, start, on_progress
        )
        return _result(
            instance, weights, status, "naive", lessons, objective, bound, t0, notes, trace
        )
    return _solve_cpsat(prep, weights, params, start, notes, t0, on_progress)


class _Progress(cp_model.CpSolverSolutionCallback):
    def __init__(self, t0: float, on_progress: ProgressFn | None) -> None:
        super().__init__()
        self.t0 = t0
        self.on_progress = on_progress
        self.trace: list[tuple[float, float, float]] = []

    def on_solution_callback(self) -> None:
        point = (time.monotonic() - self.t0, self.objective_value, self.best_objective_bound)
        self.trace.append(point)
        if self.on_progress:
            self.on_progress(*point)


def _solve_cpsat(
    prep: Prepared,
    weights: Weights,
    params: SolverParams,
    start: list[Lesson],
    notes: list[str],
    t0: float,
    on_progress: ProgressFn | None,
) -> Result:
    instance = prep.instance
    master = build_master(prep, weights)
    _hint(master, _counts_of(start))
    trace: list[tuple[float, float, float]] = []
    cuts = 0
    while True:
        left = params.time_limit - (time.monotonic() - t0)
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.5, left)
        solver.parameters.num_workers = params.workers or 8
        solver.parameters.random_seed = params.seed
        solver.parameters.log_search_progress = params.log
        # Ctrl-C stops the search and keeps the best timetable found so far.
        solver.parameters.catch_sigint_signal = True
        progress = _Progress(t0, on_progress)
        interrupted = False
        try:
            status = solver.solve(master.model, progress)
        except KeyboardInterrupt:  # pragma: no cover - depends on signal timing
            interrupted = True
            status = cp_model.UNKNOWN
        trace += progress.trace
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            if status == cp_model.INFEASIBLE:  # only possible through a bug: all-zero is feasible
                return _result(
                    instance, weights, "INFEASIBLE", "cpsat", [], None, None, t0, notes, trace
                )
            notes.append("CP-SAT found no timetable in time; this is the greedy timetable.")
            return _result(
                instance, weights, "FEASIBLE", "cpsat", start, None, None, t0, notes, trace
            )
        counts = {k: v for k, n in master.lessons.items() if (v := solver.value(n)) > 0}
        master_objective = round(solver.objective_value)
        bound = solver.best_objective_bound
        out_of_time = interrupted or params.time_limit - (time.monotonic() - t0) < 0.5
        placement = place(prep, counts, repair=out_of_time)
        objective = master_objective + weights.continuity * placement.continuity
        if not placement.conflicts and not placement.dropped:
            final: Status = "OPTIMAL" if status == cp_model.OPTIMAL else "FEASIBLE"
            if cuts:
                notes.append(f"Period placement added {cuts} cut(s) to the master.")
            return _result(
                instance,
                weights,
                final,
                "cpsat",
                placement.lessons,
                objective,
                bound,
                t0,
                notes,
                trace,
            )
        if out_of_time:
            notes.append(
                f"Out of time with {placement.dropped} lesson(s) that did not fit into "
                "periods; they are reported as unmet."
            )
            return _result(
                instance,
                weights,
                "FEASIBLE",
                "cpsat",
                placement.lessons,
                None,
                bound,
                t0,
                notes,
                trace,
            )
        for conflict in placement.conflicts:
            add_cut(master, conflict)
            cuts += 1
        master.model.clear_hints()
        _hint(master, {**counts, **{v: k - 1 for c in placement.conflicts for v, k in c}})


def _counts_of(lessons: list[Lesson]) -> Counts:
    return dict(Counter((ls.alt_id, ls.school_id, ls.day) for ls in lessons))


def _hint(master: Master, counts: Counts) -> None:
    """Hint every decision variable with a known timetable (zeros elsewhere)."""
    for visit, n in master.lessons.items():
        k = counts.get(visit, 0)
        master.model.add_hint(n, k)
        master.model.add_hint(master.y[visit], k > 0)
    for (a, s), z in master.z.items():
        master.model.add_hint(
            z, any(k > 0 for (aa, ss, _d), k in counts.items() if (aa, ss) == (a, s))
        )


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
