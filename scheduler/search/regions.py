"""Large-neighbourhood search over regions, for branches too big for one master.

A branch of 100+ ALTs has tens of thousands of candidate visits; one CP-SAT master over all
of them does not even build fast. Each LNS step frees one region instead: the schools
nearest a seed school, every ALT who teaches there now and the ALTs living nearest (or, for
half the steps when a weekly plan is given, a school with the ALTs planned and teaching
there and those ALTs' schools: :func:`_plan_region`; or, while lessons are missing, a chain
from a short school to an ALT with room: :meth:`RegionSearch.chain_region`). The
master of :mod:`scheduler.model.master` is built over the region's candidate visits plus
every other current visit pinned to its value, so its objective is the whole branch's
(continuity aside, which the placement adds); the best region answer is placed into classes
and periods and kept when the whole timetable scores better. Between steps, once every lesson is
given, a lane looks for day swaps (:mod:`scheduler.search.swaps`) of an ALT whose lessons
changed: two ALTs exchanging whole days, judged in microseconds.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from ortools.sat.python import cp_model

from scheduler.config import SearchSettings, Settings, SolverParams, Weights
from scheduler.instance import haversine_km
from scheduler.model.cpsat import new_solver
from scheduler.model.data import Prepared
from scheduler.model.interrupt import interrupted, run
from scheduler.model.master import build_master
from scheduler.model.pins import replan_cost
from scheduler.model.placement import Counts, Visit, clusters, counts_of, place
from scheduler.result import Lesson
from scheduler.search.job import Clock, ProgressFn
from scheduler.search.swaps import DaySwaps, Week

Pick = tuple[list[str], set[str]]  # a region: its schools, the ALTs free to move in it
# A lane stops this long (seconds, or work units in deterministic mode) before the deadline:
# a step begun later would end past it.
LAST_STEP = 0.5


class Guide:
    """What steers the region steps from outside, asked between steps. This one steers
    nothing and reports each better timetable to ``on_progress`` (with bound 0); the large
    path's search (:class:`scheduler.search.large.LargeSearch`) hands over the programme's
    plan and a restart."""

    def __init__(self, on_progress: ProgressFn | None = None, t0: float = 0.0) -> None:
        self.on_progress = on_progress
        self.t0 = t0

    def report(self, seconds: float, objective: float) -> None:
        """A better timetable, ``seconds`` after the start."""
        if self.on_progress:
            self.on_progress(seconds, objective, 0.0)

    def plan(self) -> Mapping[tuple[str, str], int] | None:
        """A better plan of who teaches where to follow from now on, or None."""
        return None

    def restart(self) -> list[Lesson] | None:
        """A timetable to go on from instead, handed over at most once, or None."""
        return None

    def pending(self) -> bool:
        """Whether a restart may still come: only the first lane steps meanwhile."""
        return False


def improve(
    prep: Prepared,
    weights: Weights,
    params: SolverParams,
    start: list[Lesson],
    deadline: float,
    t0: float,
    on_progress: ProgressFn | None = None,
    settings: SearchSettings | None = None,
    plan: Mapping[tuple[str, str], int] | None = None,
    guide: Guide | None = None,
) -> tuple[list[Lesson], int, int]:
    """Improve a valid timetable region by region until ``deadline`` (a monotonic time):
    :class:`Lanes` on the wall clock. Returns the best timetable, its objective and the
    number of accepted steps."""
    clock = Clock(False, t0, deadline - t0, deadline)
    cfg = settings or Settings.default().search
    lanes = Lanes(prep, weights, params, cfg, clock, guide or Guide(on_progress, t0), plan)
    return lanes.run(start)


@dataclass
class _Shared:
    """What the lanes share, under ``changed``'s lock: the best timetable, the regions
    being searched, and whether the search is stuck."""

    best: list[Lesson]
    best_obj: int
    accepted: int = 0
    since: int = 0  # steps since the last accepted one
    failed: bool = False  # a lane raised (or the search ended): the others stop
    running: dict[object, Pick] = field(default_factory=dict)
    # Schools placed by the search itself since their visits last changed: their classes
    # and periods are already the best the placement finds for those visits.
    settled: set[str] = field(default_factory=set)
    # ALTs whose lessons changed since a day swap last looked for a partner for them.
    dirty: set[str] = field(default_factory=set)
    # ``best`` indexed for day swaps (rebuilt when ``best`` is no longer ``week_of``).
    week: Week | None = None
    week_of: list[Lesson] | None = None
    changed: threading.Condition = field(default_factory=threading.Condition)
    # The best timetable before the restart and its objective, the least objective
    # reported so far, and how many restarts (a step begun before one is not judged).
    kept: list[Lesson] | None = None
    kept_obj: int = 0
    reported: int = 0
    restarted: bool = False
    generation: int = 0


@dataclass
class _Task:
    """A step a lane has taken on: its region, whether it only places the region's visits
    anew, its time, and the timetable and generation it starts from."""

    key: object
    pick: Pick
    again: bool
    seconds: float
    current: list[Lesson]
    generation: int


class Lanes:
    """Region steps until the clock's deadline, in lanes side by side.

    Each lane runs steps on regions that share no school and no ALT with the other lanes',
    with its share of the threads: a step's time is nearly all CP-SAT and placement (which
    run outside the GIL), and a small region gains little from a second worker. A lane
    starts its next step as soon as its last one is judged. Between steps a lane asks the
    :class:`Guide` for a better plan and a restart (built under the lock: the other lanes
    wait, their steps would be judged against a timetable about to be left; the best
    timetable before it is kept should the search not pass it), and, once every lesson is
    given, looks for day swaps. While ``guide.pending()`` only the first lane steps. With
    one thread (always in deterministic mode) one lane runs, so the steps come in one order.
    """

    def __init__(
        self,
        prep: Prepared,
        weights: Weights,
        params: SolverParams,
        cfg: SearchSettings,
        clock: Clock,
        guide: Guide,
        plan: Mapping[tuple[str, str], int] | None = None,
    ) -> None:
        self.prep, self.weights, self.cfg, self.clock, self.guide = (
            prep,
            weights,
            cfg,
            clock,
            guide,
        )
        self.search = RegionSearch(prep, cfg, random.Random(params.seed), plan)
        self.count = max(1, min(cfg.lanes, params.threads))
        self.step_params = params.model_copy(
            update={"workers": max(1, params.threads // self.count)}
        )
        self.swaps = DaySwaps(prep, weights)
        self.state = _Shared([], 0)

    def run(self, start: list[Lesson]) -> tuple[list[Lesson], int, int]:
        """The best timetable from ``start``, its objective and the accepted steps."""
        state = self.state = _Shared(list(start), objective_of(self.prep, start, self.weights))
        state.reported = state.best_obj
        state.dirty = {a.alt_id for a in self.prep.instance.alts}
        self.guide.report(time.monotonic() - self.clock.t0, state.best_obj)
        try:
            if self.count == 1:
                self.lane(True)
            else:
                with ThreadPoolExecutor(max_workers=self.count) as pool:
                    for done in [pool.submit(self.lane, k == 0) for k in range(self.count)]:
                        done.result()
        finally:  # Ctrl-C (scheduler.model.interrupt) stops the running searches: best is kept
            state.failed = True
        if state.kept is not None and state.kept_obj < state.best_obj:  # a restart not made up
            return state.kept, state.kept_obj, state.accepted
        return state.best, state.best_obj, state.accepted

    def lane(self, first: bool) -> None:
        """Take steps until the deadline, Ctrl-C or another lane's failure."""
        while (task := self._next(first)) is not None:
            if task is not _AGAIN:
                self._step(task)

    def _stopped(self) -> bool:
        return self.clock.over(LAST_STEP) or interrupted() or self.state.failed

    def _next(self, first: bool) -> _Task | None:
        """Under the lock: wait, follow the guide, swap days, or pick the next region
        (:data:`_AGAIN` to ask again, None to stop)."""
        state = self.state
        with state.changed:
            if not first and not state.restarted and self.guide.pending():
                if self._stopped():
                    return None
                state.changed.wait(timeout=0.1)
                return _AGAIN
            self._follow_guide()
            if not self.clock.over(LAST_STEP) and self._swap_step():
                return _AGAIN
            return self._pick()

    def _follow_guide(self) -> None:
        better = self.guide.plan()
        if better is not None and better is not self.search.plan:
            self.search.use_plan(better)
        fresh = self.guide.restart() if not self.state.restarted else None
        if fresh is not None:
            self._restart(fresh)

    def _pick(self) -> _Task | None:
        """The next region apart from the running ones (waiting for one if need be)."""
        state, search = self.state, self.search
        pick: Pick | None = None
        again, grow = False, 1
        while pick is None:
            if self._stopped() or not search.schools:
                return None
            # Stuck on the last missing lessons: they need a longer chain of moves, so the
            # region and its time grow until a step is accepted.
            grow = min(
                self.cfg.most_growth, 1 + state.since // (self.cfg.stuck_steps * self.count)
            )
            taken = list(state.running.values())
            pick = search.unsettled(state.best, state.settled, taken, stuck=grow > 1)
            again = pick is not None
            if pick is None:
                pick = search.apart(state.best, grow, taken)
            if pick is None:  # every region drawn overlaps a running one
                state.changed.wait(timeout=0.05)
        key = object()
        state.running[key] = pick
        seconds = min(self.cfg.step_seconds * grow, self.clock.left())
        return _Task(key, pick, again, seconds, state.best, state.generation)

    def _step(self, task: _Task) -> None:
        """Run a step outside the lock, then judge it under the lock."""
        state, clock = self.state, self.clock
        found = None
        try:
            if task.again:
                found = self.search.place_again(task.current, task.pick[0], self.step_params)
                clock.charge(self.cfg.place_effort)
            else:
                found = self.search.step(
                    task.current,
                    task.pick,
                    weights=self.weights,
                    params=self.step_params,
                    seconds=task.seconds,
                    guard=clock.guard,
                )
                # The step's whole allotment: its placement's work is not measured.
                clock.charge(task.seconds)
        except BaseException:
            state.failed = True
            raise
        finally:
            with state.changed:
                del state.running[task.key]
                state.since += 1
                # A step begun before a restart answers for a timetable left behind.
                if task.generation == state.generation:
                    if task.again:  # placed anew from the same visits: nothing more there
                        state.settled.update(task.pick[0])
                    if found is not None:
                        self._commit(found)
                state.changed.notify_all()

    def _better(self, obj: int) -> None:
        """Report ``obj`` when it beats everything reported, the restart's fallback too."""
        if obj < self.state.reported:
            self.state.reported = obj
            self.guide.report(time.monotonic() - self.clock.t0, obj)

    def _restart(self, fresh: list[Lesson]) -> None:
        """Go on from ``fresh``, keeping the best so far should the search not pass it."""
        state = self.state
        state.kept, state.kept_obj = state.best, state.best_obj
        state.best, state.best_obj = list(fresh), objective_of(self.prep, fresh, self.weights)
        state.restarted = True
        state.generation += 1
        state.dirty = {a.alt_id for a in self.prep.instance.alts}
        state.settled = set()
        state.since = 0
        state.week = state.week_of = None

    def _commit(self, found: tuple[set[str], list[Lesson]]) -> None:
        """Keep a step's answer when the whole timetable scores better with it.

        The answer was computed on the timetable of its start, and other lanes may have
        changed it since; they changed only their own regions, which share no school and no
        ALT with this one (every ALT teaching at a region's school is free in it), so the
        answer still combines into a valid timetable: its schools are replaced, the rest is
        the newest."""
        state = self.state
        changed, placed = found
        if not changed:
            return
        candidate = [ls for ls in state.best if ls.school_id not in changed] + placed
        obj = objective_of(self.prep, candidate, self.weights)
        if obj < state.best_obj:
            state.dirty |= {ls.alt_id for ls in state.best if ls.school_id in changed}
            state.dirty |= {ls.alt_id for ls in placed}
            state.best, state.best_obj = candidate, obj
            state.settled |= changed
            state.accepted += 1
            state.since = 0
            self._better(obj)

    def _swap_step(self) -> bool:
        """Look for day swaps of one ALT whose lessons changed since their last look,
        outside the running regions, and keep them; False when there is none to look at or
        lessons are still missing (a swap never covers one: region steps come first then).

        Runs under the lanes' lock: one look costs ~20 ms at 120 ALTs against ~380 ms for a
        region step, and the other lane's solve goes on meanwhile (docs/model.md, "Day
        swaps")."""
        state, search = self.state, self.search
        if not state.dirty or search.short(state.best):
            return False
        busy_alts = {a for _, alts in state.running.values() for a in alts}
        busy_schools = {s for schools, _ in state.running.values() for s in schools}
        ready = sorted(state.dirty - busy_alts)
        if not ready:
            return False
        alt = search.rng.choice(ready)
        state.dirty.discard(alt)
        if state.week is None or state.week_of is not state.best:
            state.week, state.week_of = self.swaps.index(state.best), state.best
        gained, schools, alts = self.swaps.improve(state.week, alt, busy_alts, busy_schools)
        if gained < 0:
            lessons = state.week.lessons()
            obj = objective_of(self.prep, lessons, self.weights)
            state.week_of = lessons
            if obj < state.best_obj:
                state.best, state.best_obj = lessons, obj
                state.dirty |= alts
                state.settled -= schools  # new ALTs there: their classes may be placed better
                state.accepted += 1
                state.since = 0
                self._better(obj)
        return True


