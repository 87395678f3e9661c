"""Period placement for a fixed choice: who teaches which class on which day is decided,
only the periods are left. This is the job a school timetabler such as FET does, and what a
branch re-runs when only bells or blocked periods change.

On one day, ALTs and schools form components (an ALT links the schools they visit, a school
links the ALTs it takes). One ALT at one school, the usual case, is a bipartite matching of
lessons to the periods their classes can use (augmenting paths, exact); a larger component
is a small CP-SAT model with every period-level rule (one lesson at a time per ALT, class and
co-teacher; travel time between schools).
"""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from scheduler.instance import DAYS, Day, Period
from scheduler.model.cpsat import new_solver
from scheduler.model.data import ClassKey, Links, Prepared, lesson_at, period_of, too_close
from scheduler.model.interrupt import run
from scheduler.result import Lesson

Choice = tuple[str, ClassKey, Day]  # (alt_id, class, day): one lesson, period still open


def place_periods(
    prep: Prepared, choice: list[Choice]
) -> tuple[list[Lesson], list[list[Choice]], list[list[Choice]]]:
    """Give every chosen lesson a period.

    Returns the placed lessons, the components proven impossible and the components whose
    search stopped undecided (none of their lessons is placed).
    """
    placed: list[Lesson] = []
    impossible: list[list[Choice]] = []
    undecided: list[list[Choice]] = []
    for d in DAYS:
        for comp in _components([c for c in choice if c[2] == d]):
            got = _place(prep, d, comp)
            if got is None:
                impossible.append(comp)
            elif isinstance(got, str):
                undecided.append(comp)
            else:
                placed += got
    return placed, impossible, undecided


def _components(items: list[Choice]) -> list[list[Choice]]:
    links = Links()
    for a, ck, _ in items:
        links.link("a\0" + a, "s\0" + ck[0])
    groups: dict[str, list[Choice]] = defaultdict(list)
    for item in sorted(items):
        groups[links.find("a\0" + item[0])].append(item)
    return [groups[k] for k in sorted(groups)]


def _place(prep: Prepared, d: Day, comp: list[Choice]) -> list[Lesson] | str | None:
    if len({a for a, _, _ in comp}) == 1 and len({ck[0] for _, ck, _ in comp}) == 1:
        return _match(prep, d, comp)
    return _cpsat(prep, d, comp)


def _match(prep: Prepared, d: Day, comp: list[Choice]) -> list[Lesson] | None:
    """One ALT at one school: each period takes one lesson (augmenting-path matching)."""
    units = sorted(comp, key=lambda u: (len(prep.periods.get((u[1], d), [])), u[1]))
    owner: dict[int, int] = {}  # period number -> unit index

    def augment(i: int, seen: set[int]) -> bool:
        for p in prep.periods.get((units[i][1], d), []):
            if p.period in seen:
                continue
            seen.add(p.period)
            if p.period not in owner or augment(owner[p.period], seen):
                owner[p.period] = i
                return True
        return False

    for i in range(len(units)):
        if not augment(i, set()):
            return None
    return [lesson_at(prep, *units[i], pnum) for pnum, i in sorted(owner.items())]


def _cpsat(prep: Prepared, d: Day, comp: list[Choice]) -> list[Lesson] | str | None:
    """Exact placement; None when proven impossible, "unknown" when the search stopped."""
    inst = prep.instance
    model = cp_model.CpModel()
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    groups: dict[tuple[str, ...], list[cp_model.IntVar]] = defaultdict(list)
    for i, (a, ck, _) in enumerate(comp):
        co = inst.class_by_key[ck].co_teacher
        row = []
        for p in prep.periods.get((ck, d), []):
            v = x[(i, p.period)] = model.new_bool_var("")
            row.append(v)
            # An ALT, a class and a co-teacher each take one lesson at a time.
            groups[("alt", a, ck[0], str(p.period))].append(v)
            groups[("class", ck[0], ck[1], str(p.period))].append(v)
            if co:
                groups[("co", ck[0], co, str(p.period))].append(v)
        if not row:
            return None
        model.add_exactly_one(row)
    for vs in groups.values():
        if len(vs) > 1:
            model.add_at_most_one(vs)
    # An ALT at two schools on one day needs the travel time between lessons.
    slots: dict[str, list[tuple[str, Period, cp_model.IntVar]]] = defaultdict(list)
    for key, vs in groups.items():
        if key[0] == "alt":
            busy = model.new_bool_var("")
            model.add_max_equality(busy, vs)
            slots[key[1]].append((key[2], period_of(prep, key[2], d, int(key[3])), busy))
    for items in slots.values():
        for i, (s1, p1, b1) in enumerate(items):
            for s2, p2, b2 in items[i + 1 :]:
                if s1 != s2 and too_close(inst, s1, p1, s2, p2):
                    model.add_bool_or([b1.Not(), b2.Not()])
    solver = new_solver(workers=1, seed=0, effort=5.0)
    status = run(solver, model, stoppable=False)
    if status == cp_model.INFEASIBLE:
        return None
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return "unknown"
    return [
        lesson_at(prep, *comp[i], pnum) for (i, pnum), v in sorted(x.items()) if solver.value(v)
    ]
