"""Reasons for unmet need: deliberately broken tiny branches must name their planted cause.

Each branch below plants one cause and says, in a comment, the answer worked out by hand.
Branch-only checks solve nothing; every timetable explained is either solved (and checked by
the validator in ``tiny.solved``) or hand-made and checked by the validator here.
"""

from __future__ import annotations

import random
from datetime import time

import pytest

from scheduler.explain import Target, capacity_reasons, why_infeasible
from scheduler.explain.core import CoreModel
from scheduler.explain.timetable import explain_timetable
from scheduler.instance import Blocked
from scheduler.result import Lesson
from scheduler.validate import check
from tests.tiny import alt, bells, branch, klass, school, solved


def _kinds(reasons: list) -> list[str]:
    return [r.kind for r in reasons]


def _lesson(a: str, s: str, c: str, day: str, p: int, start: str, end: str) -> Lesson:
    return Lesson.model_validate(
        {
            "alt_id": a,
            "school_id": s,
            "class": c,
            "day": day,
            "period": p,
            "start": time.fromisoformat(start),
            "end": time.fromisoformat(end),
        }
    )


def test_a_class_needing_eight_lessons_a_week_is_named() -> None:
    # One lesson a class a day on five days: at most 5 of the 8 asked. 3 stay unmet.
    inst = branch([school("S")], bells("S"), [klass("S", "1-1", 8)], [alt("A")])
    reasons = capacity_reasons(inst)
    assert _kinds(reasons) == ["class"]
    assert "S School 1-1 needs 8 lessons a week but can take at most 5" in reasons[0].text
    result = solved(inst, time_limit=5)
    why = explain_timetable(inst, result.lessons)
    missing, said = why.unmet[("S", "1-1")]
    assert (missing, said) == (3, reasons)


def test_blocked_days_are_said_with_the_class_limit() -> None:
    # Blocked Mon-Wed for the whole school: 2 days left, 1 a day, the class asks 3.
    blocked = [Blocked.model_validate({"school_id": "S", "day": d}) for d in ("Mon", "Tue", "Wed")]
    inst = branch([school("S")], bells("S"), [klass("S", "1-1", 3)], [alt("A")], blocked)
    (reason,) = capacity_reasons(inst)
    assert "can take at most 2" in reason.text and "blocked on Mon, Tue, Wed" in reason.text


def test_a_co_teacher_with_more_classes_than_periods_is_named() -> None:
    # One period a week (Monday only) and Sato co-teaches three classes of one lesson each:
    # Sato can be in one classroom, so 2 lessons stay unmet. Two ALTs and two ALTs a day, so
    # nothing else is short.
    inst = branch(
        [school("J", "junior_high", max_alts_per_day=3)],
        bells("J", periods=1, days=("Mon",)),
        [klass("J", f"1-{i}", 1, co="Sato") for i in (1, 2, 3)],
        [alt("A"), alt("B"), alt("C")],
    )
    reasons = capacity_reasons(inst)
    assert _kinds(reasons) == ["co_teacher"]
    assert "co-teacher Sato's classes 1-1, 1-2 and 1-3 need 3 lessons" in reasons[0].text
    assert "at most 1" in reasons[0].text
    result = solved(inst, time_limit=5)
    why = explain_timetable(inst, result.lessons)
    assert sum(m for m, _ in why.unmet.values()) == 2
    assert all(rs == [reasons[0]] for _m, rs in why.unmet.values())


def test_a_school_nobody_can_reach_is_named() -> None:
    # S2 lies 100 km north: 300 minutes at 20 km/h, far beyond the 60-minute limit.
    inst = branch(
        [school("S1"), school("S2", north_km=100)],
        bells("S1") + bells("S2"),
        [klass("S1", "1-1", 1), klass("S2", "1-1", 2)],
        [alt("A")],
    )
    (reason,) = capacity_reasons(inst)
    assert reason.kind == "reach" and reason.classes == {("S2", "1-1")}
    assert reason.text.startswith("nobody qualified lives within 60 minutes of S2 School")
    assert "nearest: A at 300 minutes" in reason.text


def test_nobody_qualified_for_the_level_is_named() -> None:
    inst = branch(
        [school("J", "junior_high")],
        bells("J"),
        [klass("J", "1-1", 1)],
        [alt("A", levels=("elementary",))],
    )
    (reason,) = capacity_reasons(inst)
    assert reason.text.startswith("no ALT is qualified for junior high schools")


