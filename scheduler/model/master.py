"""The aggregated CP-SAT master: which ALT visits which school on which day, and how many
lessons they give there.

Neither classes nor periods are decided here. Redundant capacity constraints (what the
classes of a school can absorb on any set of days, periods per school-day, co-teacher
periods per day) make the exact distribution into classes and periods in
:mod:`scheduler.model.placement` succeed almost always; when it does not, the placement
returns a no-good cut that :func:`add_cut` adds before the master is solved again.

Hard rules that only remove candidates (level qualification, days off, maximum commute,
blocked periods, the day window) are applied in :func:`scheduler.model.data.prepare`:
their variables are never created.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations

from ortools.sat.python import cp_model

from scheduler.config import Weights
from scheduler.instance import DAYS, Day, Instance
from scheduler.model import goals, visit_rules
from scheduler.model.data import Prepared, Visit, too_close
from scheduler.model.pins import add_pins, keep_previous

LinearExpr = cp_model.LinearExprT


@dataclass
class Master:
    """The CP-SAT model and its named variables; built by :func:`build_master`."""

    prep: Prepared
    weights: Weights
    model: cp_model.CpModel = field(default_factory=cp_model.CpModel)
    y: dict[Visit, cp_model.IntVar] = field(default_factory=dict)
    lessons: dict[Visit, cp_model.IntVar] = field(default_factory=dict)
    z: dict[tuple[str, str], cp_model.IntVar] = field(default_factory=dict)
    # Per school, the variable of continuity's lower bound (schools two ALTs can reach).
    continuity: dict[str, cp_model.IntVar] = field(default_factory=dict)
    # Upper bound of lessons[visit] (reading it back from the proto is slow).
    top: dict[Visit, int] = field(default_factory=dict)
    # Unweighted soft terms; the objective is sum(weight * term).
    terms: dict[str, LinearExpr] = field(default_factory=dict)
    # Valid lower bounds of terms the placement decides exactly (continuity): they enter the
    # master's objective, so its bound and its choices see them, but a timetable's score
    # uses the placement's exact value instead.
    term_bounds: dict[str, LinearExpr] = field(default_factory=dict)
    of_alt_day: dict[tuple[str, Day], list[cp_model.IntVar]] = field(default_factory=dict)
    of_school_day: dict[tuple[str, Day], list[cp_model.IntVar]] = field(default_factory=dict)
    peak: dict[str, cp_model.IntVar] = field(default_factory=dict)

    def load(self, alt_id: str) -> LinearExpr:
        """Weekly lessons of an ALT (including those given outside this model)."""
        fixed = self.prep.fixed_load.get(alt_id, 0)
        return fixed + sum(sum(self.of_alt_day.get((alt_id, d), [])) for d in DAYS)


def build_master(prep: Prepared, weights: Weights) -> Master:
    """Build the master with every hard rule and the weighted soft goals it decides.

    Continuity depends on which class gets which ALT, so it is decided (exactly, per
    school) by the placement; every other term is exact here.
    """
    m = Master(prep=prep, weights=weights)
    add_variables(m)
    # Hard rules, each named by its rule id (docs/validator.md); the order is the order in
    # which the constraints enter the model, which steers CP-SAT's search, so it stays.
    visit_means_teaching(m)
    class_need_and_day_limit(m)
    alt_week_max(m)
    alt_day_max(m)
    schools_per_day(m)
    alts_per_day(m)
    # alt_overlap within one school (one lesson per period) is the domain of lessons[a,s,d]
    # (visit_capacity), so it needs no constraint of its own.
    co_teacher(m)
    travel(m)
    add_pins(m)  # pins.csv: every pin is kept (scheduler.model.pins)
    # Soft goals, in priority order.
    unmet_lesson(m)
    under_floor_lesson(m)
    alt_school(m)
    commute_minute(m)
    load_spread(m)
    day_peak(m)
    continuity_bound(m)
    keep_previous(m)  # with a previous timetable: its lessons not kept (scheduler.model.pins)
    m.model.minimize(
        sum(getattr(weights, k) * t for k, t in [*m.terms.items(), *m.term_bounds.items()])
    )
    return m


def visit_capacity(prep: Prepared, visit: Visit) -> int:
    """Most lessons one ALT can give in one visit: their daily maximum, the periods any
    needy class can use, and what the classes can take that day."""
    a, s, d = visit
    inst = prep.instance
    periods, absorb = prep.room(s, d)
    return min(inst.max_lessons_per_day(inst.alt_by_id[a]), periods, absorb)


def add_variables(m: Master) -> None:
    """y[a,s,d]: ALT a visits school s on day d; lessons[a,s,d]: how many lessons they give."""
    for visit in m.prep.visits:
        top = visit_capacity(m.prep, visit)
        if top == 0:
            continue
        a, s, d = visit
        m.top[visit] = top
        m.y[visit] = m.model.new_bool_var(f"y[{a},{s},{d}]")
        m.lessons[visit] = m.model.new_int_var(0, top, f"lessons[{a},{s},{d}]")
        m.of_alt_day.setdefault((a, d), []).append(m.lessons[visit])
        m.of_school_day.setdefault((s, d), []).append(m.lessons[visit])


# ---- hard rules ------------------------------------------------------------------------------


def visit_means_teaching(m: Master) -> None:
    """An ALT gives lessons only at a school they visit, and visits only to teach."""
    for visit, y in m.y.items():
        n = m.lessons[visit]
        m.model.add(n <= m.top[visit] * y)
        m.model.add(n >= y)


def class_need_and_day_limit(m: Master) -> None:
    """class_need and class_day_limit, counted: the classes of a school take what they ask
    for, at most their daily limit a day.

    Exact as a transportation problem (max-flow min-cut): for every set D of days, the
    lessons given on D are at most sum over classes of min(need, usable slots on D).
    """
    for s, days, room in absorption_limits(m.prep, m.top):
        given = [n for d in days for n in m.of_school_day[(s, d)]]
        m.model.add(cp_model.LinearExpr.sum(given) <= room)


def absorption_limits(
    prep: Prepared, top: dict[Visit, int]
) -> list[tuple[str, tuple[Day, ...], int]]:
    """(school, set of days, most lessons its classes can take on those days), for every set
    of days on which the visits' capacities ``top`` could give more than that."""
    tops: dict[tuple[str, Day], int] = defaultdict(int)
    for (_a, s, d), t in top.items():
        tops[(s, d)] += t
    out = []
    for s, classes in prep.needy.items():
        days = [d for d in DAYS if tops[(s, d)] > 0]
        for k in range(1, len(days) + 1):
            for subset in combinations(days, k):
                room = sum(
                    min(c.alt_lessons, sum(prep.cap.get((c.key, d), 0) for d in subset))
                    for c in classes
                )
                if sum(tops[(s, d)] for d in subset) > room:
                    out.append((s, subset, room))
    return out


