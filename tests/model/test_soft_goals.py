"""Each soft goal with an exact expected penalty, on a tiny branch where the optimum is
known by hand. Weights isolate the goal under test (`only`), with unmet lessons weighted
high so that coverage is never traded away."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from scheduler.config import Weights
from scheduler.instance import Instance, Travel
from tests.tiny import alt, bells, branch, klass, only, school, solved


def _two_days(sid: str) -> list:
    return bells(sid, days=("Mon", "Tue"))


CASES: list[tuple[str, Callable[[], Instance], Weights, int]] = [
    # 5-1 needs 3 but the school opens one day and a class takes one ALT lesson a day: 2 unmet.
    (
        "unmet",
        lambda: branch(
            [school("S")], bells("S", days=("Mon",)), [klass("S", "5-1", 3)], [alt("A")]
        ),
        only(unmet_lesson=1),
        2,
    ),
    # Floor 20, but the only class asks for 3 lessons: 17 under the floor.
    (
        "under_floor",
        lambda: branch(
            [school("S")], bells("S"), [klass("S", "5-1", 3)], [alt("A", min_lessons=20)]
        ),
        only(under_floor_lesson=1),
        17,
    ),
    # One ALT must cover two schools: 2 ALT-schools (100 each).
    (
        "two_schools",
        lambda: branch(
            [school("S"), school("T", north_km=1)],
            bells("S") + bells("T"),
            [klass("S", "3-1", 1), klass("T", "3-1", 1)],
            [alt("A")],
        ),
        only(unmet_lesson=10_000, alt_school=100),
        200,
    ),
    # Two ALTs, one school needing 2 lessons: one ALT does both, 1 ALT-school.
    (
        "one_school_one_alt",
        lambda: branch(
            [school("S")],
            bells("S"),
            [klass("S", "3-1", 1), klass("S", "4-1", 1)],
            [alt("A"), alt("B")],
        ),
        only(unmet_lesson=10_000, alt_school=100),
        100,
    ),
    # 17 minutes to school (travel.csv); two lessons fit in one visit day: 17 minutes, not 34.
    (
        "commute",
        lambda: branch(
            [school("S")],
            _two_days("S"),
            [klass("S", "3-1", 1), klass("S", "4-1", 1)],
            [alt("A")],
            travel=[Travel(**{"from": "A", "to": "S", "minutes": 17})],
        ),
        only(unmet_lesson=10_000, commute_minute=1),
        17,
    ),
    # Three lessons between two ALTs (a school may take both the same day): loads 2 and 1.
    (
        "load_spread",
        lambda: branch(
            [school("S", max_alts_per_day=2)],
            bells("S"),
            [klass("S", f"3-{i}", 1) for i in (1, 2, 3)],
            [alt("A"), alt("B")],
        ),
        only(unmet_lesson=10_000, load_spread=5),
        5,
    ),
    # Four lessons over Monday and Tuesday: two a day, a peak of 2.
    (
        "day_peak",
        lambda: branch(
            [school("S")],
            _two_days("S"),
            [klass("S", f"3-{i}", 1) for i in (1, 2, 3, 4)],
            [alt("A")],
        ),
        only(unmet_lesson=10_000, day_peak=3),
        6,
    ),
    # 5-1 needs a lesson on Monday and Tuesday; A works only Monday, B only Tuesday: one
    # extra ALT for the class cannot be avoided.
    (
        "continuity_forced",
        lambda: branch(
            [school("S")],
            _two_days("S"),
            [klass("S", "5-1", 2)],
            [
                alt("A", unavailable=("Tue", "Wed", "Thu", "Fri")),
                alt("B", unavailable=("Mon", "Wed", "Thu", "Fri")),
            ],
        ),
        only(unmet_lesson=10_000, continuity=30),
        30,
    ),
    # The same class with one ALT free on both days: no extra ALT.
    (
        "continuity_kept",
        lambda: branch(
            [school("S", max_alts_per_day=2)],
            _two_days("S"),
            [klass("S", "5-1", 2)],
            [alt("A"), alt("B")],
        ),
        only(unmet_lesson=10_000, continuity=30),
        0,
    ),
]


@pytest.mark.parametrize(("name", "make", "weights", "expected"), CASES, ids=[c[0] for c in CASES])
def test_soft_goal_has_the_exact_optimal_penalty(
    name: str, make: Callable[[], Instance], weights: Weights, expected: int
) -> None:
    result = solved(make(), weights)
    assert result.status == "OPTIMAL"
    assert result.objective == expected
