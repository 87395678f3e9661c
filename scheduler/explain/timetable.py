"""Why a timetable leaves these lessons unmet and these ALTs under floor: facts per entity.

For each unmet class and each ALT under floor, in this order, stopping at the first that
speaks: the capacity pre-checks that concern it, a fact of the timetable (every ALT who can
reach the school is at their weekly maximum; every class the ALT can teach is served), and
the CP-SAT core over grouped rules with the rest of the timetable as it is. A core that
finds the need possible says so: the search did not find a place.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from scheduler.instance import Instance
from scheduler.result import Lesson

from .capacity import Capacity, capacity_of, capacity_reasons
from .core import CoreModel, Target, core_sentence
from .reasons import ClassKey, Reason, class_name, listing, plural, school_name

# Seconds the cores of one timetable may take in all when reasons are written with every
# solve; `altsched explain` gives them more. A class not examined in time says so.
WRITE_SECONDS = 3.0
OUT_OF_TIME = "out of time; altsched explain BRANCH DIR looks longer"
# The reason of every class and ALT when the command's time limit left none for reasons.
NOT_EXAMINED = "not examined in the time limit; altsched explain BRANCH DIR looks longer"
# An ALT under floor is asked about the unmet classes of this many schools: their own
# first, then the nearest.
NEAREST_SCHOOLS = 5


@dataclass
class Explanation:
    """Reasons for every unmet class (with its missing count) and ALT under floor."""

    capacity: list[Reason]
    unmet: dict[ClassKey, tuple[int, list[Reason]]] = field(default_factory=dict)
    under_floor: dict[str, tuple[int, list[Reason]]] = field(default_factory=dict)


def explain_timetable(
    instance: Instance, lessons: Sequence[Lesson], seconds: float = 60.0, floors: bool = True
) -> Explanation:
    """Reasons for the unmet lessons and under-floor ALTs of a timetable.

    Parameters
    ----------
    instance
        The branch.
    lessons
        The timetable (as from a result, or read back from ``assignments.csv``).
    seconds
        Time all cores together may take; entities left when it is spent say so.
    floors
        Also explain the ALTs under their floor (unmet.csv needs only the classes).
    """
    # Rows naming an ALT or class the branch lacks are left out, as the validator's score does.
    lessons = [
        ls
        for ls in lessons
        if ls.alt_id in instance.alt_by_id and (ls.school_id, ls.class_) in instance.class_by_key
    ]
    cap = capacity_of(instance)
    found = capacity_reasons(instance, cap)
    out = Explanation(capacity=found)
    deadline = time.monotonic() + seconds
    given = Counter((ls.school_id, ls.class_) for ls in lessons)
    load = Counter(ls.alt_id for ls in lessons)
    missing = {
        c.key: c.alt_lessons - given[c.key]
        for c in instance.classes
        if c.alt_lessons > given[c.key]
    }
    for key, m in missing.items():
        # Counting facts first; the ALTs at their maximum say who could have come.
        reasons = [r for r in found if key in r.classes] + _at_maximum(cap, key, load)
        reasons = reasons or [_class_core(instance, lessons, key, m, deadline)]
        out.unmet[key] = (m, reasons)
    for a in instance.alts:
        short = instance.min_lessons(a) - load[a.alt_id]
        if short <= 0 or not floors:
            continue
        reasons = [r for r in found if a.alt_id in r.alts]
        # Schools with need within the ALT's reach (qualified, within the commute limit).
        reach = {s for (x, s) in cap.prep.commute if x == a.alt_id}
        open_ = {k: m for k, m in missing.items() if k[0] in reach}
        reasons = reasons or _served(a.alt_id, open_)
        reasons = reasons or [_alt_core(instance, lessons, a.alt_id, short, open_, deadline)]
        out.under_floor[a.alt_id] = (short, reasons)
    return out


def _at_maximum(cap: Capacity, key: ClassKey, load: Counter[str]) -> list[Reason]:
    # Everyone who could come is already giving all they may.
    inst = cap.instance
    who = sorted(cap.reachers.get(key[0], []))
    if not who or any(load[a] < inst.max_lessons(inst.alt_by_id[a]) for a in who):
        return []
    limit = inst.settings.max_commute_minutes
    name = school_name(inst, key[0])
    if len(who) == 1:
        text = (
            f"only {who[0]} can reach {name} within {limit} minutes, and is at their weekly "
            "maximum"
        )
    else:
        both = "both" if len(who) == 2 else "all"
        text = (
            f"only {listing(who, most=6)} can reach {name} within {limit} minutes, and "
            f"{both} are at their weekly maximum"
        )
    return [Reason("timetable", text, frozenset({key}))]


def _served(alt_id: str, open_: dict[ClassKey, int]) -> list[Reason]:
    # An ALT can only gain lessons that some class within reach still lacks.
    if open_:
        return []
    text = f"every class within {alt_id}'s reach already gets all its lessons"
    return [Reason("timetable", text, alts=frozenset({alt_id}))]


def _class_core(
    inst: Instance, lessons: Sequence[Lesson], key: ClassKey, m: int, deadline: float
) -> Reason:
    what = f"{class_name(inst, key)} getting {plural(m, 'more lesson')}"
    left = deadline - time.monotonic()
    if left <= 0:
        return Reason("search", f"not examined: {what} ({OUT_OF_TIME})", frozenset({key}))
    alts = [a.alt_id for a in inst.alts if inst.max_lessons(a) > 0]
    model = CoreModel(inst, lessons, [key], alts)
    model.require(Target(m, classes=frozenset({key})))
    core = model.core(min(left, 5.0))
    kind = "search" if core.feasible else "core"
    return Reason(kind, core_sentence(inst, what, core), frozenset({key}))


def _alt_core(
    inst: Instance,
    lessons: Sequence[Lesson],
    alt_id: str,
    short: int,
    missing: dict[ClassKey, int],
    deadline: float,
) -> Reason:
    # Only classes within reach: an ALT under floor is explained by what keeps them from
    # the lessons they could go to (the commute limit and levels are their own reasons);
    # and of those, their own schools and the nearest few, so the core stays quick.
    visited = {ls.school_id for ls in lessons if ls.alt_id == alt_id}
    schools = sorted(
        {k[0] for k in missing},
        key=lambda s: (s not in visited, inst.travel_minutes(alt_id, s), s),
    )[:NEAREST_SCHOOLS]
    classes = [k for k in missing if k[0] in schools]
    names = listing([school_name(inst, s) for s in schools], most=NEAREST_SCHOOLS)
    what = f"{alt_id} getting {plural(short, 'more lesson')} at {names}"
    left = deadline - time.monotonic()
    if left <= 0:
        text = f"not examined: {what} ({OUT_OF_TIME})"
        return Reason("search", text, alts=frozenset({alt_id}))
    model = CoreModel(inst, lessons, classes, [alt_id])
    model.require(Target(short, alts=frozenset({alt_id})))
    core = model.core(min(left, 5.0))
    kind = "search" if core.feasible else "core"
    return Reason(kind, core_sentence(inst, what, core), alts=frozenset({alt_id}))


def reason_text(reasons: Sequence[Reason]) -> str:
    """The reasons of one class or ALT as one cell: sentences joined by ``; ``."""
    return "; ".join(r.text for r in reasons)


def written_reasons(
    instance: Instance,
    lessons: Sequence[Lesson],
    unmet: pd.DataFrame,
    seconds: float = WRITE_SECONDS,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """What every solve writes: ``unmet`` (``school_id, class, missing``) with a ``reason``
    column added at the end, and the reason of each ALT under floor (for ``report.json``).
    Nothing is examined when no class is short and no ALT under floor; with no ``seconds``
    left (zero or less: the command's time limit is spent), nothing is, and each reason says
    so (:data:`NOT_EXAMINED`)."""
    out = unmet.copy()
    load = Counter(ls.alt_id for ls in lessons)
    under = {a.alt_id for a in instance.alts if instance.min_lessons(a) > load[a.alt_id]}
    if not len(out) and not under:
        out["reason"] = pd.Series(dtype=object)
        return out, {}
    if seconds <= 0:
        out["reason"] = NOT_EXAMINED
        return out, dict.fromkeys(sorted(under), NOT_EXAMINED)
    why = explain_timetable(instance, lessons, seconds)
    texts = defaultdict(str, {k: reason_text(rs) for k, (_m, rs) in why.unmet.items()})
    out["reason"] = [
        texts[(str(s), str(c))] for s, c in zip(out["school_id"], out["class"], strict=True)
    ]
    return out, {a: reason_text(rs) for a, (_short, rs) in why.under_floor.items()}