# What Lanes._next returns when the lane should ask again at once.
_AGAIN = _Task(object(), ([], set()), False, 0.0, [], -1)


class RegionSearch:
    """The fixed data of a region search: schools, homes, candidate visits, the plan."""

    def __init__(
        self,
        prep: Prepared,
        cfg: SearchSettings,
        rng: random.Random,
        plan: Mapping[tuple[str, str], int] | None,
    ) -> None:
        inst = prep.instance
        self.prep, self.cfg, self.rng, self.plan = prep, cfg, rng, plan
        self.schools = sorted(prep.needy)
        self.where = {
            s: (inst.school_by_id[s].lat, inst.school_by_id[s].lon) for s in self.schools
        }
        self.home = {a.alt_id: (a.home_lat, a.home_lon) for a in inst.alts}
        self.candidates: dict[tuple[str, str], list[Visit]] = defaultdict(list)
        for v in prep.visits:
            self.candidates[(v[0], v[1])].append(v)
        self.need = {s: sum(c.alt_lessons for c in prep.needy[s]) for s in self.schools}
        self.use_plan(plan)
        self.reach: dict[str, list[str]] = defaultdict(list)  # ALTs who can teach at a school
        self.days: dict[str, set[str]] = defaultdict(set)  # days an ALT can teach at all
        for a, s in sorted(self.candidates):
            self.reach[s].append(a)
        for v in prep.visits:
            self.days[v[0]].add(v[2])

    def use_plan(self, plan: Mapping[tuple[str, str], int] | None) -> None:
        """Follow ``plan`` (who teaches where) in the plan steps from now on."""
        self.plan = plan
        self.planned: dict[str, set[str]] = defaultdict(set)  # the plan's ALTs of each school
        for a, s in plan or {}:
            self.planned[s].add(a)

    def apart(
        self, best: list[Lesson], grow: int, taken: list[tuple[list[str], set[str]]]
    ) -> tuple[list[str], set[str]] | None:
        """A region sharing no school and no ALT with those ``taken``, drawn as a single
        step's would be, or None when ``disjoint_tries`` draws all overlap."""
        for _try in range(self.cfg.disjoint_tries if taken else 1):
            schools, alts = self.region(best, grow)
            if all(not (set(schools) & set(s) or alts & a) for s, a in taken):
                return schools, alts
        return None

    def short(self, best: list[Lesson]) -> list[str]:
        """The schools ``best`` gives fewer lessons than they need."""
        given = Counter(ls.school_id for ls in best)
        return [s for s in self.schools if given[s] < self.need[s]]

    def region(self, best: list[Lesson], grow: int) -> tuple[list[str], set[str]]:
        """One region to free: its schools and the ALTs free to move in it."""
        cfg, inst = self.cfg, self.prep.instance
        schools, near_alts = cfg.region_schools * grow, cfg.region_near_alts * grow
        short = self.short(best)
        if self.plan and self.rng.random() < cfg.plan_steps:
            # While lessons are missing, the plan's ALTs of a short school: the plan covers
            # everything, so they are ALTs that have room for it.
            return _plan_region(best, self.planned, self.where, cfg, self.rng, short)
        if short and self.rng.random() < cfg.chain_steps:
            chain = self.chain_region(best, short)
            if chain is not None:
                return chain
        # Most steps start where lessons are missing: that is where the objective is.
        seed = self.rng.choice(
            short if short and self.rng.random() < cfg.short_seed_share else self.schools
        )
        where = self.where
        region = sorted(self.schools, key=lambda s: haversine_km(*where[seed], *where[s]))[
            :schools
        ]
        near = set(region)
        teaching = {ls.alt_id for ls in best if ls.school_id in near}
        load = Counter(ls.alt_id for ls in best)
        home = self.home
        by_distance = sorted(home, key=lambda a: haversine_km(*where[seed], *home[a]))
        spare = [a for a in by_distance if load[a] < inst.max_lessons(inst.alt_by_id[a])]
        return region, teaching | set(by_distance[:near_alts]) | set(spare[:near_alts])

    def chain_region(
        self, best: list[Lesson], short: list[str]
    ) -> tuple[list[str], set[str]] | None:
        """A short school, an ALT who could teach there, a school that ALT teaches at now,
        another ALT who could teach there, ... up to an ALT with room for more (fewer lessons
        than their maximum and a day without lessons): the fewest such links, found
        breadth-first in random order. The region frees those schools and everyone teaching
        there, so one step can shift a lesson along the chain. None when no ALT with room is
        linked to the school.

        Region steps around a short school cover most missing lessons; the last few need an
        ALT with room who is several moves away, which a geographic region rarely holds
        together."""
        inst = self.prep.instance
        load: Counter[str] = Counter()
        now: dict[str, set[str]] = defaultdict(set)
        busy: dict[str, set[str]] = defaultdict(set)
        for ls in best:
            load[ls.alt_id] += 1
            now[ls.alt_id].add(ls.school_id)
            busy[ls.alt_id].add(ls.day)
        seed = self.rng.choice(short)
        came_from: dict[str, str] = {}  # ALT -> the school that led to them
        led_by: dict[str, str | None] = {seed: None}  # school -> the ALT that led to it
        frontier, end = [seed], None
        while frontier and end is None:
            nearer: list[str] = []
            for s in frontier:
                reach = list(self.reach[s])
                self.rng.shuffle(reach)
                for a in reach:
                    if a in came_from:
                        continue
                    came_from[a] = s
                    room = load[a] < inst.max_lessons(inst.alt_by_id[a])
                    if room and len(busy[a]) < len(self.days[a]):
                        end = a
                        break
                    for other in sorted(now[a] - led_by.keys()):
                        led_by[other] = a
                        nearer.append(other)
                if end is not None:
                    break
            frontier = nearer
        if end is None:
            return None
        schools, alts = [], {end}
        school: str | None = came_from[end]
        while school is not None:
            schools.append(school)
            by = led_by[school]
            if by is not None:
                alts.add(by)
            school = came_from[by] if by is not None else None
        teaching = {ls.alt_id for ls in best if ls.school_id in schools}
        return schools[::-1], alts | teaching  # from the short school out

    def unsettled(
        self,
        best: list[Lesson],
        settled: set[str],
        taken: list[tuple[list[str], set[str]]],
        stuck: bool = False,
    ) -> tuple[list[str], set[str]] | None:
        """Schools whose classes see more ALTs than needed and that the search has not
        placed itself (up to ``replace_schools``, apart from those ``taken``), with the
        ALTs teaching there; None when there are none, or while lessons are missing and the
        search is not ``stuck`` (covering is worth far more than continuity then).

        The start's classes were chosen visit by visit, and a school keeps them until a step
        changes its visits; placing its visits anew costs no master and often gives a class
        one ALT instead of two (docs/model.md)."""
        if not stuck and self.short(best):
            return None
        teachers, extra = _teachers(best, settled)
        if not extra:
            return None
        busy_schools = {s for schools, _ in taken for s in schools}
        busy_alts = {a for _, alts in taken for a in alts}
        groups = _day_groups(best)
        chosen: list[str] = []
        for school in sorted(extra):
            group = groups.get(school, {school})
            alts = {a for s in group for a in teachers[s]}
            if group & busy_schools or alts & busy_alts or group & set(chosen):
                continue
            if len(chosen) + len(group) > self.cfg.replace_schools and chosen:
                break
            chosen += sorted(group)
        if not chosen:
            return None
        return chosen, {a for s in chosen for a in teachers[s]}

    def place_again(
        self, best: list[Lesson], schools: list[str], params: SolverParams
    ) -> tuple[set[str], list[Lesson]]:
        """``schools``' visits in ``best`` placed anew into classes and periods."""
        region = set(schools)
        counts = {v: k for v, k in counts_of(best).items() if v[1] in region}
        placed = place(
            self.prep, counts, repair=True, effort=self.cfg.place_effort, threads=params.threads
        )
        return region, placed.lessons

    def step(
        self,
        best: list[Lesson],
        pick: tuple[list[str], set[str]],
        weights: Weights,
        params: SolverParams,
        seconds: float,
        pairs: set[tuple[str, str]] | None = None,
        guard: float | None = None,
    ) -> tuple[set[str], list[Lesson]] | None:
        """Solve one region of ``best`` in ``seconds`` (work units in deterministic mode,
        with ``guard`` the wall deadline): the schools it changed and their new lessons
        (with ``pairs``, a freed ALT visits only the region's schools paired with them)."""
        region, free_alts = pick
        in_region = set(region)
        counts = counts_of(best)
        pinned = {v: k for v, k in counts.items() if not (v[0] in free_alts and v[1] in in_region)}
        # A freed ALT keeps the days they teach outside the region: placing a region lesson
        # beside a pinned one would need both schools' periods, which stay outside this step.
        busy = {(v[0], v[2]) for v in pinned}
        open_visits = [
            v
            for a in sorted(free_alts)
            for s in region
            if pairs is None or (a, s) in pairs
            for v in self.candidates.get((a, s), [])
            if (a, v[2]) not in busy
        ]
        # ALTs that are not freed only matter through their weekly load (load spread):
        # their visits stay out of the model, their lessons become a fixed load.
        kept = {v: k for v, k in pinned.items() if v[0] in free_alts}
        fixed_load: Counter[str] = Counter()
        for v, k in pinned.items():
            if v[0] not in free_alts:
                fixed_load[v[0]] += k
        visits = sorted(set(open_visits) | set(kept))
        touched = {v[1] for v in visits}
        sub = replace(
            self.prep,
            visits=visits,
            # In a fixed order: the model's rows follow it, and CP-SAT's search their order
            # (a set's order changes between processes).
            needy={s: self.prep.needy[s] for s in sorted(touched)},
            fixed_load=dict(sorted(fixed_load.items())),
        )
        return _solve_region(sub, weights, params, self.cfg, kept, counts, seconds, guard)


