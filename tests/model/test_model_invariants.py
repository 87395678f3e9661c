"""Invariants of the CP-SAT model: the reported objective is the validator's, the timetable
breaks no rule, the bound never exceeds the true optimum, and a solve repeats itself.

The true optimum of each tiny branch is found by enumerating every timetable (per class and
day: no lesson, or one lesson in some period with some ALT), so the bound test can fail.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import pairwise, product

import pytest
from ortools.sat.python import cp_model

from scheduler.bounds.flow import coverage_bound, objective_lower_bound
from scheduler.config import Weights
from scheduler.generate import generate
from scheduler.instance import Instance
from scheduler.model.data import prepare
from scheduler.model.master import build_master, coverage_cuts
from scheduler.result import Lesson, lessons_frame
from scheduler.validate import check, score
from tests.tiny import alt, bells, branch, klass, school, solved


def brute_force_optimum(inst: Instance, weights: Weights, *, full: bool = False) -> float:
    """The least objective over every valid timetable (max_class_lessons_per_day is 1); with
    ``full``, over those giving every lesson with every ALT at their floor (inf if none)."""
    assert inst.settings.max_class_lessons_per_day == 1
    cells = []  # per (class, day): None or one (alt, period)
    for c in inst.classes:
        for d in ("Mon", "Tue", "Wed", "Thu", "Fri"):
            periods = inst.periods(c.school_id, d)
            if periods:
                options = [None] + [(a.alt_id, p) for a in inst.alts for p in periods]
                cells.append((c, d, options))
    best = math.inf
    for pick in product(*(options for _c, _d, options in cells)):
        given: dict[tuple[str, str], int] = {}
        lessons = []
        for (c, d, _o), choice in zip(cells, pick, strict=True):
            if choice is None:
                continue
            given[c.key] = given.get(c.key, 0) + 1
            a, p = choice
            lessons.append(
                Lesson(
                    alt_id=a,
                    school_id=c.school_id,
                    class_=c.class_,
                    day=d,
                    period=p.period,
                    start=p.start,
                    end=p.end,
                )
            )
        if any(n > inst.class_by_key[k].alt_lessons for k, n in given.items()):
            continue  # cheaper than the validator, which would reject it too
        frame = lessons_frame(lessons)
        if check(inst, frame):
            continue
        scored = score(inst, frame, weights)
        if full and (scored.terms["unmet_lesson"] or scored.terms["under_floor_lesson"]):
            continue
        best = min(best, scored.objective)
    return best


def _two_schools() -> Instance:
    # A lives by S1, B by S2 (4 km north); B is off on Monday. Floors of 2 lessons make the
    # under-floor term compete with commute and schools per ALT.
    return branch(
        [school("S1"), school("S2", north_km=4.0)],
        bells("S1", periods=1, days=("Mon", "Tue")) + bells("S2", periods=1, days=("Mon", "Tue")),
        [klass("S1", "5-1", 2), klass("S2", "6-1", 1)],
        [alt("A", min_lessons=2), alt("B", north_km=4.0, min_lessons=2, unavailable=("Mon",))],
    )


def _continuity() -> Instance:
    # Two classes needing two lessons on two days; A works only Monday, B both days: a
    # timetable with B alone beats sharing, unless B's floor-free week makes A cheaper.
    return branch(
        [school("S", max_alts_per_day=2)],
        bells("S", periods=2, days=("Mon", "Tue")),
        [klass("S", "5-1", 2), klass("S", "6-1", 1)],
        [alt("A", unavailable=("Tue", "Wed", "Thu", "Fri")), alt("B", north_km=3.0)],
    )


def _scarce() -> Instance:
    # One ALT with a daily maximum of 1 for three lessons on two days: one lesson unmet.
    return branch(
        [school("S")],
        bells("S", periods=2, days=("Mon", "Tue")),
        [klass("S", "5-1", 2), klass("S", "6-1", 1)],
        [alt("A", max_lessons_per_day=1)],
    )


def _one_day_visitor() -> Instance:
    # One period a day on Mon-Wed; A (next door) works only Monday, B (far) Tue-Wed. A's one
    # lesson should go to 6-1 (needs one), so 5-1 keeps B alone: no extra ALT is forced.
    return branch(
        [school("S")],
        bells("S", periods=1, days=("Mon", "Tue", "Wed")),
        [klass("S", "5-1", 2), klass("S", "6-1", 1)],
        [alt("A", unavailable=("Tue", "Wed", "Thu", "Fri")), alt("B", north_km=8.0)],
    )


def _one_day_forced() -> Instance:
    # Both classes need two lessons on Mon and Tue; A works only Monday, B only Tuesday:
    # each class sees both ALTs, continuity 2 is forced and the floor must see it.
    return branch(
        [school("S")],
        bells("S", periods=2, days=("Mon", "Tue")),
        [klass("S", "5-1", 2), klass("S", "6-1", 2)],
        [
            alt("A", unavailable=("Tue", "Wed", "Thu", "Fri")),
            alt("B", unavailable=("Mon", "Wed", "Thu", "Fri")),
        ],
    )


def _two_day_forced() -> Instance:
    # One period a day, Mon-Thu; both classes need two. A works Mon-Wed, B only Thursday:
    # B's one lesson leaves some class with two ALTs (continuity 1), since A's three lessons
    # keep at most one class whole; the master's continuity bound (ALTs minus classes) is 0.
    return branch(
        [school("S")],
        bells("S", periods=1, days=("Mon", "Tue", "Wed", "Thu")),
        [klass("S", "5-1", 2), klass("S", "6-1", 2)],
        [
            alt("A", unavailable=("Thu", "Fri")),
            alt("B", north_km=3.0, unavailable=("Mon", "Tue", "Wed", "Fri")),
        ],
    )


TINY: list[tuple[str, Callable[[], Instance]]] = [
    ("two_day_forced", _two_day_forced),
    ("one_day_visitor", _one_day_visitor),
    ("one_day_forced", _one_day_forced),
    ("two_schools", _two_schools),
    ("continuity", _continuity),
    ("scarce", _scarce),
]


@pytest.mark.parametrize(("name", "make"), TINY, ids=[t[0] for t in TINY])
def test_bound_never_exceeds_the_enumerated_optimum(
    name: str, make: Callable[[], Instance]
) -> None:
    inst = make()
    weights = Weights.default()
    optimum = brute_force_optimum(inst, weights)
    result = solved(inst, weights, time_limit=10.0)  # also checks rules and the objective
    assert result.bound is not None
    assert result.bound <= optimum + 1e-6
    # The bound the region LNS reports: per-ALT and per-school relaxations of every term.
    prep = prepare(inst)
    assert objective_lower_bound(prep, weights, coverage_bound(prep)) <= optimum
    assert result.objective is not None and result.objective >= optimum
    if result.status == "OPTIMAL":
        assert result.objective == optimum


def test_generated_branch_objective_is_the_validators() -> None:
    # A short solve of a generated branch: whatever it reaches, the validator agrees and the
    # bound stays below the objective.
    inst = generate(4, 3)
    result = solved(inst, time_limit=6.0)
    assert result.bound is not None and result.objective is not None
    assert result.bound <= result.objective + 1e-6


@pytest.mark.parametrize(("name", "make"), TINY, ids=[t[0] for t in TINY])
def test_same_seed_and_workers_give_the_same_timetable(
    name: str, make: Callable[[], Instance]
) -> None:
    inst = make()
    first = solved(inst, time_limit=10.0)
    again = solved(inst, time_limit=10.0)
    assert (first.status, first.objective, first.lessons) == (
        again.status,
        again.objective,
        again.lessons,
    )


def _coverable() -> Instance:
    # Everything can be given with every floor met: A teaches S1 on both days, B S2.
    return branch(
        [school("S1"), school("S2", north_km=4.0)],
        bells("S1", periods=1, days=("Mon", "Tue")) + bells("S2", periods=1, days=("Mon", "Tue")),
        [klass("S1", "5-1", 2), klass("S2", "6-1", 2)],
        [alt("A", min_lessons=2), alt("B", north_km=4.0, min_lessons=2)],
    )


@pytest.mark.parametrize("make", [_coverable, _continuity], ids=["coverable", "continuity"])
def test_coverage_cuts_keep_the_optimum_of_full_coverage(make: Callable[[], Instance]) -> None:
    # The counting cuts claim validity once everything is given and every floor is met:
    # the master's optimum under those two conditions is the same with and without them.
    prep = prepare(make())
    optima = []
    for with_cuts in (False, True):
        master = build_master(prep, Weights.default())
        master.model.add(master.terms["unmet_lesson"] == 0)
        master.model.add(master.terms["under_floor_lesson"] == 0)
        if with_cuts:
            coverage_cuts(master, all_given=True, floors_met=True)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        assert solver.solve(master.model) == cp_model.OPTIMAL
        optima.append(solver.objective_value)
    assert optima[0] == optima[1]


@pytest.mark.parametrize("size", [10, 30])
def test_each_progress_line_is_a_better_timetable(size: int) -> None:
    # The master (10 ALTs) improves its own objective, which counts a continuity bound, and
    # the region search (30 ALTs) the whole one; either way a line shows a lower objective.
    from scheduler.config import SolverParams
    from scheduler.solve import solve

    inst = generate(size, 2)
    seen: list[float] = []
    result = solve(
        inst,
        params=SolverParams.default(time_limit=8, workers=2),
        on_progress=lambda _s, objective, _b: seen.append(objective),
    )
    assert len(seen) > 1
    assert all(later < earlier for earlier, later in pairwise(seen))
    assert check(inst, lessons_frame(result.lessons)) == []


def test_a_lesson_breaking_a_rule_never_reaches_the_user() -> None:
    # The last line of defence: a result carrying a lesson that breaks a hard rule (a bug)
    # comes out of the solve without it, scored anew, and says so.
    from scheduler.solve import _checked

    inst = branch(
        [school("S")], bells("S"), [klass("S", "3-1", 1), klass("S", "4-1", 1)], [alt("A")]
    )
    weights = Weights.default()
    result = solved(inst, weights)
    assert len(result.lessons) == 2
    first = result.lessons[0]
    other = next(ls for ls in result.lessons if ls.class_ != first.class_)
    # The other class in the first one's day and period: A in two classes at once.
    same = ("day", "period", "start", "end")
    clash = other.model_copy(update={k: getattr(first, k) for k in same})
    broken = result.model_copy(update={"lessons": (first, clash)})
    assert check(inst, broken.assignments)
    fixed = _checked(inst, weights, broken)
    assert check(inst, fixed.assignments) == []
    assert len(fixed.lessons) == 1
    assert fixed.objective == score(inst, fixed.assignments, weights).objective
    assert "Internal error" in fixed.notes[-1]
    assert _checked(inst, weights, result) is result  # a valid result passes untouched


@pytest.mark.parametrize("schools_a_day", [1, 2])
def test_small_branches_go_on_with_region_steps_after_the_master(schools_a_day: int) -> None:
    # After half the time, region steps go on from the master's timetable (with two schools
    # a day its counts also often do not fit into periods). The bound stays the master's (or
    # the cheap one, whichever is higher), the timetable is valid and each line is better.
    inst = generate(10, 1)
    inst = inst.model_copy(
        update={
            "settings": inst.settings.model_copy(update={"max_schools_per_day": schools_a_day})
        }
    )
    result = solved(inst, time_limit=8.0)
    assert result.status == "OPTIMAL" or any("After the master:" in n for n in result.notes)
    objectives = [o for _s, o, _b in result.progress]
    assert objectives == sorted(objectives, reverse=True)
    assert result.bound is not None and result.bound <= result.objective


def test_a_time_limit_shorter_than_the_preparation_is_said(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # At 250 ALTs the candidate visits, bounds and greedy start take ~6 s: `--time-limit 1`
    # returned the start after 6.5 s and said nothing. Slow preparation stands in for size:
    # the greedy start comes back without a search, and the note says why.
    import time

    import scheduler.solve as solve_module
    from scheduler.config import SolverParams

    real = solve_module.prepare

    def slow(inst: Instance):  # type: ignore[no-untyped-def]
        time.sleep(2.0)
        return real(inst)

    monkeypatch.setattr(solve_module, "prepare", slow)
    inst = _two_schools()
    result = solve_module.solve(inst, params=SolverParams.default(time_limit=0.5, workers=1))
    assert any("left no time for a search" in n and "of the 0.5 s" in n for n in result.notes)
    assert result.progress == ()
    assert check(inst, lessons_frame(list(result.lessons))) == []
    # Within the limit, nothing is said.
    monkeypatch.setattr(solve_module, "prepare", real)
    result = solve_module.solve(inst, params=SolverParams.default(time_limit=5, workers=1))
    assert not any("limit" in n for n in result.notes)
