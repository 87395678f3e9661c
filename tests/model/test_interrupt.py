"""Ctrl-C during a solve stops the running CP-SAT searches and nothing else."""

from __future__ import annotations

import os
import signal
import threading
import time

from ortools.sat.python import cp_model

from scheduler.model.interrupt import interrupted, run, was_interrupted, watching


def _hard() -> cp_model.CpModel:
    # Eleven holes, twelve pigeons, written as clauses with presolve, LP and symmetry off:
    # one worker searches far longer than the test waits.
    n = 11
    m = cp_model.CpModel()
    x = [[m.new_bool_var("") for _ in range(n)] for _ in range(n + 1)]
    for row in x:
        m.add_bool_or(row)
    for h in range(n):
        for i in range(n + 1):
            for j in range(i + 1, n + 1):
                m.add_bool_or([x[i][h].Not(), x[j][h].Not()])
    return m


def _solver() -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.num_workers, p.linearization_level, p.symmetry_level = 1, 0, 0
    p.cp_model_presolve, p.max_time_in_seconds = False, 60.0
    return solver


def test_ctrl_c_stops_the_running_search_and_the_next_gets_no_time() -> None:
    before = signal.getsignal(signal.SIGINT)
    threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
    with watching():
        t = time.monotonic()
        assert run(_solver(), _hard()) == cp_model.UNKNOWN
        assert time.monotonic() - t < 10  # stopped, not the 60 s limit
        assert interrupted()
        t = time.monotonic()
        run(_solver(), _hard())  # started after Ctrl-C: no time at all
        assert time.monotonic() - t < 2
    # Outside the block: the answer is kept for the caller, nothing stale stays armed, and
    # Ctrl-C is Python's again.
    assert was_interrupted() and not interrupted()
    assert signal.getsignal(signal.SIGINT) is before


def test_a_search_that_is_not_stoppable_runs_to_its_end() -> None:
    # Placement turns the kept timetable into periods: Ctrl-C must not cut it short.
    threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
    with watching():
        solver = _solver()
        solver.parameters.max_time_in_seconds = 1.5
        t = time.monotonic()
        run(solver, _hard(), stoppable=False)
        assert time.monotonic() - t >= 1.4
    assert was_interrupted()


def test_comparing_scenarios_stops_at_ctrl_c(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # A table of scenarios solved for different lengths of time would compare unlike
    # things: the first interrupted solve ends the comparison.
    import pytest

    import scheduler.scenarios as scenarios
    import scheduler.scenarios.sweep as sweep
    from scheduler.model import interrupt
    from tests.tiny import alt, bells, branch, klass, school

    one = branch([school("S")], bells("S"), [klass("S", "1-1", 1)], [alt("A")])
    two = scenarios.with_alt(one, alt("B"))
    solved: list[object] = []

    def solve_then_ctrl_c(inst, weights, params):  # type: ignore[no-untyped-def]
        solved.append(inst)
        with interrupt.watching():
            interrupt._stop()

    monkeypatch.setattr(sweep, "solve", solve_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt) as stopped:
        # One after another in this process, where the patched solve runs.
        scenarios.compare({"base": one, "more ALTs": two}, processes=0)
    assert solved == [one]
    # The table so far comes with the interruption: the second scenario never started.
    table = stopped.value.comparison.table  # type: ignore[attr-defined]
    assert list(table["status"]) == ["CANCELLED", "CANCELLED"]
