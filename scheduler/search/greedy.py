"""Greedy construction: how a person fills the spreadsheet.

School by school (hardest to staff first), each class lesson goes to the first day and
period where the nearest free qualified ALT can take it, preferring an ALT already at the
school that day. Every hard rule is respected, so the result is a valid timetable: the
baseline of the benchmarks and the solution hint of the CP-SAT master.

Given a weekly plan of who teaches where (:func:`scheduler.search.week_plan.flow_week`), a
first pass follows it: each school's lessons go only to the ALTs planned there, up to the
lessons planned, on no more days than those lessons need (:func:`plan_days`); the plain
pass then fills what is left. This is the start of the region
search on large branches (``docs/model.md``, "Starting from the plan").
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence

from scheduler.bounds.flow import held_by_visits
from scheduler.config import Weights
from scheduler.instance import DAYS, Day, Period
from scheduler.model.data import ClassKey, Prepared, Visit, too_close
from scheduler.model.master import visit_capacity
from scheduler.replan.pins import replan_start
from scheduler.result import Lesson
from scheduler.search.regions import objective_of

Quota = dict[tuple[str, str], int]  # lessons still to place per (alt_id, school_id) of a plan


def greedy(
    prep: Prepared,
    plan: Mapping[tuple[str, str], int] | None = None,
    start: Sequence[Lesson] = (),
) -> list[Lesson]:
    """A valid timetable built without search; with a ``plan`` (weekly lessons per ALT-school
    pair), the plan is followed first. With a valid ``start`` timetable, its lessons are kept
    and the greedy only adds lessons that still fit (:func:`fill`)."""
    build = Greedy(prep, plan or {})
    # Pins first, and on a re-plan the previous timetable's lessons that still fit.
    build.keep(replan_start(prep, start))
    passes: list[Quota | None] = [None]
    if plan:
        passes.insert(0, dict(plan))
    for quota in passes:
        build.fill_schools(quota)
    return build.lessons


class Greedy:
    """One greedy construction: the timetable so far, every count the hard rules need about
    it, and the steps that extend it (:func:`greedy` runs them)."""

    def __init__(self, prep: Prepared, plan: Mapping[tuple[str, str], int]) -> None:
        inst = prep.instance
        self.prep, self.inst = prep, inst
        self.possible = set(prep.visits)
        # Per school, the ALTs who can reach it, nearest first.
        self.candidates: dict[str, list[str]] = defaultdict(list)
        for (a, s), _ in sorted(prep.commute.items(), key=lambda kv: (kv[1], kv[0])):
            self.candidates[s].append(a)
        self.floor = {a.alt_id: inst.min_lessons(a) for a in inst.alts}
        self.most = {a.alt_id: inst.max_lessons(a) for a in inst.alts}
        self.most_a_day = {a.alt_id: inst.max_lessons_per_day(a) for a in inst.alts}
        self.reach = Counter(a for a, _s in prep.commute)
        self.allowed = plan_days(prep, plan)
        # What the timetable so far holds, counted every way a rule asks.
        self.lessons: list[Lesson] = []
        self.load: Counter[str] = Counter()
        self.day_load: Counter[tuple[str, Day]] = Counter()
        self.alt_schools: dict[str, set[str]] = defaultdict(set)
        self.alt_day_schools: dict[tuple[str, Day], set[str]] = defaultdict(set)
        self.alt_busy: dict[tuple[str, Day], list[tuple[str, Period]]] = defaultdict(list)
        self.school_day_alts: dict[tuple[str, Day], list[str]] = defaultdict(list)
        self.class_day: Counter[tuple[ClassKey, Day]] = Counter()
        self.taken: set[tuple[str, Day, int, str]] = set()  # (school, day, period, class or co)
        self.remaining = {c.key: c.alt_lessons for cs in prep.needy.values() for c in cs}
        self._on_day: dict[tuple[str, Day], list[str]] = {}

    def keep(self, start: Sequence[Lesson]) -> None:
        """A start timetable's lessons occupy what they occupy, exactly as if placed here."""
        for ls in start:
            ck = (ls.school_id, ls.class_)
            periods = self.prep.periods.get((ck, ls.day), ())
            p = next((q for q in periods if q.period == ls.period), None)
            if p is None:
                raise ValueError(f"start lesson {ls} is not in a usable period")
            self._occupy(ls, p)
        for ls in start:
            self.remaining[(ls.school_id, ls.class_)] -= 1

    def fill_schools(self, quota: Quota | None) -> None:
        """One pass over the schools, hardest to staff first (fewest ALTs who can reach it,
        then most need), placing their classes' lessons round-robin."""
        needy = self.prep.needy
        order = sorted(
            needy,
            key=lambda s: (len(self.candidates[s]), -sum(c.alt_lessons for c in needy[s]), s),
        )
        for s in order:
            self._fill_school(s, quota)

    def _fill_school(self, s: str, quota: Quota | None) -> None:
        # A class gets a lesson only while it has some remaining (class_need).
        prep = self.prep
        classes = sorted(
            prep.needy[s], key=lambda c: (sum((c.key, d) in prep.periods for d in DAYS), c.class_)
        )
        # Round-robin over classes so one class's lessons do not crowd out the others.
        progress = True
        while progress:
            progress = False
            for c in classes:
                if self.remaining[c.key] > 0 and self._place(c.key, quota):
                    self.remaining[c.key] -= 1
                    progress = True

    def _place(self, ck: ClassKey, quota: Quota | None) -> bool:
        """One more lesson of class ``ck``: the first day, ALT and period that fit."""
        for d in self._days(ck):
            for a in self._pool(ck[0], d, quota):
                if not self._can_visit(a, ck[0], d, quota):
                    continue
                p = self._free_period(a, ck, d)
                if p is not None:
                    self._occupy(
                        Lesson(
                            alt_id=a,
                            school_id=ck[0],
                            class_=ck[1],
                            day=d,
                            period=p.period,
                            start=p.start,
                            end=p.end,
                        ),
                        p,
                    )
                    if quota is not None:
                        quota[(a, ck[0])] -= 1
                    return True
        return False

    def _days(self, ck: ClassKey) -> list[Day]:
        """The class's days with room left (class_day_limit); days an ALT already comes to
        the school first: fewer visits, as a person would."""
        s, prep = ck[0], self.prep
        days = [
            d
            for d in DAYS
            if (ck, d) in prep.periods and self.class_day[(ck, d)] < prep.cap[(ck, d)]
        ]
        days.sort(
            key=lambda d: (
                not self.school_day_alts[(s, d)],
                self.class_day[(ck, d)],
                DAYS.index(d),
            )
        )
        return days

    def _pool(self, s: str, d: Day, quota: Quota | None) -> list[str]:
        """The ALTs to try at school ``s`` on day ``d``, in order: those already there, then
        newcomers while the school has room for one more (alts_per_day)."""
        here = self.school_day_alts[(s, d)]
        newcomers = (
            []
            if len(here) >= self.inst.school_by_id[s].max_alts_per_day
            else [
                a
                for a in self._candidates_on(s, d)
                # A full ALT is skipped below anyway: left out before sorting (at 250 ALTs
                # most candidates of a late school are full).
                if self.load[a] < self.most[a]
                and self.day_load[(a, d)] < self.most_a_day[a]
                and a not in here
            ]
        )
        # An ALT already at this school this week first (fewer schools per ALT), then ALTs
        # still under their floor, then ALTs with few other schools to go to (they are the
        # scarce ones), nearest first (candidates are sorted by commute).
        newcomers.sort(
            key=lambda a: (
                s not in self.alt_schools[a],
                self.load[a] >= self.floor[a],
                self.reach[a],
            )
        )
        pool = [*here, *newcomers]
        if quota is not None:
            # Following the plan: only its ALTs of this school, most planned first.
            pool = sorted(
                (a for a in pool if quota.get((a, s), 0) > 0), key=lambda a: -quota[(a, s)]
            )
        return pool

    def _candidates_on(self, s: str, d: Day) -> list[str]:
        # The school's candidates with a visit that day, nearest first; they do not change.
        # Candidate visits keep level, commute and day_off (model.data.candidate_visits).
        if (s, d) not in self._on_day:
            self._on_day[(s, d)] = [a for a in self.candidates[s] if (a, s, d) in self.possible]
        return self._on_day[(s, d)]

    def _can_visit(self, a: str, s: str, d: Day, quota: Quota | None) -> bool:
        """alt_week_max, alt_day_max and schools_per_day leave ALT ``a`` a lesson at ``s``
        on ``d``; following a plan, the pair's visit days (:func:`plan_days`) too."""
        if self.load[a] >= self.most[a] or self.day_load[(a, d)] >= self.most_a_day[a]:
            return False
        visiting = self.alt_day_schools[(a, d)]
        if s in visiting:
            return True
        if len(visiting) >= self.inst.settings.max_schools_per_day:
            return False
        if quota is None:
            return True
        days = sum(s in self.alt_day_schools[(a, e)] for e in DAYS)
        return days < self.allowed.get((a, s), 0)

    def _free_period(self, a: str, ck: ClassKey, d: Day) -> Period | None:
        """The class's first usable period on ``d`` (bell_mismatch, day_window and blocked
        hold in every usable period) that breaks neither class_overlap, co_teacher, nor ALT
        ``a``'s alt_overlap and travel."""
        s = ck[0]
        co = self.inst.class_by_key[ck].co_teacher
        for p in self.prep.periods[(ck, d)]:
            if (s, d, p.period, "class:" + ck[1]) in self.taken:
                continue
            if co and (s, d, p.period, "co:" + co) in self.taken:
                continue
            busy = self.alt_busy[(a, d)]
            if not any(too_close(self.inst, s, p, s2, q) for s2, q in busy):
                return p
        return None

    def _occupy(self, ls: Lesson, p: Period) -> None:
        """Add a lesson (in period ``p``) and count it wherever a rule will look."""
        a, s, d = ls.alt_id, ls.school_id, ls.day
        co = self.inst.class_by_key[(s, ls.class_)].co_teacher
        self.lessons.append(ls)
        self.load[a] += 1
        self.day_load[(a, d)] += 1
        self.alt_day_schools[(a, d)].add(s)
        self.alt_schools[a].add(s)
        self.alt_busy[(a, d)].append((s, p))
        if a not in self.school_day_alts[(s, d)]:
            self.school_day_alts[(s, d)].append(a)
        self.class_day[((s, ls.class_), d)] += 1
        self.taken.add((s, d, ls.period, "class:" + ls.class_))
        if co:
            self.taken.add((s, d, ls.period, "co:" + co))