def alt_week_max(m: Master) -> None:
    """An ALT teaches at most their weekly contract maximum."""
    inst = m.prep.instance
    for alt in inst.alts:
        load = m.load(alt.alt_id)
        if not isinstance(load, int):
            m.model.add(load <= inst.max_lessons(alt))


def alt_day_max(m: Master) -> None:
    """An ALT teaches at most their daily maximum (over all schools of the day)."""
    inst = m.prep.instance
    for (a, _d), ns in m.of_alt_day.items():
        if len(ns) > 1:
            m.model.add(sum(ns) <= inst.max_lessons_per_day(inst.alt_by_id[a]))


def schools_per_day(m: Master) -> None:
    """An ALT visits at most max_schools_per_day schools a day."""
    visit_rules.schools_per_day(m.model, m.y, m.prep.settings.max_schools_per_day)


def alts_per_day(m: Master) -> None:
    """A school takes at most max_alts_per_day ALTs on one day."""
    visit_rules.alts_per_day(m.model, m.y, m.prep.instance)


def co_teacher(m: Master) -> None:
    """A co-teacher teaches one class at a time, whichever ALTs come (counted; the placement
    decides the periods): on a school-day, the
    lessons of a co-teacher's classes fit in the periods those classes can use."""
    inst = m.prep.instance
    for s in m.prep.needy:
        if inst.school_by_id[s].max_alts_per_day < 2:
            continue  # one ALT a day already teaches one class at a time
        for d in DAYS:
            given = m.of_school_day.get((s, d), [])
            if len(given) >= 2:
                m.model.add(sum(given) <= co_teacher_room(m.prep, s, d))


