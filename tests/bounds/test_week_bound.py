"""The bound of weeks that forget their days (scheduler.bounds.week_bound) never exceeds the
objective of any timetable, at convergence and at any duals, and lifts the cheap bound.

The optimum of tiny branches is enumerated (test_model_invariants); the cases trade schools
against commute, busiest days and continuity, so a week priced too cheaply somewhere, a row
that does not hold for every timetable, or a dropped school option would show here.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from scheduler.bounds import week_bound as wb
from scheduler.bounds.flow import VisitIndex, coverage_bound, objective_lower_bound
from scheduler.config import Weights
from scheduler.generate import generate
from scheduler.instance import Instance
from scheduler.io.read import load_instance
from scheduler.model.data import prepare
from tests.bounds.test_patterns import CASES as PATTERN_CASES
from tests.bounds.test_patterns import OTHER_WEIGHTS
from tests.model.test_model_invariants import TINY, brute_force_optimum
from tests.test_solve_property import branches
from tests.tiny import solved

CASES = PATTERN_CASES + TINY
WEIGHTS = [{}, *OTHER_WEIGHTS, {"unmet_lesson": 50, "under_floor_lesson": 40}]


NAMES = ["default", "no_spread", "peaks", "schools", "cheap_unmet"]


@pytest.mark.parametrize("change", WEIGHTS, ids=NAMES)
@pytest.mark.parametrize("make", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_the_bound_never_exceeds_the_enumerated_optimum(
    make: Callable[[], Instance], change: dict[str, int]
) -> None:
    # Every timetable counts (unmet lessons and floors included): the programme's school
    # rows are released by an unmet lesson, so they hold for all of them. Cheap unmet
    # lessons make leaving some out the optimum on the scarce branches.
    inst = make()
    weights = Weights.default().model_copy(update=change)
    optimum = brute_force_optimum(inst, weights)
    found = wb.week_bound(prepare(inst), weights, time.monotonic() + 20)
    assert found is not None and found.converged
    assert found.value <= optimum


def test_an_unmet_lesson_reaches_its_real_weight_through_the_price_stages() -> None:
    # The scarce branch leaves one lesson unmet in every timetable. Unmet lessons start at a
    # low price and grow UNMET_STEP-fold while the converged programme leaves one out, so
    # the bound ends above the real weight of that lesson, not at the first price.
    inst = dict(TINY)["scarce"]()
    weights = Weights.default()
    optimum = brute_force_optimum(inst, weights)
    found = wb.week_bound(prepare(inst), weights, time.monotonic() + 20)
    assert found is not None and found.converged
    assert weights.unmet_lesson <= found.value <= optimum


@pytest.mark.parametrize("make", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_any_duals_of_the_right_signs_give_a_bound(make: Callable[[], Instance]) -> None:
    # The Lagrangian is valid at every dual vector, not only at the programme's optimum:
    # rows' duals clipped to their signs, other columns at their upper bounds.
    inst = make()
    weights = Weights.default()
    optimum = brute_force_optimum(inst, weights)
    branch, prog = _programme(inst, weights)
    rng = random.Random(7)
    for _ in range(40):
        duals = {k: prog._clip(k, rng.uniform(-400, 400)) for k in prog.cons}
        assert prog.lagrangian(duals, wb._price(branch, duals)) <= optimum + 1e-6


def test_dropping_options_other_schools_can_take_never_changes_the_least_week() -> None:
    # An option is dropped when as many other schools as the ALT has visit slots are no
    # dearer for it; the least reduced cost of every load and visit count stays the same.
    branch, prog = _programme(generate(12, 3), Weights.default())
    rng = random.Random(3)
    for _ in range(3):
        duals = {k: prog._clip(k, rng.uniform(-60, 90)) for k in prog.cons}
        pruned = wb._price(branch, duals)
        whole = wb._price(branch, duals, prune=False)
        assert np.allclose(pruned.table, whole.table)
        assert np.allclose(pruned.least, whole.least)


def test_every_week_read_back_costs_what_the_programme_priced() -> None:
    # The programme's column of a week read back from the table has the reduced cost the
    # table gave it: the first of each ALT the least, none below it.
    branch, prog = _programme(generate(12, 3), Weights.default())
    duals = {k: prog._clip(k, 40.0 if k[0] == "need" else 3.0) for k in prog.cons}
    priced = wb._price(branch, duals)
    weeks = wb._weeks(branch, priced, 3)
    assert weeks
    first: set[int] = set()
    for alt, parts in weeks:
        assert len({m for m, _j, _x in parts}) == len(parts)
        assert sum(j for _m, j, _x in parts) <= branch.most_slots
        rc = prog.reduced_cost(alt, parts, duals)
        assert priced.least[alt] - 1e-6 <= rc < -1e-6
        if alt not in first:
            first.add(alt)
            assert rc == pytest.approx(priced.least[alt], abs=1e-6)


def test_the_compiled_programme_finds_every_least_week_and_reads_it_back() -> None:
    # Against enumeration: each member (a school) takes no option or one (j visits, x
    # lessons), costs from random ones with gaps (INF) and negatives (duals); the least cost
    # of every (load, visits, ratio above the base) and the options read back must agree.
    rng = np.random.default_rng(5)
    n, ranks, days, top, slots, ratios = 3, 4, 3, 5, 3, 4
    base = np.array([0, 1, 3])
    cost = rng.uniform(-50, 50, size=(n, ranks, days, top))
    cost[rng.random(cost.shape) < 0.4] = wb.INF
    cost[:, :, 0, :] = wb.INF
    best = wb._grow(cost, slots, ratios, base)
    options = [(j, x) for j in range(1, days) for x in range(1, top + 1)]
    for i in range(n):
        least = np.full((top + 1, slots + 1, ratios + 1), wb.INF)
        for pick in itertools.product([None, *options], repeat=ranks):
            taken = [(m, o) for m, o in enumerate(pick) if o is not None]
            if any(cost[i, m, j, x - 1] >= wb.INF for m, (j, x) in taken):
                continue
            load = sum(x for _m, (_j, x) in taken)
            used = sum(j for _m, (j, _x) in taken)
            most = max((min(ratios, -(-x // j)) for _m, (j, x) in taken), default=0)
            ratio = max(0, most - base[i])
            if load <= top and used <= slots:
                total = sum(cost[i, m, j, x - 1] for m, (j, x) in taken)
                least[load, used, ratio] = min(least[load, used, ratio], total)
        finite = least < wb.INF
        assert np.array_equal(best[i] < wb.INF / 2, finite)
        assert np.allclose(best[i][finite], least[finite])
        back = np.zeros((ranks, top + 1, slots + 1, ratios + 1), dtype=np.int32)
        assert np.array_equal(wb._grow_alt(cost[i], slots, ratios, base[i], back), best[i])
        for load, used, ratio in zip(*np.nonzero(finite), strict=True):
            total, at = 0.0, (int(load), int(used), int(ratio))
            for m in range(ranks - 1, -1, -1):
                if code := int(back[m, *at]):
                    before, jx = divmod(code, 4096)
                    j, x = divmod(jx, 64)
                    total += cost[i, m, j, x - 1]
                    at = (at[0] - x, at[1] - j, before)
            assert at == (0, 0, 0)
            assert total == pytest.approx(least[load, used, ratio])


@pytest.mark.parametrize("prune", [True, False])
def test_the_compiled_options_are_the_arrays_numpy_built(prune: bool) -> None:
    # The options' costs, the dropping and the ranking, against the numpy version they
    # replaced (kept here as the reference), bit for bit, at random duals.
    branch, prog = _programme(generate(12, 3), Weights.default())
    rng = random.Random(11)
    for _ in range(3):
        duals = {k: prog._clip(k, rng.uniform(-60, 90)) for k in prog.cons}
        cost, ranked = _numpy_options(branch, duals, prune)
        priced = wb._price(branch, duals, prune=prune)
        assert np.array_equal(priced.ranked, ranked)
        pair = branch.weights.alt_school - _dual(branch, duals, "alts_at")
        pair = pair - _dual(branch, duals, "whole") + _dual(branch, duals, "cont")
        sides = np.stack(
            [
                pair,
                _dual(branch, duals, "visits"),
                _dual(branch, duals, "whole") / branch.need - _dual(branch, duals, "need"),
                _dual(branch, duals, "whole"),
                branch.need,
            ],
            axis=1,
        )
        minutes = float(branch.weights.commute_minute) * branch.commute
        slots = branch.most_slots if prune else 0
        got, got_ranked = wb._options(
            branch.school, branch.held, minutes, sides, slots, branch.top_load
        )
        assert np.array_equal(got_ranked, ranked)
        assert np.array_equal(got, cost)


def _dual(branch: wb._Branch, duals: dict[wb.Row, float], row: str) -> np.ndarray:
    return np.array([duals.get((row, s), 0.0) for s in branch.schools])


def _numpy_options(
    b: wb._Branch, duals: dict[wb.Row, float], prune: bool
) -> tuple[np.ndarray, np.ndarray]:
    lam, visits = _dual(b, duals, "need"), _dual(b, duals, "visits")
    alts_at, whole, cont = (_dual(b, duals, r) for r in ("alts_at", "whole", "cont"))
    L, K, J = b.top_load, b.most_slots, b.most_days
    sch = b.school
    xs = np.arange(1, L + 1)
    need = b.need[sch][:, :, None, None]
    cost = (
        (b.weights.alt_school - alts_at[sch] - whole[sch] + cont[sch])[:, :, None, None]
        + np.arange(J + 1)[None, None, :, None]
        * (b.weights.commute_minute * b.commute - visits[sch])[:, :, None, None]
        + xs[None, None, None, :] * (whole[sch] / b.need[sch] - lam[sch])[:, :, None, None]
        - np.where(need == xs[None, None, None, :], whole[sch][:, :, None, None], 0.0)
    )
    cost[b.held[:, :, :, None] < xs[None, None, None, :]] = wb.INF
    cost[:, :, 0, :] = wb.INF
    cost[~b.real] = wb.INF
    if prune and K >= 1 and cost.shape[1] > K:
        kth = np.partition(cost, K - 1, axis=1)[:, K - 1 : K]
        cost[cost > kth] = wb.INF
    used = (cost < wb.INF / 2).any(axis=(2, 3))
    ranks = int(used.sum(axis=1).max()) if used.size else 0
    ranked = np.argsort(~used, axis=1, kind="stable")[:, :ranks]
    return np.take_along_axis(cost, ranked[:, :, None, None], axis=1), ranked


def _programme(inst: Instance, weights: Weights) -> tuple[wb._Branch, wb._WeekLP]:
    prep = prepare(inst)
    index = VisitIndex.of(prep)
    branch = wb._Branch(index, weights)
    return branch, wb._WeekLP(prep, index, branch, weights)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(branches())
def test_the_bound_stays_below_every_solved_timetable(inst: Instance) -> None:
    # Random tiny branches with every kind of rule (two schools a day, co-teachers, blocked
    # periods, days off): the bound is never above a timetable the solve found.
    result = solved(inst, time_limit=5.0)
    found = wb.week_bound(prepare(inst), Weights.default(), time.monotonic() + 10)
    if found is not None:
        assert result.objective is not None
        assert found.value <= result.objective


def test_the_demo_bound_lifts_the_cheap_one_and_stays_below_the_optimum() -> None:
    # The demo's optimum is 2,863 (proven); the cheap bound is 2,229, the exact weeks' bound
    # 2,830; weeks without their days give 2,824 (docs/benchmarks_stages.md). Without the
    # busiest day counted school by school it was about 40 lower.
    inst, _warnings = load_instance(Path(__file__).parents[2] / "instances" / "demo")
    prep = prepare(inst)
    found = wb.week_bound(prep, Weights.default(), time.monotonic() + 30)
    assert found is not None and found.converged
    cheap = objective_lower_bound(prep, Weights.default(), coverage_bound(prep))
    assert cheap + 400 <= found.value <= 2_863
    assert found.value >= 2_820


def test_the_large_path_reports_the_bound_found_beside_its_search() -> None:
    # generate(30, 1) takes the region search; its bound converges in a few seconds (7,437
    # against the cheap 6,528), well inside the run, and the timetable stays above it.
    inst = generate(30, 1)
    weights = Weights.default()
    result = solved(inst, weights, time_limit=20)
    prep = prepare(inst)
    cheap = objective_lower_bound(prep, weights, coverage_bound(prep))
    assert result.bound is not None and result.objective is not None
    assert cheap < result.bound <= result.objective
    assert any(
        "without their days" in n and ", converged; the plan steps followed its" in n
        for n in result.notes
    )
    assert not any("cheap bound stands" in n or "ran in MathOpt" in n for n in result.notes)
    # With most of the time left, the search went on from the programme's pairs.
    assert any(n.startswith("Started again at") for n in result.notes)


def test_the_converged_programme_plans_real_pairs_for_the_search() -> None:
    # Its pairs guide the region search once it converges: each must be an ALT who can teach
    # at that school, and together they hold most of the week (the LP optimum is nearly
    # whole: 551 of 678 lessons at generate(30, 1) in pairs of weight at least one half).
    prep = prepare(generate(30, 1))
    found = wb.week_bound(prep, Weights.default(), time.monotonic() + 60)
    assert found is not None and found.converged and found.plan is not None
    assert all(pair in prep.commute and k >= 1 for pair, k in found.plan.items())
    assert sum(found.plan.values()) >= prep.instance.need() // 2
    calls = itertools.count()
    one_round = wb.week_bound(
        prep, Weights.default(), time.monotonic() + 60, stop=lambda: next(calls) >= 1
    )
    assert one_round is not None and not one_round.converged
    assert one_round.plan is None  # no plan from a programme half done


def test_the_busiest_day_counts_each_school_s_lessons_over_its_visit_days() -> None:
    # A week of 20 lessons in 5 visits: 4 a day on average, but 18 of them in 3 visits to
    # one school put 6 on one day there. The week's cost counts the busiest day as 6.
    branch, _prog = _programme(generate(12, 3), Weights.default())
    alt = next(
        i
        for i in range(len(branch.alts))
        if branch.real[i].sum() >= 2 and (branch.held[i, :, 3] >= 18).sum() >= 1
    )
    big = int(np.flatnonzero(branch.held[alt, :, 3] >= 18)[0])
    other = int(next(k for k in np.flatnonzero(branch.real[alt]) if k != big))
    lopsided = [(big, 3, 18), (other, 2, 2)]
    even = [(big, 3, 12), (other, 2, 8)]
    peak = Weights.default().day_peak
    assert branch.cost(alt, lopsided) - branch.cost(alt, even) == peak * (6 - 4)


def test_the_dive_gives_each_alt_one_whole_week_that_over_gives_no_school() -> None:
    # After convergence the programme is dived to one week per ALT; its pairs (weight 1)
    # must never give a school more than its need nor an ALT more than their maximum.
    prep = prepare(generate(30, 1))
    found = wb.week_bound(prep, Weights.default(), time.monotonic() + 60)
    assert found is not None and found.converged
    assert found.plan is not None and found.support is not None
    assert set(found.support) == set(found.plan) and set(found.support.values()) == {1.0}
    inst = prep.instance
    per_school: dict[str, int] = {}
    per_alt: dict[str, int] = {}
    for (a, s), k in found.plan.items():
        per_school[s] = per_school.get(s, 0) + k
        per_alt[a] = per_alt.get(a, 0) + k
    assert all(k <= sum(c.alt_lessons for c in prep.needy[s]) for s, k in per_school.items())
    assert all(k <= inst.max_lessons(inst.alt_by_id[a]) for a, k in per_alt.items())
    assert sum(per_school.values()) >= 0.9 * inst.need()


def test_the_bounds_of_a_generated_30_alt_branch_are_pinned() -> None:
    # Recorded before the bounds' functions were split into smaller ones: a refactoring
    # must give the same flow bound, cheap bound and converged programme (value, rounds,
    # weeks and the dived plan) on the same branch. Below WARM_ALTS the programme is solved
    # cold by MathOpt, which is deterministic.
    prep = prepare(generate(30, 1))
    weights = Weights.default()
    covered = coverage_bound(prep)
    assert covered == 678
    assert objective_lower_bound(prep, weights, covered) == 6_528
    found = wb.week_bound(prep, weights, time.monotonic() + 120)
    assert found is not None and found.converged
    assert (found.value, found.rounds, found.weeks) == (7_436, 37, 1_145)
    assert found.plan is not None
    assert (len(found.plan), sum(found.plan.values())) == (43, 678)
