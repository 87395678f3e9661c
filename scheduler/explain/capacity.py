"""Capacity pre-checks: counts that prove some need cannot be met, whatever the timetable.

Each check compares what is asked with the most that can be given, per class, per
co-teacher, per school, per reachable set of schools (a max-flow: its minimum cut names the
schools and the only ALTs who can reach them, Hall's condition in the users' words) and per
ALT for floors. They read the candidate index of :mod:`scheduler.model.data` and solve
nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ortools.graph.python import max_flow

from scheduler.instance import DAYS, Instance, SchoolClass
from scheduler.model.data import Links, Prepared, alt_week_capacity, prepare

from .reasons import ClassKey, Reason, class_name, level_words, listing, plural, school_name


@dataclass(frozen=True)
class Capacity:
    """The most each class, co-teacher, school and ALT can take or give in a week."""

    prep: Prepared
    class_most: dict[ClassKey, int]  # usable periods, at most the class's daily limit a day
    teacher_most: dict[tuple[str, str], int]  # (school, co-teacher): periods a week they can use
    school_most: dict[str, int]  # lessons the school can take (all limits above, and ALTs a day)
    alt_most: dict[str, int]  # lessons the ALT can give (weekly and daily maxima, days in reach)
    reachers: dict[str, list[str]]  # ALTs who can reach each school with need

    @property
    def instance(self) -> Instance:
        """The branch."""
        return self.prep.instance


def capacity_of(instance: Instance, prep: Prepared | None = None) -> Capacity:
    """Count, per class, co-teacher, school and ALT, the most a week can hold."""
    prep = prep or prepare(instance)
    class_most = {c.key: sum(prep.cap.get((c.key, d), 0) for d in DAYS) for c in instance.classes}
    teacher_most = {}
    for (sid, teacher), classes in _teachers(instance).items():
        teacher_most[(sid, teacher)] = sum(
            min(_periods_on(prep, classes, d), sum(prep.cap.get((c.key, d), 0) for c in classes))
            for d in DAYS
        )
    reachers: dict[str, list[str]] = defaultdict(list)
    for a, s in prep.commute:
        reachers[s].append(a)
    school_most = {}
    for sid, classes in prep.needy.items():
        by_teacher: dict[str, list[SchoolClass]] = defaultdict(list)
        for c in classes:
            by_teacher[(c.co_teacher or "").strip() or f"\0{c.class_}"].append(c)
        takes = sum(
            min(
                sum(min(c.alt_lessons, class_most[c.key]) for c in group),
                teacher_most.get((sid, t), class_most[group[0].key] if len(group) == 1 else 0),
            )
            for t, group in by_teacher.items()
        )
        per_day = sum(
            instance.school_by_id[sid].max_alts_per_day * _periods_on(prep, classes, d)
            for d in DAYS
        )
        school_most[sid] = min(takes, per_day)
    return Capacity(
        prep, class_most, teacher_most, school_most, alt_week_capacity(prep), dict(reachers)
    )


def _teachers(inst: Instance) -> dict[tuple[str, str], list[SchoolClass]]:
    # Classes with need sharing one co-teacher at a school (two or more: one is the class).
    out: dict[tuple[str, str], list[SchoolClass]] = defaultdict(list)
    for c in inst.classes:
        teacher = (c.co_teacher or "").strip()
        if teacher and c.alt_lessons > 0:
            out[(c.school_id, teacher)].append(c)
    return {k: v for k, v in out.items() if len(v) > 1}


def _periods_on(prep: Prepared, classes: list[SchoolClass], day: str) -> int:
    return len({p.period for c in classes for p in prep.periods.get((c.key, day), [])})  # type: ignore[arg-type]


def capacity_reasons(instance: Instance, cap: Capacity | None = None) -> list[Reason]:
    """Every count-level fact proving some need unmet or some ALT under floor.

    Parameters
    ----------
    instance
        The branch.
    cap
        Its counts, when already made by :func:`capacity_of`.

    Returns
    -------
    list[Reason]
        In the order class, co-teacher, school, reach, supply, ALT, floors; empty when
        counting proves nothing.
    """
    cap = cap or capacity_of(instance)
    return [
        *_class_reasons(cap),
        *_teacher_reasons(cap),
        *_school_reasons(cap),
        *_reach_reasons(cap),
        *_supply_reasons(cap),
        *_alt_reasons(cap),
        *_floor_reasons(cap),
    ]


def _class_reasons(cap: Capacity) -> list[Reason]:
    # A class gets at most max_class_lessons_per_day lessons a day, in its usable periods.
    inst, prep = cap.instance, cap.prep
    limit = inst.settings.max_class_lessons_per_day
    out = []
    for c in inst.classes:
        most = cap.class_most[c.key]
        if c.alt_lessons <= most:
            continue
        open_days = [d for d in DAYS if (c.key, d) in prep.cap]
        closed = [d for d in DAYS if inst.periods(c.school_id, d) and d not in open_days]
        if not open_days:
            why = "has no usable period (every period blocked or outside the day)"
        else:
            why = (
                f"can take at most {most}: {plural(limit, 'ALT lesson')} a day on "
                f"{plural(len(open_days), 'day')} with a usable period"
            )
            if closed:
                why += f" (blocked on {', '.join(closed)})"
        text = (
            f"{class_name(inst, c.key)} needs {plural(c.alt_lessons, 'lesson')} a week but {why}"
        )
        out.append(Reason("class", text, frozenset({c.key})))
    return out


def _teacher_reasons(cap: Capacity) -> list[Reason]:
    # Two classes of one co-teacher never have lessons at the same time.
    inst = cap.instance
    out = []
    for (sid, teacher), classes in _teachers(inst).items():
        need = sum(c.alt_lessons for c in classes)
        most = cap.teacher_most[(sid, teacher)]
        if need <= most:
            continue
        names = listing([c.class_ for c in classes], most=6)
        text = (
            f"{school_name(inst, sid)}: co-teacher {teacher}'s classes {names} need "
            f"{plural(need, 'lesson')} a week but {teacher} can team-teach at most {most} "
            "(one class at a time, in the periods those classes can use)"
        )
        out.append(Reason("co_teacher", text, frozenset(c.key for c in classes)))
    return out


def _school_reasons(cap: Capacity) -> list[Reason]:
    # A school takes at most max_alts_per_day ALTs a day, each teaching one class at a time.
    inst, prep = cap.instance, cap.prep
    out = []
    for sid, classes in prep.needy.items():
        need = sum(c.alt_lessons for c in classes)
        school = inst.school_by_id[sid]
        per_day = sum(school.max_alts_per_day * _periods_on(prep, classes, d) for d in DAYS)
        by_classes = sum(min(c.alt_lessons, cap.class_most[c.key]) for c in classes)
        most = cap.school_most[sid]
        if most >= need or per_day >= by_classes or not cap.reachers.get(sid):
            continue  # fine, or already the classes' or co-teachers' own limits
        text = (
            f"{school.name} needs {plural(need, 'lesson')} a week but takes at most {most}: "
            f"{plural(school.max_alts_per_day, 'ALT')} a day, one lesson a period each"
        )
        out.append(Reason("school", text, frozenset(c.key for c in classes)))
    return out


def _reach_reasons(cap: Capacity) -> list[Reason]:
    # An ALT teaches only at their levels, and within max_commute_minutes of home.
    inst, prep = cap.instance, cap.prep
    limit = inst.settings.max_commute_minutes
    out = []
    for sid, classes in prep.needy.items():
        if cap.reachers.get(sid):
            continue
        school = inst.school_by_id[sid]
        need = sum(c.alt_lessons for c in classes)
        working = [
            a for a in inst.alts if inst.max_lessons(a) > 0 and inst.max_lessons_per_day(a) > 0
        ]
        qualified = [a for a in working if inst.qualified(a, school)]
        if not qualified:
            text = (
                f"no ALT is qualified for {level_words(school.level)} schools, so nobody can "
                f"teach {school.name}'s {plural(need, 'lesson')} a week"
            )
        else:
            near = min(qualified, key=lambda a: inst.commute_minutes(a, school))
            text = (
                f"nobody qualified lives within {limit} minutes of {school.name} (nearest: "
                f"{near.alt_id} at {inst.commute_minutes(near, school)} minutes), so its "
                f"{plural(need, 'lesson')} a week cannot be given"
            )
        out.append(Reason("reach", text, frozenset(c.key for c in classes)))
    return out


def _supply_reasons(cap: Capacity) -> list[Reason]:
    # Hall's condition: the schools of a set can get at most what the ALTs who can reach
    # any of them can give. The max-flow's minimum cut names the sets that fall short.
    schools = [s for s in cap.school_most if cap.reachers.get(s)]
    alts = sorted({a for s in schools for a in cap.reachers[s]})
    if not schools:
        return []
    node = {("s", s): i + 2 for i, s in enumerate(schools)}
    node |= {("a", a): len(schools) + 2 + i for i, a in enumerate(alts)}
    flow = max_flow.SimpleMaxFlow()
    big = sum(cap.school_most.values()) + 1
    for s in schools:
        flow.add_arc_with_capacity(0, node[("s", s)], cap.school_most[s])
        for a in cap.reachers[s]:
            flow.add_arc_with_capacity(node[("s", s)], node[("a", a)], big)
    for a in alts:
        flow.add_arc_with_capacity(node[("a", a)], 1, cap.alt_most[a])
    if flow.solve(0, 1) != flow.OPTIMAL:
        return []
    source_side = set(flow.get_source_side_min_cut())
    short_schools = [s for s in schools if node[("s", s)] in source_side]
    links = Links()
    for s in short_schools:
        for a in cap.reachers[s]:
            links.link(f"s{s}", f"a{a}")
    groups: dict[str, list[str]] = defaultdict(list)
    for s in short_schools:
        groups[links.find(f"s{s}")].append(s)
    out = []
    for members in groups.values():
        who = sorted({a for s in members for a in cap.reachers[s]})
        asked = sum(cap.school_most[s] for s in members)
        given = sum(cap.alt_most[a] for a in who)
        if asked <= given:
            continue
        out.append(_supply_reason(cap, members, who, asked, given))
    return out


def _supply_reason(
    cap: Capacity, members: list[str], who: list[str], asked: int, given: int
) -> Reason:
    inst = cap.instance
    limit = inst.settings.max_commute_minutes
    names = listing([school_name(inst, s) for s in members])
    if len(members) == len(cap.school_most) and len(members) > 4:
        text = (
            f"the branch is short of ALTs: they can give at most {given} lessons a week, "
            f"the schools can take {asked}"
        )
    elif len(who) == 1:
        text = (
            f"only {who[0]} can reach {names} within {limit} minutes and can give at most "
            f"{plural(given, 'lesson')} a week; {'it' if len(members) == 1 else 'they'} "
            f"can take {asked}"
        )
    else:
        text = (
            f"only {listing(who, most=6)} can reach {names} within {limit} minutes; together "
            f"they can give at most {given} lessons a week, "
            f"{'it' if len(members) == 1 else 'those schools'} can take {asked}"
        )
    # It explains the schools' shortfall, not an ALT under floor: no ALT is concerned.
    classes = frozenset(c.key for s in members for c in cap.prep.needy[s])
    return Reason("supply", text, classes)


def _alt_reasons(cap: Capacity) -> list[Reason]:
    # An ALT's floor is reachable only with enough days, schools and need within reach.
    inst = cap.instance
    limit = inst.settings.max_commute_minutes
    schools_of: dict[str, list[str]] = defaultdict(list)
    for s, reachers in cap.reachers.items():
        for alt_id in reachers:
            schools_of[alt_id].append(s)
    out = []
    for a in inst.alts:
        floor = inst.min_lessons(a)
        if floor <= 0:
            continue
        mine = sorted(schools_of.get(a.alt_id, []))
        most = cap.alt_most[a.alt_id]
        take = sum(cap.school_most[s] for s in mine)
        if not mine:
            levels = " and ".join(level_words(v) for v in a.levels)
            text = (
                f"{a.alt_id} can reach no school with need within {limit} minutes "
                f"(qualified for {levels}); floor {floor}"
            )
        elif most < floor:
            days = sorted({d for (x, _s, d) in cap.prep.visits if x == a.alt_id}, key=DAYS.index)
            text = (
                f"{a.alt_id} can give at most {most} lessons a week (works with a school in "
                f"reach on {', '.join(days)}, at most {inst.max_lessons_per_day(a)} a day); "
                f"floor {floor}"
            )
        elif take < floor:
            names = listing([school_name(inst, s) for s in mine])
            text = (
                f"the schools {a.alt_id} can reach ({names}) can take at most {take} lessons "
                f"a week; floor {floor}"
            )
        else:
            continue
        out.append(Reason("alt", text, alts=frozenset({a.alt_id})))
    return out


def _floor_reasons(cap: Capacity) -> list[Reason]:
    # Floors are contract minima; they cannot all be met with less need than they add up to.
    inst = cap.instance
    floors = sum(inst.min_lessons(a) for a in inst.alts)
    takeable = sum(cap.school_most.values())
    if floors <= takeable:
        return []
    text = (
        f"contract floors add up to {floors} lessons a week, the schools can take only "
        f"{takeable}: some ALTs stay under their floor"
    )
    return [Reason("floors", text, alts=frozenset(a.alt_id for a in inst.alts))]
