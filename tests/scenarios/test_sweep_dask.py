"""Sweeps: one after another, in worker processes and on a Dask LocalCluster, the same table.

The branch is tiny and solved to OPTIMAL in about a second with one CP-SAT worker and a fixed
seed: under a time limit a search that is stopped by the clock is not repeatable, a search
that proves its optimum is (the same timetable every run), so the three ways of running must
give the same KPIs.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator

import pandas as pd
import pytest
from distributed import Client, LocalCluster

from scheduler import scenarios as sc
from scheduler.instance import Instance
from scheduler.io.read import load_instance
from scheduler.scenarios.progress import Estimate, Ticker, clock
from scheduler.scenarios.sweep import threads_by_host
from scheduler.validate import check
from tests.tiny import alt, bells, branch, klass, school

SOLVE = {"time_limit": 5, "seed": 3, "cpsat_workers": 1, "progress": False}
# Every column but the solve's own seconds must agree between the ways of running.
SAME = [c for c in sc.KPI_COLUMNS if c != "seconds"]


def _branch() -> Instance:
    # Two schools 2 km apart, two ALTs: 7 lessons, all given; OPTIMAL well within a second.
    return branch(
        [school("S"), school("T", north_km=2)],
        bells("S") + bells("T"),
        [klass("S", "3-1", 2), klass("S", "4-1", 2), klass("T", "5-1", 2), klass("T", "6-1", 1)],
        [alt("A"), alt("B", north_km=2)],
    )


def _variants() -> dict[str, object]:
    base = _branch()
    # Built past the checks (a class of a school that does not exist): it fails in the worker.
    broken = base.model_copy(update={"classes": (*base.classes, klass("X", "1-1", 1))})
    return {
        "today": base,
        "broken": broken,
        "T closes": sc.close_schools(base, "T"),
        "not a branch": "nope",  # fails before it is sent
        "one fewer": sc.remove_alts(base, ["B"]),
    }


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    """A LocalCluster of two single-threaded worker processes, as a planner's laptop runs."""
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def one_after_another() -> sc.Comparison:
    """The variants solved one after another in this process: the reference."""
    return sc.compare(_variants(), processes=0, **SOLVE)  # type: ignore[arg-type]


def _checked(comparison: sc.Comparison) -> pd.DataFrame:
    variants = _variants()
    for name, result in comparison.results.items():
        assert check(variants[name], result.assignments) == []  # type: ignore[arg-type]
        assert (
            result.kpis().iloc[0]["given"]
            == comparison.table.set_index("scenario").loc[name, "given"]
        )
    return comparison.table[SAME]


def test_one_after_another_keeps_order_and_reports_errors(
    one_after_another: sc.Comparison,
) -> None:
    table = _checked(one_after_another)
    assert list(table["scenario"]) == list(_variants())
    assert list(table["status"]) == ["OPTIMAL", "ERROR", "OPTIMAL", "ERROR", "OPTIMAL"]
    errors = one_after_another.errors.set_index("scenario")["error"]
    assert errors["broken"].startswith("InstanceError: classes.csv row 6, column school_id")
    assert errors["not a branch"] == "TypeError: a scenario must be a branch (Instance), not str"
    assert list(table["given"].iloc[[0, 2, 4]]) == [7, 4, 7]
    assert set(one_after_another.results) == {"today", "T closes", "one fewer"}


def test_worker_processes_give_the_same_table(one_after_another: sc.Comparison) -> None:
    finished: list[str] = []
    real = Ticker.tick

    def tick(self: Ticker, name: str) -> None:
        finished.append(name)
        real(self, name)

    children = set(multiprocessing.active_children())  # a Dask cluster may be up
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Ticker, "tick", tick)
        pooled = sc.compare(_variants(), processes=2, **SOLVE)  # type: ignore[arg-type]
    # Tasks finished in another order than given (the error rows first) ...
    assert finished != list(_variants()) and finished[0] == "not a branch"
    # ... and the table is in the given order, equal to the one solved in this process.
    pd.testing.assert_frame_equal(_checked(pooled), _checked(one_after_another))
    assert set(multiprocessing.active_children()) <= children  # the pool is gone