def test_max_flow_names_the_schools_and_the_only_alts_who_reach_them() -> None:
    # A and B live by S1 and S2 (at most 2 lessons a week each); C lives 100 km away by S3.
    # S1 and S2 ask 3 each: 6 asked of the 4 A and B can give. S3 is fine.
    inst = branch(
        [school("S1"), school("S2", north_km=1), school("S3", north_km=100)],
        bells("S1") + bells("S2") + bells("S3"),
        [klass("S1", "1-1", 3), klass("S2", "1-1", 3), klass("S3", "1-1", 1)],
        [alt("A", max_lessons=2), alt("B", max_lessons=2), alt("C", north_km=100)],
    )
    (reason,) = capacity_reasons(inst)
    assert reason.kind == "supply" and reason.classes == {("S1", "1-1"), ("S2", "1-1")}
    assert reason.text == (
        "only A and B can reach S1 School and S2 School within 60 minutes; together they can "
        "give at most 4 lessons a week, those schools can take 6"
    )


def test_floors_above_the_need_are_named_for_every_alt() -> None:
    # Two ALTs with a floor of 3 and one class asking 2: 4 lessons under floor at least.
    inst = branch(
        [school("S")], bells("S"), [klass("S", "1-1", 2)], [alt("A"), alt("B")],
        min_lessons_per_week=3,
    )  # fmt: skip
    reasons = capacity_reasons(inst)
    assert "floors" in _kinds(reasons) and "alt" in _kinds(reasons)
    result = solved(inst, time_limit=5)
    why = explain_timetable(inst, result.lessons)
    assert set(why.under_floor) == {"A", "B"}


def test_every_reacher_at_their_maximum_is_a_fact_of_the_timetable() -> None:
    # A reaches S1 and S2 (max 2 a week), B only S2. Capacity allows all four lessons (A at
    # S1, B at S2), but this hand-made week gives A's two lessons to S2: S1 is short and the
    # only ALT who can reach it is at their weekly maximum.
    inst = branch(
        [school("S1"), school("S2", north_km=10)],
        bells("S1") + bells("S2"),
        [klass("S1", "1-1", 2), klass("S2", "1-1", 2)],
        [alt("A", north_km=5, max_lessons=2), alt("B", north_km=30)],
    )
    assert capacity_reasons(inst) == []
    week = [
        _lesson("A", "S2", "1-1", "Mon", 1, "08:45", "09:30"),
        _lesson("A", "S2", "1-1", "Tue", 1, "08:45", "09:30"),
    ]
    from scheduler.result import lessons_frame

    assert check(inst, lessons_frame(week)) == []
    why = explain_timetable(inst, week)
    (reason,) = why.unmet[("S1", "1-1")][1]
    assert reason.text == (
        "only A can reach S1 School within 60 minutes, and is at their weekly maximum"
    )


def test_the_core_names_the_rule_groups_that_forbid_the_lesson() -> None:
    # One ALT; two schools 30 minutes apart, two schools a day allowed. Each class can use
    # only Monday: S1 period 1 (08:45-09:30), S2 period 2 (09:40-10:25, 10 minutes later).
    # The ALT teaches at S1 and cannot be at S2 in time; counting sees no shortage, the core
    # names the ALT's other lesson.
    s1, s2 = school("S1"), school("S2", north_km=10)
    blocked = [
        *(
            Blocked.model_validate({"school_id": "S1", "day": d})
            for d in ("Tue", "Wed", "Thu", "Fri")
        ),
        *(
            Blocked.model_validate({"school_id": "S2", "day": d})
            for d in ("Tue", "Wed", "Thu", "Fri")
        ),
        Blocked.model_validate({"school_id": "S1", "day": "Mon", "periods": (2, 3, 4, 5, 6)}),
        Blocked.model_validate({"school_id": "S2", "day": "Mon", "periods": (1, 3, 4, 5, 6)}),
    ]
    inst = branch(
        [s1, s2], bells("S1") + bells("S2"), [klass("S1", "1-1", 1), klass("S2", "1-1", 1)],
        [alt("A", north_km=5)], blocked, max_schools_per_day=2,
    )  # fmt: skip
    assert capacity_reasons(inst) == []
    result = solved(inst, time_limit=5)
    why = explain_timetable(inst, result.lessons)
    ((_key, (missing, (reason,))),) = why.unmet.items()
    assert missing == 1 and reason.kind == "core"
    assert "A has other lessons at those times" in reason.text
    # Every Monday period but one is closed by a blocked row: the core names those too.
    assert "blocked.csv closes" in reason.text


