"""The time limit bounds the whole command: the budget's arithmetic on a fake clock, and the
solve given a budget (tiny branches; every timetable checked by the validator)."""

from __future__ import annotations

import re
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import scheduler.cli as cli
import scheduler.search.large as large_module
import scheduler.solve as solve_module
from scheduler.budget import (
    SAFETY,
    WRITE_FIXED,
    Budget,
    process_started,
    term_weekdays,
    writing_reserve,
)
from scheduler.config import Settings, SolverParams, Weights
from scheduler.instance import Instance
from scheduler.io.read import load_instance
from scheduler.result import Result
from scheduler.search.small import SmallSearch
from scheduler.validate import check, read_assignments, score
from tests.tiny import alt, bells, branch, klass, school

# Every branch takes the large path.
LARGE = Settings.default().model_copy(
    update={"search": Settings.default().search.model_copy(update={"large_branch_visits": 0})}
)


class FakeClock:
    """A clock that moves only when told."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_the_search_gets_the_limit_less_the_time_spent_and_the_reserve() -> None:
    clock = FakeClock()
    # The command started 2 s ago (imports, reading the branch); 30 s limit, 5 s to write on
    # an idle machine, 6 s kept (SAFETY) until the machine is measured.
    budget = Budget(30.0, 5.0, started=clock.now - 2.0, clock=clock)
    assert budget.reserve == pytest.approx(5.0 * SAFETY) == pytest.approx(6.0)
    assert budget.deadline == clock.now + 28.0
    assert budget.search_deadline == pytest.approx(clock.now + 22.0)
    assert budget.search_seconds() == pytest.approx(22.0)
    clock.now += 22.5  # preparation and search ran past the search's deadline
    assert budget.search_seconds() == pytest.approx(-0.5)
    assert budget.elapsed() == 24.5


def test_without_a_start_the_budget_starts_now() -> None:
    clock = FakeClock()
    budget = Budget(10.0, clock=clock)
    assert budget.started == clock.now and budget.search_deadline == clock.now + 10.0


def test_stages_split_the_time_from_the_start() -> None:
    clock = FakeClock()
    budget = Budget(10.0, started=clock.now - 1.5, clock=clock)
    budget.mark("start")
    clock.now += 2.0
    budget.mark("prepare")
    clock.now += 6.0
    budget.mark("search")
    assert budget.split() == [("start", 1.5), ("prepare", 2.0), ("search", 6.0)]


@pytest.mark.parametrize(
    ("wall", "cpu", "reserve"),
    [
        (2.0, 2.0, 6.0),  # an idle machine: one CPU second per second, the SAFETY margin
        (2.2, 2.0, 6.0),  # a little busy: the margin covers it
        (6.0, 2.0, 15.0),  # a third of a core: writing will be three times slower too
        (2.0, 3.0, 6.0),  # more CPU than wall time (threads): never below the margin
        (50.0, 2.0, 20.0),  # a machine 25 times too busy: at most MAX_SLOWDOWN (4) times
        (2.0, 0.0, 6.0),  # no CPU time measured: the margin
    ],
)
def test_a_busy_machine_keeps_a_larger_reserve(wall: float, cpu: float, reserve: float) -> None:
    # 5 s after the search on an idle machine.
    clock, cpu_clock = FakeClock(), FakeClock(7.0)
    budget = Budget(30.0, 5.0, clock=clock, cpu=cpu_clock)
    clock.now += wall
    cpu_clock.now += cpu
    budget.rescale()
    assert budget.reserve == pytest.approx(reserve)
    assert budget.search_deadline == pytest.approx(budget.started + 30.0 - reserve)


def test_a_budget_from_the_process_start_counts_its_cpu_time_from_zero() -> None:
    budget = Budget(30.0, 5.0, started=process_started())
    assert budget.cpu_started == 0.0 and budget.started <= time.monotonic()
    # This process has used CPU time: the slowdown is measured, and at least one.
    assert budget.slowdown() >= 1.0


@pytest.mark.parametrize(
    ("start", "end", "weekdays"),
    [
        (date(2025, 4, 28), date(2025, 5, 2), 5),  # Monday to Friday
        (date(2025, 4, 28), date(2025, 5, 4), 5),  # a whole week: the weekend adds nothing
        (date(2025, 5, 3), date(2025, 5, 4), 0),  # a weekend only
        (date(2025, 5, 2), date(2025, 5, 5), 2),  # Friday to Monday
        (date(2025, 4, 30), date(2025, 4, 30), 1),  # one Wednesday
        (date(2027, 1, 8), date(2027, 3, 19), 51),  # the generator's term (Fri to Fri)
        (date(2025, 5, 2), date(2025, 5, 1), 0),  # ends before it starts
        (None, date(2025, 5, 1), 0),  # no term
        (date(2025, 5, 1), None, 0),  # no end
    ],
)
def test_term_weekdays(start: date | None, end: date | None, weekdays: int) -> None:
    assert term_weekdays(start, end) == weekdays


def _branch(classes: int, **settings: Any) -> Instance:
    """One school with ``classes`` classes of two lessons, two ALTs."""
    return branch(
        [school("S1")],
        bells("S1"),
        [klass("S1", f"1-{i}", 2) for i in range(1, classes + 1)],
        [alt("A"), alt("B")],
        **settings,
    )


def test_the_reserve_grows_with_the_lessons_and_the_term() -> None:
    small, large = _branch(2), _branch(20)
    term = {"term_start": date(2025, 4, 7), "term_end": date(2025, 7, 18)}
    # Without a term: a fixed part and a part per weekly lesson (4 and 40 lessons here).
    per_lesson = (writing_reserve(large) - WRITE_FIXED) / 40
    assert per_lesson > 0
    assert writing_reserve(small) == pytest.approx(WRITE_FIXED + 4 * per_lesson)
    # Feeds: a term adds its dated lessons, more for a longer term.
    assert writing_reserve(_branch(20, **term)) > writing_reserve(large)
    longer = {**term, "term_end": date(2025, 12, 19)}
    assert writing_reserve(_branch(20, **longer)) > writing_reserve(_branch(20, **term))


def test_the_process_started_before_now() -> None:
    now = time.monotonic()
    started = process_started()
    # This test process has run for a while, but not longer than the machine has.
    assert started <= now
    assert now - started < time.clock_gettime(time.CLOCK_BOOTTIME) + 1


def _solve(
    inst: Instance, budget: Budget, limit: float = 5.0, settings: Settings | None = None
) -> Result:
    """Solve with a budget and check what every solve in the tests must show."""
    weights = Weights.default()
    params = SolverParams.default(time_limit=limit, workers=1, seed=0)
    result = solve_module.solve(inst, weights, params, budget=budget, settings=settings)
    assert check(inst, result.assignments) == []
    assert result.objective == score(inst, result.assignments, weights).objective
    return result


def test_a_command_out_of_time_before_the_search_returns_the_greedy_start() -> None:
    # The command started 100 s ago against a 30 s limit (a slow disk, a huge branch): the
    # greedy timetable comes back at once, said so, with no search (no progress at all).
    inst = _branch(3)
    budget = Budget(30.0, 2.0, started=time.monotonic() - 100.0)
    result = _solve(inst, budget, limit=30.0)
    assert result.progress == ()
    assert len(result.lessons) == 6  # two ALTs cover three classes' two lessons each
    [note] = [n for n in result.notes if "left no time for a search" in n]
    assert "of the 30 s limit, " in note and "s of it kept for the outputs" in note
    assert [stage for stage, _ in budget.split()] == ["prepare", "result"]


def test_the_search_gets_what_the_budget_leaves(monkeypatch: pytest.MonkeyPatch) -> None:
    # 5 s limit, at least 3 s of it reserved (2.5 s x SAFETY) and 1 s already spent before
    # the solve: the search's own limit is what is left, at most 1 s, not the 5 s given.
    given: list[float] = []
    real = SmallSearch.run

    def spy(self: SmallSearch) -> Result:
        given.append(self.job.params.time_limit)
        return real(self)

    monkeypatch.setattr(SmallSearch, "run", spy)
    budget = Budget(5.0, 2.5, started=time.monotonic() - 1.0)
    _solve(_branch(3), budget)
    [limit] = given
    assert 0 < limit <= 1.0
    assert [stage for stage, _ in budget.split()] == ["prepare", "search", "result"]


@pytest.mark.parametrize(
    ("slow_step", "planned"),
    [
        ("objective_lower_bound", False),  # the cheap bound outlasts the limit: no plan made
        ("flow_week", True),  # the plan outlasts it: the search is skipped
    ],
)
def test_the_large_path_skips_what_the_time_no_longer_allows(
    monkeypatch: pytest.MonkeyPatch, slow_step: str, planned: bool
) -> None:
    # The large path's bounds and plan come out of the limit too: a step that outlasts it
    # (slow here on purpose) leaves the best start so far, at once, with the cheap bound.
    real = getattr(large_module, slow_step)
    plans: list[int] = []

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(1.2)
        return real(*args, **kwargs)

    def counted(*args: Any, **kwargs: Any) -> Any:
        plans.append(1)
        return real_plan(*args, **kwargs)

    monkeypatch.setattr(large_module, slow_step, slow)
    real_plan = large_module.flow_week
    monkeypatch.setattr(large_module, "flow_week", counted)
    budget = Budget(1.0)
    result = _solve(_branch(3), budget, limit=1.0, settings=LARGE)
    assert result.progress == ()
    assert result.bound is not None
    assert bool(plans) is planned
    assert any("left no time for a search" in n for n in result.notes)
    assert not any("after its deadline" in n for n in result.notes)  # said once, not twice
    assert [stage for stage, _ in budget.split()] == ["prepare", "plan", "search", "result"]


@pytest.mark.parametrize(
    ("limit", "planned"),
    [
        (1.0, False),  # 0.3 s to prepare, ~0.7 s left: less than three times that, no plan
        (2.5, True),  # ~2.2 s left: the bounds and the plan are made, then the search
    ],
)
def test_the_large_path_plans_only_when_the_plan_fits(
    monkeypatch: pytest.MonkeyPatch, limit: float, planned: bool
) -> None:
    # The bounds and the plan take about plan_per_prepare (3) times what preparing took.
    real_prepare, real_bound = solve_module.prepare, large_module.objective_lower_bound
    bounds: list[int] = []

    def slow(*args: Any) -> Any:
        time.sleep(0.3)
        return real_prepare(*args)

    def counted(*args: Any) -> Any:
        bounds.append(1)
        return real_bound(*args)

    monkeypatch.setattr(solve_module, "prepare", slow)
    monkeypatch.setattr(large_module, "objective_lower_bound", counted)
    result = _solve(_branch(3), Budget(limit), limit=limit, settings=LARGE)
    assert bool(bounds) is planned
    assert any("left no time for a search" in n for n in result.notes) is not planned


def test_a_search_that_runs_past_its_deadline_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    # A step that cannot be cut short (here: a search that sleeps) ends 1.5 s late.
    real = SmallSearch.run

    def late(self: SmallSearch) -> Result:
        result = real(self)
        time.sleep(max(0.0, self.job.budget.search_deadline + 1.5 - time.monotonic()))
        return result

    monkeypatch.setattr(SmallSearch, "run", late)
    result = _solve(_branch(3), Budget(1.0), limit=1.0)
    assert any("after its deadline (1 s limit)" in n for n in result.notes)


def test_the_summary_says_where_the_time_went() -> None:
    clock = FakeClock()
    budget = Budget(30.0, started=clock.now - 1.94, clock=clock)
    budget.mark("start")
    clock.now += 29.0
    budget.mark("search")
    assert budget.summary() == "Took 30.9 s of the 30 s limit: start 1.9 s, search 29.0 s."
    kept = Budget(30.0, 5.0, started=clock.now - 1.0, clock=clock)
    assert kept.summary() == "Took 1.0 s of the 30 s limit (6.0 s kept after the search): ."


# The command line, run as the process (main(), the console script) and inside another process
# (typer's runner, as tests and scripts do): only the first counts from the process's start.
TINY = Path(__file__).resolve().parent.parent / "instances" / "tiny-floor"


def _long_running_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process started 1,000 s ago, long before any limit."""
    import scheduler.budget as budget_module

    monkeypatch.setattr(budget_module, "process_started", lambda: time.monotonic() - 1000.0)