def objective_of(prep: Prepared, lessons: list[Lesson], weights: Weights) -> int:
    """The objective of a valid timetable, as ``docs/objective.md`` defines it.

    The validator's :func:`scheduler.validate.score` reads the contract's table and builds
    every KPI (0.2 s a call at 250 ALTs, a fifth of a region step); a step needs only the
    total. ``tests/search/test_regions.py`` checks the two agree.
    """
    inst = prep.instance
    load: Counter[str] = Counter()
    per_day: Counter[tuple[str, str]] = Counter()
    given: Counter[tuple[str, str]] = Counter()
    pairs: set[tuple[str, str]] = set()
    visits: set[tuple[str, str, str]] = set()
    class_alts: set[tuple[str, str, str]] = set()
    for ls in lessons:
        load[ls.alt_id] += 1
        per_day[(ls.alt_id, ls.day)] += 1
        given[(ls.school_id, ls.class_)] += 1
        pairs.add((ls.alt_id, ls.school_id))
        visits.add((ls.alt_id, ls.school_id, ls.day))
        class_alts.add((ls.school_id, ls.class_, ls.alt_id))
    peak: Counter[str] = Counter()
    for (a, _d), k in per_day.items():
        peak[a] = max(peak[a], k)
    loads = [load[a.alt_id] for a in inst.alts]
    extra = Counter((s, c) for s, c, _a in class_alts)
    terms = {
        "unmet_lesson": sum(max(0, c.alt_lessons - given[c.key]) for c in inst.classes),
        "under_floor_lesson": sum(max(0, inst.min_lessons(a) - load[a.alt_id]) for a in inst.alts),
        "alt_school": len(pairs),
        "commute_minute": sum(
            prep.commute.get((a, s)) or inst.travel_minutes(a, s) for a, s, _d in visits
        ),
        "load_spread": max(loads) - min(loads) if loads else 0,
        "day_peak": sum(peak.values()),
        "continuity": sum(k - 1 for k in extra.values()),
    }
    w = weights.model_dump()
    # Changes from a previous timetable and broken pins (scheduler.model.pins); 0 without.
    return sum(w[t] * v for t, v in terms.items()) + replan_cost(prep, lessons, weights)


