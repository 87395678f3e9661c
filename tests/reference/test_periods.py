"""Period placement of a fixed (ALT, class, day) choice: exact, and it agrees with the solve."""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, given, settings

from scheduler.instance import Blocked, Instance
from scheduler.model.data import prepare
from scheduler.reference.periods import place_periods
from scheduler.result import lessons_frame
from scheduler.validate import check
from tests.test_solve_property import branches
from tests.tiny import alt, bells, branch, klass, school, solved


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(branches())
def test_any_solved_choice_is_placed_again_validly(inst: Instance) -> None:
    result = solved(inst, time_limit=5.0)
    choice = [(ls.alt_id, (ls.school_id, ls.class_), ls.day) for ls in result.lessons]
    lessons, impossible, undecided = place_periods(prepare(inst), choice)
    assert impossible == [] and undecided == []
    assert check(inst, lessons_frame(lessons)) == []
    assert Counter((ls.alt_id, ls.school_id, ls.class_, ls.day) for ls in lessons) == Counter(
        (a, ck[0], ck[1], d) for a, ck, d in choice
    )


def test_a_choice_that_cannot_fit_is_reported() -> None:
    # Two classes on Monday, but period 1 is blocked for the whole school: one period left.
    inst = branch(
        [school("S")],
        bells("S", 2, days=("Mon",)),
        [klass("S", "3-1", 1), klass("S", "3-2", 1)],
        [alt("A")],
        blocked=[Blocked(school_id="S", day="Mon", periods=(1,))],
    )
    choice = [("A", ("S", "3-1"), "Mon"), ("A", ("S", "3-2"), "Mon")]
    lessons, impossible, undecided = place_periods(prepare(inst), choice)  # type: ignore[arg-type]
    assert lessons == [] and impossible == [choice] and undecided == []


def test_two_alts_and_a_shared_co_teacher_use_the_cpsat_path() -> None:
    # Two ALTs at one junior high; 1-1 and 1-2 share Sato, so they need different periods.
    j = school("J", "junior_high", max_alts_per_day=2)
    inst = branch(
        [j],
        bells("J", 2, first="08:40", minutes=50, days=("Mon",)),
        [klass("J", "1-1", 1, "Sato"), klass("J", "1-2", 1, "Sato")],
        [alt("A"), alt("B")],
    )
    choice = [("A", ("J", "1-1"), "Mon"), ("B", ("J", "1-2"), "Mon")]
    lessons, impossible, undecided = place_periods(prepare(inst), choice)  # type: ignore[arg-type]
    assert impossible == undecided == [] and check(inst, lessons_frame(lessons)) == []
    assert sorted(ls.period for ls in lessons) == [1, 2]
