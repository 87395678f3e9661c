"""Deterministic mode: the same branch, seed and settings give the same timetable, on the
small path (the master, then region steps) and on the large path (plan, start, region
steps), because every search is limited in work units, one lane runs and nothing depends
on the order of a set (which changes between processes: the second run is another
process, with another hash seed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scheduler.config import Settings, SolverParams, Weights
from scheduler.generate import generate
from scheduler.instance import Instance
from scheduler.result import Result
from scheduler.solve import solve
from scheduler.validate import check, score

ROOT = Path(__file__).resolve().parents[2]

# A short run in work units, and a wall guard far away: on a busy test machine the guard
# must not be what stops the search, or the runs could differ.
SHORT = Settings.default().model_copy(
    update={
        "search": Settings.default().search.model_copy(
            update={"work_per_second": 0.25, "guard_share": 30.0}
        )
    }
)
LIMIT = 6.0


def _solved(inst: Instance) -> Result:
    weights = Weights.default()
    params = SolverParams.default(time_limit=LIMIT, workers=2, seed=3, deterministic=True)
    result = solve(inst, weights, params, settings=SHORT)
    assert check(inst, result.assignments) == []
    assert result.objective == score(inst, result.assignments, weights).objective
    assert not any("stopped by the wall clock" in n for n in result.notes)
    return result


def _lessons(result: Result) -> list[list[object]]:
    return [list(ls.model_dump(mode="json").values()) for ls in result.lessons]


def main(size: int) -> None:
    """The second run, in a child process: its lessons as JSON on stdout."""
    print(json.dumps(_lessons(_solved(generate(size, 1)))))


@pytest.mark.parametrize(("size", "path"), [(6, "After the master"), (60, "Large branch")])
def test_two_deterministic_runs_give_the_same_timetable(size: int, path: str) -> None:
    first = _solved(generate(size, 1))
    assert any(path in n for n in first.notes)  # the path meant was taken
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT)}
    code = f"import sys; sys.path.insert(0, {str(ROOT)!r}); "
    code += f"import tests.search.test_deterministic as t; t.main({size})"
    child = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert json.loads(child.stdout.splitlines()[-1]) == _lessons(first)


def test_deterministic_mode_runs_one_worker() -> None:
    params = SolverParams.default(workers=8, deterministic=True)
    assert params.threads == 1
    assert SolverParams.default(workers=8).threads == 8


def test_the_command_line_solves_deterministically(tmp_path: Path) -> None:
    out = tmp_path / "out"
    tiny = ROOT / "instances" / "tiny-floor"
    cmd = [sys.executable, "-m", "scheduler.cli", "solve", str(tiny), "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [*cmd, "--deterministic", "--time-limit", "5"], capture_output=True, text=True, env=env
    )
    assert run.returncode == 0, run.stderr
    checked = subprocess.run(
        [sys.executable, "-m", "scheduler.cli", "check", str(tiny), str(out)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert checked.returncode == 0, checked.stdout