def co_teacher_room(prep: Prepared, school_id: str, day: Day) -> int:
    """Most lessons a school-day can hold with each co-teacher in one class at a time."""
    groups: dict[str | None, list] = defaultdict(list)
    for c in prep.needy[school_id]:
        groups[c.co_teacher].append(c)
    room = 0
    for teacher, group in groups.items():
        caps = [prep.cap.get((c.key, day), 0) for c in group]
        if teacher is None:
            room += sum(caps)
        else:
            periods = {p.period for c in group for p in prep.periods.get((c.key, day), [])}
            room += min(sum(caps), len(periods))
    return room


def travel(m: Master) -> None:
    """With several schools a day, an ALT never visits two schools between which no pair of
    periods leaves time to travel."""
    prep = m.prep
    inst = prep.instance
    if prep.settings.max_schools_per_day < 2:
        return
    by_alt_day: dict[tuple[str, Day], list[str]] = defaultdict(list)
    for a, s, d in m.y:
        by_alt_day[(a, d)].append(s)
    for (a, d), schools in by_alt_day.items():
        for i, s1 in enumerate(schools):
            for s2 in schools[i + 1 :]:
                if cannot_join(inst, s1, s2, d):
                    m.model.add_at_most_one([m.y[(a, s1, d)], m.y[(a, s2, d)]])


def cannot_join(inst: Instance, s1: str, s2: str, day: Day) -> bool:
    """No period of one school leaves time to travel to or from any period of the other."""
    return all(
        too_close(inst, s1, p, s2, q) for p in inst.periods(s1, day) for q in inst.periods(s2, day)
    )


# ---- soft goals ------------------------------------------------------------------------------
# Each auxiliary variable is pinned to its exact value (max/min equalities), so the master's
# objective of any solution, optimal or not, equals the validator's recomputation.


def _wanted(m: Master, key: str) -> bool:
    return goals.wanted(m.weights, key)


def unmet_lesson(m: Master) -> None:
    """Class lessons asked for and not given (a constant part counts classes nobody can reach)."""
    if _wanted(m, "unmet_lesson"):
        m.terms["unmet_lesson"] = goals.unmet_lesson(m.prep.instance, m.lessons.values())


def under_floor_lesson(m: Master) -> None:
    """Lessons an ALT is below their weekly contract floor."""
    if _wanted(m, "under_floor_lesson"):
        shortfalls = goals.under_floor_lesson(m.model, m.prep.instance, m.load)
        m.terms["under_floor_lesson"] = sum(u for u, _ in shortfalls.values())


def alt_school(m: Master) -> None:
    """Distinct schools in each ALT's week (z also feeds continuity's lower bound)."""
    if not (_wanted(m, "alt_school") or _wanted(m, "continuity")):
        return
    visits: dict[tuple[str, str], list[Visit]] = defaultdict(list)
    for visit in m.y:
        visits[(visit[0], visit[1])].append(visit)
    m.z.update(goals.alt_school(m.model, m.y))
    for pair, vs in visits.items():
        # Redundant, for a tighter LP bound: lessons at a school need the school in the week.
        m.model.add(sum(m.lessons[v] for v in vs) <= week_capacity(m, vs) * m.z[pair])
    if _wanted(m, "alt_school"):
        m.terms["alt_school"] = sum(m.z.values())


def commute_minute(m: Master) -> None:
    """One-way home-to-school minutes, once per visit day."""
    if _wanted(m, "commute_minute"):
        m.terms["commute_minute"] = goals.commute_minute(m.prep.commute, m.y)


