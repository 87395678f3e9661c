"""What every search path starts from (:class:`Job`), the clock it keeps (:class:`Clock`),
and how a timetable becomes a :class:`~scheduler.result.Result` (:func:`result_of`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model, cp_model_helper

from scheduler.budget import Budget
from scheduler.config import Settings, SolverParams, Weights
from scheduler.instance import Instance
from scheduler.model.cpsat import work_done
from scheduler.model.data import Prepared
from scheduler.model.interrupt import run
from scheduler.result import Lesson, Result, Status, lessons_frame
from scheduler.validate import score

ProgressFn = Callable[[float, float, float], None]  # (seconds, objective, bound)
Trace = list[tuple[float, float, float]]


class Clock:
    """The search's time: wall seconds, or in deterministic mode work units.

    In wall mode :meth:`now` is :func:`time.monotonic`. In deterministic mode it is ``t0``
    plus the work charged so far (:meth:`charge`: CP-SAT's deterministic time of each
    search, a region step's whole allotment), so every decision taken against it (a stage's
    share, when the search ends) is the same on every run; ``limit`` is then the time
    limit times ``work_per_second``. ``guard`` (a :func:`time.monotonic` time) is the wall
    deadline, which in deterministic mode only stops a run that outlasts it.
    """

    def __init__(self, deterministic: bool, t0: float, limit: float, guard: float) -> None:
        self.deterministic = deterministic
        self.t0 = t0
        self.limit = limit
        self.guard = guard
        self.spent = 0.0
        self._lock = threading.Lock()

    @property
    def deadline(self) -> float:
        """When the search ends, on this clock."""
        return self.t0 + self.limit

    def now(self) -> float:
        """The time on this clock."""
        if self.deterministic:
            return self.t0 + self.spent
        return time.monotonic()

    def left(self) -> float:
        """Seconds (or work units) left before the deadline."""
        return self.deadline - self.now()

    def over(self, margin: float = 0.0) -> bool:
        """Whether the deadline (less ``margin``) has passed, or the wall guard."""
        return self.now() >= self.deadline - margin or self.guarded()

    def guarded(self) -> bool:
        """Whether the wall guard has passed (in wall mode: the deadline)."""
        return time.monotonic() >= self.guard

    def charge(self, work: float) -> None:
        """Count ``work`` units done (deterministic mode only)."""
        if self.deterministic:
            with self._lock:
                self.spent += work

    def wall_deadline(self) -> float | None:
        """A wall deadline for steps limited otherwise (placements): the deadline in wall
        mode, none in deterministic mode (their work limit holds)."""
        return None if self.deterministic else self.deadline

    def run(
        self,
        solver: cp_model.CpSolver,
        model: cp_model.CpModel,
        callback: cp_model.CpSolverSolutionCallback | None = None,
    ) -> cp_model_helper.CpSolverStatus:
        """:func:`scheduler.model.interrupt.run`, charging the search's work."""
        status = run(solver, model, callback)
        self.charge(work_done(solver))
        return status


@dataclass
class Job:
    """What every solve path starts from: the branch, the goals, the settings, the greedy
    start, the notes so far, the clock, where progress goes and the command's time budget."""

    prep: Prepared
    weights: Weights
    params: SolverParams
    settings: Settings
    start: list[Lesson]
    notes: list[str]
    t0: float
    clock: Clock
    budget: Budget
    on_progress: ProgressFn | None = None
    trace: Trace = field(default_factory=list)

    def report(self, objective: float, bound: float) -> None:
        """Record a better timetable (seconds from the start) and pass it on."""
        point = (time.monotonic() - self.t0, float(objective), float(bound))
        self.trace.append(point)
        if self.on_progress:
            self.on_progress(*point)

    def out_of_time(self) -> bool:
        """Whether the search's wall deadline has passed (preparation took the whole limit)."""
        return time.monotonic() >= self.budget.search_deadline

    def unsearched(self, lessons: list[Lesson], bound: float | None) -> Result:
        """The timetable built before any search, when preparing the branch leaves no time
        for one: returned at once, and said so."""
        budget = self.budget
        kept = f", {budget.reserve:.1f} s of it kept for the outputs" if budget.reserve else ""
        self.notes.append(
            "Preparing the branch (candidate visits, bounds, the greedy start) left no time "
            f"for a search ({budget.elapsed():.1f} s of the {budget.limit:g} s limit{kept}): "
            "this is the greedy timetable; a longer limit lets the search improve on it."
        )
        return result_of(
            self.prep.instance, self.weights, "FEASIBLE", "cpsat", lessons, None, bound,
            self.t0, self.notes, (),
        )  # fmt: skip

    def result(
        self,
        status: Status,
        lessons: list[Lesson],
        objective: int | None,
        bound: float | None,
        notes: list[str] | None = None,
    ) -> Result:
        """The Result of this job's timetable (:func:`result_of`)."""
        return result_of(
            self.prep.instance,
            self.weights,
            status,
            "cpsat",
            lessons,
            objective,
            bound,
            self.t0,
            self.notes if notes is None else notes,
            self.trace,
        )


def result_of(
    instance: Instance,
    weights: Weights,
    status: Status,
    method: str,
    lessons: list[Lesson],
    objective: int | None,
    bound: float | None,
    t0: float,
    notes: list[str],
    trace: tuple[tuple[float, float, float], ...] | Trace,
) -> Result:
    """Turn a timetable into a Result; the penalty breakdown comes from the validator's score
    (and the objective too when ``objective`` is None)."""
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
