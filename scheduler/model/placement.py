"""Exact distribution of the master's visits into classes and periods, school by school.

Schools are placed one cluster at a time: a school alone, unless an ALT visits it and
another school on the same day (possible when ``max_schools_per_day`` > 1), which links the
two because of travel time. Each cluster is a small CP-SAT model with every class- and
period-level rule (class need and daily limit, one lesson at a time per ALT, class and
co-teacher, travel between schools); it minimises continuity (extra ALTs per class) and
then prefers early periods, so the answer is canonical.

When a cluster cannot be placed, a deletion filter shrinks its visits to a minimal set of
lesson counts that still cannot be placed; the master then forbids that set (a valid
no-good, because fewer lessons are never harder to place).
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from scheduler.instance import Day
from scheduler.model.cpsat import new_solver
from scheduler.model.data import ClassKey, Links, Prepared, Visit, lesson_at, too_close
from scheduler.model.interrupt import run
from scheduler.model.pins import keep_misses, place_pins
from scheduler.result import Lesson

Counts = dict[Visit, int]

# Deterministic seconds of one cluster's search: enough to prove continuity optimal on
# nearly every cluster of the generated branches, whose hardest clusters take about this.
EFFORT = 2.0


@dataclass
class Placement:
    """Lessons placed, continuity reached, and lesson counts that could not be placed."""

    lessons: list[Lesson] = field(default_factory=list)
    continuity: int = 0
    conflicts: list[list[tuple[Visit, int]]] = field(default_factory=list)
    dropped: int = 0


def place(
    prep: Prepared,
    counts: Counts,
    *,
    repair: bool = False,
    deadline: float | None = None,
    effort: float = EFFORT,
    threads: int = 1,
) -> Placement:
    """Place every visit's lessons into classes and periods.

    A cluster proven impossible contributes a minimal conflict (a valid cut) and no lessons,
    unless ``repair`` is set; then, as for a cluster whose search ran out of time (never a
    cut: nothing was proven), as many lessons as possible are placed and the rest dropped.
    ``deadline`` (a ``time.monotonic()`` value) caps every cluster's search; ``effort`` is
    each cluster's deterministic time (the same answer on every machine); clusters are
    independent, so ``threads`` place them side by side (CP-SAT runs outside the GIL).
    """
    groups = clusters(counts)

    def one(cluster: Counts) -> _Placed:
        return _place_cluster(prep, cluster, repair, deadline, effort)

    if threads > 1 and len(groups) > 1:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            done = list(pool.map(one, groups))
    else:
        done = [one(cluster) for cluster in groups]
    out = Placement()
    for lessons, continuity, conflict, dropped in done:
        out.lessons += lessons
        out.continuity += continuity
        out.dropped += dropped
        if conflict is not None:
            out.conflicts.append(conflict)
    return out


# (lessons, continuity, minimal conflict or None, lessons dropped) of one cluster.
_Placed = tuple[list[Lesson], int, list[tuple[Visit, int]] | None, int]


def _place_cluster(
    prep: Prepared, cluster: Counts, repair: bool, deadline: float | None, effort: float
) -> _Placed:
    got = _solve_cluster(prep, cluster, deadline=deadline, effort=effort)
    if got is INFEASIBLE and not repair:
        return [], 0, _minimal_conflict(prep, cluster, deadline, effort), 0
    if isinstance(got, tuple):
        return got[0], got[1], None, 0
    best = _solve_cluster(prep, cluster, maximize=True, deadline=deadline, effort=effort)
    # Placing nothing is always possible; with no time left even that may not be found, and
    # the cluster's lessons are then all dropped.
    lessons, continuity = best if isinstance(best, tuple) else ([], 0)
    return lessons, continuity, None, sum(cluster.values()) - len(lessons)


def counts_of(lessons: Iterable[Lesson]) -> Counts:
    """Lessons per visit (ALT, school, day) of a timetable."""
    return dict(Counter((ls.alt_id, ls.school_id, ls.day) for ls in lessons))


def clusters(counts: Counts) -> list[Counts]:
    """Split visits into independent groups: schools linked by an ALT's shared day."""
    links = Links()
    for a, s, d in counts:
        links.link(s, f"{a}\0{d}")
    groups: dict[str, Counts] = defaultdict(dict)
    for visit, k in sorted(counts.items()):
        if k > 0:
            groups[links.find(visit[1])][visit] = k
    return [groups[key] for key in sorted(groups)]