def test_a_dask_cluster_gives_the_same_table(
    client: Client, one_after_another: sc.Comparison
) -> None:
    assert threads_by_host(client) == {"127.0.0.1": 2}
    on_cluster = sc.compare(_variants(), client=client, **SOLVE)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(_checked(on_cluster), _checked(one_after_another))
    # The same through a scheduler address, and with Scenario objects carrying weights.
    address = client.scheduler.address
    chosen = [sc.Scenario("today", _branch()).with_weights(commute_minute=5)]
    again = sc.compare(chosen, client=address, **SOLVE)  # type: ignore[arg-type]
    assert again.results["today"].weights["commute_minute"] == 5
    assert again.table.loc[0, "status"] == "OPTIMAL"


def test_ctrl_c_cancels_pending_scenarios_and_stops_running_ones() -> None:
    # The stop button of a notebook signals only the kernel, not the workers: the sweep
    # must stop them itself. Four demo solves of 60 s each would take two minutes.
    demo, _ = load_instance(
        os.path.join(os.path.dirname(__file__), "..", "..", "instances", "demo")
    )
    variants = {f"demo {k}": demo for k in range(4)}
    children = set(multiprocessing.active_children())
    timer = threading.Timer(5.0, os.kill, (os.getpid(), signal.SIGINT))
    t0 = time.monotonic()
    timer.start()
    try:
        with pytest.raises(sc.SweepInterrupted) as stopped:
            sc.compare(variants, processes=2, time_limit=60, cpsat_workers=1, progress=False)
    finally:
        timer.cancel()  # never a stray Ctrl-C for pytest itself
    assert time.monotonic() - t0 < 20
    assert list(stopped.value.comparison.table["status"]) == ["CANCELLED"] * 4
    assert set(multiprocessing.active_children()) <= children


def test_ctrl_c_on_a_cluster_cancels_the_pending_scenarios(client: Client) -> None:
    # Dask cannot stop a running function: the running ones finish on their workers, the
    # pending one never starts, and the call returns at once with nothing compared.
    demo, _ = load_instance(
        os.path.join(os.path.dirname(__file__), "..", "..", "instances", "demo")
    )
    variants = {f"demo {k}": demo for k in range(3)}
    timer = threading.Timer(3.0, os.kill, (os.getpid(), signal.SIGINT))
    t0 = time.monotonic()
    timer.start()
    try:
        with pytest.raises(sc.SweepInterrupted) as stopped:
            sc.compare(variants, client=client, time_limit=30, cpsat_workers=1, progress=False)
    finally:
        timer.cancel()
    assert time.monotonic() - t0 < 10
    assert list(stopped.value.comparison.table["status"]) == ["CANCELLED"] * 3
    client.restart()  # end the two solves still running, for whoever uses the cluster next


def test_progress_estimates_time_left(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    e = Estimate(total=8, slots=2, seconds_each=20)
    assert e.left() == 80  # before any finishes: 4 rounds of 20 s
    now[0] = 130.0
    e.tick()  # one done after 30 s: 8 take 240 s, 210 s left
    assert e.left() == 210
    now[0] = 140.0
    assert e.left() == 200  # counting down between ticks
    assert clock(200) == "3:20" and clock(3725) == "1:02:05"


def test_progress_draws_nothing_where_nobody_watches(capsys: pytest.CaptureFixture[str]) -> None:
    ticker = Ticker(total=2, slots=1, seconds_each=1)
    ticker.tick("a")
    ticker.close()
    assert capsys.readouterr() == ("", "")
    assert '<progress value="1" max="2"' in ticker._line() and "last: a" in ticker._line()
