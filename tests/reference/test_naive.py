"""The naive period-level CP-SAT model: hand-known optima on tiny branches, the same optimum
as the default method, and every timetable checked by the validator (``solved`` and
``naive_solved`` do that)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from scheduler.config import SolverParams, Weights
from scheduler.instance import Blocked, Instance, Travel
from scheduler.reference.naive import solve_reference
from scheduler.result import Result
from scheduler.validate import check, score
from tests.tiny import alt, bells, branch, klass, only, school, solved


def naive_solved(
    inst: Instance, weights: Weights | None = None, time_limit: float = 10.0
) -> Result:
    """The naive model's timetable, checked as ``solved`` checks the default method's: no
    hard rule broken, and the objective the validator's recomputation."""
    w = weights or Weights.default()
    params = SolverParams.default(time_limit=time_limit, workers=2, seed=0)
    result = solve_reference(inst, w, params)
    violations = check(inst, result.assignments)
    assert violations == [], [str(v) for v in violations]
    assert result.objective == score(inst, result.assignments, w).objective
    assert result.method == "naive"
    return result


def _two_schools_one_day(minutes: int) -> Instance:
    # One ALT, two schools open only Monday periods 1-2 (08:45-09:30, 09:40-10:25), each with
    # a class needing one lesson; travel between them takes ``minutes``.
    return branch(
        [school("S"), school("T", north_km=1)],
        bells("S", periods=2, days=("Mon",)) + bells("T", periods=2, days=("Mon",)),
        [klass("S", "3-1", 1), klass("T", "3-1", 1)],
        [alt("A")],
        travel=[Travel(**{"from": "S", "to": "T", "minutes": minutes})],
        max_schools_per_day=2,
    )


def _shared_co_teacher(co: str | None) -> Instance:
    # Two ALTs may come the same day, but the school has one period on one day; two classes.
    return branch(
        [school("S", max_alts_per_day=2)],
        bells("S", periods=1, days=("Mon",)),
        [klass("S", "1-1", 1, co), klass("S", "1-2", 1, co)],
        [alt("A"), alt("B")],
    )


HAND_CASES: list[tuple[str, Callable[[], Instance], Weights, int]] = [
    # 5-1 needs 3, the school opens one day, one ALT lesson a class a day: 2 unmet.
    (
        "class_day_limit",
        lambda: branch(
            [school("S")], bells("S", days=("Mon",)), [klass("S", "5-1", 3)], [alt("A")]
        ),
        only(unmet_lesson=1),
        2,
    ),
    # 10 minutes between S p1 and T p2 but 30 to travel, and same period at both is
    # impossible: only one of the two lessons. 1 unmet.
    ("travel_too_far", lambda: _two_schools_one_day(30), only(unmet_lesson=1), 1),
    # 5 minutes of travel fit into the 10-minute break: both lessons. 0 unmet.
    ("travel_fits", lambda: _two_schools_one_day(5), only(unmet_lesson=1), 0),
    # One period, two classes of one co-teacher: only one lesson. 1 unmet.
    ("co_teacher", lambda: _shared_co_teacher("JTE"), only(unmet_lesson=1), 1),
    # Homeroom teachers differ: both ALTs teach in the one period. 0 unmet.
    ("own_teachers", lambda: _shared_co_teacher(None), only(unmet_lesson=1), 0),
    # A works only Monday, B only Tuesday, 5-1 needs 2 at one a day: two ALTs, 1 extra.
    (
        "continuity",
        lambda: branch(
            [school("S", max_alts_per_day=1)],
            bells("S", days=("Mon", "Tue")),
            [klass("S", "5-1", 2)],
            [
                alt("A", unavailable=("Tue", "Wed", "Thu", "Fri")),
                alt("B", unavailable=("Mon", "Wed", "Thu", "Fri")),
            ],
        ),
        only(unmet_lesson=10_000, continuity=30),
        30,
    ),
    # The whole school is blocked on Monday, the ALT is off on Tuesday: nothing fits. 1 unmet.
    (
        "blocked_and_day_off",
        lambda: branch(
            [school("S")],
            bells("S", days=("Mon", "Tue")),
            [klass("S", "3-1", 1)],
            [alt("A", unavailable=("Tue",))],
            blocked=[Blocked(school_id="S", day="Mon")],
        ),
        only(unmet_lesson=1),
        1,
    ),
]


@pytest.mark.parametrize(
    ("name", "make", "weights", "expected"), HAND_CASES, ids=[c[0] for c in HAND_CASES]
)
def test_naive_reaches_the_hand_optimum(
    name: str, make: Callable[[], Instance], weights: Weights, expected: int
) -> None:
    result = naive_solved(make(), weights)
    assert result.status == "OPTIMAL"
    assert result.objective == expected
    assert result.bound is not None and result.bound <= expected + 1e-6


def _mixed_branch() -> Instance:
    # Two schools of each level 1-3 km apart, ALTs with levels, days off and a weekly cap;
    # small enough to be solved to optimality by both methods in well under a second.
    return branch(
        [
            school("E1"),
            school("E2", north_km=2),
            school("J1", level="junior_high", north_km=1, max_alts_per_day=2),
        ],
        bells("E1", periods=4)
        + bells("E2", periods=3, days=("Mon", "Wed", "Fri"))
        + bells("J1", periods=4, first="08:40", minutes=50),
        [
            klass("E1", "5-1", 2),
            klass("E1", "6-1", 2),
            klass("E2", "3-1", 1),
            klass("J1", "1-1", 2, "JTE1"),
            klass("J1", "1-2", 2, "JTE1"),
            klass("J1", "2-1", 1, "JTE2"),
        ],
        [
            alt("A", levels=("elementary",), max_lessons=4),
            alt("B", north_km=1, unavailable=("Mon", "Tue")),
            alt("C", north_km=2, levels=("junior_high",), max_lessons_per_day=2),
        ],
        min_lessons_per_week=3,
        max_schools_per_day=2,
    )


SAME_OPTIMUM: list[tuple[str, Callable[[], Instance]]] = [
    ("mixed", _mixed_branch),
    ("travel", lambda: _two_schools_one_day(30)),
    ("co_teacher", lambda: _shared_co_teacher("JTE")),
]


@pytest.mark.parametrize(("name", "make"), SAME_OPTIMUM, ids=[c[0] for c in SAME_OPTIMUM])
def test_naive_and_default_prove_the_same_optimum(name: str, make: Callable[[], Instance]) -> None:
    inst = make()
    naive = naive_solved(inst, time_limit=20)
    default = solved(inst, method="cpsat", time_limit=20)
    assert naive.status == default.status == "OPTIMAL"
    assert naive.objective == default.objective


def test_naive_every_term_counts() -> None:
    # The mixed branch at default weights must pay something in every family it can; a model
    # that dropped a term would report an objective below the validator's and fail `solved`.
    result = naive_solved(_mixed_branch(), time_limit=20)
    assert result.penalties["alt_school"] > 0
    assert result.penalties["commute_minute"] > 0
    assert result.penalties["day_peak"] > 0
