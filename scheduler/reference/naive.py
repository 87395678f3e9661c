"""The straightforward CP-SAT model: one boolean per (ALT, class, day, period).

Kept as the benchmark's reference point, not as a production method. Every hard rule is
stated at period level in one model, and the objective is the whole of ``docs/objective.md``
(continuity included), so on small instances it proves the same optimum as the default
method, and on large ones it shows what the aggregated master saves.

Candidates come from :func:`scheduler.model.data.prepare`: level, days off, commute limit,
blocked periods and the day window remove variables instead of adding constraints. Every
auxiliary variable of the objective is pinned to its exact value (max/min equalities), so
the objective of any solution, optimal or not, equals :func:`scheduler.validate.score`.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from scheduler.config import SolverParams, Weights
from scheduler.instance import DAYS, Day, Instance, Period
from scheduler.model import goals, visit_rules
from scheduler.model.cpsat import new_solver
from scheduler.model.data import ClassKey, Prepared, Visit, too_close
from scheduler.model.interrupt import run, watching
from scheduler.result import Lesson, Result, Status

X = tuple[str, ClassKey, Day, int]  # (alt_id, class, day, period)
LinearExpr = cp_model.LinearExprT
Trace = list[tuple[float, float, float]]
ProgressFn = Callable[[float, float, float], None]


@dataclass
class _Facts:
    """What the auxiliary variables count in one timetable, computed once for the hint."""

    load: Counter[str]
    day_load: Counter[tuple[str, Day]]
    alt_schools: set[tuple[str, str]]
    alt_classes: set[tuple[str, ClassKey]]
    classes: set[ClassKey]

    @classmethod
    def of(cls, lessons: list[Lesson]) -> _Facts:
        return cls(
            load=Counter(x.alt_id for x in lessons),
            day_load=Counter((x.alt_id, x.day) for x in lessons),
            alt_schools={(x.alt_id, x.school_id) for x in lessons},
            alt_classes={(x.alt_id, (x.school_id, x.class_)) for x in lessons},
            classes={(x.school_id, x.class_) for x in lessons},
        )


@dataclass
class Naive:
    """The period-level model and its named variables; built by :func:`build_naive`."""

    prep: Prepared
    weights: Weights
    model: cp_model.CpModel = field(default_factory=cp_model.CpModel)
    x: dict[X, cp_model.IntVar] = field(default_factory=dict)
    period_of: dict[X, Period] = field(default_factory=dict)
    y: dict[Visit, cp_model.IntVar] = field(default_factory=dict)
    # Grouped views of x, built once so each rule reads like its sentence.
    of_visit: dict[Visit, list[cp_model.IntVar]] = field(default_factory=dict)
    of_alt: dict[str, list[cp_model.IntVar]] = field(default_factory=dict)
    of_alt_day: dict[tuple[str, Day], list[cp_model.IntVar]] = field(default_factory=dict)
    of_class: dict[ClassKey, list[cp_model.IntVar]] = field(default_factory=dict)
    of_class_day: dict[tuple[ClassKey, Day], list[cp_model.IntVar]] = field(default_factory=dict)
    of_alt_class: dict[tuple[str, ClassKey], list[cp_model.IntVar]] = field(default_factory=dict)
    # Unweighted soft terms; the objective is sum(weight * term).
    terms: dict[str, LinearExpr] = field(default_factory=dict)
    # Auxiliary variables of the soft goals, kept to hint them.
    under: dict[str, tuple[cp_model.IntVar, int]] = field(default_factory=dict)  # (var, floor)
    z: dict[tuple[str, str], cp_model.IntVar] = field(default_factory=dict)
    spread: tuple[cp_model.IntVar, cp_model.IntVar] | None = None  # (highest, lowest load)
    peak: dict[str, cp_model.IntVar] = field(default_factory=dict)
    w: dict[tuple[str, ClassKey], cp_model.IntVar] = field(default_factory=dict)
    taught: dict[ClassKey, cp_model.IntVar] = field(default_factory=dict)


def build_naive(prep: Prepared, weights: Weights) -> Naive:
    """Build the period-level model with every hard rule and every weighted soft goal."""
    m = Naive(prep=prep, weights=weights)
    add_variables(m)
    # Hard rules, each named by its rule id (docs/validator.md).
    visits_are_exact(m)
    alt_overlap(m)
    travel(m)
    alt_week_max(m)
    alt_day_max(m)
    schools_per_day(m)
    class_need(m)
    class_day_limit(m)
    class_overlap(m)
    co_teacher(m)
    alts_per_day(m)
    # Soft goals, in priority order.
    unmet_lesson(m)
    under_floor_lesson(m)
    alt_school(m)
    commute_minute(m)
    load_spread(m)
    day_peak(m)
    continuity(m)
    m.model.minimize(sum(getattr(weights, k) * t for k, t in m.terms.items()))
    return m


def add_variables(m: Naive) -> None:
    """x[a,c,d,p]: ALT a teaches class c on day d in period p; y[a,s,d]: a visits s on d."""
    prep = m.prep
    for visit in prep.visits:
        a, s, d = visit
        xs = []
        for c in prep.needy[s]:
            for p in prep.periods.get((c.key, d), []):
                key = (a, c.key, d, p.period)
                v = m.model.new_bool_var(f"x[{a},{s},{c.class_},{d},{p.period}]")
                m.x[key] = v
                m.period_of[key] = p
                xs.append(v)
                m.of_class.setdefault(c.key, []).append(v)
                m.of_class_day.setdefault((c.key, d), []).append(v)
                m.of_alt_class.setdefault((a, c.key), []).append(v)
        if xs:
            m.of_visit[visit] = xs
            m.y[visit] = m.model.new_bool_var(f"y[{a},{s},{d}]")
            m.of_alt.setdefault(a, []).extend(xs)
            m.of_alt_day.setdefault((a, d), []).extend(xs)


def _load(m: Naive, alt_id: str) -> LinearExpr:
    return sum(m.of_alt.get(alt_id, []))


# ---- hard rules ------------------------------------------------------------------------------


def visits_are_exact(m: Naive) -> None:
    """A visit happens exactly when the ALT gives a lesson at the school that day."""
    for visit, y in m.y.items():
        m.model.add_max_equality(y, m.of_visit[visit])


def _slots(m: Naive) -> dict[tuple[str, Day], dict[tuple[str, int], list[cp_model.IntVar]]]:
    """Lessons of each ALT-day grouped by (school, period): the ALT's possible time slots."""
    out: dict[tuple[str, Day], dict[tuple[str, int], list[cp_model.IntVar]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for (a, ck, d, p), v in m.x.items():
        out[(a, d)][(ck[0], p)].append(v)
    return out


def alt_overlap(m: Naive) -> None:
    """An ALT teaches one class at a time (periods of one school never overlap)."""
    for slots in _slots(m).values():
        for vs in slots.values():
            if len(vs) > 1:
                m.model.add_at_most_one(vs)


def travel(m: Naive) -> None:
    """An ALT at two schools in one day has the travel time between any two lessons."""
    prep = m.prep
    inst = prep.instance
    if prep.settings.max_schools_per_day < 2:
        return  # one school a day: never two places, never travel
    for (_a, d), slots in _slots(m).items():
        if len({s for s, _ in slots}) < 2:
            continue
        busy: dict[tuple[str, int], cp_model.IntVar] = {}
        for (s, p), vs in slots.items():
            b = m.model.new_bool_var("")
            m.model.add(b == sum(vs))  # at most one lesson per slot, so the sum is 0 or 1
            busy[(s, p)] = b
        times = {
            (s, p.period): p
            for s in {s for s, _ in slots}
            for p in inst.periods(s, d)
            if (s, p.period) in busy
        }
        keys = sorted(busy)
        for i, k1 in enumerate(keys):
            for k2 in keys[i + 1 :]:
                if k1[0] != k2[0] and too_close(inst, k1[0], times[k1], k2[0], times[k2]):
                    m.model.add_bool_or([busy[k1].Not(), busy[k2].Not()])


def alt_week_max(m: Naive) -> None:
    """An ALT teaches at most their weekly contract maximum."""
    inst = m.prep.instance
    for a, xs in m.of_alt.items():
        cap = inst.max_lessons(inst.alt_by_id[a])
        if len(xs) > cap:
            m.model.add(sum(xs) <= cap)


def alt_day_max(m: Naive) -> None:
    """An ALT teaches at most their daily maximum (over all schools of the day)."""
    inst = m.prep.instance
    for (a, _d), xs in m.of_alt_day.items():
        cap = inst.max_lessons_per_day(inst.alt_by_id[a])
        if len(xs) > cap:
            m.model.add(sum(xs) <= cap)


def schools_per_day(m: Naive) -> None:
    """An ALT visits at most max_schools_per_day schools a day."""
    visit_rules.schools_per_day(m.model, m.y, m.prep.settings.max_schools_per_day)


def class_need(m: Naive) -> None:
    """A class never gets more ALT lessons than it needs."""
    inst = m.prep.instance
    for ck, xs in m.of_class.items():
        need = inst.class_by_key[ck].alt_lessons
        if len(xs) > need:
            m.model.add(sum(xs) <= need)


def class_day_limit(m: Naive) -> None:
    """A class gets at most max_class_lessons_per_day ALT lessons a day."""
    for key, xs in m.of_class_day.items():
        cap = m.prep.cap[key]
        if len(xs) > cap:
            m.model.add(sum(xs) <= cap)


def class_overlap(m: Naive) -> None:
    """A class has at most one ALT in a period."""
    by_slot: dict[tuple[ClassKey, Day, int], list[cp_model.IntVar]] = defaultdict(list)
    for (_a, ck, d, p), v in m.x.items():
        by_slot[(ck, d, p)].append(v)
    for vs in by_slot.values():
        if len(vs) > 1:
            m.model.add_at_most_one(vs)


def co_teacher(m: Naive) -> None:
    """Two classes of one co-teacher at a school never have lessons in the same period."""
    inst = m.prep.instance
    by_slot: dict[tuple[str, str, Day, int], list[cp_model.IntVar]] = defaultdict(list)
    classes: dict[tuple[str, str, Day, int], set[str]] = defaultdict(set)
    for (_a, ck, d, p), v in m.x.items():
        teacher = (inst.class_by_key[ck].co_teacher or "").strip()
        if teacher:
            by_slot[(ck[0], teacher, d, p)].append(v)
            classes[(ck[0], teacher, d, p)].add(ck[1])
    for key, vs in by_slot.items():
        if len(classes[key]) > 1:
            m.model.add_at_most_one(vs)


def alts_per_day(m: Naive) -> None:
    """A school takes at most max_alts_per_day ALTs on one day."""
    visit_rules.alts_per_day(m.model, m.y, m.prep.instance)


# ---- soft goals ------------------------------------------------------------------------------


def _wanted(m: Naive, key: str) -> bool:
    return goals.wanted(m.weights, key)


def unmet_lesson(m: Naive) -> None:
    """Class lessons asked for and not given (classes nobody can reach count as a constant)."""
    if _wanted(m, "unmet_lesson"):
        m.terms["unmet_lesson"] = goals.unmet_lesson(m.prep.instance, m.x.values())


def under_floor_lesson(m: Naive) -> None:
    """Lessons an ALT is below their weekly contract floor."""
    if _wanted(m, "under_floor_lesson"):
        m.under.update(goals.under_floor_lesson(m.model, m.prep.instance, lambda a: _load(m, a)))
        m.terms["under_floor_lesson"] = sum(u for u, _ in m.under.values())


def alt_school(m: Naive) -> None:
    """Distinct schools in each ALT's week."""
    if _wanted(m, "alt_school"):
        m.z.update(goals.alt_school(m.model, m.y))
        m.terms["alt_school"] = sum(m.z.values())


def commute_minute(m: Naive) -> None:
    """One-way home-to-school minutes, once per visit day."""
    if _wanted(m, "commute_minute"):
        m.terms["commute_minute"] = goals.commute_minute(m.prep.commute, m.y)


def load_spread(m: Naive) -> None:
    """Lessons between the busiest and the least busy ALT."""
    inst = m.prep.instance
    if _wanted(m, "load_spread") and len(inst.alts) > 1:
        hi, lo = goals.load_spread(m.model, inst, [_load(m, a.alt_id) for a in inst.alts])
        m.spread = (hi, lo)
        m.terms["load_spread"] = hi - lo


def day_peak(m: Naive) -> None:
    """Lessons on each ALT's busiest day."""
    if _wanted(m, "day_peak"):
        peaks = goals.day_peak(m.model, m.prep.instance, m.of_alt_day)
        m.peak.update({a: peak for a, (peak, _days) in peaks.items()})
        m.terms["day_peak"] = sum(m.peak.values())


def continuity(m: Naive) -> None:
    """Extra ALTs a class sees in the week beyond the first."""
    if not _wanted(m, "continuity"):
        return
    by_class: dict[ClassKey, list[cp_model.IntVar]] = defaultdict(list)
    for (a, ck), xs in m.of_alt_class.items():
        w = m.model.new_bool_var(f"w[{a},{ck[0]},{ck[1]}]")
        m.model.add_max_equality(w, xs)
        m.w[(a, ck)] = w
        by_class[ck].append(w)
    extras = []
    for ck, ws in by_class.items():
        if len(ws) > 1:
            taught = m.model.new_bool_var(f"taught[{ck[0]},{ck[1]}]")
            m.model.add_max_equality(taught, ws)
            m.taught[ck] = taught
            extras.append(sum(ws) - taught)
    m.terms["continuity"] = sum(extras)


# ---- solving ---------------------------------------------------------------------------------


def add_hint(m: Naive, lessons: list[Lesson]) -> None:
    """Hint every variable with a known valid timetable (the greedy one)."""
    given = {(ls.alt_id, (ls.school_id, ls.class_), ls.day, ls.period) for ls in lessons}
    for key, v in m.x.items():
        m.model.add_hint(v, key in given)
    visited = {(ls.alt_id, ls.school_id, ls.day) for ls in lessons}
    for visit, y in m.y.items():
        m.model.add_hint(y, visit in visited)
    f = _Facts.of(lessons)
    for a, (u, floor) in m.under.items():
        m.model.add_hint(u, max(0, floor - f.load[a]))
    for pair, z in m.z.items():
        m.model.add_hint(z, pair in f.alt_schools)
    if m.spread is not None:
        loads = [f.load[alt.alt_id] for alt in m.prep.instance.alts]
        m.model.add_hint(m.spread[0], max(loads))
        m.model.add_hint(m.spread[1], min(loads))
    for a, peak in m.peak.items():
        m.model.add_hint(peak, max(f.day_load[(a, d)] for d in DAYS))
    for alt_class, w in m.w.items():
        m.model.add_hint(w, alt_class in f.alt_classes)
    for ck, taught in m.taught.items():
        m.model.add_hint(taught, ck in f.classes)


class _Progress(cp_model.CpSolverSolutionCallback):
    def __init__(self, t0: float, on_progress: ProgressFn | None) -> None:
        super().__init__()
        self.t0 = t0
        self.on_progress = on_progress
        self.trace: Trace = []

    def on_solution_callback(self) -> None:
        # Every term is at least 0, so a bound below 0 (the LP of pinned maxima and minima
        # can go there before it proves anything) is reported as 0.
        bound = max(0.0, self.best_objective_bound)
        point = (time.monotonic() - self.t0, self.objective_value, bound)
        self.trace.append(point)
        if self.on_progress:
            self.on_progress(*point)


def solve_naive(
    prep: Prepared,
    weights: Weights,
    params: SolverParams,
    hint: list[Lesson],
    on_progress: ProgressFn | None,
) -> tuple[Status, list[Lesson], int | None, float | None, Trace]:
    """Solve the period-level model in one CP-SAT call.

    Parameters
    ----------
    prep
        Candidates of the instance.
    weights
        Objective weights.
    params
        Time limit (counted from the start of model building), workers, seed, log.
    hint
        A valid timetable given to CP-SAT as a solution hint.
    on_progress
        Called with (seconds, objective, bound) for each better solution; seconds count
        from the start of model building.

    Returns
    -------
    tuple
        (status, lessons, objective, bound, trace). Without a solution in time the lessons
        are the hint's, status ``FEASIBLE``, objective and bound None (the caller scores it).
    """
    t0 = time.monotonic()
    m = build_naive(prep, weights)
    add_hint(m, hint)
    seconds = max(0.5, params.time_limit - (time.monotonic() - t0))
    solver = new_solver(params, seconds, log=True)
    progress = _Progress(t0, on_progress)
    status = run(solver, m.model, progress)  # Ctrl-C keeps the best
    if status == cp_model.INFEASIBLE:  # only through a bug: teaching nothing is feasible
        return "INFEASIBLE", [], None, None, progress.trace
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        # As the default method does: no solution in time gives back the (valid) hint.
        return "FEASIBLE", list(hint), None, None, progress.trace
    lessons = [
        Lesson(
            alt_id=a, school_id=ck[0], class_=ck[1], day=d, period=p, start=per.start, end=per.end
        )
        for (a, ck, d, p), v in m.x.items()
        if solver.value(v)
        for per in (m.period_of[(a, ck, d, p)],)
    ]
    final: Status = "OPTIMAL" if status == cp_model.OPTIMAL else "FEASIBLE"
    return (
        final,
        lessons,
        round(solver.objective_value),
        max(0.0, solver.best_objective_bound),
        progress.trace,
    )


def solve_reference(
    instance: Instance,
    weights: Weights | None = None,
    params: SolverParams | None = None,
    on_progress: ProgressFn | None = None,
) -> Result:
    """The naive model's timetable of ``instance`` as a :class:`Result` (method ``naive``),
    built as :func:`scheduler.solve.solve` builds its own: hinted with the greedy start,
    within ``params.time_limit`` from now, Ctrl-C keeping the best so far. For the
    benchmarks and tests; users solve with :func:`scheduler.solve.solve`."""
    from scheduler.model.data import prepare
    from scheduler.model.diagnose import capacity_notes
    from scheduler.search.greedy import greedy
    from scheduler.search.job import result_of

    weights = weights or Weights.default()
    params = params or SolverParams.default()
    t0 = time.monotonic()
    prep = prepare(instance)
    notes = capacity_notes(prep)
    start = greedy(prep)
    left = max(0.01, params.time_limit - (time.monotonic() - t0))
    with watching():
        status, lessons, objective, bound, trace = solve_naive(
            prep, weights, params.model_copy(update={"time_limit": left}), start, on_progress
        )
    return result_of(
        instance, weights, status, "naive", lessons, objective, bound, t0, notes, trace
    )
