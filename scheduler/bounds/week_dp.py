"""One ALT's cheapest week at given prices, exactly, by a dynamic programme over schools.

The weekly-pattern bound (:mod:`scheduler.bounds.patterns`) prices every ALT's best new week
each round. With one school a day (the contract's default) that week is: for each school,
the days the ALT visits it and how many lessons on each; the schools' day sets are
disjoint. Its price is linear in lessons and visits, plus a price per school used that may
depend on how many lessons it gets (the "whole need" row), plus the busiest day. So:

- per school, every vector of lessons per day that its absorption limits allow is listed
  once (at most 7^5 of them); each round prices them with one table look-up per day and
  keeps the cheapest per (days used, lessons, busiest day);
- a programme over the schools, one after another, keeps the cheapest partial week per
  (busiest-day cap, days used, lessons so far): a school either stays out or takes a set of
  days not used yet;
- the busiest-day cap P is paid in full, so the minimum over P is the exact price.

Exact, not a relaxation: every week it returns is a real week of the ALT, and its minimum
is the true minimum (up to floating-point rounding, accounted for by the caller). Checked
against the CP-SAT pricing in ``tests/bounds/test_week_dp.py`` on random prices.

The same stages list every week priced below a limit (:meth:`WeekDP.signatures`), for
closing the gap (:mod:`scheduler.bounds.closing`): by signature (lessons per school), with
the least cost and price of its weeks, walked back over the grouped choices.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from scheduler.bounds.compiled import compiled
from scheduler.instance import DAYS, Day
from scheduler.model.data import Visit

Lessons = tuple[tuple[str, Day, int], ...]  # (school, day, lessons > 0), sorted
Signature = tuple[tuple[str, int], ...]  # (school, lessons > 0) of a week, sorted

# Prices compared with a listing's limit are sums of a few hundred floats: a week priced at
# the limit must not be lost to their rounding (listing a few more is harmless).
_SLACK = 1e-6

_INF = np.inf


@dataclass(frozen=True)
class Prices:
    """One round's prices of an ALT's week, in objective units.

    ``lesson`` and ``visit`` per candidate visit, ``school`` once per school used; a school
    in ``whole`` (its need N and the row's dual r) also costs ``-r * ([x = N] + 1 - x / N)``
    for the x lessons it gets; ``peak`` per lesson of the busiest day.
    """

    lesson: Mapping[Visit, float]
    visit: Mapping[Visit, float]
    school: Mapping[str, float]
    whole: Mapping[str, tuple[int, float]]
    peak: float


class SchoolVectors:
    """The lesson vectors one ALT can give one school in a week, grouped for pricing."""

    def __init__(
        self, school: str, caps: Sequence[tuple[int, int]], limits: Sequence[tuple[int, int]]
    ) -> None:
        # caps: (day index, most lessons that visit) per day the ALT can come;
        # limits: (mask of days, most lessons on those days).
        self.school = school
        self.days = [d for d, _t in caps]
        self.most = max(t for _d, t in caps)
        grids = np.indices([t + 1 for _d, t in caps], dtype=np.int8).reshape(len(caps), -1).T
        bits = np.array([1 << d for d in self.days], dtype=np.int64)
        masks = (grids > 0) @ bits
        keep = masks > 0
        for mask, room in limits:
            on = (bits & mask) > 0
            keep &= grids[:, on].sum(axis=1, dtype=np.int64) <= room
        grids, masks = grids[keep], masks[keep]
        totals = grids.sum(axis=1, dtype=np.int64)
        peaks = grids.max(axis=1).astype(np.int64)
        # Sorted by (mask, total, peak): each group's cheapest vector is one reduceat.
        order = np.lexsort((peaks, totals, masks))
        # Day i's lessons index row i of a price table: no matrix of floats is kept.
        self.grids = np.ascontiguousarray(grids[order])
        self.columns = [self.grids[:, i] for i in range(len(caps))]
        self.masks, self.totals, self.peaks = masks[order], totals[order], peaks[order]
        key = (self.masks * 64 + self.totals) * 64 + self.peaks
        self.starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(key) else key
        self.group_mask = self.masks[self.starts]
        self.group_total = self.totals[self.starts]
        self.group_peak = self.peaks[self.starts]
        # The day sets this school can take and, for each, the disjoint sets before it.
        self.day_sets = np.unique(self.group_mask)
        pairs = [(m, int(d)) for d in self.day_sets for m in range(32) if m & int(d) == 0]
        self.pair_before = np.array([m for m, _d in pairs], dtype=np.int64)
        self.pair_set = np.array([d for _m, d in pairs], dtype=np.int64)
        self.pair_after = self.pair_before | self.pair_set
        order = np.argsort(self.pair_after, kind="stable")
        self.pair_before, self.pair_set = self.pair_before[order], self.pair_set[order]
        self.pair_after = self.pair_after[order]
        self.after_starts = np.flatnonzero(
            np.r_[True, self.pair_after[1:] != self.pair_after[:-1]]
        )

    def costs(self, alt_id: str, prices: Prices) -> np.ndarray:
        """Each vector's price this round."""
        s = self.school
        lessons = np.arange(self.most + 1, dtype=np.float64)
        out = np.full(len(self.grids), prices.school.get(s, 0.0))
        for d, column in zip(self.days, self.columns, strict=True):
            visit = (alt_id, s, DAYS[d])
            # What n lessons on this day cost: n lessons, and the visit when n > 0.
            table = prices.lesson[visit] * lessons + prices.visit[visit] * (lessons > 0)
            out += table[column]
        if s in prices.whole:
            need, dual = prices.whole[s]
            out = out - dual * ((self.totals == need) + 1.0 - self.totals / need)
        return out

    def table(self, costs: np.ndarray, peak_cap: int, most: int) -> np.ndarray:
        """[P, day set, lessons]: the cheapest vector with busiest day <= P."""
        out = np.full((peak_cap + 1, 32, most + 1), _INF)
        if not len(costs):
            return out
        best = np.minimum.reduceat(costs, self.starts)
        fits = self.group_total <= most
        out[self.group_peak[fits], self.group_mask[fits], self.group_total[fits]] = best[fits]
        return np.minimum.accumulate(out, axis=0)


class WeekDP:
    """One ALT's cheapest weeks, one school a day, with their load within [low, high].

    ``shared`` caches the schools' vectors between the ALTs of one programme."""

    def __init__(
        self,
        alt_id: str,
        top: Mapping[Visit, int],
        limits: Sequence[tuple[str, tuple[Day, ...], int]],
        low: int,
        high: int,
        daily: int,
        shared: dict[tuple[object, ...], SchoolVectors] | None = None,
    ) -> None:
        self.alt_id, self.low, self.high = alt_id, max(0, low), high
        self.daily = daily  # every visit capacity is at most it (master.visit_capacity)
        index = {d: i for i, d in enumerate(DAYS)}
        caps: dict[str, list[tuple[int, int]]] = {}
        for (_a, s, d), t in sorted(top.items(), key=lambda kv: (kv[0][1], index[kv[0][2]])):
            caps.setdefault(s, []).append((index[d], min(t, self.daily)))
        masks: dict[str, list[tuple[int, int]]] = {}
        for s, days, room in limits:
            masks.setdefault(s, []).append((sum(1 << index[d] for d in days), room))
        # ALTs with the same days and capacities at a school share its vectors (``shared``).
        shared = {} if shared is None else shared
        self.schools = []
        for s, c in caps.items():
            key = (s, tuple(c), tuple(sorted(masks.get(s, []))))
            if key not in shared:
                shared[key] = SchoolVectors(s, c, masks.get(s, []))
            self.schools.append(shared[key])

    def price(
        self, prices: Prices, below: float = _INF, keep: int = 8
    ) -> tuple[float, list[Lessons]]:
        """(least price of a week, up to ``keep`` weeks priced below ``below``, cheapest
        first): the cheapest week of each busiest day and load, distinct. inf and [] when
        no week fits the load range."""
        cap, most = self.daily, self.high
        if self.low > most:
            return _INF, []
        stages, tables, all_costs = self._forward(prices)
        # [P, load]: the cheapest week with busiest day <= P, paying P in full.
        total = stages[-1][:, :, self.low :] + prices.peak * np.arange(cap + 1)[:, None, None]
        by_masks = total.argmin(axis=1)
        value = np.take_along_axis(total, by_masks[:, None, :], axis=1)[:, 0, :]
        least = float(value.min())
        if not np.isfinite(least):
            return _INF, []
        weeks: list[Lessons] = []
        for flat in np.argsort(value, axis=None):
            p, i = divmod(int(flat), value.shape[1])
            if not value[p, i] < below or len(weeks) >= keep:
                break
            week = self._week(stages, tables, all_costs, p, int(by_masks[p, i]), self.low + i)
            if week not in weeks:
                weeks.append(week)
        return least, weeks

    def _forward(
        self, prices: Prices
    ) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
        """The programme's stages (before the first school, after each), each school's
        table and the prices of its vectors."""
        cap, most = self.daily, self.high
        state = np.full((cap + 1, 32, most + 1), _INF)
        state[:, 0, 0] = 0.0
        stages, tables, all_costs = [state], [], []
        for school in self.schools:
            costs = school.costs(self.alt_id, prices)
            table = school.table(costs, cap, most)
            state = _add_school(state, table, school)
            stages.append(state)
            tables.append(table)
            all_costs.append(costs)
        return stages, tables, all_costs

    def signatures(
        self,
        prices: Prices,
        limit: float,
        costs: WeekCosts,
        max_nodes: int = 1_000_000,
        deadline: float = _INF,
    ) -> dict[Signature, tuple[float, float]] | None:
        """Every signature (lessons per school) of a week priced at most ``limit``, with the
        least objective cost and the least price of its weeks priced so; None when listing
        them would take more than ``max_nodes`` steps or last past ``deadline`` (a
        ``time.monotonic()`` value).

        Complete: a week priced at most ``limit`` is found whatever its days. The walk goes
        back from the last school over (school, days, lessons, busiest day) choices, never
        over single day vectors: a week's objective cost depends only on those, and the
        cheapest vector of each choice is its price (the cheaper ones already failed)."""
        if self.low > self.high:
            return {}
        stages, _tables, all_costs = self._forward(prices)
        cheapest = [
            np.minimum.reduceat(c, school.starts) if len(c) else c
            for school, c in zip(self.schools, all_costs, strict=True)
        ]
        found: dict[Signature, tuple[float, float]] = {}
        walk = _Walk(
            self.schools, stages, cheapest, costs, prices.peak, found, max_nodes, deadline
        )
        final = stages[-1]
        for p in range(self.daily + 1):
            paid = prices.peak * p
            within = final[p, :, self.low :] + paid <= limit
            for mask, load in zip(
                *np.nonzero(within & np.isfinite(final[p, :, self.low :])), strict=True
            ):
                walk.back(len(self.schools), p, int(mask), self.low + int(load), limit - paid)
                if walk.stopped:
                    return None
        return found

    def _week(
        self,
        stages: list[np.ndarray],
        tables: list[np.ndarray],
        all_costs: list[np.ndarray],
        p: int,
        mask: int,
        load: int,
    ) -> Lessons:
        """Walk the programme back from (P, days used, load) to the week it priced."""
        lessons: list[tuple[str, Day, int]] = []
        for k in range(len(self.schools) - 1, -1, -1):
            school, before, table = self.schools[k], stages[k], tables[k]
            if before[p, mask, load] <= stages[k + 1][p, mask, load]:
                continue  # the school stays out
            sets = school.day_sets[(school.day_sets & mask) == school.day_sets]
            # value[j, n - 1]: the partial week before the school, then n lessons on set j.
            value = before[p, mask ^ sets, :load][:, ::-1] + table[p, sets, 1 : load + 1]
            j, k_n = np.unravel_index(int(value.argmin()), value.shape)
            d, n = int(sets[j]), int(k_n) + 1
            rows = np.flatnonzero((school.masks == d) & (school.totals == n) & (school.peaks <= p))
            grid = school.grids[rows[all_costs[k][rows].argmin()]]
            for i, day in enumerate(school.days):
                if grid[i]:
                    lessons.append((school.school, DAYS[day], int(grid[i])))
            mask, load = mask ^ d, load - n
        return tuple(sorted(lessons))


@dataclass(frozen=True)
class WeekCosts:
    """A week's objective cost, per school used, per visit day at a school, per lesson of
    the busiest day (the weighted ALT-schools, commute and busiest-day terms)."""

    school: float
    visit: Mapping[str, float]
    peak: float


class _Walk:
    """Lists signatures by walking the programme's stages back (:meth:`WeekDP.signatures`)."""

    def __init__(
        self,
        schools: Sequence[SchoolVectors],
        stages: Sequence[np.ndarray],
        cheapest: Sequence[np.ndarray],
        costs: WeekCosts,
        peak_price: float,
        found: dict[Signature, tuple[float, float]],
        max_nodes: int,
        deadline: float,
    ) -> None:
        self.schools, self.stages, self.cheapest = schools, stages, cheapest
        self.costs, self.peak_price, self.found = costs, peak_price, found
        self.max_nodes, self.deadline = max_nodes, deadline
        self.nodes, self.stopped = 0, False
        self.days = np.array([bin(m).count("1") for m in range(32)])

    def back(
        self,
        k: int,
        p: int,
        mask: int,
        load: int,
        budget: float,
        chosen: tuple[tuple[str, int], ...] = (),
        price: float = 0.0,
        peak: int = 0,
        cost: float = 0.0,
    ) -> None:
        """Complete the partial week ``chosen`` (schools k and after) over schools before k
        with days ``mask`` and ``load`` lessons, priced at most ``budget``; busiest day p."""
        self.nodes += 1
        if self.stopped:
            return
        if self.nodes > self.max_nodes or (
            self.nodes % 1024 == 0 and time.monotonic() > self.deadline
        ):
            self.stopped = True
            return
        if k == 0:
            # Each week is listed once, under its own busiest day.
            if peak == p:
                key = tuple(sorted(chosen))
                full_cost = cost + self.costs.peak * p
                full_price = price + self.peak_price * p
                old = self.found.get(key)
                if old is not None:
                    full_cost, full_price = min(old[0], full_cost), min(old[1], full_price)
                self.found[key] = (full_cost, full_price)
            return
        before = self.stages[k - 1]
        slack = budget + _SLACK
        if before[p, mask, load] <= slack:  # the school stays out
            self.back(k - 1, p, mask, load, budget, chosen, price, peak, cost)
        school, cheapest = self.schools[k - 1], self.cheapest[k - 1]
        if not len(cheapest):
            return
        fit = np.flatnonzero(
            ((school.group_mask & ~mask) == 0)
            & (school.group_total <= load)
            & (school.group_peak <= p)
        )
        rest = before[p, mask ^ school.group_mask[fit], load - school.group_total[fit]]
        fit = fit[cheapest[fit] + rest <= slack]
        visit = self.costs.visit[school.school]
        for j in fit:
            d, n, c = int(school.group_mask[j]), int(school.group_total[j]), float(cheapest[j])
            self.back(
                k - 1,
                p,
                mask ^ d,
                load - n,
                budget - c,
                (*chosen, (school.school, n)),
                price + c,
                max(peak, int(school.group_peak[j])),
                cost + self.costs.school + visit * int(self.days[d]),
            )


def _add_school(state: np.ndarray, table: np.ndarray, school: SchoolVectors) -> np.ndarray:
    """The partial weeks after ``school``: it stays out, or takes a set of days still free."""
    out = state.copy()
    if len(school.pair_set):
        _merge(state, table, school.pair_before, school.pair_set, school.pair_after, out)
    return out


@compiled
def _merge(
    state: np.ndarray,
    table: np.ndarray,
    before: np.ndarray,
    sets: np.ndarray,
    after: np.ndarray,
    out: np.ndarray,
) -> None:
    """Into ``out[P, after, load]``, each partial week ``state[P, before, load - n]`` with
    ``n`` lessons on the day set ``sets`` (``table[P, set, n]``), when cheaper.

    Compiled: as numpy operations per school over every (P, pair, load) this was most of
    the pattern bound's time, holding the GIL the second pricing thread needs."""
    caps, _masks, width = state.shape
    for i in range(len(before)):
        b, d, a = before[i], sets[i], after[i]
        for p in range(caps):
            for n in range(1, width):
                price = table[p, d, n]
                if price == _INF:
                    continue
                for load in range(n, width):
                    value = state[p, b, load - n] + price
                    if value < out[p, a, load]:
                        out[p, a, load] = value
