"""The week bound's programme in a HiGHS process (scheduler.bounds.lp): the same optimum and
duals as a cold MathOpt solve, and the rounds go on in MathOpt when the process fails."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest

from scheduler.bounds import lp as lp_module
from scheduler.bounds import week_bound as wb
from scheduler.bounds.lp import MathOptLP, WarmLP
from scheduler.config import Weights
from scheduler.generate import generate
from scheduler.model.data import prepare


def _small(lp: MathOptLP | WarmLP) -> None:
    # min x0 + 2 x1 + 3 x2  s.t.  x0 + x1 >= 2,  x1 + x2 >= 1,  x0 + x2 <= 4
    lp.add_row(2, np.inf)
    lp.add_row(1, np.inf)
    lp.add_row(-np.inf, 4)
    lp.add_column(1.0, {0: 1.0, 2: 1.0})
    lp.add_column(2.0, {0: 1.0, 1: 1.0})
    lp.add_column(3.0, {1: 1.0, 2: 1.0})


def test_what_a_library_prints_on_descriptor_1_stays_off_the_answer_pipe() -> None:
    # highspy 1.16 prints its banner straight to file descriptor 1, past sys.stdout; on the
    # pipe it broke every answer (UnpicklingError). os.write stands in for the C library.
    script = (
        "import os, sys\n"
        "from scheduler.bounds.lp_worker import answer_pipe\n"
        "out = answer_pipe()\n"
        "os.write(1, b'Running HiGHS\\n')\n"
        "print('a print too')\n"
        "out.write(b'answer'); out.flush()\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, check=True)
    assert done.stdout == b"answer"
    assert b"Running HiGHS" in done.stderr and b"a print too" in done.stderr


def test_the_process_answers_as_mathopt_does_and_stays_warm_through_changes() -> None:
    cold, warm = MathOptLP(), WarmLP()
    try:
        assert warm.failure is None
        for lp in (cold, warm):
            _small(lp)
        a, b = cold.solve(10, [1]), warm.solve(10, [1])
        assert a is not None and b is not None
        assert a.value == pytest.approx(b.value) == pytest.approx(3.0)  # x0 = x1 = 1
        assert np.allclose(a.duals, b.duals) and np.allclose(a.watched, b.watched)
        # Later columns and costs reach the process: the dear column becomes the cheap one.
        for lp in (cold, warm):
            lp.add_column(0.5, {0: 1.0, 1: 1.0})
            lp.set_cost(0, 5.0)
        a, b = cold.solve(10, [3]), warm.solve(10, [3])
        assert a is not None and b is not None
        assert a.value == pytest.approx(b.value) == pytest.approx(1.0)
        assert np.allclose(a.duals, b.duals) and b.watched[0] == pytest.approx(2.0)
    finally:
        warm.close()


def test_a_lower_bound_reaches_the_process_and_survives_its_failure() -> None:
    # The dive fixes a week by raising its column's lower bound to 1: the warm process, a
    # cold MathOpt and a replay after the process dies must all hold it.
    cold, warm = MathOptLP(), WarmLP()
    try:
        for lp in (cold, warm):
            _small(lp)
            lp.set_lower(2, 1.0)  # x2 >= 1: the optimum moves from 3 (x0 = x1 = 1) to 5
        a, b = cold.solve(10, [2]), warm.solve(10, [2])
        assert a is not None and b is not None and warm.failure is None
        assert a.value == pytest.approx(b.value) == pytest.approx(5.0)
        assert b.watched[0] == pytest.approx(1.0)
        assert warm._process is not None
        warm._process.kill()
        warm._process.wait()
        again = warm.solve(10, [2])
        assert warm.failure is not None
        assert again is not None and again.value == pytest.approx(5.0)
    finally:
        warm.close()


def test_a_process_that_cannot_start_leaves_the_programme_to_mathopt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "executable", sys.executable + "-missing")
    lp = WarmLP()
    assert lp.failure is not None
    _small(lp)
    solved = lp.solve(10, [])
    assert solved is not None and solved.value == pytest.approx(3.0)


def test_a_process_that_dies_mid_run_is_replayed_into_mathopt() -> None:
    lp = WarmLP()
    _small(lp)
    first = lp.solve(10, [0])
    assert first is not None and lp.failure is None
    assert lp._process is not None
    lp._process.kill()
    lp._process.wait()
    lp.add_column(0.5, {0: 1.0, 1: 1.0})
    again = lp.solve(10, [3])
    assert lp.failure is not None
    assert again is not None and again.value == pytest.approx(1.0)


@pytest.mark.parametrize("warm_from", [10**6, 1])
def test_the_bound_is_the_same_warm_or_cold(
    warm_from: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # generate(30, 1) converges to 7,436 either way (docs/benchmarks_stages.md); the warm
    # programme follows another path of bases, so the stop may land within CLOSE_ENOUGH of it.
    monkeypatch.setattr(wb, "WARM_ALTS", warm_from)
    spawned: list[WarmLP] = []
    real = lp_module.WarmLP

    def recording() -> WarmLP:
        spawned.append(real())
        return spawned[-1]

    monkeypatch.setattr(wb, "WarmLP", recording)
    found = wb.week_bound(prepare(generate(30, 1)), Weights.default(), time.monotonic() + 60)
    assert found is not None and found.converged
    assert found.value == pytest.approx(7_436, rel=wb.CLOSE_ENOUGH, abs=1)
    assert len(spawned) == (warm_from == 1)
    assert all(lp.failure is None and lp._process is None for lp in spawned)
    assert found.cold is None


def test_a_bound_whose_process_cannot_start_is_the_same_and_says_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(wb, "WARM_ALTS", 1)
    monkeypatch.setattr(sys, "executable", sys.executable + "-missing")
    found = wb.week_bound(prepare(generate(30, 1)), Weights.default(), time.monotonic() + 60)
    assert found is not None and found.converged and found.cold
    assert found.value == pytest.approx(7_436, rel=wb.CLOSE_ENOUGH, abs=1)


def test_the_process_gives_each_solve_its_own_seconds() -> None:
    # HiGHS sums its run time over a process's solves; a limit read against that sum made
    # late rounds of a long column generation stop at once, unconverged (lp_worker).
    rng = np.random.default_rng(0)
    n = 150
    lp = WarmLP()
    try:
        for _ in range(n):
            lp.add_row(1, np.inf)  # each buyer takes one unit
        for _ in range(n):
            lp.add_row(-np.inf, 1)  # each seller gives at most one
        for i in range(n):
            for j in range(n):
                lp.add_column(float(rng.random()), {i: 1.0, n + j: 1.0})
        for _ in range(3):  # new costs everywhere: ~0.3 s of HiGHS each here
            for k in range(n * n):
                lp.set_cost(k, float(rng.random()))
            assert lp.solve(60, []) is not None
        for _ in range(3):  # one column made free: a few pivots, ~3 ms here
            lp.set_cost(int(rng.integers(n * n)), 0.0)
            assert lp.solve(0.05, []) is not None
        assert lp.failure is None
    finally:
        lp.close()