def _teachers(best: list[Lesson], settled: set[str]) -> tuple[dict[str, set[str]], set[str]]:
    """Each school's ALTs in ``best``, and the schools not ``settled`` where a class sees
    more than one ALT."""
    alts_of: dict[tuple[str, str], set[str]] = defaultdict(set)
    for ls in best:
        alts_of[(ls.school_id, ls.class_)].add(ls.alt_id)
    teachers: dict[str, set[str]] = defaultdict(set)
    extra: set[str] = set()
    for (school, _c), alts in alts_of.items():
        teachers[school] |= alts
        if len(alts) > 1 and school not in settled:
            extra.add(school)
    return teachers, extra


def _day_groups(best: list[Lesson]) -> dict[str, set[str]]:
    """Each school with those sharing an ALT's day with it (several schools a day): they
    are placed together."""
    groups: dict[str, set[str]] = {}
    for cluster in clusters(counts_of(best)):
        schools = {v[1] for v in cluster}
        for school in schools:
            groups[school] = schools
    return groups


def _plan_region(
    best: list[Lesson],
    planned: Mapping[str, set[str]],
    where: Mapping[str, tuple[float, float]],
    cfg: SearchSettings,
    rng: random.Random,
    short: list[str],
) -> tuple[list[str], set[str]]:
    """A school short of lessons (or else taught otherwise than planned), the ALTs planned
    there and teaching there, and the schools those ALTs teach at now (the nearest first):
    one step can then swap ALTs between far-apart schools, which no geographic region
    holds together."""
    now: dict[str, set[str]] = defaultdict(set)
    schools_of: dict[str, set[str]] = defaultdict(set)
    for ls in best:
        now[ls.school_id].add(ls.alt_id)
        schools_of[ls.alt_id].add(ls.school_id)
    off = short or sorted(s for s in where if planned.get(s, set()) != now[s]) or sorted(where)
    seed = rng.choice(off)
    alts = planned.get(seed, set()) | now[seed]
    linked = {s for a in alts for s in schools_of[a] if s in where} | {seed}
    region = sorted(linked, key=lambda s: haversine_km(*where[seed], *where[s]))
    region = region[: cfg.region_schools + cfg.region_schools // 2]
    teaching = {a for s in region for a in now[s]}
    return region, teaching | alts


def _solve_region(
    sub: Prepared,
    weights: Weights,
    params: SolverParams,
    cfg: SearchSettings,
    pinned: Counts,
    current: Counts,
    seconds: float,
    guard: float | None = None,
) -> tuple[set[str], list[Lesson]] | None:
    """The region's schools to re-place and their newly placed lessons, or None when the
    search found nothing in time."""
    if seconds <= 0.2:
        return None
    master = build_master(sub, weights)
    for v, k in sorted(pinned.items()):
        if v in master.lessons:
            master.model.add(master.lessons[v] == k)
    for v, n in master.lessons.items():
        master.model.add_hint(n, current.get(v, 0))
        master.model.add_hint(master.y[v], current.get(v, 0) > 0)
    solver = new_solver(params, seconds, guard=guard)
    status = run(solver, master.model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    region = {v[1] for v in master.lessons if v not in pinned}
    counts = {
        v: k for v, n in master.lessons.items() if v[1] in region and (k := solver.value(n)) > 0
    }
    changed = _to_replace(counts, {v: k for v, k in current.items() if v[1] in region})
    # Lessons that do not fit into periods are dropped (they count as unmet and the step is
    # judged with them) rather than turned into cuts: a minimal conflict takes one search
    # per lesson, seconds where a step has 0.3 s (with two schools a day, every step did).
    placed = place(
        sub,
        {v: k for v, k in counts.items() if v[1] in changed},
        repair=True,
        effort=cfg.place_effort,
        threads=params.threads,
    )
    return changed, placed.lessons


def _to_replace(counts: Counts, current: Counts) -> set[str]:
    """The schools to place anew when a region's visits go from ``current`` to ``counts``:
    those whose visits changed, and every school sharing an ALT's day with one of them
    (possible with max_schools_per_day > 1): a school kept as it was would have its periods
    unseen by the new placement, which could put the ALT in two places at once."""
    changed = {v[1] for v in set(counts) | set(current) if counts.get(v, 0) != current.get(v, 0)}
    for group in clusters(counts):
        schools = {v[1] for v in group}
        if schools & changed:
            changed |= schools
    return changed
