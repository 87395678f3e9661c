"""Pins and the previous timetable as parts of the CP-SAT models.

Pins (``pins.csv``) are facts of the branch (``instance.pins``) and the previous timetable of
a re-plan is a fact of the prepared data (:attr:`Prepared.replan`), so every model built from
a :class:`~scheduler.model.data.Prepared` sees them: the whole master, each region step's
master and every placement. Pins are hard rules (:func:`add_pins`, :func:`place_pins`); a
previous lesson not kept exactly is a soft term, ``changed_lesson``, never part of the
validator's score (:func:`keep_previous`, :func:`keep_misses`, :func:`replan_cost`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from scheduler.config import Weights
from scheduler.instance import Day, Instance, Pin
from scheduler.result import Lesson

if TYPE_CHECKING:
    from scheduler.model.data import ClassKey, Prepared, Visit
    from scheduler.model.master import Master

LessonKey = tuple[str, str, str, Day, int]  # (alt_id, school_id, class, day, period)
# A timetable that breaks a pin scores this much worse per pin in every comparison a search
# makes (objective_of): a safety net; the models never build one (add_pins, place_pins).
BROKEN_PIN = 10**12


def lesson_key(ls: Lesson) -> LessonKey:
    """What a lesson is as the previous timetable is compared: ALT, school, class, day, period."""
    return (ls.alt_id, ls.school_id, ls.class_, ls.day, ls.period)


@dataclass(frozen=True)
class Replan:
    """The previous timetable as the models see it.

    ``keys`` are the previous lessons that can still happen (their ALT, class and period
    exist and the visit is a candidate); each one not in a new timetable costs ``weight``.
    """

    keys: frozenset[LessonKey]
    weight: int
    # The placement weighs a change against continuity (extra ALTs per class).
    continuity: int
    by_visit: dict[Visit, int] = field(default_factory=dict)

    @classmethod
    def of(cls, prep: Prepared, lessons: Iterable[Lesson], weights: Weights) -> Replan:
        """The previous ``lessons`` that ``prep`` can still keep, and the weights of a change."""
        visits = set(prep.visits)
        keys = set()
        for ls in lessons:
            usable = prep.periods.get(((ls.school_id, ls.class_), ls.day), [])
            if (ls.alt_id, ls.school_id, ls.day) in visits and any(
                p.period == ls.period for p in usable
            ):
                keys.add(lesson_key(ls))
        by_visit = Counter((a, s, d) for a, s, _c, d, _p in keys)
        return cls(frozenset(keys), weights.changed_lesson, weights.continuity, dict(by_visit))

    def changed(self, lessons: Iterable[Lesson]) -> int:
        """Previous lessons (of :attr:`keys`) that ``lessons`` do not keep exactly."""
        kept = {lesson_key(ls) for ls in lessons} & self.keys
        return len(self.keys) - len(kept)


# ---- pins ----------------------------------------------------------------------------------


def pin_matches(pin: Pin, ls: Lesson) -> bool:
    """The lesson keeps the pin."""
    return (
        ls.alt_id == pin.alt_id
        and ls.school_id == pin.school_id
        and (pin.day is None or ls.day == pin.day)
        and (pin.class_ is None or ls.class_ == pin.class_)
        and (pin.period is None or ls.period == pin.period)
    )


def broken_pins(instance: Instance, lessons: Sequence[Lesson]) -> list[int]:
    """Indices of the pins that ``lessons`` do not keep."""
    if not instance.pins:
        return []
    by_pair: dict[tuple[str, str], list[Lesson]] = defaultdict(list)
    for ls in lessons:
        by_pair[(ls.alt_id, ls.school_id)].append(ls)
    return [
        i
        for i, pin in enumerate(instance.pins)
        if not any(pin_matches(pin, ls) for ls in by_pair.get((pin.alt_id, pin.school_id), []))
    ]


def exact_visits(instance: Instance) -> dict[Visit, int]:
    """Distinct exact pins (class and period given) per visit: lessons the visit must hold."""
    lessons = {
        (p.alt_id, p.school_id, p.class_, p.day, p.period) for p in instance.pins if p.exact
    }
    return dict(Counter((a, s, d) for a, s, _c, d, _p in lessons if d is not None))


def add_pins(m: Master) -> None:
    """Every pin of an ALT in the model is kept: a lesson at the school (that day), and each
    exact pin's visit holds at least its exact lessons (placed by :func:`place_pins`).

    A region step's model frees some ALTs only; a pin of an ALT it frees but can no longer
    keep (its visits left out of the step) makes the step's model infeasible, so the step
    changes nothing rather than drop the pin."""
    pins = m.prep.instance.pins
    if not pins:
        return
    of_pair: dict[tuple[str, str], list[Visit]] = defaultdict(list)
    for v in m.lessons:
        of_pair[(v[0], v[1])].append(v)
    in_model = {v[0] for v in m.lessons}
    for pin in pins:
        if pin.alt_id not in in_model:
            continue
        vs = [
            v
            for v in of_pair.get((pin.alt_id, pin.school_id), [])
            if pin.day is None or v[2] == pin.day
        ]
        if not vs:
            m.model.add_bool_or([])  # no visit can keep it: this model has no timetable
            continue
        m.model.add(sum(m.lessons[v] for v in vs) >= 1)
    for v, k in exact_visits(m.prep.instance).items():
        if v[0] not in in_model:
            continue
        if v not in m.lessons:
            m.model.add_bool_or([])
            continue
        m.model.add(m.lessons[v] >= k)


def place_pins(
    prep: Prepared,
    model: cp_model.CpModel,
    x: dict[tuple[str, ClassKey, Day, int], cp_model.IntVar],
    cluster: dict[Visit, int],
) -> None:
    """Each exact pin of a visit in ``cluster`` is placed where it says.

    Only where the visit holds at least its exact pins: fewer lessons are then never harder
    to place, so a conflict the placement finds is still a valid cut for the master."""
    need = exact_visits(prep.instance)
    for pin in prep.instance.pins:
        if not pin.exact or pin.day is None or pin.class_ is None or pin.period is None:
            continue
        v = (pin.alt_id, pin.school_id, pin.day)
        key = (pin.alt_id, (pin.school_id, pin.class_), pin.day, pin.period)
        if cluster.get(v, 0) >= need.get(v, 0) and key in x:
            model.add(x[key] == 1)


# ---- the previous timetable --------------------------------------------------------------------


def keep_previous(m: Master) -> None:
    """Previous lessons not kept, counted per visit: a lower bound of the changes, exact once
    the placement keeps every lesson it can (:func:`keep_misses`)."""
    replan = m.prep.replan
    if replan is None or replan.weight <= 0:
        return
    terms = []
    for v, k in replan.by_visit.items():
        if v not in m.lessons:
            continue
        lost = m.model.new_int_var(0, k, f"changed[{v[0]},{v[1]},{v[2]}]")
        m.model.add(lost >= k - m.lessons[v])
        terms.append(lost)
    if terms:
        m.term_bounds["changed_lesson"] = cp_model.LinearExpr.sum(terms)


def keep_misses(
    prep: Prepared, x: dict[tuple[str, ClassKey, Day, int], cp_model.IntVar]
) -> tuple[cp_model.LinearExpr | int, int]:
    """Previous lessons a placement could keep and does not, and how many times one
    continuity step a miss weighs (0 without a previous timetable)."""
    replan = prep.replan
    if replan is None or replan.weight <= 0:
        return 0, 0
    could = [v for (a, (s, c), d, p), v in x.items() if (a, s, c, d, p) in replan.keys]
    if not could:
        return 0, 0
    ratio = -(-replan.weight // max(1, replan.continuity))
    return len(could) - cp_model.LinearExpr.sum(could), ratio


def replan_cost(prep: Prepared, lessons: Sequence[Lesson], weights: Weights) -> int:
    """What a search adds to a timetable's score: its changes and its broken pins."""
    cost = BROKEN_PIN * len(broken_pins(prep.instance, lessons))
    replan = prep.replan
    if replan is not None and weights.changed_lesson > 0:
        cost += weights.changed_lesson * replan.changed(lessons)
    return cost
