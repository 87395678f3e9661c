"""Valid bounds for large branches, and the region LNS that improves large timetables."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.bounds.flow import (
    VisitIndex,
    _least_cost,
    _undominated,
    coverage_bound,
    held_by_visits,
    objective_lower_bound,
)
from scheduler.bounds.week_bound import CLOSE_ENOUGH, week_bound
from scheduler.config import Settings, SolverParams, Weights
from scheduler.generate import generate
from scheduler.instance import Instance
from scheduler.model.data import prepare
from scheduler.model.placement import counts_of
from scheduler.result import lessons_frame
from scheduler.search.greedy import greedy
from scheduler.search.regions import improve, objective_of
from scheduler.search.week_plan import flow_week
from scheduler.validate import check, score
from tests.test_solve_property import branches
from tests.tiny import EVERY_TERM, solved

SEARCH = Settings.default().search


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(branches())
def test_bounds_never_cut_off_an_optimal_timetable(inst: Instance) -> None:
    # The solve of a tiny branch is optimal (or at least a real timetable): no timetable
    # covers more than the coverage bound, and none scores below the objective bound.
    result = solved(inst, time_limit=5.0)
    prep = prepare(inst)
    covered = coverage_bound(prep)
    assert len(result.lessons) <= covered <= inst.need()
    assert objective_lower_bound(prep, Weights.default(), covered) <= result.objective  # type: ignore[operator]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(branches(), st.booleans())
def test_the_search_scores_a_timetable_as_the_validator_does(
    inst: Instance, planned: bool
) -> None:
    # The region search compares timetables by its own count of the objective; it must be
    # the validator's, term for term, or a step could be kept that makes things worse.
    prep = prepare(inst)
    weights = EVERY_TERM
    plan = flow_week(VisitIndex.of(prep), weights) if planned else None
    lessons = greedy(prep, plan)
    assert (
        objective_of(prep, lessons, weights)
        == score(inst, lessons_frame(lessons), weights).objective
    )


@pytest.mark.parametrize("planned", [False, True])
def test_lns_keeps_a_valid_timetable_and_never_gets_worse(planned: bool) -> None:
    # With the weekly plan, half the steps free plan regions instead of geographic ones.
    inst = generate(30, 2)
    prep = prepare(inst)
    start = greedy(prep)
    weights = Weights.default()
    before = score(inst, lessons_frame(start), weights).objective
    t0 = time.monotonic()
    seen: list[float] = []
    best, objective, _ = improve(
        prep,
        weights,
        SolverParams.default(time_limit=12, workers=2),
        start,
        t0 + 12,
        t0,
        lambda _s, o, _b: seen.append(o),
        SEARCH.model_copy(update={"step_seconds": 1.0}),
        plan=flow_week(VisitIndex.of(prep), weights) if planned else None,
    )
    assert check(inst, lessons_frame(best)) == []
    assert objective == score(inst, lessons_frame(best), weights).objective
    assert objective <= before
    assert seen == sorted(seen, reverse=True)  # each reported timetable is better


@pytest.mark.parametrize("planned", [False, True])
def test_regions_solved_side_by_side_share_no_school_and_no_alt(planned: bool) -> None:
    # Two lanes' answers are combined by replacing each region's schools: that is a valid
    # timetable only if no school is in both regions, no ALT is free in both, and every ALT
    # teaching at a region's school is free there (so no other step moves their lessons).
    import random

    from scheduler.search.regions import RegionSearch

    inst = generate(30, 2)
    prep = prepare(inst)
    weights = Weights.default()
    plan = flow_week(VisitIndex.of(prep), weights) if planned else None
    best = greedy(prep, plan)
    search = RegionSearch(prep, SEARCH, random.Random(7), plan)
    pairs = 0
    for grow in (1, 1, 2, 3) * 10:
        # As the lanes draw: a region, then one apart from it (or none after 20 draws).
        picks = [search.region(best, grow)]
        if (second := search.apart(best, grow, picks)) is not None:
            picks.append(second)
        pairs += len(picks) == 2
        for schools, free in picks:
            assert {ls.alt_id for ls in best if ls.school_id in schools} <= free
        if len(picks) == 2:
            (s1, a1), (s2, a2) = picks
            assert not set(s1) & set(s2) and not a1 & a2
    assert pairs >= 10  # the second lane is often busy (always at 120 ALTs)


def test_schools_the_search_has_not_placed_are_placed_again_for_continuity() -> None:
    # The plan-following start chooses classes visit by visit; placing a school's visits
    # anew gives its classes fewer ALTs, with the same lessons per visit, and a pick stays
    # apart from the regions other lanes are searching.
    import random

    from scheduler.search.regions import RegionSearch

    inst = generate(30, 2)
    prep = prepare(inst)
    weights = Weights.default()
    plan = flow_week(VisitIndex.of(prep), weights)
    best = greedy(prep, plan)
    search = RegionSearch(prep, SEARCH, random.Random(7), plan)
    taken = [search.region(best, 1)]
    assert search.unsettled(best, set(), taken) is None  # lessons are short: cover first
    pick = search.unsettled(best, set(), taken, stuck=True)
    assert pick is not None
    schools, alts = pick
    assert 0 < len(schools) <= SEARCH.replace_schools
    assert {ls.alt_id for ls in best if ls.school_id in schools} == alts
    assert not set(schools) & set(taken[0][0]) and not alts & taken[0][1]
    changed, placed = search.place_again(best, schools, SolverParams.default(workers=1))
    after = [ls for ls in best if ls.school_id not in changed] + placed
    assert check(inst, lessons_frame(after)) == []
    assert counts_of(after) == counts_of(best)
    kpis = [score(inst, lessons_frame(t), weights) for t in (best, after)]
    assert kpis[1].terms["continuity"] < kpis[0].terms["continuity"]
    # Settled schools are not drawn again.
    again = search.unsettled(best, set(schools), taken, stuck=True)
    assert again is None or not set(again[0]) & set(schools)


def test_a_school_sharing_an_alts_day_with_a_changed_one_is_placed_again() -> None:
    # With two schools a day, A teaches at S and T on Monday. The step changes only S's
    # count; T's lessons must be placed again beside S's, or A could be in both at once.
    from scheduler.search.regions import _to_replace

    current = {("A", "S", "Mon"): 1, ("A", "T", "Mon"): 1, ("B", "U", "Tue"): 2}
    counts = {("A", "S", "Mon"): 2, ("A", "T", "Mon"): 1, ("B", "U", "Tue"): 2}
    assert _to_replace(counts, current) == {"S", "T"}  # type: ignore[arg-type]
    # A visit that ends frees its school from the link; a school with no change stays.
    counts = {("A", "T", "Mon"): 1, ("B", "U", "Tue"): 2}
    assert _to_replace(counts, current) == {"S"}  # type: ignore[arg-type]


def test_a_cluster_search_that_runs_out_of_time_is_never_a_cut(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # A cut claims "these counts cannot be placed"; only a proof may say so. When the
    # search stops undecided the lessons are placed as far as possible, the rest dropped.
    import scheduler.model.placement as placement
    from tests.tiny import alt, bells, branch, klass, school

    inst = branch(
        [school("S")], bells("S"), [klass("S", "3-1", 1), klass("S", "4-1", 1)], [alt("A")]
    )
    prep = prepare(inst)
    counts = {("A", "S", "Mon"): 2}
    real = placement._solve_cluster
    calls = iter([placement.UNKNOWN])

    def first_call_times_out(*args, **kwargs):  # type: ignore[no-untyped-def]
        return next(calls, None) or real(*args, **kwargs)

    monkeypatch.setattr(placement, "_solve_cluster", first_call_times_out)
    out = placement.place(prep, counts)  # type: ignore[arg-type]
    assert out.conflicts == []
    assert len(out.lessons) == 2 and out.dropped == 0  # the maximising retry placed both
    assert check(inst, lessons_frame(out.lessons)) == []


def test_clusters_placed_side_by_side_give_the_same_timetable() -> None:
    # Threads only change when each cluster is solved, never its answer (each cluster's
    # search is single-threaded with a deterministic limit); conflicts come back in order.
    from scheduler.model.placement import place

    inst = generate(10, 3)
    prep = prepare(inst)
    counts = counts_of(greedy(prep))
    alone = place(prep, counts, effort=0.3)
    together = place(prep, counts, effort=0.3, threads=2)
    assert together.lessons == alone.lessons
    assert (together.continuity, together.conflicts) == (alone.continuity, alone.conflicts)
    assert check(inst, lessons_frame(together.lessons)) == []


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.lists(st.integers(1, 6), min_size=1, max_size=5), st.integers(0, 40)),
        min_size=1,
        max_size=9,
    ),
    st.integers(1, 5),
)
def test_dropping_dominated_members_never_changes_the_least_cost(
    raw: list[tuple[list[int], int]], slots: int
) -> None:
    # The dominance rule must be exact: the pruned programme equals the full one.
    members = [(held_by_visits(caps, 25), minutes) for caps, minutes in raw]
    top = 25
    full = _least_cost(members, top, slots, Weights.default())
    pruned = _least_cost(_undominated(members, slots), top, slots, Weights.default())
    assert (full == pruned).all()


@pytest.mark.parametrize("schools_a_day", [1, 2])
def test_fill_adds_back_lessons_that_still_fit(schools_a_day: int) -> None:
    # A search stopped by its time limit left lessons a free ALT could simply take; the final
    # pass adds them, keeps every hard rule, and never makes the timetable worse.
    import random

    from scheduler.search.greedy import fill

    inst = generate(30, 2)
    st_ = inst.settings.model_copy(update={"max_schools_per_day": schools_a_day})
    inst = inst.model_copy(update={"settings": st_})
    prep = prepare(inst)
    weights = Weights.default()
    full = greedy(prep)
    holes = random.Random(3).sample(range(len(full)), 25)
    partial = [ls for i, ls in enumerate(full) if i not in holes]
    filled = fill(prep, partial, weights)
    assert check(inst, lessons_frame(filled)) == []
    assert set(partial) <= set(filled) and len(filled) >= len(partial) + 20
    assert objective_of(prep, filled, weights) < objective_of(prep, partial, weights)
    assert fill(prep, filled, weights) == filled  # nothing left that fits


def test_large_branch_with_two_schools_a_day_searches_one_and_keeps_its_own_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Region steps lost at two schools a day (120 ALTs, 30 s: 16 lessons unmet against none
    # at one school a day), so the search keeps to one school a day, whose timetables are
    # valid for the branch; the bound must still be the branch's own, which is lower.
    import scheduler.search.large as large_module
    from scheduler.search.regions import Lanes
    from scheduler.solve import solve

    inst = generate(30, 2)
    st_ = inst.settings.model_copy(update={"max_schools_per_day": 2})
    inst = inst.model_copy(update={"settings": st_})
    seen: list[int] = []

    class Spy(Lanes):
        def __init__(self, prep, *args, **kwargs):  # type: ignore[no-untyped-def]
            seen.append(prep.settings.max_schools_per_day)
            super().__init__(prep, *args, **kwargs)

    monkeypatch.setattr(large_module, "Lanes", Spy)
    weights = Weights.default()
    result = solve(inst, weights, SolverParams.default(time_limit=4, workers=1))
    assert seen == [1]
    # The bound is the cheap one or that of weeks without their days, both over the branch
    # as it is (two schools a day), never a one-school-a-day bound. A converged run stops
    # within CLOSE_ENOUGH of the programme's optimum, which no run's bound passes.
    prep = prepare(inst)
    cheap = objective_lower_bound(prep, weights, coverage_bound(prep))
    weeks = week_bound(prep, weights, time.monotonic() + 60)
    assert weeks is not None and weeks.converged
    most = weeks.value + max(1.0, CLOSE_ENOUGH * weeks.value)
    assert result.bound is not None and cheap <= result.bound <= max(cheap, most)
    assert check(inst, result.assignments) == []
    assert result.objective == score(inst, result.assignments, weights).objective
