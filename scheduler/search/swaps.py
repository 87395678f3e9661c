"""Day swaps: two ALTs exchange whole days of a timetable, periods and classes unchanged.

Every hard rule that names the ALT is a rule of the ALT's day or week: level, commute limit
and days off (the candidate visits), daily and weekly maxima. The rest (periods, classes,
co-teachers, travel between one day's schools, ALTs per school-day) reads only which lessons
share a day and school, and a swap keeps those groups whole. So when ALT ``a`` takes ALT
``b``'s lessons of a set of days and ``b`` takes ``a``'s, the timetable stays valid if each
may visit the other's schools on those days and the maxima hold, and its objective changes
only through the pair, commute, busiest-day, load and continuity terms of the two ALTs.
That costs microseconds to judge where a region step costs a CP-SAT solve, and it reaches
pairs of ALTs who live far apart, which a region rarely frees together (docs/model.md,
"Day swaps").
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from scheduler.config import Weights
from scheduler.instance import DAYS, Day
from scheduler.model.data import Prepared
from scheduler.result import Lesson

Block = tuple[Day, ...]
Key = TypeVar("Key")


class DaySwaps:
    """The fixed data of day swaps on one prepared instance."""

    def __init__(self, prep: Prepared, weights: Weights) -> None:
        inst = prep.instance
        self.prep = prep
        self.visits = set(prep.visits)
        # As objective_of reads it: a pair's commute, or the travel time when that is 0.
        self.commute = {k: m or inst.travel_minutes(*k) for k, m in prep.commute.items()}
        self.top = {a.alt_id: inst.max_lessons(a) for a in inst.alts}
        self.floor = {a.alt_id: inst.min_lessons(a) for a in inst.alts}
        self.day_top = {a.alt_id: inst.max_lessons_per_day(a) for a in inst.alts}
        self.w = weights.model_dump()
        # A swap hands a day to another ALT: ALTs with pins keep theirs (pins.csv).
        self.pinned = {p.alt_id for p in inst.pins}

    def index(self, lessons: list[Lesson]) -> Week:
        """``lessons`` indexed for swaps."""
        return Week(lessons, self)

    def improve(
        self,
        week: Week,
        alt: str,
        frozen_alts: Iterable[str] = (),
        frozen_schools: Iterable[str] = (),
    ) -> tuple[int, set[str], set[str]]:
        """Swap ``alt``'s days with other ALTs' in ``week`` while the objective falls.

        Tries every other ALT outside ``frozen_alts``, exchanging a single day, the days
        either of them spends at one school, or the whole week, never moving a lesson at a
        school in ``frozen_schools``. Returns the objective's change (0 or negative), the
        schools and the ALTs whose lessons changed.
        """
        frozen = set(frozen_alts) | self.pinned
        if alt in frozen:
            return 0, set(), set()
        closed = set(frozen_schools)
        gained, schools, alts = 0, set(), set()
        improved = True
        while improved:
            improved = False
            for other in week.alts:
                if other == alt or other in frozen:
                    continue
                for days in week.blocks(alt, other):
                    if week.touches(alt, other, days, closed):
                        continue
                    change = week.delta(alt, other, days)
                    if change is not None and change < 0:
                        schools |= week.swap(alt, other, days)
                        alts |= {alt, other}
                        gained += change
                        improved = True
        return gained, schools, alts


class Week:
    """A timetable indexed for day swaps: each ALT-day's lessons, what they add up to, and
    the running counts of the objective's terms."""

    def __init__(self, lessons: list[Lesson], rules: DaySwaps) -> None:
        self.rules = rules
        self.alts = list(rules.top)
        self.day: dict[tuple[str, Day], list[Lesson]] = defaultdict(list)
        self.load: Counter[str] = Counter()
        self.pair: Counter[tuple[str, str]] = Counter()
        self.taught: Counter[tuple[str, str, str]] = Counter()  # (school, class, ALT)
        for ls in lessons:
            self.day[(ls.alt_id, ls.day)].append(ls)
            self.load[ls.alt_id] += 1
            self.pair[(ls.alt_id, ls.school_id)] += 1
            self.taught[(ls.school_id, ls.class_, ls.alt_id)] += 1
        self.loads = Counter(self.load[a] for a in self.alts)
        self.sums: dict[tuple[str, Day], _Sum] = {}
        self.counts = {a: [len(self.day.get((a, d), ())) for d in DAYS] for a in self.alts}

    def lessons(self) -> list[Lesson]:
        """The timetable as it stands."""
        return [ls for day in self.day.values() for ls in day]

    def sum(self, alt: str, day: Day) -> _Sum:
        """An ALT-day's lessons per school and per class."""
        key = (alt, day)
        if key not in self.sums:
            schools: Counter[str] = Counter()
            classes: Counter[tuple[str, str]] = Counter()
            for ls in self.day.get(key, ()):
                schools[ls.school_id] += 1
                classes[(ls.school_id, ls.class_)] += 1
            self.sums[key] = _Sum(sum(schools.values()), dict(schools), dict(classes))
        return self.sums[key]

    def blocks(self, a: str, b: str) -> list[Block]:
        """Sets of days worth exchanging between ``a`` and ``b``: each day alone, the days
        either spends at one school (so a pair can move whole), and the whole week."""
        out: dict[Block, None] = {(d,): None for d in DAYS}
        for x in (a, b):
            at: dict[str, list[Day]] = defaultdict(list)
            for d in DAYS:
                for s in self.sum(x, d).schools:
                    at[s].append(d)
            out.update((tuple(days), None) for days in at.values())
        out[DAYS] = None
        return list(out)

    def touches(self, a: str, b: str, days: Block, closed: set[str]) -> bool:
        """Whether the swap moves a lesson at a school in ``closed``."""
        return bool(closed) and any(
            s in closed for d in days for x in (a, b) for s in self.sum(x, d).schools
        )

    def delta(self, a: str, b: str, days: Block) -> int | None:
        """The objective's change when ``a`` and ``b`` exchange ``days``; None when the
        swap breaks a hard rule."""
        r = self.rules
        visits, day_top, commute = r.visits, r.day_top, r.commute
        pair: dict[tuple[str, str], int] = {}
        taught: dict[tuple[str, str, str], int] = {}
        minutes = 0
        moved = {a: 0, b: 0}  # lessons each gives away
        for d in days:
            for x, y in ((a, b), (b, a)):
                given = self.sum(x, d)
                if not given.n:
                    continue
                if given.n > day_top[y]:
                    return None
                moved[x] += given.n
                for s, k in given.schools.items():
                    if (y, s, d) not in visits:
                        return None
                    minutes += commute[(y, s)] - commute[(x, s)]
                    pair[(x, s)] = pair.get((x, s), 0) - k
                    pair[(y, s)] = pair.get((y, s), 0) + k
                for (s, c), k in given.classes.items():
                    taught[(s, c, x)] = taught.get((s, c, x), 0) - k
                    taught[(s, c, y)] = taught.get((s, c, y), 0) + k
        if not moved[a] and not moved[b]:
            return None
        load = {a: self.load[a] - moved[a] + moved[b], b: self.load[b] - moved[b] + moved[a]}
        if load[a] > r.top[a] or load[b] > r.top[b]:
            return None
        w = r.w
        change = w["commute_minute"] * minutes
        change += w["alt_school"] * _appeared(self.pair, pair)
        change += w["continuity"] * _appeared(self.taught, taught)
        ca, cb = self.counts[a], self.counts[b]
        na, nb = list(ca), list(cb)
        for d in days:
            i = DAYS.index(d)
            na[i], nb[i] = cb[i], ca[i]
        change += w["day_peak"] * (max(na) + max(nb) - max(ca) - max(cb))
        change += w["under_floor_lesson"] * sum(
            max(0, r.floor[x] - load[x]) - max(0, r.floor[x] - self.load[x]) for x in (a, b)
        )
        if load[a] != self.load[a]:
            after = self.loads.copy()
            for x in (a, b):
                after[self.load[x]] -= 1
                after[load[x]] += 1
            change += w["load_spread"] * (_load_spread(after) - _load_spread(self.loads))
        return change

    def swap(self, a: str, b: str, days: Block) -> set[str]:
        """Exchange ``days`` between ``a`` and ``b``; the schools whose lessons changed."""
        schools: set[str] = set()
        for x in (a, b):
            self.loads[self.load[x]] -= 1
        for d in days:
            sums = self.sum(a, d), self.sum(b, d)
            mine, theirs = self.day.pop((a, d), []), self.day.pop((b, d), [])
            for x, y, given in ((a, b, mine), (b, a, theirs)):
                for ls in given:
                    schools.add(ls.school_id)
                    self.pair[(x, ls.school_id)] -= 1
                    self.pair[(y, ls.school_id)] += 1
                    self.taught[(ls.school_id, ls.class_, x)] -= 1
                    self.taught[(ls.school_id, ls.class_, y)] += 1
                self.load[x] -= len(given)
                self.load[y] += len(given)
            if theirs:
                self.day[(a, d)] = [ls.model_copy(update={"alt_id": a}) for ls in theirs]
            if mine:
                self.day[(b, d)] = [ls.model_copy(update={"alt_id": b}) for ls in mine]
            self.sums[(b, d)], self.sums[(a, d)] = sums
            i = DAYS.index(d)
            self.counts[a][i], self.counts[b][i] = len(theirs), len(mine)
        for x in (a, b):
            self.loads[self.load[x]] += 1
        return schools


@dataclass(frozen=True)
class _Sum:
    """An ALT-day's lessons: how many, per school and per (school, class)."""

    n: int
    schools: dict[str, int]
    classes: dict[tuple[str, str], int]


def _appeared(now: Mapping[Key, int], change: Mapping[Key, int]) -> int:
    """How many keys become positive minus how many stop being positive."""
    out = 0
    for k, v in change.items():
        if v:
            was = now.get(k, 0)
            out += (was + v > 0) - (was > 0)
    return out


def _load_spread(loads: Counter[int]) -> int:
    present = [k for k, n in loads.items() if n > 0]
    return max(present) - min(present)