def test_the_command_as_the_process_counts_from_the_process_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _long_running_process(monkeypatch)
    out = tmp_path / "out"
    monkeypatch.setattr(sys, "argv", ["altsched", "solve", str(TINY), "--out", str(out),
                                      "--time-limit", "5", "--workers", "1"])  # fmt: skip
    with pytest.raises(SystemExit) as ended:
        cli.main()
    assert ended.value.code in (0, None)
    printed = " ".join(capsys.readouterr().out.split())
    assert "left no time for a search" in printed
    assert re.search(r"Took 10\d\d\.\d s of the 5 s limit", printed)
    inst, _ = load_instance(TINY)
    assert check(inst, read_assignments(out / "assignments.csv")) == []


def test_the_command_inside_another_process_counts_from_its_own_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _long_running_process(monkeypatch)
    out = tmp_path / "out"
    args = ["solve", str(TINY), "--out", str(out), "--time-limit", "2", "--workers", "1"]
    done = CliRunner().invoke(cli.app, args)
    assert done.exit_code == 0, done.output
    printed = " ".join(done.output.split())
    assert "left no time for a search" not in printed
    assert re.search(r"Took [0-3]\.\d s of the 2 s limit", printed)
    inst, _ = load_instance(TINY)
    assert check(inst, read_assignments(out / "assignments.csv")) == []