def load_spread(m: Master) -> None:
    """Lessons between the busiest and the least busy ALT."""
    inst = m.prep.instance
    if not _wanted(m, "load_spread") or len(inst.alts) < 2:
        return
    loads = [m.load(alt.alt_id) for alt in inst.alts]
    hi, lo = goals.load_spread(m.model, inst, loads)
    # Redundant, for a tighter LP bound: the busiest is above the mean, the least below.
    m.model.add(len(loads) * hi >= sum(loads))
    m.model.add(len(loads) * lo <= sum(loads))
    m.terms["load_spread"] = hi - lo


def day_peak(m: Master) -> None:
    """Lessons on each ALT's busiest day."""
    if not _wanted(m, "day_peak"):
        return
    for a, (peak, days) in goals.day_peak(m.model, m.prep.instance, m.of_alt_day).items():
        # Redundant, for a tighter LP bound: the busiest day is above the daily mean.
        m.model.add(len(days) * peak >= sum(days))
        m.peak[a] = peak
    m.terms["day_peak"] = sum(m.peak.values())


def continuity_bound(m: Master) -> None:
    """A lower bound of the extra ALTs per class, decided exactly by the placement.

    Every ALT at a school teaches at least one of its classes, so the (ALT, class) pairs
    there number at least the ALTs; continuity is pairs minus taught classes, hence at least
    ALTs minus classes with need.
    """
    if not _wanted(m, "continuity") or not m.z:
        return
    by_school: dict[str, list[cp_model.IntVar]] = defaultdict(list)
    for (_a, s), z in m.z.items():
        by_school[s].append(z)
    for s, zs in by_school.items():
        classes = len(m.prep.needy[s])
        if len(zs) < 2:
            continue  # one ALT at a school never shares a class
        e = m.model.new_int_var(0, len(zs) * classes, f"continuity_bound[{s}]")
        if len(zs) > classes:
            m.model.add(e >= sum(zs) - classes)
        m.continuity[s] = e
    if m.continuity:
        m.term_bounds["continuity"] = sum(m.continuity.values())


def one_day_continuity(m: Master, of_pair: dict[tuple[str, str], list[Visit]]) -> None:
    """With everything given and one lesson per class a day: the lessons of an ALT who comes
    to a school on one day only go to distinct classes, and a class needing two or more that
    takes k such lessons sees at least max(2, k) ALTs, so at least k/2 extra. Classes needing
    one lesson absorb one such lesson each for free."""
    if not m.continuity or m.prep.settings.max_class_lessons_per_day != 1:
        return
    by_school: dict[str, list[LinearExpr]] = defaultdict(list)
    for (a, s), z in m.z.items():
        if s not in m.continuity:
            continue
        vs = of_pair[(a, s)]
        cap = week_capacity(m, vs)
        # one >= 1 exactly when the ALT is at the school on a single day.
        one = m.model.new_bool_var("")
        m.model.add(one >= 2 * z - sum(m.y[v] for v in vs))
        given = m.model.new_int_var(0, cap, "")
        m.model.add(given >= sum(m.lessons[v] for v in vs) - cap * (1 - one))
        by_school[s].append(given)
    for s, given_once in by_school.items():
        singles = sum(1 for c in m.prep.needy[s] if c.alt_lessons == 1)
        m.model.add(2 * m.continuity[s] >= sum(given_once) - singles)


def week_capacity(m: Master, visits: list[Visit]) -> int:
    """Most lessons one ALT can give at one school in a week (``visits`` are theirs there):
    the school's need, the ALT's weekly maximum and the sum of the visit capacities."""
    inst = m.prep.instance
    a, s, _d = visits[0]
    need = sum(c.alt_lessons for c in m.prep.needy[s])
    days = sum(m.top[v] for v in visits)
    return min(need, inst.max_lessons(inst.alt_by_id[a]), days)


def coverage_cuts(m: Master, *, all_given: bool, floors_met: bool) -> None:
    """Integer-rounded counting cuts, valid only once the stated level is fixed.

    ``all_given``: every class gets all its lessons, so a school needing n lessons gets at
    least ceil(n / most lessons of one visit) visits and ceil(n / most lessons of one ALT)
    distinct ALTs. ``floors_met``: every ALT reaches their floor f, so they make at least
    ceil(f / most lessons of one visit) visits, see ceil(f / most lessons at one school)
    schools and have a busiest day of at least ceil(f / working days). The LP relaxation
    only knows the fractional versions of these counts.
    """
    groups = _CutGroups.of(m)
    if all_given:
        one_day_continuity(m, groups.of_pair)
        _all_given_cuts(m, groups)
    if floors_met:
        _floors_met_cuts(m, groups)


