"""The most lessons any timetable can give, counting visits: a linear relaxation of the master.

The maximum flow of :func:`scheduler.bounds.flow.coverage_bound` lets an ALT split a day's
lessons between schools and a school-day take its lessons from any number of ALTs up to a
total; on short-handed branches where visit days, ALTs per school-day, periods or
co-teachers bind, it can promise more than any timetable gives. The linear programme here
keeps the visit as a (fractional) decision:

- ``x[a,s,d] <= cap(a,s,d) * y[a,s,d]``: a visit holds at most its capacity (the ALT's
  daily maximum, the periods some needy class can use, what the classes take that day);
- ``sum_s y[a,s,d] <= max_schools_per_day`` and ``sum_a y[a,s,d] <= max_alts_per_day``:
  one school a day per ALT and so many ALTs a day per school, as the contract says;
- lessons per ALT-day and per ALT-week at most the daily and weekly maxima;
- the lessons of a school-day go to its classes (``z[c,d]``), each class at most its daily
  limit and its weekly need, and the classes sharing a co-teacher at most the periods that
  co-teacher can teach that day (one lesson a period).

Every timetable is a point of it (y the visits, x and z the lessons), so its optimum, rounded
down, bounds every timetable's lessons; the smaller of it and the flow bound is returned.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict

from ortools.linear_solver import pywraplp

from scheduler.bounds.flow import VisitIndex, coverage_bound
from scheduler.instance import Day
from scheduler.model.data import ClassKey, Prepared

# The LP's optimum is rounded down; this much is added first so that a value a hair under a
# whole number (floating point) still counts as that number. Lessons are whole, so a
# tolerance far below 1 keeps the bound valid.
ROUNDING = 1e-3
# The LP is a bound, not the solve: past this many seconds the flow bound stands alone.
TIME_LIMIT_S = 30.0
# After a solve the user is waiting: the words line gets at most this, and no more than the
# command's time limit leaves (scheduler.budget).
AFTER_SOLVE_S = 10.0
# Building the LP takes seconds at 250 ALTs: the clock is read every this many columns.
CHECK_EVERY = 2000


def visit_coverage_bound(
    prep: Prepared, index: VisitIndex | None = None, time_limit: float | None = TIME_LIMIT_S
) -> int:
    """Most lessons any timetable can give: the visit relaxation (module docstring), never
    above :func:`~scheduler.bounds.flow.coverage_bound`. ``index`` is
    :meth:`VisitIndex.of` (prep), when the caller has it already. Past ``time_limit``
    seconds (``None``: none) the flow bound stands alone."""
    index = index or VisitIndex.of(prep)
    flow = coverage_bound(prep, index)
    value = _visit_lp(prep, index, time_limit)
    if value is None:
        return flow
    return min(flow, math.floor(value + ROUNDING))


def _visit_lp(prep: Prepared, index: VisitIndex, time_limit: float | None) -> float | None:
    """The optimum of the visit relaxation, or ``None`` when GLOP does not prove it.

    ``y`` is not a column of its own: at the optimum it can be ``x / cap`` (the least that
    holds x), so the visit rows read ``sum x[a,s,d] / cap(a,s,d) <= limit``. The
    ``time_limit`` covers building the LP too: past it, ``None``.
    """
    deadline = None if time_limit is None else time.monotonic() + time_limit
    lp = _VisitLP(prep, deadline)
    if not lp.add_visits(index):
        return None
    lp.add_classes()
    return lp.solve()


class _VisitLP:
    """The visit relaxation as GLOP rows and columns, built in two passes: the visits'
    lessons (ALT week, ALT day, school day), then the school days' classes."""

    def __init__(self, prep: Prepared, deadline: float | None) -> None:
        self.prep = prep
        self.deadline = deadline
        self.lp = pywraplp.Solver.CreateSolver("GLOP")
        self.objective = self.lp.Objective()
        self.objective.SetMaximization()
        self.alt_week: dict[str, pywraplp.Constraint] = {}
        self.alt_day: dict[tuple[str, Day], tuple[pywraplp.Constraint, pywraplp.Constraint]] = {}
        self.school_day: dict[
            tuple[str, Day], tuple[pywraplp.Constraint, pywraplp.Constraint]
        ] = {}

    def row(self, upper: float) -> pywraplp.Constraint:
        """A row ``... <= upper``."""
        return self.lp.Constraint(-self.lp.infinity(), upper)

    def _late(self, columns: int) -> bool:
        return (
            self.deadline is not None
            and columns % CHECK_EVERY == 0
            and time.monotonic() > self.deadline
        )

    def add_visits(self, index: VisitIndex) -> bool:
        """One column per possible visit's lessons; False when the deadline passed."""
        inst = self.prep.instance
        columns = 0
        for (a, s), caps in index.caps.items():
            alt = inst.alt_by_id[a]
            if a not in self.alt_week:
                self.alt_week[a] = self.row(
                    max(0, inst.max_lessons(alt) - self.prep.fixed_load.get(a, 0))
                )
            for cap, d in caps:
                columns += 1
                if self._late(columns):
                    return False
                self._add_visit(a, s, d, cap)
        return True

    def _add_visit(self, a: str, s: str, d: Day, cap: int) -> None:
        inst = self.prep.instance
        x = self.lp.NumVar(0.0, cap, "")
        self.objective.SetCoefficient(x, 1.0)
        self.alt_week[a].SetCoefficient(x, 1.0)
        if (a, d) not in self.alt_day:
            # Lessons within the daily maximum; visits within the schools a day.
            alt = inst.alt_by_id[a]
            most_schools = self.prep.settings.max_schools_per_day
            self.alt_day[(a, d)] = (
                self.row(inst.max_lessons_per_day(alt)),
                self.row(most_schools),
            )
        if (s, d) not in self.school_day:
            # Lessons go to the classes (the row is lessons - classes' <= 0); visits within
            # the ALTs a day the school takes.
            most_alts = inst.school_by_id[s].max_alts_per_day
            self.school_day[(s, d)] = (self.row(0.0), self.row(most_alts))
        lessons, visits = self.alt_day[(a, d)]
        lessons.SetCoefficient(x, 1.0)
        visits.SetCoefficient(x, 1.0 / cap)
        to_classes, alts = self.school_day[(s, d)]
        to_classes.SetCoefficient(x, 1.0)
        alts.SetCoefficient(x, 1.0 / cap)

    def add_classes(self) -> None:
        """The school-day's lessons go to its classes, each within its daily and weekly
        limit, and the classes of one co-teacher within the periods that co-teacher can
        teach that day."""
        class_week: dict[ClassKey, pywraplp.Constraint] = {}
        for (s, d), (to_classes, _alts) in self.school_day.items():
            teacher_rows: dict[str, list[pywraplp.Variable]] = defaultdict(list)
            periods_of_teacher: dict[str, set[int]] = defaultdict(set)
            for c in self.prep.needy.get(s, []):
                cap = self.prep.cap.get((c.key, d), 0)
                if cap == 0:
                    continue
                z = self.lp.NumVar(0.0, cap, "")
                to_classes.SetCoefficient(z, -1.0)
                if c.key not in class_week:
                    class_week[c.key] = self.row(c.alt_lessons)
                class_week[c.key].SetCoefficient(z, 1.0)
                if c.co_teacher:
                    teacher_rows[c.co_teacher].append(z)
                    periods = {p.period for p in self.prep.periods[(c.key, d)]}
                    periods_of_teacher[c.co_teacher] |= periods
            for teacher, zs in teacher_rows.items():
                if len(zs) > 1:
                    shared = self.row(len(periods_of_teacher[teacher]))
                    for z in zs:
                        shared.SetCoefficient(z, 1.0)

    def solve(self) -> float | None:
        """The LP's optimum within what is left of the deadline, or ``None``."""
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                return None
            self.lp.SetTimeLimit(max(1, int(left * 1000)))
        if self.lp.Solve() != pywraplp.Solver.OPTIMAL:
            return None
        # The larger of the primal value and the dual bound: both equal the optimum up to
        # GLOP's tolerances, and the larger errs on the side that keeps the bound valid.
        return float(max(self.objective.Value(), self.objective.BestBound()))


def best_bound(prep: Prepared, unmet: int, time_limit: float | None = AFTER_SOLVE_S) -> int:
    """The most lessons any timetable can give, as cheaply as a timetable leaving ``unmet``
    lessons allows: the flow bound when it already proves that timetable best, else the
    visit bound too (a second or more at 100 ALTs, so only when it can say more), within
    ``time_limit`` seconds. A ``time_limit`` of 0 or less (a user who pressed Ctrl-C is
    waiting, or the command's time limit is spent) keeps the flow bound alone."""
    index = VisitIndex.of(prep)
    flow = coverage_bound(prep, index)
    if prep.instance.need() - flow >= unmet or (time_limit is not None and time_limit <= 0):
        return flow
    return visit_coverage_bound(prep, index, time_limit)
