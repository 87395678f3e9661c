"""Day swaps: two ALTs exchange whole days; judged exactly, valid exactly when allowed."""

from __future__ import annotations

import random
import time

from hypothesis import HealthCheck, given, settings

from scheduler.config import SolverParams, Weights
from scheduler.generate import generate
from scheduler.instance import DAYS, Day, Instance
from scheduler.model.data import lesson_at, prepare
from scheduler.result import Lesson, lessons_frame
from scheduler.search.greedy import greedy
from scheduler.search.regions import objective_of
from scheduler.search.swaps import DaySwaps
from scheduler.validate import check
from tests.test_solve_property import branches
from tests.tiny import EVERY_TERM, alt, bells, branch, klass, school


def swapped(lessons: list[Lesson], a: str, b: str, days: tuple[Day, ...]) -> list[Lesson]:
    """``lessons`` with ``a``'s and ``b``'s lessons on ``days`` exchanged, written out
    independently of the module under test."""
    other = {a: b, b: a}
    return [
        ls.model_copy(update={"alt_id": other[ls.alt_id]})
        if ls.alt_id in other and ls.day in days
        else ls
        for ls in lessons
    ]


def every_swap(inst: Instance, lessons: list[Lesson], weights: Weights) -> int:
    """Check each swap the search may try on ``lessons``; how many were allowed."""
    prep = prepare(inst)
    swaps = DaySwaps(prep, weights)
    week = swaps.index(lessons)
    before = objective_of(prep, lessons, weights)
    alts = [a.alt_id for a in inst.alts]
    allowed = 0
    for i, a in enumerate(alts):
        for b in alts[i + 1 :]:
            for days in week.blocks(a, b):
                change = week.delta(a, b, days)
                after = swapped(lessons, a, b, days)
                if after == lessons:
                    assert change is None  # nothing to move
                    continue
                broken = check(inst, lessons_frame(after))
                if change is None:
                    assert broken, (a, b, days)  # refused only when a hard rule breaks
                else:
                    allowed += 1
                    assert broken == [], (a, b, days, broken)
                    assert objective_of(prep, after, weights) - before == change
    return allowed


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(branches())
def test_a_swap_is_allowed_exactly_when_the_timetable_stays_valid(inst: Instance) -> None:
    # Every rule, one or two schools a day; the greedy timetable of each random branch.
    every_swap(inst, greedy(prepare(inst)), EVERY_TERM)


def test_swaps_on_a_generated_branch_are_judged_exactly() -> None:
    inst = generate(10, 3)
    assert every_swap(inst, greedy(prepare(inst)), EVERY_TERM) > 100


def test_two_alts_who_live_at_each_others_school_swap_their_weeks() -> None:
    # Each school's classes keep their periods; the swap saves both long commutes.
    inst, crossed = crossed_branch()
    prep = prepare(inst)
    swaps = DaySwaps(prep, EVERY_TERM)
    week = swaps.index(crossed)
    gained, schools, alts = swaps.improve(week, "A")
    after = week.lessons()
    assert check(inst, lessons_frame(after)) == []
    assert {(ls.alt_id, ls.school_id) for ls in after} == {("A", "N"), ("B", "S")}
    assert gained == objective_of(prep, after, EVERY_TERM) - objective_of(
        prep, crossed, EVERY_TERM
    )
    assert gained < 0 and schools == {"N", "S"} and alts == {"A", "B"}
    assert swaps.improve(week, "B") == (0, set(), set())  # nothing left to gain


def crossed_branch() -> tuple[Instance, list[Lesson]]:
    """A lives beside North and teaches at South; B the other way round."""
    inst = branch(
        [school("N", north_km=8.0), school("S")],
        bells("N", 4) + bells("S", 4),
        [klass("N", f"{g}-1", 1) for g in (3, 4, 5)] + [klass("S", f"{g}-1", 1) for g in (3, 4)],
        [alt("A", north_km=8.0), alt("B")],
        min_lessons_per_week=0,
    )
    prep = prepare(inst)
    # Grade g's lesson on day g - 3, in period 1.
    crossed = [lesson_at(prep, "A", ("S", f"{g}-1"), DAYS[g - 3], 1) for g in (3, 4)]
    crossed += [lesson_at(prep, "B", ("N", f"{g}-1"), DAYS[g - 3], 1) for g in (3, 4, 5)]
    assert check(inst, lessons_frame(crossed)) == []
    return inst, crossed


def test_the_region_search_swaps_days_between_its_steps(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # With every region step finding nothing, only a day swap can improve the timetable.
    from scheduler.search import regions as lns

    monkeypatch.setattr(lns.RegionSearch, "step", lambda *_a, **_k: None)
    monkeypatch.setattr(lns.RegionSearch, "place_again", lambda *_a, **_k: (set(), []))
    inst, crossed = crossed_branch()
    prep = prepare(inst)
    t0 = time.monotonic()
    best, objective, accepted = lns.improve(
        prep, EVERY_TERM, SolverParams.default(workers=2), crossed, t0 + 2, t0
    )
    assert {(ls.alt_id, ls.school_id) for ls in best} == {("A", "N"), ("B", "S")}
    assert check(inst, lessons_frame(best)) == []
    assert (
        objective == objective_of(prep, best, EVERY_TERM) < objective_of(prep, crossed, EVERY_TERM)
    )
    assert accepted >= 1


def test_swaps_leave_frozen_alts_and_schools_alone() -> None:
    # Other lanes' regions are frozen: their ALTs and schools must keep every lesson.
    inst = generate(30, 2)
    prep = prepare(inst)
    start = greedy(prep)
    swaps = DaySwaps(prep, Weights.default())
    week = swaps.index(start)
    rng = random.Random(3)
    alts = sorted({ls.alt_id for ls in start})
    frozen_alts = set(rng.sample(alts, 8))
    frozen_schools = set(rng.sample(sorted({ls.school_id for ls in start}), 12))
    total = 0
    for a in alts:
        if a not in frozen_alts:
            gained, _schools, _alts = swaps.improve(week, a, frozen_alts, frozen_schools)
            total += gained
    after = week.lessons()
    assert total < 0
    assert check(inst, lessons_frame(after)) == []
    assert (
        objective_of(prep, after, Weights.default()) - objective_of(prep, start, Weights.default())
        == total
    )

    def kept(ls: Lesson) -> bool:
        return ls.alt_id in frozen_alts or ls.school_id in frozen_schools

    assert sorted(filter(kept, start), key=Lesson.sort_key) == sorted(
        filter(kept, after), key=Lesson.sort_key
    )
    assert set(DAYS) >= {ls.day for ls in after}