# A pair's z variable and the most lessons the ALT can give at the school in a week.
_CappedPair = tuple[cp_model.IntVar, int]


@dataclass
class _CutGroups:
    """The master's visits and (ALT, school) pairs grouped the ways the cuts count them."""

    by_school: dict[str, list[Visit]]
    by_alt: dict[str, list[Visit]]
    of_pair: dict[tuple[str, str], list[Visit]]
    pairs_of_school: dict[str, list[_CappedPair]]
    pairs_of_alt: dict[str, list[_CappedPair]]

    @classmethod
    def of(cls, m: Master) -> _CutGroups:
        by_school: dict[str, list[Visit]] = defaultdict(list)
        by_alt: dict[str, list[Visit]] = defaultdict(list)
        of_pair: dict[tuple[str, str], list[Visit]] = defaultdict(list)
        for v in m.y:
            by_school[v[1]].append(v)
            by_alt[v[0]].append(v)
            of_pair[(v[0], v[1])].append(v)
        pairs_of_school: dict[str, list[_CappedPair]] = defaultdict(list)
        pairs_of_alt: dict[str, list[_CappedPair]] = defaultdict(list)
        for (a, s), z in m.z.items():
            cap = week_capacity(m, of_pair[(a, s)])
            pairs_of_school[s].append((z, cap))
            pairs_of_alt[a].append((z, cap))
        return cls(by_school, by_alt, of_pair, pairs_of_school, pairs_of_alt)


def _all_given_cuts(m: Master, groups: _CutGroups) -> None:
    """A school needing n lessons gets at least ceil(n / most of one visit) visits and
    ceil(n / most of one ALT) distinct ALTs."""
    for s, classes in m.prep.needy.items():
        need = sum(c.alt_lessons for c in classes)
        vs = groups.by_school.get(s, [])
        if not vs or need == 0:
            continue
        most = max(m.top[v] for v in vs)
        m.model.add(sum(m.y[v] for v in vs) >= -(-need // most))
        caps = groups.pairs_of_school[s]
        if caps:
            most_alt = max(c for _, c in caps)
            m.model.add(sum(z for z, _ in caps) >= -(-need // most_alt))


def _floors_met_cuts(m: Master, groups: _CutGroups) -> None:
    """An ALT at their floor f makes at least ceil(f / most of one visit) visits, sees
    ceil(f / most at one school) schools and has a busiest day of ceil(f / working days)."""
    inst = m.prep.instance
    for alt in inst.alts:
        floor = inst.min_lessons(alt)
        vs = groups.by_alt.get(alt.alt_id, [])
        if floor == 0 or not vs:
            continue
        most = max(m.top[v] for v in vs)
        m.model.add(sum(m.y[v] for v in vs) >= -(-floor // most))
        caps = groups.pairs_of_alt[alt.alt_id]
        if caps:
            most_school = max(c for _, c in caps)
            m.model.add(sum(z for z, _ in caps) >= -(-floor // most_school))
            if most_school >= floor and any(c < floor for _, c in caps):
                # Lifted cover: one school suffices only if it alone can hold the floor.
                m.model.add(sum((2 if c >= floor else 1) * z for z, c in caps) >= 2)
        if alt.alt_id in m.peak:
            days = len({d for (_a, _s, d) in vs})
            m.model.add(m.peak[alt.alt_id] >= -(-floor // days))


def add_cut(m: Master, counts: list[tuple[Visit, int]]) -> None:
    """Forbid giving at least these lesson counts together: the placement proved they cannot
    all be distributed into classes and periods, and more lessons are never easier."""
    lits = []
    for visit, count in counts:
        less = m.model.new_bool_var("")
        m.model.add(m.lessons[visit] <= count - 1).only_enforce_if(less)
        lits.append(less)
    m.model.add_bool_or(lits)
