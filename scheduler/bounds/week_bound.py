"""A lower bound at any size: column generation over weeks that forget their days.

:mod:`scheduler.bounds.patterns` prices whole weeks (which school on which day) and is exact
but too slow past about 20 ALTs. Here a week of one ALT is only, per school, the number of
visit days j and the lessons x there (at most the j largest visit capacities and the
school's need), at most the ALT's visit slots in all, paying the school, j commutes, the
busiest day as the load over the visit days, and the lessons under floor. Every real week
maps to one of these at no more cost, so this relaxes the ALT's week.

The linear programme joins the ALTs' weeks with the school side: every lesson given or
left unmet, at least the visits and distinct ALTs a school's need takes, one ALT giving a
school its whole need or two coming (the rows of :mod:`scheduler.bounds.patterns`, each
released when a lesson of the school is unmet, so the programme bounds every timetable,
not only those giving everything), the continuity bound and the load spread. Day-level
rows (ALTs per school-day, co-teachers, absorption) are left out.

Each ALT's best week at the duals comes from a dynamic programme over (load, visits used),
compiled with numba. Per round, an option (j, x) of a school is dropped when as many
other schools as the ALT has visit slots are no dearer for it: a week uses at most that many
schools, so one of them is free to take its place. Every round gives a Lagrangian bound
(rigorous: the duals are clipped to their signs and the columns outside the pricing count
at their upper bounds), and the duals priced are smoothed towards the best ones so far
(Wentges), which roughly halves the rounds. How far it lifts the cheap bound of
:mod:`scheduler.bounds.flow`: docs/benchmarks_stages.md.
"""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from scheduler.bounds.compiled import compiled
from scheduler.bounds.flow import VisitIndex
from scheduler.bounds.lp import MathOptLP, Solved, WarmLP
from scheduler.bounds.patterns import LP_TOLERANCE
from scheduler.config import Weights
from scheduler.model.data import Prepared
from scheduler.model.interrupt import interrupted
from scheduler.result import Lesson

Row = tuple[str, str]  # ("need", school), ("week", alt), ...
Part = tuple[int, int, int]  # (school's place in the ALT's list, visit days, lessons)

# Duals priced: this share of the best duals so far plus the rest of the programme's own.
SMOOTHING = 0.5
# Weeks an ALT brings to the programme per round (1 and 2 reach the bound in about the same
# time, 3 fills the programme faster than it helps).
WEEKS_PER_ROUND = 2
# An unmet lesson first costs at most this many units of the weights below (alt_school,
# commute_minute, day_peak), and UNMET_STEP times more each time the converged programme
# leaves one unmet, up to its real weight. A lower price relaxes further (every stage's
# bound is valid) and bounds the early duals, which otherwise price every ALT into far
# schools: the lower the first price, the sooner the bound passes the cheap one, and every
# start converges to the same value (docs/model.md, "Weeks that forget their days").
FIRST_UNMET_SHARE = (0, 25, 0)
UNMET_STEP = 4
# The rounds stop when the bound is this close to the programme's value, relatively: the
# last units cost seconds of rounds that the search can use.
CLOSE_ENOUGH = 1e-4
# On a branch of WARM_ALTS or more, a dearer unmet lesson that lifts the programme's value by
# less than this share above the bound ends the rounds there: no bound of the new stage can
# pass that value, and at 250 ALTs its rounds cost seconds the start from the programme
# needs for a few units of bound.
LATE_STAGE = 5e-4
INF = 1e18
# From this many ALTs the programme lives in a HiGHS process that keeps its basis between
# rounds (scheduler.bounds.lp); smaller ones take a few cold solves of milliseconds, fewer
# than a process's start.
WARM_ALTS = 40
# The dive (_dive) fixes this share of the ALTs still free a batch (besides those whose week
# already has weight 1), then prices new weeks for the rest for up to DIVE_ROUNDS rounds.
DIVE_SHARE = 0.3
DIVE_ROUNDS = 1


@dataclass(frozen=True)
class WeekBound:
    """The best bound found, whether the programme converged (to within
    :data:`CLOSE_ENOUGH`, or :data:`LATE_STAGE` after a dearer unmet lesson), rounds, weeks
    and seconds, why the HiGHS process was given up for MathOpt, if it was, and, when it
    converged, its pairs (:meth:`_WeekLP.plan`) and the weight its weeks give every pair
    they use (``support``)."""

    value: int
    converged: bool
    rounds: int
    weeks: int
    seconds: float
    cold: str | None = None
    plan: dict[tuple[str, str], int] | None = None
    support: dict[tuple[str, str], float] | None = None


