"""Each hard rule on a tiny branch that would break it if the model ignored the rule.

Every case states the most lessons that can be given without breaking the rule; the
solve must reach exactly that (a looser model would give more, a wrong one fewer), and
`tiny.solved` checks the timetable with the independent validator.
"""

from __future__ import annotations

from datetime import time

import pytest

from scheduler.instance import Bell, Blocked, Instance, Travel
from tests.tiny import alt, bells, branch, klass, school, solved


def _mon(sid: str, periods: int = 6, **kw: object) -> list:
    return bells(sid, periods, days=("Mon",), **kw)  # type: ignore[arg-type]


def level() -> tuple[Instance, int]:
    # The only ALT teaches elementary; the only school is a junior high: nothing can be given.
    return branch(
        [school("J", "junior_high")],
        bells("J", minutes=50, first="08:40"),
        [klass("J", "1-1", 2)],
        [alt("A", levels=("elementary",))],
    ), 0


def day_off() -> tuple[Instance, int]:
    # The school only has periods on Monday, the ALT's day off.
    return branch(
        [school("S")], _mon("S"), [klass("S", "3-1", 1)], [alt("A", unavailable=("Mon",))]
    ), 0


def alt_overlap() -> tuple[Instance, int]:
    # Two schools, each with one period at the same time: one ALT can take only one.
    return branch(
        [school("S"), school("T", north_km=0.5)],
        _mon("S", 1) + _mon("T", 1),
        [klass("S", "3-1", 1), klass("T", "3-1", 1)],
        [alt("A")],
        max_schools_per_day=2,
    ), 1


def travel() -> tuple[Instance, int]:
    # S period 1 ends 09:30, T period 1 starts 09:40; the trip takes 30 minutes: only one.
    return branch(
        [school("S"), school("T", north_km=0.5)],
        _mon("S", 1) + _mon("T", 1, first="09:40"),
        [klass("S", "3-1", 1), klass("T", "3-1", 1)],
        [alt("A")],
        travel=[Travel(**{"from": "S", "to": "T", "minutes": 30})],
        max_schools_per_day=2,
    ), 1


def travel_enough() -> tuple[Instance, int]:
    # The same two schools 10 minutes apart: both lessons fit.
    return branch(
        [school("S"), school("T", north_km=0.5)],
        _mon("S", 1) + _mon("T", 1, first="09:40"),
        [klass("S", "3-1", 1), klass("T", "3-1", 1)],
        [alt("A")],
        travel=[Travel(**{"from": "S", "to": "T", "minutes": 10})],
        max_schools_per_day=2,
    ), 2


def _one_way(early: str, late: str, there: int, back: int) -> Instance:
    # ``early``'s period 1 ends 09:30, ``late``'s starts 09:40: the ALT can only go from early
    # to late, which takes ``there`` minutes (``back`` the other way).
    return branch(
        [school("S"), school("T", north_km=0.5)],
        _mon(early, 1) + _mon(late, 1, first="09:40"),
        [klass("S", "3-1", 1), klass("T", "3-1", 1)],
        [alt("A")],
        travel=[
            Travel(**{"from": early, "to": late, "minutes": there}),
            Travel(**{"from": late, "to": early, "minutes": back}),
        ],
        max_schools_per_day=2,
    )


def travel_one_way() -> tuple[Instance, int]:
    # 30 minutes from S to T (5 back): the 10-minute gap is too short, only one lesson.
    return _one_way("S", "T", 30, 5), 1


def travel_one_way_back() -> tuple[Instance, int]:
    # The same with T first (schools are often taken in id order).
    return _one_way("T", "S", 30, 5), 1


def travel_the_other_way() -> tuple[Instance, int]:
    # 5 minutes from S to T (30 back): both lessons fit.
    return _one_way("S", "T", 5, 30), 2


def travel_the_other_way_back() -> tuple[Instance, int]:
    return _one_way("T", "S", 5, 30), 2


def alt_week_max() -> tuple[Instance, int]:
    # Five classes need one lesson each; the ALT's contract stops at 3.
    return branch(
        [school("S")],
        bells("S"),
        [klass("S", f"5-{i}", 1) for i in range(1, 6)],
        [alt("A", max_lessons=3)],
    ), 3


def alt_day_max() -> tuple[Instance, int]:
    # One school day, four classes, but the ALT teaches at most 2 a day.
    return branch(
        [school("S")],
        _mon("S"),
        [klass("S", f"5-{i}", 1) for i in range(1, 5)],
        [alt("A", max_lessons_per_day=2)],
    ), 2


