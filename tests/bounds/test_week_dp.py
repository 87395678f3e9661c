"""The dynamic-programme pricing of the weekly-pattern bound (scheduler.bounds.week_dp)
finds the same least reduced cost as the CP-SAT pricing, at random duals of every row, and
every week it returns is a real week of the ALT priced at that value.

Random duals make every kind of price appear: rewarded and costly lessons, visits and
schools, the whole-need row, the load rows; the CP-SAT model is the reference (its own
rounding is the tolerance).
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from scheduler.bounds.patterns import _PatternLP, _Pricer, _Week
from scheduler.config import Weights
from scheduler.generate import generate
from scheduler.instance import Instance
from scheduler.io.read import load_instance
from scheduler.model.data import prepare
from scheduler.model.master import absorption_limits


def _demo() -> Instance:
    return load_instance(Path(__file__).parents[2] / "instances" / "demo")[0]


def _generated() -> Instance:
    return generate(6, 3)


@pytest.mark.parametrize("make", [_demo, _generated], ids=["demo", "generated"])
def test_dynamic_pricing_equals_cpsat_pricing_at_random_duals(make) -> None:
    prep = prepare(make())
    weights = Weights.default()
    lp = _PatternLP(prep, weights)
    tops = lp.tops_by_alt()
    alts = [a.alt_id for a in prep.instance.alts if tops[a.alt_id]]
    rng = random.Random(7)
    deadline = time.monotonic() + 120
    checked = 0
    for round_ in range(4):
        # Small duals keep weeks of several schools in play; the whole-need duals are >= 0
        # as the programme's (a >= row) are, the others of either sign.
        duals = {key: rng.uniform(-40, 40) for key in lp.cons}
        for key in lp.cons:
            if key[0] == "whole":
                duals[key] = rng.uniform(0, 150)
        for alt_id in alts[round_ % 2 :: 2]:
            args = (prep, weights, alt_id, tops[alt_id], lp.rows, lp.whole)
            dp, cp = _Pricer(*args), _Pricer(*args, dynamic=False)
            assert dp.dp is not None and cp.dp is None
            got, want = dp.price(duals, deadline), cp.price(duals, deadline, exact=True)
            assert got is not None and want is not None
            # CP-SAT's bound is its optimum less its rounding allowance.
            assert got[0] == pytest.approx(want[0] + cp.error, abs=2 * cp.error + 1e-6)
            assert got[1], "the least week itself is returned"
            # The bound is the least week's reduced cost less a floating-point allowance.
            assert got[0] <= lp.reduced_cost(got[1][0], duals) <= got[0] + 1e-3
            for week in got[1]:
                _check_week(prep, tops[alt_id], week)
            checked += 1
    assert checked >= 8


def _check_week(prep, top, week: _Week) -> None:
    """One school a day, within each visit's capacity, the ALT's load range and every
    absorption limit."""
    inst = prep.instance
    alt = inst.alt_by_id[week.alt_id]
    days = [d for _s, d, _n in week.lessons]
    assert len(days) == len(set(days))
    for s, d, n in week.lessons:
        assert 1 <= n <= top[(week.alt_id, s, d)]
    load = sum(n for _s, _d, n in week.lessons)
    assert inst.min_lessons(alt) <= load <= inst.max_lessons(alt)
    for s, subset, room in absorption_limits(prep, top):
        assert sum(n for x, d, n in week.lessons if x == s and d in subset) <= room
