"""The soft goals as CP-SAT expressions, shared by every model (master and naive).

Each function builds one term of ``docs/objective.md`` from the model's own lesson and visit
variables, with every auxiliary variable pinned to its exact value (max/min equalities), so
a model's objective of any solution, optimal or not, equals the validator's recomputation.
Models add their own redundant cuts on the returned variables.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence

from ortools.sat.python import cp_model

from scheduler.config import Weights
from scheduler.instance import DAYS, Day, Instance
from scheduler.model.data import Visit

LinearExpr = cp_model.LinearExprT


def wanted(weights: Weights, key: str) -> bool:
    """A term enters a model only when its weight is positive."""
    return getattr(weights, key) > 0


def unmet_lesson(inst: Instance, given: Iterable[cp_model.IntVar]) -> LinearExpr:
    """Class lessons asked for and not given (classes nobody can reach count as a constant)."""
    return inst.need() - sum(given)


def under_floor_lesson(
    model: cp_model.CpModel, inst: Instance, load: Callable[[str], LinearExpr]
) -> dict[str, tuple[cp_model.IntVar, int]]:
    """Per ALT with a floor: (lessons under the floor, the floor)."""
    out = {}
    for alt in inst.alts:
        floor = inst.min_lessons(alt)
        if floor == 0:
            continue
        u = model.new_int_var(0, floor, f"under[{alt.alt_id}]")
        model.add_max_equality(u, [floor - load(alt.alt_id), 0])
        out[alt.alt_id] = (u, floor)
    return out


def alt_school(
    model: cp_model.CpModel, y: Mapping[Visit, cp_model.IntVar]
) -> dict[tuple[str, str], cp_model.IntVar]:
    """z[a,s] = 1 exactly when ALT a visits school s on some day."""
    days: dict[tuple[str, str], list[cp_model.IntVar]] = defaultdict(list)
    for (a, s, _d), v in y.items():
        days[(a, s)].append(v)
    out = {}
    for (a, s), vs in days.items():
        z = out[(a, s)] = model.new_bool_var(f"z[{a},{s}]")
        model.add_max_equality(z, vs)
    return out


def commute_minute(
    commute_of: Mapping[tuple[str, str], int], y: Mapping[Visit, cp_model.IntVar]
) -> LinearExpr:
    """One-way home-to-school minutes, once per visit day."""
    return sum(commute_of[(a, s)] * v for (a, s, _d), v in y.items())


def load_spread(
    model: cp_model.CpModel, inst: Instance, loads: Sequence[LinearExpr]
) -> tuple[cp_model.IntVar, cp_model.IntVar]:
    """(busiest, least busy) weekly load over all ALTs."""
    top = max(inst.max_lessons(a) for a in inst.alts)
    hi = model.new_int_var(0, top, "load_hi")
    lo = model.new_int_var(0, top, "load_lo")
    model.add_max_equality(hi, loads)
    model.add_min_equality(lo, loads)
    return hi, lo


def day_peak(
    model: cp_model.CpModel,
    inst: Instance,
    of_alt_day: Mapping[tuple[str, Day], Sequence[cp_model.IntVar]],
) -> dict[str, tuple[cp_model.IntVar, list[LinearExpr]]]:
    """Per ALT with any candidate lesson: (busiest day's lessons, each day's lessons)."""
    out: dict[str, tuple[cp_model.IntVar, list[LinearExpr]]] = {}
    for alt in inst.alts:
        days: list[LinearExpr] = [sum(ns) for d in DAYS if (ns := of_alt_day.get((alt.alt_id, d)))]
        if not days:
            continue
        peak = model.new_int_var(0, inst.max_lessons_per_day(alt), f"peak[{alt.alt_id}]")
        model.add_max_equality(peak, days)
        out[alt.alt_id] = (peak, days)
    return out
