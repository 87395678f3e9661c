"""Deterministic mode: the same branch, seed and settings give the same timetable, on the
small path (the master, then region steps) and on the large path (plan, start, region
steps), because every search is limited in work units and one lane runs."""

from __future__ import annotations

import pytest

from scheduler.config import Settings, SolverParams, Weights
from scheduler.generate import generate
from scheduler.instance import Instance
from scheduler.result import Result
from scheduler.solve import solve
from scheduler.validate import check, score

# A short run in work units, and a wall guard far away: on a busy test machine the guard
# must not be what stops the search, or the runs could differ.
SHORT = Settings.default().model_copy(
    update={
        "search": Settings.default().search.model_copy(
            update={"work_per_second": 0.25, "guard_share": 30.0}
        )
    }
)


def _solved(inst: Instance) -> Result:
    weights = Weights.default()
    params = SolverParams.default(time_limit=4.0, workers=2, seed=3, deterministic=True)
    result = solve(inst, weights, params, settings=SHORT)
    assert check(inst, result.assignments) == []
    assert result.objective == score(inst, result.assignments, weights).objective
    assert not any("stopped by the wall clock" in n for n in result.notes)
    return result


@pytest.mark.parametrize(("size", "path"), [(6, "After the master"), (60, "Large branch")])
def test_two_deterministic_runs_give_the_same_timetable(size: int, path: str) -> None:
    inst = generate(size, 1)
    first, second = _solved(inst), _solved(inst)
    assert any(path in n for n in first.notes)  # the path meant was taken
    assert first.lessons == second.lessons
    assert first.objective == second.objective and first.bound == second.bound


def test_deterministic_mode_runs_one_worker() -> None:
    params = SolverParams.default(workers=8, deterministic=True)
    assert params.threads == 1
    assert SolverParams.default(workers=8).threads == 8