INFEASIBLE = "infeasible"  # proven: no placement exists
UNKNOWN = "unknown"  # the search stopped before finding one or proving there is none


@dataclass
class _Cluster:
    """The CP-SAT model of one cluster: x[a, class, day, period] = 1 when ALT a teaches the
    class then, and the same variables grouped the ways the rules count them."""

    model: cp_model.CpModel = field(default_factory=cp_model.CpModel)
    x: dict[tuple[str, ClassKey, Day, int], cp_model.IntVar] = field(default_factory=dict)
    of_visit: dict[Visit, list[cp_model.IntVar]] = field(default_factory=lambda: defaultdict(list))
    of_class: dict[ClassKey, list[cp_model.IntVar]] = field(
        default_factory=lambda: defaultdict(list)
    )
    of_class_day: dict[tuple[ClassKey, Day], list[cp_model.IntVar]] = field(
        default_factory=lambda: defaultdict(list)
    )
    of_alt_class: dict[tuple[str, ClassKey], list[cp_model.IntVar]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # Per ALT, class or co-teacher and period: the lessons that would meet there.
    one_at_a_time: dict[tuple[str, ...], list[cp_model.IntVar]] = field(
        default_factory=lambda: defaultdict(list)
    )


def _solve_cluster(
    prep: Prepared,
    cluster: Counts,
    maximize: bool = False,
    deadline: float | None = None,
    effort: float = EFFORT,
) -> tuple[list[Lesson], int] | str:
    c = _variables(prep, cluster)
    _visit_counts(c, cluster, maximize)
    # Hard rules, each named by its rule id (docs/validator.md), in the order they enter
    # the model (it steers CP-SAT's search).
    _class_need(prep, c)
    _class_day_limit(prep, c)
    _one_at_a_time(c)
    _travel(prep, c.model, cluster, c.one_at_a_time)
    place_pins(prep, c.model, c.x, cluster)
    extra = _continuity(c.model, c.of_alt_class)
    # With a previous timetable, each of its lessons moved weighs `keep` continuity steps.
    misses, keep = keep_misses(prep, c.x)
    # Lexicographic: placed lessons, then continuity, then early periods.
    order = sum(v * pnum for (_, _, _, pnum), v in c.x.items())
    big = 1 + sum(pnum for (_, _, _, pnum) in c.x)
    goal = extra * big + order + keep * big * misses
    if maximize:
        goal -= (big * (len(c.x) + 1) * (1 + keep)) * sum(c.x.values())
    c.model.minimize(goal)
    # A deterministic time limit keeps the answer the same on every machine; the deadline
    # only matters when the whole solve is about to run out of time.
    seconds = None if deadline is None else max(0.05, deadline - time.monotonic())
    solver = new_solver(seconds=seconds, workers=1, seed=0, effort=effort)
    status = run(solver, c.model, stoppable=False)
    if status == cp_model.INFEASIBLE:
        return INFEASIBLE
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return UNKNOWN
    lessons = [
        lesson_at(prep, a, ck, d, pnum) for (a, ck, d, pnum), v in c.x.items() if solver.value(v)
    ]
    return lessons, int(solver.value(extra))


def _variables(prep: Prepared, cluster: Counts) -> _Cluster:
    """A variable per ALT of a visit, needy class of its school and usable period."""
    c = _Cluster()
    for a, s, d in cluster:
        for sc in prep.needy[s]:
            co = sc.co_teacher
            for p in prep.periods.get((sc.key, d), []):
                v = c.model.new_bool_var("")
                c.x[(a, sc.key, d, p.period)] = v
                c.of_visit[(a, s, d)].append(v)
                c.of_class[sc.key].append(v)
                c.of_class_day[(sc.key, d)].append(v)
                c.of_alt_class[(a, sc.key)].append(v)
                c.one_at_a_time[("alt", a, s, d, str(p.period))].append(v)
                c.one_at_a_time[("class", s, sc.class_, d, str(p.period))].append(v)
                if co:
                    c.one_at_a_time[("co", s, co, d, str(p.period))].append(v)
    return c


def _visit_counts(c: _Cluster, cluster: Counts, maximize: bool) -> None:
    """Each visit gives the master's lesson count (at most that count with ``maximize``)."""
    for visit, k in cluster.items():
        if maximize:
            c.model.add(sum(c.of_visit[visit]) <= k)
        else:
            c.model.add(sum(c.of_visit[visit]) == k)


def _class_need(prep: Prepared, c: _Cluster) -> None:
    """A class never gets more ALT lessons than it needs."""
    for ck, vs in c.of_class.items():
        c.model.add(sum(vs) <= prep.instance.class_by_key[ck].alt_lessons)


def _class_day_limit(prep: Prepared, c: _Cluster) -> None:
    """A class gets at most its cap of ALT lessons a day."""
    for (ck, d), vs in c.of_class_day.items():
        c.model.add(sum(vs) <= prep.cap[(ck, d)])


def _one_at_a_time(c: _Cluster) -> None:
    """alt_overlap, class_overlap and co_teacher within a school: an ALT, a class and a
    co-teacher each take one lesson a period (one constraint list, in the order the
    variables were made)."""
    for vs in c.one_at_a_time.values():
        if len(vs) > 1:
            c.model.add_at_most_one(vs)


def _continuity(
    model: cp_model.CpModel, of_alt_class: dict[tuple[str, ClassKey], list[cp_model.IntVar]]
) -> cp_model.LinearExpr:
    """Extra ALTs per class beyond the first (exact: indicators pinned with max equalities)."""
    by_class: dict[ClassKey, list[cp_model.IntVar]] = defaultdict(list)
    for (_a, ck), vs in of_alt_class.items():
        w = model.new_bool_var("")
        model.add_max_equality(w, vs)
        by_class[ck].append(w)
    extras = []
    for ws in by_class.values():
        if len(ws) > 1:
            taught = model.new_bool_var("")
            model.add_max_equality(taught, ws)
            extras.append(sum(ws) - taught)
    return cp_model.LinearExpr.sum(extras)


def _travel(
    prep: Prepared,
    model: cp_model.CpModel,
    cluster: Counts,
    one_at_a_time: dict[tuple[str, ...], list[cp_model.IntVar]],
) -> None:
    """travel (and alt_overlap across schools): an ALT at two schools on one day needs the
    travel time between lessons."""
    inst = prep.instance
    days_of: dict[tuple[str, Day], list[str]] = defaultdict(list)
    for a, s, d in cluster:
        days_of[(a, d)].append(s)
    for (a, d), schools in days_of.items():
        if len(schools) < 2:
            continue
        slots = [
            (s, p)
            for s in schools
            for p in inst.periods(s, d)
            if one_at_a_time.get(("alt", a, s, d, str(p.period)))
        ]
        busy = {}
        for s, p in slots:
            vs = one_at_a_time[("alt", a, s, d, str(p.period))]
            b = model.new_bool_var("")
            model.add_max_equality(b, vs)
            busy[(s, p.period)] = b
        for i, (s1, p1) in enumerate(slots):
            for s2, p2 in slots[i + 1 :]:
                if s1 != s2 and too_close(inst, s1, p1, s2, p2):
                    model.add_bool_or([busy[(s1, p1.period)].Not(), busy[(s2, p2.period)].Not()])


def _minimal_conflict(
    prep: Prepared, cluster: Counts, deadline: float | None = None, effort: float = EFFORT
) -> list[tuple[Visit, int]]:
    """Deletion filter: lower counts one lesson at a time while the rest is still proven
    impossible; what remains is a minimal infeasible set of lesson counts (or a larger,
    still proven one when a check runs out of time)."""
    core = dict(cluster)
    for visit in sorted(cluster):
        while core.get(visit, 0) > 0:
            trial = dict(core)
            trial[visit] -= 1
            if trial[visit] == 0:
                del trial[visit]
            if (
                trial
                and _solve_cluster(prep, trial, deadline=deadline, effort=effort) is INFEASIBLE
            ):
                core = trial
            else:
                break
    return sorted(core.items())
