"""Greedy construction: how a person fills the spreadsheet.

School by school (hardest to staff first), each class lesson goes to the first day and
period where the nearest free qualified ALT can take it, preferring an ALT already at the
school that day. Every hard rule is respected, so the result is a valid timetable: the
baseline of the benchmarks and the solution hint of the CP-SAT master.

Given a weekly plan of who teaches where (:func:`scheduler.search.week_plan.flow_week`), a
first pass follows it: each school's lessons go only to the ALTs planned there, up to the
lessons planned, on no more days than those lessons need (:func:`plan_days`); the plain
pass then fills what is left. This is the start of the region
search on large branches (measured in ``docs/model.md``, "Starting from the plan").
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence

from scheduler.bounds.flow import held_by_visits
from scheduler.config import Weights
from scheduler.instance import DAYS, Day, Period
from scheduler.model.data import ClassKey, Prepared, too_close
from scheduler.model.master import visit_capacity
from scheduler.replan.pins import replan_start
from scheduler.result import Lesson
from scheduler.search.regions import objective_of


def greedy(
    prep: Prepared,
    plan: Mapping[tuple[str, str], int] | None = None,
    start: Sequence[Lesson] = (),
) -> list[Lesson]:
    """A valid timetable built without search; with a ``plan`` (weekly lessons per ALT-school
    pair), the plan is followed first. With a valid ``start`` timetable, its lessons are kept
    and the greedy only adds lessons that still fit (:func:`fill`)."""
    # Pins first, and on a re-plan the previous timetable's lessons that still fit.
    start = replan_start(prep, start)
    inst = prep.instance
    st = inst.settings
    possible = set(prep.visits)
    candidates: dict[str, list[str]] = defaultdict(list)
    for (a, s), _ in sorted(prep.commute.items(), key=lambda kv: (kv[1], kv[0])):
        candidates[s].append(a)

    floor = {a.alt_id: inst.min_lessons(a) for a in inst.alts}
    most = {a.alt_id: inst.max_lessons(a) for a in inst.alts}
    most_a_day = {a.alt_id: inst.max_lessons_per_day(a) for a in inst.alts}
    reach = Counter(a for a, _s in prep.commute)
    alt_schools: dict[str, set[str]] = defaultdict(set)
    load: Counter[str] = Counter()
    day_load: Counter[tuple[str, Day]] = Counter()
    alt_day_schools: dict[tuple[str, Day], set[str]] = defaultdict(set)
    alt_busy: dict[tuple[str, Day], list[tuple[str, Period]]] = defaultdict(list)
    school_day_alts: dict[tuple[str, Day], list[str]] = defaultdict(list)
    class_day: Counter[tuple[ClassKey, Day]] = Counter()
    taken: set[tuple[str, Day, int, str]] = set()  # (school, day, period, class or teacher)
    lessons: list[Lesson] = []
    allowed = plan_days(prep, plan or {})

    def alt_free(a: str, s: str, d: Day, p: Period) -> bool:
        return not any(too_close(inst, s, p, s2, q) for s2, q in alt_busy[(a, d)])

    by_day: dict[tuple[str, Day], list[str]] = {}

    def candidates_on(s: str, d: Day) -> list[str]:
        # The school's candidates with a visit that day, nearest first; they do not change.
        if (s, d) not in by_day:
            by_day[(s, d)] = [a for a in candidates[s] if (a, s, d) in possible]
        return by_day[(s, d)]

    def try_place(ck: ClassKey, quota: dict[tuple[str, str], int] | None) -> bool:
        s = ck[0]
        co = inst.class_by_key[ck].co_teacher
        days = [
            d for d in DAYS if (ck, d) in prep.periods and class_day[(ck, d)] < prep.cap[(ck, d)]
        ]
        # Days an ALT already comes to this school first: fewer visits, as a person would.
        days.sort(key=lambda d: (not school_day_alts[(s, d)], class_day[(ck, d)], DAYS.index(d)))
        for d in days:
            here = school_day_alts[(s, d)]
            newcomers = (
                []
                if len(here) >= inst.school_by_id[s].max_alts_per_day
                else [
                    a
                    for a in candidates_on(s, d)
                    # A full ALT is skipped below anyway: left out before sorting (at 250
                    # ALTs most candidates of a late school are full).
                    if load[a] < most[a] and day_load[(a, d)] < most_a_day[a] and a not in here
                ]
            )
            # An ALT already at this school this week first (fewer schools per ALT), then
            # ALTs still under their floor, then ALTs with few other schools to go to (they
            # are the scarce ones), nearest first (candidates are sorted by commute).
            newcomers.sort(
                key=lambda a: (
                    s not in alt_schools[a],
                    load[a] >= floor[a],
                    reach[a],
                )
            )
            pool = [*here, *newcomers]
            if quota is not None:
                # Following the plan: only its ALTs of this school, most planned first.
                pool = sorted(
                    (a for a in pool if quota.get((a, s), 0) > 0), key=lambda a: -quota[(a, s)]
                )
            for a in pool:
                if load[a] >= most[a] or day_load[(a, d)] >= most_a_day[a]:
                    continue
                visiting = alt_day_schools[(a, d)]
                if s not in visiting and len(visiting) >= st.max_schools_per_day:
                    continue
                if (
                    quota is not None
                    and s not in visiting
                    and sum(s in alt_day_schools[(a, e)] for e in DAYS) >= allowed.get((a, s), 0)
                ):
                    continue
                for p in prep.periods[(ck, d)]:
                    if (s, d, p.period, "class:" + ck[1]) in taken:
                        continue
                    if co and (s, d, p.period, "co:" + co) in taken:
                        continue
                    if not alt_free(a, s, d, p):
                        continue
                    lessons.append(
                        Lesson(
                            alt_id=a,
                            school_id=s,
                            class_=ck[1],
                            day=d,
                            period=p.period,
                            start=p.start,
                            end=p.end,
                        )
                    )
                    load[a] += 1
                    if quota is not None:
                        quota[(a, s)] -= 1
                    day_load[(a, d)] += 1
                    visiting.add(s)
                    alt_schools[a].add(s)
                    alt_busy[(a, d)].append((s, p))
                    if a not in here:
                        here.append(a)
                    class_day[(ck, d)] += 1
                    taken.add((s, d, p.period, "class:" + ck[1]))
                    if co:
                        taken.add((s, d, p.period, "co:" + co))
                    return True
        return False

    # A start timetable's lessons occupy what they occupy, exactly as if placed here.
    for ls in start:
        ck = (ls.school_id, ls.class_)
        co = inst.class_by_key[ck].co_teacher
        p = next((q for q in prep.periods.get((ck, ls.day), ()) if q.period == ls.period), None)
        if p is None:
            raise ValueError(f"start lesson {ls} is not in a usable period")
        lessons.append(ls)
        load[ls.alt_id] += 1
        day_load[(ls.alt_id, ls.day)] += 1
        alt_day_schools[(ls.alt_id, ls.day)].add(ls.school_id)
        alt_schools[ls.alt_id].add(ls.school_id)
        alt_busy[(ls.alt_id, ls.day)].append((ls.school_id, p))
        if ls.alt_id not in school_day_alts[(ls.school_id, ls.day)]:
            school_day_alts[(ls.school_id, ls.day)].append(ls.alt_id)
        class_day[(ck, ls.day)] += 1
        taken.add((ls.school_id, ls.day, ls.period, "class:" + ls.class_))
        if co:
            taken.add((ls.school_id, ls.day, ls.period, "co:" + co))

    order = sorted(
        prep.needy,
        key=lambda s: (len(candidates[s]), -sum(c.alt_lessons for c in prep.needy[s]), s),
    )
    remaining = {c.key: c.alt_lessons for cs in prep.needy.values() for c in cs}
    for ls in start:
        remaining[(ls.school_id, ls.class_)] -= 1
    passes: list[dict[tuple[str, str], int] | None] = [None]
    if plan:
        passes.insert(0, dict(plan))
    for quota in passes:
        for s in order:
            classes = sorted(
                prep.needy[s],
                key=lambda c: (sum((c.key, d) in prep.periods for d in DAYS), c.class_),
            )
            # Round-robin over classes so one class's lessons do not crowd out the others.
            progress = True
            while progress:
                progress = False
                for c in classes:
                    if remaining[c.key] > 0 and try_place(c.key, quota):
                        remaining[c.key] -= 1
                        progress = True
    return lessons


def plan_days(prep: Prepared, plan: Mapping[tuple[str, str], int]) -> dict[tuple[str, str], int]:
    """The visit days the greedy may open for each planned pair: the fewest that hold its
    planned lessons (largest visits first), the smallest quotas of an ALT dropped until
    their days fit in the ALT's week.

    The plan is a flow, which may split an ALT's day between schools, so it can ask for
    more days than an ALT has (at 120 ALTs one was planned at four schools needing 7 of
    their 5 days). Spreading the first schools over every day left 152 of the start's
    lessons short with the planned ALTs' days all taken; packing them and dropping what
    does not fit (the plain pass gives it to someone else) left 89 unmet and 32 under
    floor instead of 132 and 57 (``generate(120, 1)``; 192 / 95 instead of 274 / 140 at
    250 ALTs).
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
    prep: Prepared, possible: set[tuple[str, str, Day]], alt_id: str, school_id: str, lessons: int
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
