"""The large-branch search: a weekly plan, a greedy start following it, region steps.

Above ``large_branch_visits`` candidate visits one master is slow to build and its search
stalls. The path instead bounds the branch cheaply (a maximum flow), plans who teaches where
for the week (:func:`scheduler.search.week_plan.flow_week`), starts from the better of the
greedy timetables with and without the plan, and improves it by region steps
(:class:`scheduler.search.regions.Lanes`) until the deadline. Beside them, on a thread, the
bound of weeks without their days (:class:`scheduler.bounds.week_bound.BackgroundBound`)
raises the bound; once it converges its programme's pairs replace the flow plan, and,
with enough time left, a timetable built from them
(:func:`scheduler.search.from_programme.timetable_from_programme`) replaces the search's
(docs/model.md, "Starting from the programme"). In deterministic mode the bound's thread
is left out, and so are the plan and the restart it hands over.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace

from scheduler.bounds.flow import VisitIndex, coverage_bound, objective_lower_bound
from scheduler.bounds.week_bound import BackgroundBound, WeekBound
from scheduler.model.data import Prepared
from scheduler.result import Lesson, Result, Status
from scheduler.search.from_programme import timetable_from_programme
from scheduler.search.greedy import greedy
from scheduler.search.job import Job
from scheduler.search.regions import Guide, Lanes, objective_of
from scheduler.search.week_plan import flow_week


def one_school_a_day(prep: Prepared) -> Prepared:
    """The same candidates under ``max_schools_per_day`` 1 (a stricter rule, so every
    timetable of it is valid for the branch)."""
    inst = prep.instance
    one = inst.settings.model_copy(update={"max_schools_per_day": 1})
    return replace(prep, instance=inst.model_copy(update={"settings": one}))


class LargeSearch(Guide):
    """The large path, stage by stage (:meth:`run`); it guides its own region steps: the
    bound's programme hands over its plan and a restart through the :class:`Guide`
    methods."""

    def __init__(self, job: Job) -> None:
        super().__init__(job.on_progress, job.t0)
        self.job = job
        self.prep, self.weights = job.prep, job.weights
        self.cfg = job.settings.search
        self.background: BackgroundBound | None = None
        self.handed: float | None = None  # when the search first took the programme's plan
        self.from_programme: list[str] = []  # what became of the timetable from the programme
        self.search = job.prep  # the branch the steps search (one school a day, maybe)

    def run(self) -> Result:
        """Bounds, plan and start, then region steps until the deadline."""
        job, budget = self.job, self.job.budget
        # The bounds and the plan cannot be cut short: not begun when they would end past
        # the deadline (on a busy machine too, since preparing took as long). A measured
        # time decides it, so a deterministic run leaves it to the wall guard below.
        prepared = dict(budget.split()).get("prepare", 0.0)
        if (
            not job.clock.deterministic
            and budget.search_seconds() < self.cfg.plan_per_prepare * prepared
        ):
            budget.mark("plan")
            return job.unsearched(job.start, None)
        index = VisitIndex.of(self.prep)  # the visit capacities, shared by bounds and plan
        bound = self.cheap_bound(index)
        if job.out_of_time():  # the plan would only add to the overrun
            budget.mark("plan")
            return job.unsearched(job.start, float(bound))
        plan = flow_week(index, self.weights)
        start = self.start(plan)
        budget.mark("plan")
        if job.out_of_time():
            best = min(start, job.start, key=self._objective)
            return job.unsearched(best, float(bound))
        return self.improve(start, plan, index, bound)

    def _objective(self, lessons: list[Lesson]) -> int:
        return objective_of(self.prep, lessons, self.weights)

    def cheap_bound(self, index: VisitIndex) -> int:
        """The maximum-flow bound of the objective; says how many lessons can be given."""
        covered = coverage_bound(self.prep, index)
        need = self.prep.instance.need()
        self.job.notes.append(
            f"No timetable can give more than {covered} of the {need} lessons (a maximum-flow"
            " bound)."
            if covered < need
            else f"All {need} lessons can be given (a maximum-flow bound)."
        )
        return objective_lower_bound(self.prep, self.weights, covered, index)

    def start(self, plan: Mapping[tuple[str, str], int]) -> list[Lesson]:
        """The best greedy start, with and without the plan.

        With several schools a day the region steps lose (docs/model.md: counts that do not
        fit into periods, split days, continuity): the search keeps to one school a day,
        whose timetables are valid here too, and the final fill adds what a second school a
        day still gives. The bound stays the branch's own."""
        prep = self.prep
        self.search = one_school_a_day(prep) if prep.settings.max_schools_per_day > 1 else prep
        starts = [self.job.start] if self.search is prep else [greedy(self.search)]
        return min([*starts, greedy(self.search, plan)], key=self._objective)

    def improve(
        self,
        start: list[Lesson],
        plan: Mapping[tuple[str, str], int],
        index: VisitIndex,
        bound: int,
    ) -> Result:
        """Region steps from ``start`` until the deadline, the bound of weeks without their
        days on a thread beside them (not in deterministic mode)."""
        job = self.job
        if not job.clock.deterministic:
            # It lifts the cheap bound by ~10 % at 120 ALTs once it converges (docs/model.md).
            self.background = BackgroundBound(
                self.prep,
                self.weights,
                job.t0 + job.params.time_limit,
                [start],
                bound,
                index,
                give_up=job.settings.bounds.week_give_up,
            )
        self.known_bound = bound
        lanes = Lanes(self.search, self.weights, job.params, self.cfg, job.clock, self, plan)
        try:
            lessons, objective, steps = lanes.run(start)
        finally:
            weeks = self.background.finish() if self.background is not None else None
        job.notes.extend(self.from_programme)
        self._bound_notes(weeks, bound, len(plan))
        bound = max(bound, self.value())
        if self.search is not self.prep and (plain := self._objective(job.start)) < objective:
            lessons, objective = job.start, plain
        job.notes.append(f"Large branch: {steps} improving region steps after the greedy start.")
        status: Status = "OPTIMAL" if objective <= bound else "FEASIBLE"
        return job.result(status, lessons, objective, float(bound))

    def value(self) -> int:
        """The best bound so far: the background's, or the cheap one."""
        return self.background.value if self.background is not None else self.known_bound

    def _bound_notes(self, weeks: WeekBound | None, bound: int, planned: int) -> None:
        notes = self.job.notes
        if weeks is None:
            return
        if weeks.value > bound:
            state = "converged" if weeks.converged else "not converged"
            if weeks.plan is not None and self.handed is not None:
                state += (
                    f"; the plan steps followed its {len(weeks.plan)} ALT-school pairs from"
                    f" {self.handed:.1f} s (the flow plan's {planned})"
                )
            notes.append(
                f"Bound from weeks without their days: {weeks.value} (the cheap bound {bound}),"
                f" {weeks.rounds} rounds in {weeks.seconds:.1f} s, {state}."
            )
        else:
            notes.append(
                f"The bound from weeks without their days stopped below the cheap bound {bound}"
                f" after {weeks.rounds} rounds in {weeks.seconds:.1f} s; the cheap bound stands."
            )
        if weeks.cold:
            # Slower, not wrong: every round's bound is still valid (docs/model.md).
            notes.append(f"The bound's LP process failed and ran in MathOpt: {weeks.cold}.")

    # ---- the Guide of the region steps -------------------------------------------------------

    def report(self, seconds: float, objective: float) -> None:
        """Every better timetable, with the bound so far."""
        self.job.report(objective, self.value())

    def plan(self) -> Mapping[tuple[str, str], int] | None:
        """Once the bound converges, its programme's pairs replace the flow plan: fewer
        pairs, closer to the bound (docs/model.md, "The programme's plan")."""
        better = self.background.plan if self.background is not None else None
        if better is not None and self.handed is None:
            self.handed = time.monotonic() - self.job.t0
        return better

    def restart(self) -> list[Lesson] | None:
        """Once the programme has converged, and while enough time is left for the search
        to cover what it leaves short, a timetable built from its pairs replaces the
        search's (docs/model.md, "Starting from the programme")."""
        weeks = self.background.result if self.background is not None else None
        if self.from_programme or weeks is None or weeks.support is None:
            return None
        if self.prep.instance.pins or self.prep.replan is not None:
            return None  # a timetable from the programme's pairs knows no pins or changes
        job = self.job
        t0, limit = job.t0, job.params.time_limit
        began = time.monotonic()
        if t0 + limit - began < self.cfg.restart_left * limit:
            self.from_programme.append(
                f"The programme converged {began - t0:.1f} s into the run, too late to start"
                " again from its pairs."
            )
            return None
        fresh = timetable_from_programme(
            self.search, self.weights, job.params, weeks.support, t0 + limit, self.cfg
        )
        short = self.prep.instance.need() - len(fresh)
        self.from_programme.append(
            f"Started again at {began - t0:.1f} s from the programme's pairs: a timetable"
            f" built in {time.monotonic() - began:.1f} s, {short} lessons short, objective"
            f" {self._objective(fresh):,}."
        )
        return fresh

    def pending(self) -> bool:
        """Until the programme converges the search's work is insurance: one lane, and the
        other core to the programme (docs/model.md, "Starting from the programme")."""
        return not self.from_programme and self.background is not None and self.background.running