def plan_days(prep: Prepared, plan: Mapping[tuple[str, str], int]) -> dict[tuple[str, str], int]:
    """The visit days the greedy may open for each planned pair: the fewest that hold its
    planned lessons (largest visits first), the smallest quotas of an ALT dropped until
    their days fit in the ALT's week.

    The plan is a flow, which may split an ALT's day between schools, so it can ask for
    more days than an ALT has (four schools needing 7 of their 5 days). Spreading the first
    schools over every day leaves many of the start's lessons short with the planned ALTs'
    days all taken; packing them and dropping what does not fit (the plain pass gives it to
    someone else) leaves far fewer unmet and under floor (docs/benchmarks_stages.md).
    """
    inst = prep.instance
    possible = set(prep.visits)
    allowed = {(a, s): _days_for(prep, possible, a, s, q) for (a, s), q in plan.items() if q > 0}
    by_alt: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for pair in sorted(allowed, key=lambda p: (-plan[p], p)):
        by_alt[pair[0]].append(pair)
    for a, pairs in by_alt.items():
        alt = inst.alt_by_id[a]
        days = len(inst.available_days(alt)) * inst.settings.max_schools_per_day
        while sum(allowed[p] for p in pairs) > days:
            del allowed[pairs.pop()]
    return allowed


def _days_for(
    prep: Prepared, possible: set[Visit], alt_id: str, school_id: str, lessons: int
) -> int:
    """The fewest visit days of an ALT at a school that can hold ``lessons`` (all of the
    ALT's days when even those cannot)."""
    visits = [(alt_id, school_id, d) for d in DAYS]
    held = held_by_visits([visit_capacity(prep, v) for v in visits if v in possible], lessons)
    return next((days for days, h in enumerate(held, start=1) if h >= lessons), len(held))


def fill(prep: Prepared, lessons: Sequence[Lesson], weights: Weights) -> list[Lesson]:
    """``lessons`` plus every unmet class lesson that still fits without moving any other
    (the greedy's rules and order), when that scores better; else ``lessons`` unchanged.

    A search that ran out of time can leave a lesson unmet that one free ALT could simply
    add (an adversarial probe found one such lesson after 60 s at 120 ALTs, 30 after 30 s);
    this pass costs milliseconds.
    """
    try:
        more = greedy(prep, start=lessons)
    except ValueError:  # not a valid timetable (the validator will say why): left as it is
        return list(lessons)
    if len(more) > len(lessons) and objective_of(prep, more, weights) < objective_of(
        prep, list(lessons), weights
    ):
        return more
    return list(lessons)
