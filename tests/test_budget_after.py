"""The time limit covers the work after the search: the reasons of unmet.csv and report.json
and the coverage bound in words get what the limit leaves, and say so when it is spent."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import scheduler.cli as cli
from scheduler.bounds.coverage import best_bound, visit_coverage_bound
from scheduler.bounds.flow import VisitIndex, coverage_bound
from scheduler.budget import Budget, checking_reserve, explaining_share
from scheduler.config import Weights
from scheduler.explain.timetable import NOT_EXAMINED, written_reasons
from scheduler.generate import generate
from scheduler.io.read import load_instance
from scheduler.io.tables import write_instance
from scheduler.model.data import prepare
from scheduler.result import lessons_frame
from scheduler.search.greedy import greedy
from scheduler.validate import check, read_assignments, score


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_reserve_holds_the_explaining_jobs_and_left_keeps_back_the_writing() -> None:
    clock = FakeClock()
    budget = Budget(30.0, 5.0, started=clock.now, clock=clock, writing=3.0, spare=2.0)
    assert budget.reserve == pytest.approx(5.0 * budget.factor + 2.0)
    assert budget.search_deadline == pytest.approx(130.0 - budget.reserve)
    clock.now = budget.search_deadline
    # What the limit leaves between the search and the writing: the checking part and spare.
    assert budget.left() == pytest.approx((5.0 - 3.0) * budget.factor + 2.0)
    clock.now = 200.0
    assert budget.left() < 0
    # Without ``writing`` all of ``after`` is the writing's, as before.
    assert Budget(30.0, 5.0, clock=clock).writing == 5.0


def test_the_shares_grow_with_size_and_limit_within_bounds() -> None:
    small, large = generate(10, 1), generate(40, 1)
    assert 0 < checking_reserve(small) < checking_reserve(large)
    assert explaining_share(10.0) < explaining_share(30.0) <= explaining_share(1000.0)
    assert explaining_share(1000.0) <= 6.0


def test_reasons_with_no_time_left_are_not_examined_and_say_so() -> None:
    inst = generate(20, 3, shortage=0.1)
    prep = prepare(inst)
    lessons = greedy(prep)
    frame = lessons_frame(lessons)
    assert check(inst, frame) == []
    unmet = score(inst, frame, Weights.default()).unmet
    short = unmet.loc[unmet["missing"] > 0]
    assert len(short) > 0
    out, floors = written_reasons(inst, lessons, short, seconds=0.0)
    assert list(out["reason"]) == [NOT_EXAMINED] * len(short)
    assert all(text == NOT_EXAMINED for text in floors.values())
    # With time, the counting checks speak.
    out, _ = written_reasons(inst, lessons, short, seconds=2.0)
    assert NOT_EXAMINED not in set(out["reason"])


def test_the_visit_bound_out_of_time_falls_back_to_the_flow_bound() -> None:
    inst = generate(20, 3, shortage=0.1)
    prep = prepare(inst)
    flow = coverage_bound(prep, VisitIndex.of(prep))
    assert visit_coverage_bound(prep, time_limit=0.0) == flow
    assert best_bound(prep, inst.need(), -1.0) == flow
    assert visit_coverage_bound(prep, time_limit=30.0) <= flow


def test_a_short_handed_solve_with_its_reasons_and_bound_stays_within_its_limit(
    tmp_path: Path,
) -> None:
    # 120 ALTs short of 5 %: the reasons and the visit LP have work; before they were
    # budgeted, this took 2-4 s past its 8 s limit.
    branch = tmp_path / "branch"
    branch.mkdir()
    write_instance(generate(120, 1, shortage=0.05), branch)
    out = tmp_path / "out"
    limit = 8.0
    args = ["solve", str(branch), "--out", str(out), "--time-limit", f"{limit:g}"]
    done = CliRunner().invoke(cli.app, args)
    assert done.exit_code == 0, done.output
    took = re.search(r"Took ([\d.]+) s of the 8 s limit", " ".join(done.output.split()))
    assert took is not None, done.output
    assert float(took.group(1)) <= limit + 0.5
    inst, _ = load_instance(branch)
    assert check(inst, read_assignments(out / "assignments.csv")) == []
    reasons = pd.read_csv(out / "unmet.csv")["reason"]
    assert len(reasons) > 0 and reasons.notna().all()
