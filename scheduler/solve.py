"""solve(instance) -> Result: picks a path and builds the Result; no solver object leaks out.

Method ``cpsat`` (default): a branch with at most ``large_branch_visits`` candidate visits
takes the small path (:class:`scheduler.search.small.SmallSearch`: the aggregated CP-SAT
master, then region steps), a larger one the large path
(:class:`scheduler.search.large.LargeSearch`: a weekly plan, a greedy start following it,
region steps). Method ``greedy`` is the constructive start alone. Whatever the path, the
timetable gets the unmet lessons that still fit (:func:`scheduler.search.greedy.fill`) and
is checked by the independent validator before it is returned.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

from scheduler.budget import Budget
from scheduler.config import Settings, SolverParams, Weights
from scheduler.errors import InstanceError
from scheduler.instance import Instance
from scheduler.model.data import prepare
from scheduler.model.diagnose import capacity_notes
from scheduler.model.interrupt import interrupted_by, was_interrupted, watching
from scheduler.model.pins import Replan
from scheduler.replan.pins import pin_issues
from scheduler.replan.previous import Previous, with_changes
from scheduler.result import Result, Status, lessons_frame
from scheduler.search.greedy import fill, greedy
from scheduler.search.job import Clock, Job, ProgressFn, result_of
from scheduler.search.large import LargeSearch
from scheduler.search.regions import objective_of
from scheduler.search.small import SmallSearch
from scheduler.validate import check

Method = Literal["cpsat", "greedy"]

# The time limit of a path given no time (params must have a positive one); it returns at once.
EMPTY = 0.01


def solve(
    instance: Instance,
    weights: Weights | None = None,
    params: SolverParams | None = None,
    *,
    method: Method = "cpsat",
    on_progress: ProgressFn | None = None,
    on_notes: Callable[[list[str]], None] | None = None,
    budget: Budget | None = None,
    settings: Settings | None = None,
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
        Time limit, workers, seed, deterministic mode.
    method
        ``cpsat`` (default) or ``greedy`` (the constructive baseline, no search).
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
    settings
        The search's and the bounds' tuning (``[search]``, ``[bounds]``); defaults from
        ``defaults.toml``.
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
    settings = settings or Settings.default()
    if instance.pins and (problems := pin_issues(instance)):
        raise InstanceError(problems)
    # Ctrl-C from here on stops the search and keeps the best timetable found so far.
    with watching():
        result = _solve(
            instance, weights, params, settings, method, on_progress, on_notes, budget, previous
        )
    search = settings.search
    if was_interrupted():
        note = (
            f"Stopped by {interrupted_by()} after {result.seconds:.1f} s: "
            "the best timetable found so far."
        )
        result = result.model_copy(update={"notes": (*result.notes, note)})
    elif (late := _late(budget)) > max(
        search.overrun_seconds, search.overrun_share * budget.limit
    ):
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


def _late(budget: Budget) -> float:
    """Seconds by which the search ran past its deadline (0 when there was none, or when it
    started after it: preparation's overrun is said on its own, :meth:`Job.unsearched`)."""
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
    return result_of(
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
    settings: Settings,
    method: Method,
    on_progress: ProgressFn | None,
    on_notes: Callable[[list[str]], None] | None,
    budget: Budget,
    previous: Previous | None = None,
) -> Result:
    """Prepare the branch, build the greedy start, pick the path and fill the result."""
    if method not in ("cpsat", "greedy"):
        raise ValueError(f"unknown method {method!r}: cpsat or greedy")
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
        return result_of(instance, weights, "FEASIBLE", "greedy", start, None, None, t0, notes, ())
    job = Job(
        prep, weights, _searching(params, budget, t0), settings, start, notes, t0,
        _clock(params, settings, budget, t0), budget, on_progress,
    )  # fmt: skip
    if job.out_of_time():
        return job.unsearched(start, None)
    large = len(prep.visits) > settings.search.large_branch_visits
    searched = LargeSearch(job).run() if large else SmallSearch(job).run()
    budget.mark("search")
    if job.clock.deterministic and job.clock.guarded():
        note = (
            "The deterministic search was stopped by the wall clock, not by its work limit: "
            "another run may give another timetable (docs/settings.md, 'Deterministic mode')."
        )
        searched = searched.model_copy(update={"notes": (*searched.notes, note)})
    return _filled(job, searched)


def _searching(params: SolverParams, budget: Budget, t0: float) -> SolverParams:
    """The parameters of the search: its time limit is what the budget leaves it, counted
    from ``t0`` as every path counts."""
    return params.model_copy(update={"time_limit": max(EMPTY, budget.search_deadline - t0)})


def _clock(params: SolverParams, settings: Settings, budget: Budget, t0: float) -> Clock:
    """The search's clock. In wall mode its limit is what the budget leaves. In
    deterministic mode it is the user's whole limit in work units, never a measured time,
    and the wall guard is ``guard_share`` of the limit after the search's deadline."""
    search = settings.search
    if not params.deterministic:
        limit = max(EMPTY, budget.search_deadline - t0)
        return Clock(False, t0, limit, t0 + limit)
    guard = budget.search_deadline + search.guard_share * budget.limit
    return Clock(True, t0, params.time_limit * search.work_per_second, guard)


def _filled(job: Job, result: Result) -> Result:
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
    return result_of(
        prep.instance, weights, status, result.method, lessons, None, bound, job.t0, notes, trace
    )