class _Branch:
    """Each ALT's reachable schools as padded arrays: school, lessons held by j visits,
    commute; and the week terms that depend on the load and the visits alone."""

    def __init__(self, index: VisitIndex, weights: Weights) -> None:
        prep = index.prep
        self.alts = [a.alt_id for a in prep.instance.alts]
        self.schools = [s for s in prep.needy if index.alts_of.get(s)]
        self.place = {s: i for i, s in enumerate(self.schools)}
        self.need = np.array([index.need(s) for s in self.schools], dtype=float)
        weeks = [index.alt_week(a) for a in self.alts]
        tops = [w.top for w in weeks]
        slots = [w.slots for w in weeks]
        floors = [w.floor for w in weeks]
        self.top_load = L = max(tops, default=0)
        self.most_slots = max(slots, default=0)
        self._members(
            [
                [(self.place[s], held, c) for s, held, c in w.members if s in self.place]
                for w in weeks
            ]
        )
        short = np.maximum(0, np.array(floors, dtype=float)[:, None] - np.arange(L + 1)[None, :])
        self.under = (weights.under_floor_lesson * short).reshape(len(self.alts), L + 1)
        self._busiest_day(floors, slots, [w.days for w in weeks], weights)
        self.fits = np.zeros((len(self.alts), L + 1, self.most_slots + 1), dtype=bool)
        for i in range(len(self.alts)):
            self.fits[i, : tops[i] + 1, : slots[i] + 1] = True
        self.weights = weights

    def _members(self, members: list[list[tuple[int, list[int], int]]]) -> None:
        """Each ALT's reachable schools (members) as padded arrays: the school's place, the
        lessons j visits hold (0 where absent) and the commute."""
        n = len(members)
        self.most_days = J = max((len(h) for m in members for _s, h, _c in m), default=0)
        M = max((len(m) for m in members), default=0)
        self.school = np.zeros((n, M), dtype=np.int64)
        self.held = np.zeros((n, M, J + 1), dtype=np.int64)  # 0 where absent
        self.commute = np.zeros((n, M))
        self.real = np.zeros((n, M), dtype=bool)
        self.member_of: list[dict[int, int]] = []  # school place -> member, per ALT
        for i, ms in enumerate(members):
            self.member_of.append({s: k for k, (s, _h, _c) in enumerate(ms)})
            for k, (s, h, c) in enumerate(ms):
                self.school[i, k], self.commute[i, k], self.real[i, k] = s, c, True
                self.held[i, k, 1 : len(h) + 1] = h

    def _busiest_day(
        self, floors: list[int], slots: list[int], days: list[int], weights: Weights
    ) -> None:
        """The busiest day's cost per (ALT, load, visits, ratio): at least the load over the
        visit days (at most the ALT's days), and at least a school's lessons over its visit
        days, ceil(x / j), at every school of the week; the ratio r is the largest of those
        so far, up to the most one visit holds (without it a week with a lesson short at a
        school of few visits paid too little of its busiest day).
        A ratio up to the floor over the visit slots counts as 0 (a relaxation): a week at
        its floor has a busiest day at least that anyway, and the states saved are most of
        the pricing's time (four ratios fewer for a full-time ALT of five days)."""
        L, K = self.top_load, self.most_slots
        loads, visits = np.arange(L + 1), np.arange(K + 1)
        self.most_ratio = R = (
            int(min(L, self.held[:, :, 1].max(initial=0))) if self.most_days else 0
        )
        self.base = np.minimum(
            R, -(-np.array(floors, dtype=np.int64) // np.maximum(1, np.array(slots)))
        )
        spread = np.maximum(1, np.minimum(visits[None, :], np.array(days)[:, None]))
        even = np.ceil(loads[None, :, None] / spread[:, None, :] - 1e-9)
        ratio = np.where(
            np.arange(R + 1)[None, :] > 0, self.base[:, None] + np.arange(R + 1)[None, :], 0
        ).astype(float)
        self.peak = weights.day_peak * np.maximum(even[:, :, :, None], ratio[:, None, None, :])

    def cost(self, alt: int, parts: Sequence[Part]) -> float:
        """What a week costs: lessons under floor, schools, commutes, busiest day."""
        w = self.weights
        load = sum(x for _m, _j, x in parts)
        visits = min(self.most_slots, sum(j for _m, j, _x in parts))
        commute = sum(j * self.commute[alt, m] for m, j, _x in parts)
        most = min(self.most_ratio, max((-(-x // j) for _m, j, x in parts), default=0))
        ratio = max(0, most - int(self.base[alt]))
        return float(
            self.under[alt, load]
            + w.alt_school * len(parts)
            + w.commute_minute * commute
            + (self.peak[alt, load, visits, ratio] if load else 0.0)
        )


@dataclass(frozen=True)
class _Priced:
    """Each ALT's least reduced cost at some duals and how to read its weeks back."""

    least: np.ndarray  # per ALT, with the week row's dual
    # (ALT, (load * (slots + 1) + slots) * (ratios + 1) + ratio) reduced cost without it
    table: np.ndarray
    week_dual: np.ndarray
    cost: np.ndarray  # (ALT, member rank, j, x - 1): the options priced (_options)
    ranked: np.ndarray  # (ALT, member rank) -> member


class _WeekLP:
    """The linear programme: the weeks found so far against the school-side rows."""

    def __init__(self, prep: Prepared, index: VisitIndex, branch: _Branch, weights: Weights):
        self.branch, self.weights = branch, weights
        # The HiGHS process pays off where rounds are many and large (module docstring).
        self.lp: MathOptLP | WarmLP = WarmLP() if len(branch.alts) >= WARM_ALTS else MathOptLP()
        self.cons: dict[Row, int] = {}  # row -> its place in the programme
        self.rhs: dict[Row, float] = {}
        self.sign: dict[Row, int] = {}  # +1: dual >= 0, -1: dual <= 0, 0: free
        # Columns outside the pricing: (column, cost, {row: coefficient}, upper bound).
        self.fixed: list[tuple[int, float, dict[Row, float], float]] = []
        self.weeks: dict[tuple[int, tuple[Part, ...]], int] = {}  # (ALT, week) -> column
        self._unmet = False
        for a in branch.alts:
            self._row(("week", a), 1, 1)
        w = weights
        share = FIRST_UNMET_SHARE
        first = share[0] * w.alt_school + share[1] * w.commute_minute + share[2] * w.day_peak
        self.unmet_price = float(min(w.unmet_lesson, max(1, first)))
        self.unmet: list[int] = []  # places in self.fixed of the unmet-lesson columns
        self.counted: set[str] = set()  # schools with the counting rows
        self._school_rows(prep, index)
        self.spread = w.load_spread > 0 and len(branch.alts) >= 2
        if self.spread:
            self._spread_rows(prep)

    def _row(self, key: Row, lo: float, hi: float) -> None:
        """A row ``lo <= ... <= hi``; the sign its dual has in a minimisation."""
        self.cons[key] = len(self.cons)
        self.lp.add_row(lo, hi)
        self.rhs[key] = lo if lo > -math.inf else hi
        self.sign[key] = 0 if lo == hi else (1 if lo > -math.inf else -1)

    def _fixed_column(self, cost: float, rows: dict[Row, float], upper: float) -> None:
        """A column outside the pricing, counted at ``upper`` in the Lagrangian bound when
        its reduced cost is negative."""
        self.fixed.append((self._column(cost, rows), cost, rows, upper))

    def _school_rows(self, prep: Prepared, index: VisitIndex) -> None:
        """Per school: its need (given or unmet), the counting rows of a school given its
        whole need, which an unmet lesson there releases (so they hold for every
        timetable), and the continuity bound."""
        inst, w, inf = prep.instance, self.weights, math.inf
        most_visit: dict[str, int] = defaultdict(int)
        week_cap: dict[tuple[str, str], int] = defaultdict(int)
        for (a, s), caps in index.caps.items():
            for c, _d in caps:
                week_cap[(a, s)] += c
                most_visit[s] = max(most_visit[s], c)
        for s, n in zip(self.branch.schools, self.branch.need, strict=True):
            need = int(n)
            self._row(("need", s), need, need)
            rows: dict[Row, float] = {("need", s): 1.0}
            if need:
                visits = -(-need // most_visit[s])
                most_alt = max(
                    min(need, inst.max_lessons(inst.alt_by_id[a]), week_cap[(a, s)])
                    for a in index.alts_of[s]
                )
                alts = -(-need // most_alt)
                self._row(("visits", s), visits, inf)
                self._row(("alts_at", s), alts, inf)
                rows |= {("visits", s): visits, ("alts_at", s): alts}
                if need >= 2:
                    self._row(("whole", s), 1, inf)
                    rows[("whole", s)] = 1.0
                self.counted.add(s)
            self.unmet.append(len(self.fixed))
            self._fixed_column(self.unmet_price, rows, need)
            reach = len(index.alts_of[s])
            classes = len(prep.needy[s])
            if w.continuity > 0 and reach >= 2 and reach > classes:
                # Continuity bound: extra class ALTs >= ALTs at the school - classes.
                self._row(("cont", s), -classes, inf)
                self._fixed_column(w.continuity, {("cont", s): 1.0}, classes * (reach - 1))

    def _spread_rows(self, prep: Prepared) -> None:
        """Load spread: hi >= every load >= lo, the two ends columns of their own."""
        alts, w = self.branch.alts, self.weights
        most = self.branch.top_load + max(prep.fixed_load.values(), default=0)
        for a in alts:
            fixed = prep.fixed_load.get(a, 0)
            self._row(("hi", a), fixed, math.inf)
            self._row(("lo", a), -math.inf, -fixed)
        self._fixed_column(w.load_spread, {("hi", a): 1.0 for a in alts}, most)
        self._fixed_column(-w.load_spread, {("lo", a): 1.0 for a in alts}, most)

    def raise_unmet(self) -> bool:
        """Make unmet lessons dearer, up to their real weight; False when they have it."""
        if self.unmet_price >= self.weights.unmet_lesson:
            return False
        self.unmet_price = float(min(self.weights.unmet_lesson, UNMET_STEP * self.unmet_price))
        for k in self.unmet:
            column, _cost, rows, upper = self.fixed[k]
            self.lp.set_cost(column, self.unmet_price)
            self.fixed[k] = (column, self.unmet_price, rows, upper)
        return True

    def any_unmet(self) -> bool:
        """Whether the last optimum left some lesson unmet."""
        return self._unmet

    def coefficients(self, alt: int, parts: Sequence[Part]) -> dict[Row, float]:
        b = self.branch
        a = b.alts[alt]
        load = sum(x for _m, _j, x in parts)
        col: dict[Row, float] = {("week", a): 1.0}
        if self.spread:
            col[("hi", a)] = col[("lo", a)] = -float(load)
        for m, j, x in parts:
            s = b.schools[b.school[alt, m]]
            col[("need", s)] = float(x)
            if s in self.counted:
                col[("visits", s)] = float(j)
                col[("alts_at", s)] = 1.0
                if ("whole", s) in self.cons:
                    need = b.need[b.place[s]]
                    col[("whole", s)] = (x == need) + 1.0 - x / need
            if ("cont", s) in self.cons:
                col[("cont", s)] = -1.0
        return col

    def add(self, alt: int, parts: Sequence[Part]) -> int:
        """Add a week as a column; 0 when it is there already."""
        key = (alt, tuple(sorted(parts)))
        if key in self.weeks:
            return 0
        self.weeks[key] = self._column(self.branch.cost(alt, parts), self.coefficients(alt, parts))
        return 1

    def plan(
        self, deadline: float
    ) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], float]] | None:
        """Who teaches where in the programme's optimum: each (ALT, school) pair its weeks
        use with a total weight of at least one half, with their weighted lessons there
        (at least 1); and the total weight of every pair its weeks use. None when the LP
        gives no optimum in time."""
        solved = self._solve(deadline, list(self.weeks.values()))
        if solved is None:
            return None
        b = self.branch
        weight: dict[tuple[str, str], float] = defaultdict(float)
        lessons: dict[tuple[str, str], float] = defaultdict(float)
        for (alt, parts), x in zip(self.weeks, solved.watched, strict=True):
            if x <= 1e-6:
                continue
            for m, _j, n in parts:
                pair = (b.alts[alt], b.schools[int(b.school[alt, m])])
                weight[pair] += x
                lessons[pair] += x * n
        plan = {p: max(1, round(lessons[p])) for p, w in weight.items() if w >= 0.5}
        return plan, dict(weight)

    def reduced_cost(self, alt: int, parts: Sequence[Part], duals: dict[Row, float]) -> float:
        col = self.coefficients(alt, parts)
        return self.branch.cost(alt, parts) - sum(v * duals[k] for k, v in col.items())

    def _solve(self, deadline: float, watch: list[int]) -> Solved | None:
        """The LP's optimum with the ``watch`` columns' values; None past the deadline."""
        seconds = deadline - time.monotonic()
        return self.lp.solve(seconds, watch) if seconds > 0 else None

    def _column(self, cost: float, rows: dict[Row, float]) -> int:
        return self.lp.add_column(cost, {self.cons[k]: v for k, v in rows.items() if v})

    def close(self) -> None:
        """Release the LP solver's process, if any."""
        self.lp.close()

    def solve(self, deadline: float) -> tuple[float, dict[Row, float]] | None:
        """The programme's value and its duals, clipped to their signs; None when the LP
        gives no optimum in time."""
        solved = self._solve(deadline, [self.fixed[k][0] for k in self.unmet])
        if solved is None:
            return None
        self._unmet = bool((solved.watched > 1e-6).any())
        clipped = {k: self._clip(k, float(solved.duals[i])) for k, i in self.cons.items()}
        return solved.value, clipped

    def _clip(self, key: Row, dual: float) -> float:
        sign = self.sign[key]
        return max(0.0, dual) if sign > 0 else min(0.0, dual) if sign < 0 else dual

    def lagrangian(self, duals: dict[Row, float], priced: _Priced) -> float:
        """A lower bound at any duals of the right signs: the rows' right-hand sides, each
        ALT's least reduced cost, and every other column at its upper bound when its
        reduced cost is negative."""
        value = sum(duals[k] * b for k, b in self.rhs.items()) + float(priced.least.sum())
        for _var, cost, rows, upper in self.fixed:
            value += upper * min(0.0, cost - sum(v * duals[k] for k, v in rows.items()))
        return value


def _price(branch: _Branch, duals: dict[Row, float], prune: bool = True) -> _Priced:
    """Every ALT's reduced costs by load and visits used, by the dynamic programme
    (``prune``: without the options other schools can take, which changes nothing)."""
    b = branch
    schools = b.schools
    lam = np.array([duals[("need", s)] for s in schools])
    visits = np.array([duals.get(("visits", s), 0.0) for s in schools])
    alts_at = np.array([duals.get(("alts_at", s), 0.0) for s in schools])
    whole = np.array([duals.get(("whole", s), 0.0) for s in schools])
    cont = np.array([duals.get(("cont", s), 0.0) for s in schools])
    week = np.array([duals[("week", a)] for a in b.alts])
    load_dual = np.array([duals.get(("hi", a), 0.0) + duals.get(("lo", a), 0.0) for a in b.alts])
    L, K = b.top_load, b.most_slots
    # Per school, the parts of an option's cost (j visits, x lessons): pair, visits,
    # lessons, whole need (the duals of the school's rows).
    pair = b.weights.alt_school - alts_at - whole + cont
    per_lesson = whole / b.need - lam
    sides = np.stack([pair, visits, per_lesson, whole, b.need], axis=1)
    minutes = float(b.weights.commute_minute) * b.commute
    cost, ranked = _options(b.school, b.held, minutes, sides, K if prune else 0, L)
    n = len(b.alts)
    best = _grow(cost, K, b.most_ratio, b.base)
    by_load = load_dual[:, None, None, None] * np.arange(L + 1)[None, :, None, None]
    table = best + b.under[:, :, None, None] + b.peak + by_load
    table = np.where(b.fits[:, :, :, None], table, INF).reshape(n, -1)
    return _Priced(table.min(axis=1) - week, table, week, cost, ranked)


@compiled
def _options(
    school: np.ndarray,
    held: np.ndarray,
    minutes: np.ndarray,
    sides: np.ndarray,
    slots: int,
    top: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Each ALT's options (``cost[alt, rank, j, x - 1]``, INF where none) over the members
    that keep one, and which member each rank is (``ranked``: members with an option first,
    in their order, then the others). An option (j, x) is dropped when ``slots`` other
    members are no dearer (``slots`` 0: none is dropped). ``sides[school]`` holds the
    school's pair cost, visit dual, cost per lesson, whole-need dual and need.

    Compiled, one ALT at a time: as whole (ALT, member, j, x) arrays in numpy they took
    longer than the programme itself and hundreds of MB at 250 ALTs."""
    n, members, days = held.shape
    options = np.empty((members, days, top))
    keep = np.zeros((n, members), dtype=np.bool_)
    # First pass: which members keep an option, to size the ranks (the second builds the
    # same options again rather than holding every ALT's: 124 MB at 250 ALTs).
    for i in range(n):
        _member_options(i, school, held, minutes, sides, options)
        _drop(options, slots)
        for k in range(members):
            keep[i, k] = (options[k] < INF / 2).any()
    ranks = 0
    for i in range(n):
        ranks = max(ranks, int(keep[i].sum()))
    cost = np.full((n, ranks, days, top), INF)
    ranked = np.zeros((n, ranks), dtype=np.int64)
    for i in range(n):
        _member_options(i, school, held, minutes, sides, options)
        _drop(options, slots)
        r = 0
        for k in range(members):  # kept members first, then the rest, each in order
            if keep[i, k] and r < ranks:
                ranked[i, r] = k
                cost[i, r] = options[k]
                r += 1
        for k in range(members):
            if not keep[i, k] and r < ranks:
                ranked[i, r] = k
                r += 1
    return cost, ranked


@compiled
def _member_options(
    i: int,
    school: np.ndarray,
    held: np.ndarray,
    minutes: np.ndarray,
    sides: np.ndarray,
    out: np.ndarray,
) -> None:
    """ALT ``i``'s cost of every member's option into ``out[member, j, x - 1]``."""
    members, days, top = out.shape
    for k in range(members):
        s = school[i, k]
        pair, visits, per_lesson, whole, need = sides[s]
        step = minutes[i, k] - visits
        for j in range(days):
            for x in range(1, top + 1):
                if j == 0 or held[i, k, j] < x:
                    out[k, j, x - 1] = INF
                else:
                    bonus = whole if need == x else 0.0
                    out[k, j, x - 1] = pair + j * step + x * per_lesson - bonus


@compiled
def _drop(options: np.ndarray, slots: int) -> None:
    """Set to INF each option (j, x) dearer than the ``slots``-th least over the members
    (``slots`` 0: none)."""
    members, days, top = options.shape
    if slots == 0:
        return
    least = np.empty(slots)
    for j in range(days):
        for x in range(top):
            for q in range(slots):
                least[q] = INF
            for k in range(members):
                c = options[k, j, x]
                if c < least[slots - 1]:
                    q = slots - 1
                    while q > 0 and least[q - 1] > c:
                        least[q] = least[q - 1]
                        q -= 1
                    least[q] = c
            for k in range(members):
                if options[k, j, x] > least[slots - 1]:
                    options[k, j, x] = INF


@compiled
def _grow(cost: np.ndarray, slots: int, ratios: int, base: np.ndarray) -> np.ndarray:
    """The least cost of each ALT's weeks by (load, visits used, largest ratio):
    :func:`_grow_alt` for every ALT, without the options taken (read back one ALT at a time
    in :func:`_weeks`: the whole array of them was 47 MB at 120 ALTs, and filling it took
    longer than the programme)."""
    n, _ranks, _days, top = cost.shape
    best = np.empty((n, top + 1, slots + 1, ratios + 1))
    none = np.zeros((0, top + 1, slots + 1, ratios + 1), dtype=np.int32)
    for i in range(n):
        best[i] = _grow_alt(cost[i], slots, ratios, base[i], none)
    return best


@compiled
def _grow_alt(
    cost: np.ndarray, slots: int, ratios: int, base: int, back: np.ndarray
) -> np.ndarray:
    """The least cost of one ALT's weeks by (load, visits used, largest ratio), adding the
    members one by one (``cost[member, j, x - 1]``: the member's option of j visits and x
    lessons, INF where there is none; its ratio is ceil(x / j), at most ``ratios``, less
    the ALT's ``base``, at least 0); when ``back`` has a row per member, the option each
    member took there and the ratio before it (``r * 4096 + j * 64 + x``; 0: none).

    Compiled: in numpy the same loops are thousands of small array operations a round,
    holding the GIL the search's lanes need."""
    ranks, days, top = cost.shape
    keep = back.shape[0] > 0
    best = np.full((top + 1, slots + 1, ratios + 1), INF)
    grown = np.empty((top + 1, slots + 1, ratios + 1))
    best[0, 0, 0] = 0.0
    own = ratios - base  # the ratios above the base
    for m in range(ranks):
        grown[:, :, :] = best
        # Options in the order (j, x) and strictly better only: ties keep the first.
        for j in range(1, days):
            for x in range(1, top + 1):
                c = cost[m, j, x - 1]
                if c >= INF / 2:
                    continue
                q = max(0, min(ratios, (x + j - 1) // j) - base)
                for load in range(x, top + 1):
                    for used in range(j, slots + 1):
                        for r in range(own + 1):
                            before = best[load - x, used - j, r]
                            if before >= INF / 2:
                                continue
                            cand = before + c
                            to = max(r, q)
                            if cand < grown[load, used, to]:
                                grown[load, used, to] = cand
                                if keep:
                                    back[m, load, used, to] = r * 4096 + j * 64 + x
        best[:, :, :] = grown
    return best


def _weeks(branch: _Branch, priced: _Priced, most: int) -> list[tuple[int, list[Part]]]:
    """Up to ``most`` weeks per ALT with a negative reduced cost at the priced duals."""
    K, R = branch.most_slots, branch.most_ratio
    out = []
    order = np.argsort(priced.table, axis=1)[:, : most * 3]
    for i in range(len(branch.alts)):
        for seen, flat in enumerate(order[i]):
            if seen >= most or priced.table[i, flat] - priced.week_dual[i] > -1e-6:
                break
            load, rest = divmod(int(flat), (K + 1) * (R + 1))
            visits, ratio = divmod(rest, R + 1)
            if seen == 0:
                # The options this ALT's weeks took: its programme again, keeping them.
                # (Members with an option come first; the others add nothing.)
                options = priced.cost[i]
                kept = int((options < INF / 2).any(axis=(1, 2)).sum())
                back = np.zeros((kept, branch.top_load + 1, K + 1, R + 1), dtype=np.int32)
                _grow_alt(options[:kept], K, R, int(branch.base[i]), back)
            parts: list[Part] = []
            for m in range(back.shape[0] - 1, -1, -1):
                code = int(back[m, load, visits, ratio])
                if code:
                    before, jx = divmod(code, 4096)
                    j, x = divmod(jx, 64)
                    parts.append((int(priced.ranked[i, m]), j, x))
                    load, visits, ratio = load - x, visits - j, before
            out.append((i, parts))
    return out


def week_bound(
    prep: Prepared,
    weights: Weights,
    deadline: float,
    starts: Iterable[Sequence[Lesson]] = (),
    on_bound: Callable[[int], None] | None = None,
    stop: Callable[[], bool] = lambda: False,
    index: VisitIndex | None = None,
) -> WeekBound | None:
    """A lower bound of the weighted objective of every timetable of ``prep`` (up to the
    load spread's and continuity's own floors), by column generation until ``deadline``,
    ``stop()`` or convergence. ``starts`` are timetables whose weeks seed the programme;
    ``on_bound`` hears every improvement. None when no round completed."""
    t0 = time.monotonic()
    index = index or VisitIndex.of(prep)
    branch = _Branch(index, weights)
    if not branch.alts or not branch.schools:
        return None
    prog = _WeekLP(prep, index, branch, weights)
    try:
        return _rounds(branch, prog, deadline, starts, on_bound, stop, t0)
    finally:
        prog.close()


def _rounds(
    branch: _Branch,
    prog: _WeekLP,
    deadline: float,
    starts: Iterable[Sequence[Lesson]],
    on_bound: Callable[[int], None] | None,
    stop: Callable[[], bool],
    t0: float,
) -> WeekBound | None:
    """Column generation's rounds (:func:`week_bound`)."""
    _seed(branch, prog, starts)
    best = _Best(on_bound)
    rounds, converged = 0, False
    raised = False  # the unmet lessons just became dearer
    while time.monotonic() < deadline and not stop() and not interrupted():
        solved = prog.solve(deadline)
        if solved is None:
            break
        value, duals = solved
        if (
            raised
            and len(branch.alts) >= WARM_ALTS
            and value - best.value <= LATE_STAGE * abs(value)
        ):
            converged = True
            break
        raised = False
        rounds += 1
        added = _round(branch, prog, best, duals)
        # Rounds near the end add a unit or two each: within CLOSE_ENOUGH of the programme's
        # value (which no bound of it can pass) the cores go back to the search.
        if added == 0 or best.value >= value - max(1.0, CLOSE_ENOUGH * abs(value)):
            if prog.any_unmet() and prog.raise_unmet():
                raised = True
                continue
            converged = True
            break
    if rounds == 0:
        return None
    plan, support = _planned(branch, prog, deadline, stop) if converged else (None, None)
    return WeekBound(
        _rounded(best.value),
        converged,
        rounds,
        len(prog.weeks),
        time.monotonic() - t0,
        prog.lp.failure,
        plan,
        support,
    )


class _Best:
    """The best Lagrangian bound so far and the duals it was priced at, the centre the
    next duals are smoothed towards (Wentges)."""

    def __init__(self, on_bound: Callable[[int], None] | None) -> None:
        self.value = -math.inf
        self.centre: dict[Row, float] | None = None
        self.on_bound = on_bound

    def keep(self, bound: float, at: dict[Row, float]) -> None:
        """Keep a better bound and the duals it was priced at."""
        if bound > self.value:
            self.value, self.centre = bound, at
            if self.on_bound:
                self.on_bound(_rounded(bound))

    def smoothed(self, duals: dict[Row, float]) -> dict[Row, float]:
        """``duals`` moved :data:`SMOOTHING` of the way to the centre (``duals`` itself
        before there is one)."""
        centre = self.centre
        if centre is None:
            return duals
        return {k: SMOOTHING * centre[k] + (1 - SMOOTHING) * d for k, d in duals.items()}


def _seed(branch: _Branch, prog: _WeekLP, starts: Iterable[Sequence[Lesson]]) -> None:
    """The empty week of every ALT, then the weeks of the ``starts`` timetables."""
    for i in range(len(branch.alts)):
        prog.add(i, [])
    alt_place = {a: i for i, a in enumerate(branch.alts)}
    for lessons in starts:
        days: dict[tuple[str, str], set[str]] = defaultdict(set)
        given: dict[tuple[str, str], int] = defaultdict(int)
        for les in lessons:
            days[(les.alt_id, les.school_id)].add(les.day)
            given[(les.alt_id, les.school_id)] += 1
        parts: dict[int, list[Part]] = defaultdict(list)
        for (a, s), n in given.items():
            i = alt_place[a]
            m = branch.member_of[i].get(branch.place.get(s, -1))
            if m is not None:
                parts[i].append((m, len(days[(a, s)]), n))
        for i, week in parts.items():
            prog.add(i, week)


def _round(branch: _Branch, prog: _WeekLP, best: _Best, duals: dict[Row, float]) -> int:
    """One pricing round at the programme's ``duals`` smoothed towards the best so far:
    the weeks it added."""
    mixed = best.smoothed(duals)
    priced = _price(branch, mixed)
    best.keep(prog.lagrangian(mixed, priced), mixed)
    added = sum(
        prog.add(i, parts)
        for i, parts in _weeks(branch, priced, WEEKS_PER_ROUND)
        if mixed is duals or prog.reduced_cost(i, parts, duals) < -1e-6
    )
    if added == 0 and mixed is not duals:
        # The smoothed duals found nothing the programme wants: price its own.
        priced = _price(branch, duals)
        best.keep(prog.lagrangian(duals, priced), duals)
        added = sum(prog.add(i, p) for i, p in _weeks(branch, priced, WEEKS_PER_ROUND))
    return added


Plan = tuple[dict[tuple[str, str], int], dict[tuple[str, str], float]]


def _planned(
    branch: _Branch, prog: _WeekLP, deadline: float, stop: Callable[[], bool]
) -> Plan | tuple[None, None]:
    """The converged programme's pairs, which guide the search's plan steps, and their
    weights: one integer week per ALT (:func:`_dive`) when there is time, since a timetable
    built from it gives more of the need than one built from the fractional optimum."""
    planned = prog.plan(deadline)
    if planned is None:
        return None, None
    if not stop():
        dived = _dive(branch, prog, deadline, stop)
        if dived is not None:
            return dived
    return planned


def _dive(
    branch: _Branch, prog: _WeekLP, deadline: float, stop: Callable[[], bool]
) -> Plan | None:
    """One week per ALT, fixed a few at a time in the converged programme: every ALT whose
    week has weight 1, then the heaviest of the others (:data:`DIVE_SHARE` of those left)
    whose week gives no school more than its need beside the weeks fixed before, each batch
    followed by up to :data:`DIVE_ROUNDS` rounds of new weeks for the ALTs still free (at the
    real weight of an unmet lesson). Returns the pairs of the weeks with their lessons (the
    plan) and their weights (all 1), or None when time runs out."""
    while prog.raise_unmet():
        pass
    b = branch
    need = {s: int(n) for s, n in zip(b.schools, b.need, strict=True)}
    given: dict[str, int] = defaultdict(int)
    fixed: dict[int, tuple[Part, ...]] = {}
    while len(fixed) < len(b.alts):
        if stop() or interrupted():
            return None
        order = _heaviest(prog, fixed, deadline)
        if order is None:
            return None
        _fix_batch(b, prog, order, fixed, given, need)
        if not _price_free(b, prog, fixed, deadline):
            return None
    plan: dict[tuple[str, str], int] = {}
    for alt, parts in fixed.items():
        for m, _j, k in parts:
            plan[(b.alts[alt], b.schools[int(b.school[alt, m])])] = k
    return plan, {pair: 1.0 for pair in plan}


Weighted = list[tuple[float, int, tuple[Part, ...]]]  # (weight, ALT, week), heaviest first


def _heaviest(
    prog: _WeekLP, fixed: dict[int, tuple[Part, ...]], deadline: float
) -> Weighted | None:
    """The weeks of the ALTs not yet fixed with a weight in the programme's optimum,
    heaviest first; None when the programme cannot be solved in time."""
    keys = [k for k in prog.weeks if k[0] not in fixed]
    solved = prog._solve(deadline, [prog.weeks[k] for k in keys])
    if solved is None:
        return None
    weighted = [
        (float(x), alt, parts)
        for (alt, parts), x in zip(keys, solved.watched, strict=True)
        if x > 1e-6
    ]
    return sorted(weighted, key=lambda t: (-t[0], t[1], t[2]))


def _fix_batch(
    b: _Branch,
    prog: _WeekLP,
    order: Weighted,
    fixed: dict[int, tuple[Part, ...]],
    given: dict[str, int],
    need: dict[str, int],
) -> None:
    """Fix every week of weight 1 and a batch of the heaviest others that over-give no
    school, in ``fixed`` and as the columns' lower bounds; at least one ALT is fixed."""
    batch = max(1, math.ceil(DIVE_SHARE * (len(b.alts) - len(fixed))))
    taken, before = 0, len(fixed)
    for x, alt, parts in order:
        if alt in fixed or (x < 1 - 1e-6 and taken >= batch):
            continue
        schools = [(b.schools[int(b.school[alt, m])], k) for m, _j, k in parts]
        if any(given[s] + k > need[s] for s, k in schools):
            continue
        for s, k in schools:
            given[s] += k
        fixed[alt] = parts
        prog.lp.set_lower(prog.weeks[(alt, parts)], 1.0)
        taken += x < 1 - 1e-6
    if len(fixed) == before:
        # Every week of the free ALTs over-gives a school: the heaviest of them gets the
        # empty week, which always fits (and was the programme's first column).
        alt = next(a for _x, a, _p in order if a not in fixed)
        fixed[alt] = ()
        prog.lp.set_lower(prog.weeks[(alt, ())], 1.0)


def _price_free(
    b: _Branch, prog: _WeekLP, fixed: dict[int, tuple[Part, ...]], deadline: float
) -> bool:
    """Up to :data:`DIVE_ROUNDS` rounds of new weeks for the ALTs still free; False when
    the programme cannot be solved in time."""
    for _ in range(DIVE_ROUNDS):
        found = prog.solve(deadline)
        if found is None:
            return False
        priced = _price(b, found[1])
        weeks = [(i, p) for i, p in _weeks(b, priced, WEEKS_PER_ROUND) if i not in fixed]
        if sum(prog.add(i, p) for i, p in weeks) == 0:
            break
    return True


def _rounded(value: float) -> int:
    """Every objective is a whole number; the margin covers the solvers' rounding."""
    return math.ceil(value - LP_TOLERANCE - 1e-9 * abs(value))


class BackgroundBound:
    """:func:`week_bound` on a thread beside a search (the LP runs in its own process, the
    compiled pricing releases the GIL). :attr:`value` is the best bound so far, at least
    ``known`` (a bound found before it).

    Half way to the deadline, a bound still below ``known`` gives up and leaves the cores to
    the search, which shares them with it meanwhile: such a bound cannot help in time, and a
    bound that runs to the end beside the search costs it more than it proves. At 120 and
    250 ALTs with a 60 s limit the bound passes the cheap one before half way, so the rule
    acts on larger branches or shorter limits (at a third of the way it gave up on some
    250-ALT runs that would have converged)."""

    def __init__(
        self,
        prep: Prepared,
        weights: Weights,
        deadline: float,
        starts: Iterable[Sequence[Lesson]],
        known: int,
        index: VisitIndex | None = None,
        give_up: float = 0.5,
    ) -> None:
        self.value = known
        self._done = threading.Event()
        self._result: WeekBound | None = None
        self._error: BaseException | None = None
        starts = [list(s) for s in starts]
        cutoff = time.monotonic() + (deadline - time.monotonic()) * give_up

        def stop() -> bool:
            return self._done.is_set() or (time.monotonic() > cutoff and self.value <= known)

        def work() -> None:
            try:
                self._result = week_bound(
                    prep, weights, deadline, starts, self._raise, stop, index
                )
            except BaseException as e:  # re-raised by finish(), in the caller's thread
                self._error = e

        self._thread = threading.Thread(target=work, name="week-bound", daemon=True)
        self._thread.start()

    @property
    def plan(self) -> dict[tuple[str, str], int] | None:
        """The converged programme's pairs, once the thread has them (read by the search's
        lanes)."""
        result = self._result
        return result.plan if result is not None else None

    @property
    def running(self) -> bool:
        """Whether the thread is still at work."""
        return self._thread.is_alive()

    @property
    def result(self) -> WeekBound | None:
        """What the programme reached, once the thread has finished (read by the search)."""
        return self._result

    def _raise(self, value: int) -> None:
        self.value = max(self.value, value)

    def finish(self) -> WeekBound | None:
        """Stop after the round under way and return what the programme reached."""
        self._done.set()
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._result