def day_window() -> tuple[Instance, int]:
    # Period 2 ends after the branch's day_end (built directly; the reader would refuse it).
    return branch(
        [school("S")],
        _mon("S", 2),
        [klass("S", "3-1", 1), klass("S", "4-1", 1)],
        [alt("A")],
        day_end=time(9, 40),
    ), 1


def class_day_limit() -> tuple[Instance, int]:
    # A class needs 3, but gets at most one ALT lesson a day and the school opens one day.
    return branch([school("S")], _mon("S"), [klass("S", "5-1", 3)], [alt("A")]), 1


def class_need() -> tuple[Instance, int]:
    # A hungry ALT (floor 20) never gives a class more than it asks for.
    return branch([school("S")], bells("S"), [klass("S", "3-1", 1)], [alt("A", min_lessons=20)]), 1


def blocked() -> tuple[Instance, int]:
    # 3-1 is blocked all Monday, 3-2 in period 1 of a one-period Monday.
    return branch(
        [school("S")],
        _mon("S", 1),
        [klass("S", "3-1", 1), klass("S", "3-2", 1)],
        [alt("A")],
        blocked=[
            Blocked(school_id="S", **{"class": "3-1"}, day="Mon"),
            Blocked(school_id="S", **{"class": "3-2"}, day="Mon", periods=(1,)),
        ],
    ), 0


def co_teacher() -> tuple[Instance, int]:
    # Two ALTs may come, but both classes share one JTE and there is one period.
    j = school("J", "junior_high", max_alts_per_day=2)
    return branch(
        [j],
        _mon("J", 1, first="08:40", minutes=50),
        [klass("J", "1-1", 1, "Sato"), klass("J", "1-2", 1, "Sato")],
        [alt("A"), alt("B")],
    ), 1


def co_teacher_differs() -> tuple[Instance, int]:
    # The same with two JTEs: both classes are taught in period 1 by two ALTs.
    j = school("J", "junior_high", max_alts_per_day=2)
    return branch(
        [j],
        _mon("J", 1, first="08:40", minutes=50),
        [klass("J", "1-1", 1, "Sato"), klass("J", "1-2", 1, "Ito")],
        [alt("A"), alt("B")],
    ), 2


def alts_per_day() -> tuple[Instance, int]:
    # One period, four classes, two ALTs free, but the school takes one ALT a day.
    return branch(
        [school("S")],
        _mon("S", 1),
        [klass("S", f"3-{i}", 1) for i in range(1, 5)],
        [alt("A"), alt("B")],
    ), 1


def commute() -> tuple[Instance, int]:
    # The ALT lives 25 km away: 75 minutes at 20 km/h, over the 60-minute limit.
    return branch([school("S")], bells("S"), [klass("S", "3-1", 1)], [alt("A", north_km=25)]), 0


def schools_per_day() -> tuple[Instance, int]:
    # Two schools open only on Monday; the ALT may visit one school a day.
    return branch(
        [school("S"), school("T", north_km=0.5)],
        _mon("S") + _mon("T"),
        [klass("S", "3-1", 1), klass("T", "3-1", 1)],
        [alt("A")],
    ), 1


def bell_mismatch_short_day() -> tuple[Instance, int]:
    # Period 6 does not exist on Wednesday; the only usable slot for 6-1 is that period.
    b = [
        Bell(
            school_id="S",
            period=6,
            start=time(14, 30),
            end=time(15, 15),
            days=("Mon", "Tue", "Thu", "Fri"),
        )
    ]
    return branch(
        [school("S")], b, [klass("S", "6-1", 2)], [alt("A", unavailable=("Mon", "Tue", "Thu"))]
    ), 1


CASES = [
    level,
    day_off,
    alt_overlap,
    travel,
    travel_enough,
    travel_one_way,
    travel_one_way_back,
    travel_the_other_way,
    travel_the_other_way_back,
    alt_week_max,
    alt_day_max,
    day_window,
    class_day_limit,
    class_need,
    blocked,
    co_teacher,
    co_teacher_differs,
    alts_per_day,
    commute,
    schools_per_day,
    bell_mismatch_short_day,
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__)
@pytest.mark.parametrize("method", ["cpsat", "greedy"])
def test_rule_holds_and_the_most_possible_is_given(case, method) -> None:  # type: ignore[no-untyped-def]
    inst, most = case()
    result = solved(inst, method=method)
    if method == "cpsat":
        assert len(result.lessons) == most
        assert result.status == "OPTIMAL"
    else:
        assert len(result.lessons) <= most
