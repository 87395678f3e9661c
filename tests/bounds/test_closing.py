"""Closing the gap (scheduler.bounds.closing): the listing finds every week within its
threshold, the bound it proves never exceeds the true optimum, and on the demo the solve
proves what issue 2 asks (a gap of at most 1 % within 30 s on two workers).

The tiny branches are those of test_patterns: their optimum is enumerated timetable by
timetable, and the terms trade off there, so a bound that listed too few weeks or dropped a
row it should keep would rise above it.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from ortools.sat.python import cp_model

from scheduler.bounds.closing import Closing
from scheduler.bounds.patterns import SCALE, _PatternLP, _Pricer
from scheduler.config import Weights
from scheduler.generate import generate
from scheduler.instance import Instance
from scheduler.io.read import load_instance
from scheduler.model.data import prepare
from tests.bounds.test_patterns import CASES, OTHER_WEIGHTS
from tests.model.test_model_invariants import brute_force_optimum
from tests.tiny import solved


@pytest.mark.parametrize("change", [{}, *OTHER_WEIGHTS], ids=["default", "a", "b", "c"])
@pytest.mark.parametrize("make", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_closing_proves_the_enumerated_optimum_and_never_more(
    make: Callable[[], Instance], change: dict[str, int]
) -> None:
    from scheduler.bounds.patterns import pattern_bound

    inst = make()
    weights = Weights.default().model_copy(update=change)
    optimum = brute_force_optimum(inst, weights, full=True)
    prep = prepare(inst)
    found = pattern_bound(prep, weights, time.monotonic() + 20)
    assert found is not None and found.last is not None
    previous = -math.inf
    for threshold in (0.0, 5.0, 50.0, 500.0):
        closing = Closing.listed(prep, weights, found.last, threshold, time.monotonic() + 20)
        assert closing is not None
        closed = closing.solve(time.monotonic() + 20)
        assert closed.bound <= optimum
        assert closed.bound >= previous - 1  # a longer listing proves no less
        previous = closed.bound
    # Listed far enough, the relaxation's optimum is the optimum itself on every case.
    assert previous == optimum


def _oracle_signatures(pricer: _Pricer, duals, limit: float) -> set:
    """Every signature of a week priced at most ``limit`` (in the DP's units, without the
    ALT's own convexity dual), by CP-SAT: the pricing model with its price capped, one
    signature at a time, each then excluded."""
    prices = pricer.prices(duals)
    model, price = pricer.cpsat_objective(prices, exact=True)
    model.add(price <= math.floor(limit * SCALE))
    totals = {}
    for s in pricer.schools:
        totals[s] = model.new_int_var(0, 100, "")
        model.add(totals[s] == sum(n for v, n in pricer.n.items() if v[1] == s))
    found = set()
    while len(found) < 400:
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 2
        if solver.solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return found
        sig = tuple(sorted((s, v) for s, t in totals.items() if (v := solver.value(t)) > 0))
        found.add(sig)
        differs = []
        for s, t in totals.items():
            b = model.new_bool_var("")
            model.add(t != dict(sig).get(s, 0)).only_enforce_if(b)
            differs.append(b)
        model.add_bool_or(differs)
    raise AssertionError("too many signatures for the test")


@pytest.mark.parametrize("seed", [1, 2])
def test_listing_finds_every_signature_the_cpsat_pricing_finds(seed: int) -> None:
    # Random duals as in the DP test, smaller so that many weeks come near each ALT's least.
    prep = prepare(generate(6, 3))
    weights = Weights.default()
    lp = _PatternLP(prep, weights)
    tops = lp.tops_by_alt()
    rng = random.Random(seed)
    duals = {key: rng.uniform(-8, 8) for key in lp.cons}
    for key in lp.cons:
        if key[0] == "whole":
            duals[key] = rng.uniform(0, 30)
    checked = 0
    for alt in prep.instance.alts:
        if not tops[alt.alt_id]:
            continue
        args = (prep, weights, alt.alt_id, tops[alt.alt_id], lp.rows, lp.whole)
        dp, cp = _Pricer(*args), _Pricer(*args, dynamic=False)
        assert dp.dp is not None
        prices = dp.prices(duals)
        least, _weeks = dp.dp.price(prices)
        costs = lp.week_costs(alt.alt_id, dp.schools)
        limit = least + 40.0
        listed = dp.dp.signatures(prices, limit, costs)
        assert listed is not None
        margin = 2 * cp.error + 1e-6  # the CP-SAT model's own rounding
        inner = _oracle_signatures(cp, duals, limit - margin)
        outer = _oracle_signatures(cp, duals, limit + margin)
        assert inner <= set(listed) <= outer
        # Each signature's least price is a week's price, and its least cost one's cost.
        for sig, (cost, price) in listed.items():
            assert least - 1e-6 <= price <= limit + 1e-6
            assert cost >= weights.alt_school * len(sig)
        checked += len(listed)
    assert checked >= 20


def test_the_demo_is_solved_within_one_percent_in_30_seconds() -> None:
    # Issue 2's "done when": OPTIMAL or a gap of at most 1 % within 30 s on two workers. The
    # listing proves 2,858 (within 1 % of 2,830) and then 2,863, the optimum, in ~10 s.
    inst, _warnings = load_instance(Path(__file__).parents[2] / "instances" / "demo")
    result = solved(inst, time_limit=30.0)
    assert result.bound is not None and result.objective is not None
    assert result.objective - result.bound <= 0.01 * result.objective
    assert 2_858 <= result.bound <= 2_863 <= result.objective
