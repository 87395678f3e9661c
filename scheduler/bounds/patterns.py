"""A lower bound from whole weeks: column generation over each ALT's weekly patterns.

The master's linear relaxation lets an ALT be a fraction of a visitor at many schools, so
its bound counts about one ALT per school and the search must close the rest. Here the
columns of a linear programme are whole weeks of one ALT (which school each day, how many
lessons there), with the ALT's distinct schools, commute and busiest day paid in full; the
rows are the school side (every lesson given, what classes can take on any set of days,
ALTs per school-day, co-teachers, at least the ALTs and visits a school's need takes, one
ALT giving a school its whole need or two coming), the load spread and the continuity
bound. Each round solves the linear programme with GLOP and prices every ALT's best new
week exactly: by a dynamic programme over schools at one school a day
(:mod:`scheduler.bounds.week_dp`), by a small CP-SAT model otherwise. Every round gives a
valid (Lagrangian) bound, and at convergence it is the linear programme's value, the
Dantzig-Wolfe bound.

The last round is kept (:class:`LastRound`): listing every week near the bound there
closes the rest of the gap (:mod:`scheduler.bounds.closing`).

Valid only for timetables that give every lesson and keep every ALT at or above their
weekly floor, i.e. once the first priority level is proven 0: the rows and the weeks say
so. On the demo it is well above CP-SAT's bound on the master (docs/benchmarks_stages.md).
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

from scheduler.bounds.week_dp import Prices, SchoolVectors, Signature, WeekCosts, WeekDP
from scheduler.config import Weights
from scheduler.instance import DAYS, Day
from scheduler.model.cpsat import new_solver
from scheduler.model.data import Prepared, Visit
from scheduler.model.interrupt import interrupted, run
from scheduler.model.master import (
    absorption_limits,
    cannot_join,
    co_teacher_room,
    visit_capacity,
)

Row = tuple[str, ...]  # ("need", school), ("absorb", school, "Mon;Tue"), ...

# Reduced costs are priced in integers: this many units per objective unit. The rounding
# error is accounted for in the bound (:meth:`_Pricer.price`), never ignored.
SCALE = 10_000
# A week enters the linear programme when its reduced cost is below this.
IMPROVING = -1e-6
# What the programme's value may be off by through the LP solver's tolerances: every bound
# drawn from it gives this much away.
LP_TOLERANCE = 1e-3


@dataclass(frozen=True)
class PatternBound:
    """The best bound found, whether column generation converged, and its size."""

    value: int
    converged: bool
    rounds: int
    weeks: int
    seconds: float
    # The last round, where every ALT was priced exactly by the dynamic programme: what
    # scheduler.bounds.closing lists weeks from. None otherwise.
    last: LastRound | None = None


class LastRound:
    """The programme at its last round's duals, with each ALT's least reduced cost there.

    For every timetable x that gives every lesson and keeps every floor, with w_a the week
    of ALT a and rc its reduced cost, LP duality gives cost(x) >= value + sum_a rc(w_a)
    (every other column of the programme has a reduced cost >= 0 and a value >= 0 in x,
    every inequality row's dual has the sign that makes its slack count >= 0). So x costs
    at most ``lagrangian + T`` only if every week of x has rc(w_a) - min(0, least_a) <= T:
    :meth:`signatures` lists exactly what such weeks can be.
    """

    def __init__(
        self,
        programme: _PatternLP,
        pricers: list[_Pricer],
        duals: dict[Row, float],
        value: float,
        least: dict[str, float],
    ) -> None:
        self.programme, self.pricers, self.duals = programme, pricers, duals
        self.value, self.least = value, least
        self.lagrangian = value + sum(min(0.0, m) for m in least.values())

    def signatures(
        self, threshold: float, max_nodes: int, deadline: float
    ) -> dict[str, dict[Signature, tuple[float, float]]] | None:
        """Per ALT, the signature (lessons per school) of every week whose reduced cost is
        at most ``threshold + min(0, least)``, with the least objective cost and the least
        reduced cost of such weeks; None when some ALT has too many to list (more than
        ``max_nodes`` steps) or the listing lasts past ``deadline``."""
        out: dict[str, dict[Signature, tuple[float, float]]] = {}
        for pricer in self.pricers:
            assert pricer.dp is not None
            a = pricer.alt_id
            base = -self.duals.get(("week", a), 0.0)
            costs = self.programme.week_costs(a, pricer.schools)
            limit = threshold + min(0.0, self.least[a]) - base
            prices = pricer.prices(self.duals)
            found = pricer.dp.signatures(prices, limit, costs, max_nodes, deadline)
            if found is None:
                return None
            out[a] = {k: (cost, base + price) for k, (cost, price) in found.items()}
        return out


@dataclass(frozen=True)
class _Week:
    alt_id: str
    lessons: tuple[tuple[str, Day, int], ...]  # (school, day, lessons > 0)


@dataclass
class _Rows:
    """Which rows a lesson, a visit and an ALT-school pair count in (a pair with its
    coefficient: -1 in the continuity bound's row, +1 elsewhere)."""

    lesson: dict[Visit, list[Row]] = field(default_factory=lambda: defaultdict(list))
    visit: dict[tuple[str, Day], list[Row]] = field(default_factory=lambda: defaultdict(list))
    pair: dict[str, list[tuple[Row, float]]] = field(default_factory=lambda: defaultdict(list))


def pattern_bound(
    prep: Prepared,
    weights: Weights,
    deadline: float,
    starts: Iterable[Mapping[Visit, int]] = (),
    threads: int = 1,
) -> PatternBound | None:
    """A lower bound of the weighted objective of every timetable that gives every lesson
    and keeps every ALT at their floor, found by column generation until ``deadline`` (a
    ``time.monotonic()`` value) or convergence. ``starts`` are lesson counts of such
    timetables (their weeks seed the linear programme). None when no round completed.
    """
    t0 = time.monotonic()
    lp = _seeded(prep, weights, starts)
    tops = lp.tops_by_alt()
    shared: dict[tuple[object, ...], SchoolVectors] = {}
    pricers = [
        _Pricer(prep, weights, a.alt_id, tops[a.alt_id], lp.rows, lp.whole, shared=shared)
        for a in prep.instance.alts
    ]
    best = -math.inf
    rounds = 0
    converged = False
    last: LastRound | None = None
    pool = ThreadPoolExecutor(max_workers=max(1, threads))
    try:
        while time.monotonic() < deadline and not interrupted():
            value, duals = lp.solve()
            if value is None:
                break
            priced = _price_all(pricers, lp, duals, deadline, pool)
            if any(p is None for p in priced):
                break  # a pricing ran out of time: this round proves nothing
            rounds += 1
            least = {p.alt_id: g[0] for p, g in zip(pricers, priced, strict=True) if g is not None}
            if all(p.dp is not None for p in pricers):
                last = LastRound(lp, pricers, duals, value, least)
            # Lagrangian bound: the programme's value plus each ALT's most negative week.
            best = max(best, value + sum(min(0.0, m) for m in least.values()))
            if _add_improving(lp, priced, duals) == 0:
                # Converged, up to the pricing's rounding: the bound stays the Lagrangian one.
                converged = True
                break
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    if rounds == 0:
        return None
    # Every objective is a whole number; the margin covers the LP solver's tolerances.
    return PatternBound(
        value=math.ceil(best - LP_TOLERANCE),
        converged=converged,
        rounds=rounds,
        weeks=len(lp.weeks),
        seconds=time.monotonic() - t0,
        last=last,
    )


def _seeded(prep: Prepared, weights: Weights, starts: Iterable[Mapping[Visit, int]]) -> _PatternLP:
    """The programme with the empty week of each ALT (it keeps every week row feasible;
    below a floor it is no real week and is priced out like the other artificial columns)
    and the weeks of ``starts`` that reach their ALT's floor (a week below it is no week of
    a timetable the bound is for, and would only weaken the programme)."""
    lp = _PatternLP(prep, weights)
    inst = prep.instance
    for alt in inst.alts:
        lp.add(_Week(alt.alt_id, ()))
    for counts in starts:
        for week in _weeks_of(counts):
            load = prep.fixed_load.get(week.alt_id, 0) + sum(n for _s, _d, n in week.lessons)
            if load >= inst.min_lessons(inst.alt_by_id[week.alt_id]):
                lp.add(week)
    return lp


def _add_improving(
    lp: _PatternLP, priced: list[tuple[float, list[_Week]] | None], duals: Mapping[Row, float]
) -> int:
    """Add every priced week whose reduced cost improves; how many were new."""
    added = 0
    for got in priced:
        assert got is not None
        for week in got[1]:
            if lp.reduced_cost(week, duals) < IMPROVING:
                added += lp.add(week)
    return added


def _price_all(
    pricers: list[_Pricer],
    lp: _PatternLP,
    duals: Mapping[Row, float],
    deadline: float,
    pool: ThreadPoolExecutor,
) -> list[tuple[float, list[_Week]] | None]:
    """Every ALT's pricing at ``duals``: quick first, exact where the quick one's bound is
    short of 0 without an improving week (it counted a rewarded school without a visit)."""
    # Each pricing gets the time left when it starts: the pool queues them, so the time left
    # at the round's start would let a round overrun its deadline.
    priced = list(pool.map(lambda p: p.price(duals, deadline), pricers))
    again = [
        i
        for i, got in enumerate(priced)
        if got is not None
        and pricers[i].dp is None
        and got[0] < IMPROVING
        and all(lp.reduced_cost(w, duals) >= IMPROVING for w in got[1])
    ]
    exact = pool.map(lambda i: pricers[i].price(duals, deadline, True), again)
    for i, got in zip(again, exact, strict=True):
        priced[i] = got
    return priced


class _PatternLP:
    """The restricted master: the weeks found so far against the school-side rows."""

    def __init__(self, prep: Prepared, weights: Weights) -> None:
        self.prep, self.weights = prep, weights
        self.top = {v: t for v in prep.visits if (t := visit_capacity(prep, v)) > 0}
        self.solver = pywraplp.Solver.CreateSolver("GLOP")
        self.rows = _Rows()
        self.cons: dict[Row, pywraplp.Constraint] = {}
        self.weeks: dict[_Week, pywraplp.Variable] = {}
        self.objective = self.solver.Objective()
        self.objective.SetMinimization()
        need = {s: sum(c.alt_lessons for c in classes) for s, classes in prep.needy.items()}
        reach: dict[str, set[str]] = defaultdict(set)
        for a, s, _d in self.top:
            reach[s].add(a)
        for alt in prep.instance.alts:
            self._row(("week", alt.alt_id), 1, 1)
        # Artificial slack at a high price keeps the programme feasible from the first
        # round (their reduced costs stay >= 0, so the bound stays valid).
        self.price = 10.0 * max(1, weights.unmet_lesson)
        self._need_rows(need, reach)
        self._day_rows(reach)
        self._counting_rows(need, reach)
        # One ALT gives a school its whole need, or two come: with x lessons from a week,
        # g = [x = N] + 1 - x / N; with p ALTs there the g's add up to [p = 1] + p - 1 >= 1
        # (the x's add up to N). Fractional weeks that share a school break it; a need of 1
        # makes it the need row again.
        self.whole = {s: n for s, n in need.items() if n >= 2 and reach[s]}
        for s in self.whole:
            self._slack(self._row(("whole", s), 1, self.solver.infinity()))
        self.load_rows = weights.load_spread > 0 and len(prep.instance.alts) >= 2
        if self.load_rows:
            self._spread_rows()
        if weights.continuity > 0:
            self._continuity_rows(reach)

    def _row(self, key: Row, lo: float, hi: float) -> pywraplp.Constraint:
        self.cons[key] = c = self.solver.Constraint(lo, hi)
        return c

    def _need_rows(self, need: Mapping[str, int], reach: Mapping[str, set[str]]) -> None:
        """Every lesson given (with a slack either way), and what the classes of a school
        can take on every set of days."""
        inf = self.solver.infinity()
        for s, n in need.items():
            c = self._row(("need", s), n, n)
            for sign in (1, -1):
                slack = self.solver.NumVar(0, inf, "")
                c.SetCoefficient(slack, sign)
                self.objective.SetCoefficient(slack, self.price)
        for s, days, room in absorption_limits(self.prep, self.top):
            key = ("absorb", s, ";".join(days))
            self._row(key, -inf, room)
            for d in days:
                for a in reach[s]:
                    self.rows.lesson[(a, s, d)].append(key)
        for a, s, d in self.top:
            self.rows.lesson[(a, s, d)].append(("need", s))

    def _day_rows(self, reach: Mapping[str, set[str]]) -> None:
        """ALTs per school-day, and the co-teachers' periods where two ALTs may come."""
        inst, inf = self.prep.instance, self.solver.infinity()
        for s in self.prep.needy:
            limit = inst.school_by_id[s].max_alts_per_day
            for d in DAYS:
                self._row(("alts", s, d), -inf, limit)
                self.rows.visit[(s, d)].append(("alts", s, d))
                if limit >= 2:
                    self._row(("co", s, d), -inf, co_teacher_room(self.prep, s, d))
                    for a in reach[s]:
                        self.rows.lesson[(a, s, d)].append(("co", s, d))

    def _counting_rows(self, need: Mapping[str, int], reach: Mapping[str, set[str]]) -> None:
        """The counting cuts of a fully given week (master.coverage_cuts): a school's need
        takes at least so many visits and so many distinct ALTs."""
        inst, inf = self.prep.instance, self.solver.infinity()
        week_cap: dict[tuple[str, str], int] = defaultdict(int)
        most_visit: dict[str, int] = defaultdict(int)
        for (a, s, _d), t in self.top.items():
            week_cap[(a, s)] += t
            most_visit[s] = max(most_visit[s], t)
        for s, n in need.items():
            if n == 0 or not most_visit[s]:
                continue
            self._slack(self._row(("visits", s), -(-n // most_visit[s]), inf))
            for d in DAYS:
                self.rows.visit[(s, d)].append(("visits", s))
            most_alt = max(
                min(n, inst.max_lessons(inst.alt_by_id[a]), week_cap[(a, s)]) for a in reach[s]
            )
            self._slack(self._row(("alts_at", s), -(-n // most_alt), inf))
            self.rows.pair[s].append((("alts_at", s), 1.0))

    def _spread_rows(self) -> None:
        """Load spread: hi >= every load >= lo."""
        solver, inf, w = self.solver, self.solver.infinity(), self.weights
        hi, lo = solver.NumVar(0, inf, "hi"), solver.NumVar(0, inf, "lo")
        self.objective.SetCoefficient(hi, w.load_spread)
        self.objective.SetCoefficient(lo, -w.load_spread)
        for alt in self.prep.instance.alts:
            fixed = self.prep.fixed_load.get(alt.alt_id, 0)
            self._row(("hi", alt.alt_id), fixed, inf).SetCoefficient(hi, 1)
            self._row(("lo", alt.alt_id), -inf, -fixed).SetCoefficient(lo, 1)

    def _continuity_rows(self, reach: Mapping[str, set[str]]) -> None:
        """Continuity bound (master.continuity_bound): extra ALTs >= ALTs - classes."""
        inf = self.solver.infinity()
        for s, alts in reach.items():
            if len(alts) >= 2 and len(alts) > len(self.prep.needy[s]):
                extra = self.solver.NumVar(0, inf, "")
                self.objective.SetCoefficient(extra, self.weights.continuity)
                self._row(("cont", s), -len(self.prep.needy[s]), inf).SetCoefficient(extra, 1)
                self.rows.pair[s].append((("cont", s), -1.0))

    def tops_by_alt(self) -> dict[str, dict[Visit, int]]:
        """Each ALT's candidate visits and their capacities."""
        tops: dict[str, dict[Visit, int]] = defaultdict(dict)
        for v, t in self.top.items():
            tops[v[0]][v] = t
        return tops

    def _slack(self, c: pywraplp.Constraint) -> None:
        """An artificial column for a >= row (see the need rows)."""
        slack = self.solver.NumVar(0, self.solver.infinity(), "")
        c.SetCoefficient(slack, 1)
        self.objective.SetCoefficient(slack, self.price)

    def coefficients(self, week: _Week) -> dict[Row, float]:
        """The week's column: its count in every row."""
        col: dict[Row, float] = defaultdict(float)
        col[("week", week.alt_id)] = 1.0
        given: dict[str, int] = defaultdict(int)  # lessons per school
        for s, d, n in week.lessons:
            given[s] += n
            for key in self.rows.lesson[(week.alt_id, s, d)]:
                col[key] += n
            for key in self.rows.visit[(s, d)]:
                col[key] += 1
        for s, x in given.items():
            for key, coefficient in self.rows.pair[s]:
                col[key] += coefficient
            if s in self.whole:
                need = self.whole[s]
                col[("whole", s)] += (x == need) + 1.0 - x / need
        if self.load_rows:
            load = sum(given.values())
            col[("hi", week.alt_id)] = -load
            col[("lo", week.alt_id)] = -load
        return col

    def week_costs(self, alt_id: str, schools: Iterable[str]) -> WeekCosts:
        """What :meth:`cost` charges per school, per visit day at each of ``schools`` and per
        lesson of the busiest day, for the dynamic programme's listings."""
        w = self.weights
        commute = {s: w.commute_minute * self.prep.commute[(alt_id, s)] for s in schools}
        return WeekCosts(school=w.alt_school, visit=commute, peak=w.day_peak)

    def cost(self, week: _Week) -> float:
        """The week's weighted schools, commute and busiest day."""
        w = self.weights
        per_day: dict[Day, int] = defaultdict(int)
        for _s, d, n in week.lessons:
            per_day[d] += n
        if not week.lessons:
            alt = self.prep.instance.alt_by_id[week.alt_id]
            short = self.prep.instance.min_lessons(alt) - self.prep.fixed_load.get(week.alt_id, 0)
            return self.price * max(0, short)
        commute = sum(self.prep.commute[(week.alt_id, s)] for s, _d, _n in week.lessons)
        schools = len({s for s, _d, _n in week.lessons})
        return (
            w.alt_school * schools
            + w.commute_minute * commute
            + w.day_peak * max(per_day.values(), default=0)
        )

    def add(self, week: _Week) -> int:
        """Add a week as a column; 0 when it is already there."""
        if week in self.weeks:
            return 0
        x = self.weeks[week] = self.solver.NumVar(0, self.solver.infinity(), "")
        self.objective.SetCoefficient(x, self.cost(week))
        for key, value in self.coefficients(week).items():
            if value:
                self.cons[key].SetCoefficient(x, value)
        return 1

    def solve(self) -> tuple[float | None, dict[Row, float]]:
        if self.solver.Solve() != pywraplp.Solver.OPTIMAL:
            return None, {}
        return self.objective.Value(), {k: c.dual_value() for k, c in self.cons.items()}

    def reduced_cost(self, week: _Week, duals: Mapping[Row, float]) -> float:
        return self.cost(week) - sum(
            v * duals.get(k, 0.0) for k, v in self.coefficients(week).items()
        )


class _Pricer:
    """One ALT's best week at given duals: exact by :class:`WeekDP` at one school a day
    (unless not ``dynamic``: the tests compare the two), otherwise a small CP-SAT model
    whose objective is set per round."""

    def __init__(
        self,
        prep: Prepared,
        weights: Weights,
        alt_id: str,
        top: dict[Visit, int],
        rows: _Rows,
        whole: Mapping[str, int],
        dynamic: bool = True,
        shared: dict[tuple[object, ...], SchoolVectors] | None = None,
    ) -> None:
        inst = prep.instance
        alt = inst.alt_by_id[alt_id]
        self.alt_id, self.weights, self.rows, self.prep = alt_id, weights, rows, prep
        self.top = top  # the ALT's visits and their capacities
        self.schools = {v[1] for v in top}
        self.whole = {s: n for s, n in whole.items() if s in self.schools}
        fixed = prep.fixed_load.get(alt_id, 0)
        limits = absorption_limits(prep, self.top)
        self.dp: WeekDP | None = None
        if dynamic and prep.settings.max_schools_per_day == 1:
            self.dp = WeekDP(
                alt_id,
                top,
                limits,
                inst.min_lessons(alt) - fixed,
                inst.max_lessons(alt) - fixed,
                inst.max_lessons_per_day(alt),
                shared,
            )
            return
        self._build_cpsat(limits)

    def _build_cpsat(self, limits: list[tuple[str, tuple[Day, ...], int]]) -> None:
        """The CP-SAT pricing model of this ALT's week; its objective is set per round."""
        prep, inst = self.prep, self.prep.instance
        alt = inst.alt_by_id[self.alt_id]
        fixed = prep.fixed_load.get(self.alt_id, 0)
        daily = inst.max_lessons_per_day(alt)
        m = self.model = cp_model.CpModel()
        self.y = {v: m.new_bool_var("") for v in self.top}
        self.n = {v: m.new_int_var(0, t, "") for v, t in self.top.items()}
        self._school_vars()
        self.peak = m.new_int_var(0, daily, "")
        for d in DAYS:
            vs = [v for v in self.top if v[2] == d]
            if vs:
                self._day(d, vs, daily)
        load = sum(self.n.values())
        m.add(fixed + load <= inst.max_lessons(alt))
        m.add(fixed + load >= inst.min_lessons(alt))
        # What one ALT gives a school is a share of what its classes take on those days
        # (on all its days at most the school's need).
        for s, days, room in limits:
            m.add(sum(n for v, n in self.n.items() if v[1] == s and v[2] in days) <= room)
        # Rounding each coefficient to 1/SCALE errs by at most this much in total.
        extent = sum(self.top.values()) * 2 + len(self.y) + 3 * len(self.z) + daily
        self.error = 0.5 * extent / SCALE

    def _school_vars(self) -> None:
        """Visits with lessons, z per school used and b per school given its whole need."""
        m = self.model
        self.z: dict[str, cp_model.IntVar] = {}
        days_at: dict[str, list[cp_model.IntVar]] = defaultdict(list)
        for v, y in self.y.items():
            m.add(self.n[v] <= self.top[v] * y)
            m.add(self.n[v] >= y)
            days_at[v[1]].append(y)
        # z >= every visit day; z <= their sum only where the duals make a school pay
        # (added per round in price: the link makes pricing several times slower).
        self.days_at = days_at
        for s, ys in days_at.items():
            z = self.z[s] = m.new_bool_var("")
            for y in ys:
                m.add(z >= y)
        # The whole-need row: b = 1 only when the ALT gives the school its whole need.
        self.b: dict[str, cp_model.IntVar] = {}
        for s, need in self.whole.items():
            b = self.b[s] = m.new_bool_var("")
            m.add(sum(n for v, n in self.n.items() if v[1] == s) == need).only_enforce_if(b)
            m.add(b <= self.z[s])

    def _day(self, d: Day, vs: list[Visit], daily: int) -> None:
        """One day of the week: schools a day, the daily maximum, the busiest day, and the
        travel rule between two schools of the day."""
        m, settings = self.model, self.prep.settings
        m.add(sum(self.y[v] for v in vs) <= settings.max_schools_per_day)
        m.add(sum(self.n[v] for v in vs) <= daily)
        m.add(self.peak >= sum(self.n[v] for v in vs))
        if settings.max_schools_per_day > 1:
            for i, v in enumerate(vs):
                for u in vs[i + 1 :]:
                    if cannot_join(self.prep.instance, v[1], u[1], d):
                        m.add_at_most_one([self.y[v], self.y[u]])

    def prices(self, duals: Mapping[Row, float]) -> Prices:
        """What each lesson, visit and school of this ALT's week costs at ``duals``."""
        w = self.weights
        # A lesson counts -1 in the ALT's two load rows (hi - load >= 0, lo - load <= 0).
        per_lesson = duals.get(("hi", self.alt_id), 0.0) + duals.get(("lo", self.alt_id), 0.0)
        lesson, visit = {}, {}
        for v in self.top:
            a, s, d = v
            lesson[v] = per_lesson - sum(duals.get(k, 0.0) for k in self.rows.lesson[v])
            visit[v] = w.commute_minute * self.prep.commute[(a, s)] - sum(
                duals.get(k, 0.0) for k in self.rows.visit[(s, d)]
            )
        school = {
            s: w.alt_school - sum(duals.get(k, 0.0) * c for k, c in self.rows.pair[s])
            for s in self.schools
        }
        whole = {
            s: (need, dual)
            for s, need in self.whole.items()
            if (dual := duals.get(("whole", s), 0.0))
        }
        return Prices(lesson, visit, school, whole, float(w.day_peak))

    def price(
        self, duals: Mapping[Row, float], deadline: float, exact: bool = False
    ) -> tuple[float, list[_Week]] | None:
        """(lower bound of the least reduced cost of this ALT's weeks, the weeks found, best
        first), or None when no bound came in time.

        Without ``exact`` the CP-SAT pricing lets a school whose pair the duals reward count
        without a visit: a relaxation, several times faster, whose bound is valid but may be
        weaker. The dynamic programme is always exact."""
        base = -duals.get(("week", self.alt_id), 0.0)
        if not self.top:
            return base, []
        if time.monotonic() >= deadline:
            return None
        prices = self.prices(duals)
        if self.dp is not None:
            least, found = self.dp.price(prices, below=-base + IMPROVING)
            if not math.isfinite(least):
                return math.inf, []
            return base + least - _float_error(prices, self.top), [
                _Week(self.alt_id, lessons) for lessons in found
            ]
        return self._price_cpsat(prices, base, deadline, exact)

    def cpsat_objective(
        self, prices: Prices, exact: bool
    ) -> tuple[cp_model.CpModel, cp_model.LinearExprT]:
        """A copy of the CP-SAT pricing model and a week's price at ``prices`` in it, in
        1/SCALE units and without the ALT's own row (its variables are this pricer's)."""
        terms = []
        for v, n in self.n.items():
            terms.append(round(SCALE * prices.lesson[v]) * n)
            terms.append(round(SCALE * prices.visit[v]) * self.y[v])
        model = self.model.clone()  # same variable indices, so the same handles
        for s, z in self.z.items():
            c = prices.school[s]
            need, dual = prices.whole.get(s, (1, 0.0))
            if dual:
                # -dual * ([x = N] + 1 - x / N): b stands for [x = N].
                c -= dual
                terms.append(round(-SCALE * dual) * self.b[s])
                k = round(SCALE * dual / need)
                terms.extend(k * n for v, n in self.n.items() if v[1] == s)
            terms.append(round(SCALE * c) * z)
            if exact and round(SCALE * c) < 0:
                model.add(z <= sum(self.days_at[s]))
        terms.append(round(SCALE * prices.peak) * self.peak)
        return model, sum(terms)

    def _price_cpsat(
        self, prices: Prices, base: float, deadline: float, exact: bool
    ) -> tuple[float, list[_Week]] | None:
        model, price = self.cpsat_objective(prices, exact)
        model.minimize(price)
        seconds = deadline - time.monotonic()
        if seconds <= 0:
            return None
        solver = new_solver(seconds=seconds)
        # Every improving week the search passes through is a column too: fewer rounds.
        found = _Weeks(self)
        status = run(solver, model, found)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        lower = base + solver.best_objective_bound / SCALE - self.error
        return lower, found.weeks[::-1]


def _float_error(prices: Prices, top: Mapping[Visit, int]) -> float:
    """A bound of the floating-point error of a week's price: far above the ~1e-14
    relative error of summing a few hundred terms, far below anything that matters."""
    size = sum(abs(prices.lesson[v]) * t + abs(prices.visit[v]) for v, t in top.items())
    size += sum(map(abs, prices.school.values())) + prices.peak * max(top.values())
    size += sum(2 * abs(dual) for _need, dual in prices.whole.values())
    return 1e-9 * (1.0 + size)


class _Weeks(cp_model.CpSolverSolutionCallback):
    """The weeks of every solution a pricing search reports (the last is its best)."""

    def __init__(self, pricer: _Pricer) -> None:
        super().__init__()
        self.pricer = pricer
        self.weeks: list[_Week] = []

    def on_solution_callback(self) -> None:
        n = self.pricer.n
        lessons = tuple(sorted((v[1], v[2], k) for v, x in n.items() if (k := self.value(x)) > 0))
        self.weeks.append(_Week(self.pricer.alt_id, lessons))


def _weeks_of(counts: Mapping[Visit, int]) -> list[_Week]:
    """The weeks of a timetable's lesson counts, one per ALT who teaches."""
    by_alt: dict[str, list[tuple[str, Day, int]]] = defaultdict(list)
    for (a, s, d), k in counts.items():
        if k > 0:
            by_alt[a].append((s, d, k))
    return [_Week(a, tuple(sorted(ls))) for a, ls in sorted(by_alt.items())]