def test_a_free_place_the_search_missed_is_said_so() -> None:
    # A hand-made week that leaves a lesson out although A is free: nothing forbids it.
    inst = branch([school("S")], bells("S"), [klass("S", "1-1", 2)], [alt("A")])
    week = [_lesson("A", "S", "1-1", "Mon", 1, "08:45", "09:30")]
    why = explain_timetable(inst, week)
    (reason,) = why.unmet[("S", "1-1")][1]
    assert reason.kind == "search" and "a longer run may give it" in reason.text


def test_a_pin_on_an_alts_day_off_is_named_with_the_day_off() -> None:
    # A pin (pins.csv is another engineer's; here the core's Target that pins become) asks A
    # at S on Wednesday; A is off on Wednesday. The core names both, nothing else.
    inst = branch(
        [school("S")], bells("S"), [klass("S", "1-1", 1)], [alt("A", unavailable=("Wed",))]
    )
    pin = Target(
        1, alts=frozenset({"A"}), day="Wed", group=(("pin", "2"), "pins.csv row 2: A at S on Wed")
    )
    reasons = why_infeasible(inst, [pin])
    assert reasons[0].kind == "core"
    assert reasons[0].text == (
        "keeping every pin is impossible while these hold together: A is off on those days "
        "(A Wed); pins.csv row 2: A at S on Wed"
    )


def test_why_infeasible_without_pins_says_no_rules_conflict() -> None:
    inst = branch([school("S")], bells("S"), [klass("S", "1-1", 1)], [alt("A")])
    (reason,) = why_infeasible(inst)
    assert reason.kind == "search" and "no hard rules conflict" in reason.text


# Seeds whose branches the solver proves optimal within a second.
@pytest.mark.parametrize("seed", [1, 2, 4])
def test_an_optimal_timetable_never_leaves_a_lesson_nothing_forbids(seed: int) -> None:
    # With the default weights one more lesson always pays (10,000 against at most a few
    # hundred of lower terms), so in an OPTIMAL timetable every unmet class must have a
    # reason other than "the search did not find a place". Random small branches: two
    # schools, three ALTs, days off, blocked periods and shared co-teachers.
    rng = random.Random(seed)
    schools = [school("S1", max_alts_per_day=rng.choice([1, 2])), school("S2", north_km=3)]
    bells_ = bells("S1", periods=rng.choice([2, 3])) + bells("S2", periods=2, days=("Mon", "Tue"))
    classes = [
        klass(s, f"{g}-1", rng.randint(1, 4), co=rng.choice(["Sato", None]))
        for s in ("S1", "S2")
        for g in (1, 2, 3)
    ]
    alts = [
        alt(f"A{i}", north_km=rng.uniform(0, 4), max_lessons=rng.randint(2, 6),
            unavailable=tuple(rng.sample(["Mon", "Tue", "Wed", "Thu", "Fri"], rng.randint(0, 2))))
        for i in range(3)
    ]  # fmt: skip
    blocked = [
        Blocked.model_validate(
            {"school_id": "S1", "day": rng.choice(["Mon", "Wed"]), "periods": (1,)}
        )
    ]
    inst = branch(schools, bells_, classes, alts, blocked)
    result = solved(inst, time_limit=5)
    why = explain_timetable(inst, result.lessons)
    assert sum(m for m, _ in why.unmet.values()) == inst.need() - len(result.lessons)
    assert result.status == "OPTIMAL" and why.unmet
    kinds = {r.kind for _m, rs in why.unmet.values() for r in rs}
    assert "search" not in kinds, why.unmet
    # The core, asked directly about every unmet class, agrees: the lessons cannot be added.
    for key, (missing, _reasons) in why.unmet.items():
        model = CoreModel(inst, result.lessons, [key], [a.alt_id for a in inst.alts])
        model.require(Target(missing, classes=frozenset({key})))
        core = model.core()
        assert not core.feasible and core.decided and core.groups
