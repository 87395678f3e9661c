"""The linear programme of the week bound, solved cold by MathOpt or warm by a HiGHS process.

Column generation adds a few columns per round and solves again. Through OR-Tools' MathOpt
every solve of HiGHS starts from nothing (its ``IncrementalSolver`` takes as long as a fresh
solve after added columns);
:class:`WarmLP` keeps the programme in a ``highspy`` process (:mod:`lp_worker`), where HiGHS
keeps its basis from one round to the next. When that process cannot start or fails, the
programme is replayed into MathOpt and the rounds go on there.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import timedelta
from typing import IO, Any, NamedTuple

import numpy as np
from ortools.math_opt.python import mathopt


class Solved(NamedTuple):
    """An optimal solve: objective, a dual per row, the values of the watched columns."""

    value: float
    duals: np.ndarray
    watched: np.ndarray


@dataclass
class MathOptLP:
    """The programme in a MathOpt model, each solve cold."""

    model: mathopt.Model = field(default_factory=lambda: mathopt.Model(name="weeks"))
    rows: list[mathopt.LinearConstraint] = field(default_factory=list)
    columns: list[mathopt.Variable] = field(default_factory=list)
    failure: str | None = None  # never set: there is nothing to fall back from

    def add_row(self, lower: float, upper: float) -> None:
        """A row ``lower <= a x <= upper``, its coefficients coming with the columns."""
        self.rows.append(self.model.add_linear_constraint(lb=lower, ub=upper))

    def add_column(self, cost: float, entries: dict[int, float]) -> int:
        """A column from 0 to infinity with its row coefficients; its place."""
        var = self.model.add_variable(lb=0.0)
        self.model.objective.set_linear_coefficient(var, cost)
        for row, value in entries.items():
            self.rows[row].set_coefficient(var, value)
        self.columns.append(var)
        return len(self.columns) - 1

    def set_cost(self, column: int, cost: float) -> None:
        """Change a column's cost."""
        self.model.objective.set_linear_coefficient(self.columns[column], cost)

    def set_lower(self, column: int, lower: float) -> None:
        """Change a column's lower bound."""
        self.columns[column].lower_bound = lower

    def solve(self, seconds: float, watch: list[int]) -> Solved | None:
        """The optimum within ``seconds``, or None."""
        params = mathopt.SolveParameters(time_limit=timedelta(seconds=seconds))
        result = mathopt.solve(self.model, mathopt.SolverType.HIGHS, params=params)
        if result.termination.reason != mathopt.TerminationReason.OPTIMAL:
            return None
        return Solved(
            result.objective_value(),
            np.asarray(result.dual_values(self.rows), dtype=float),
            np.asarray(result.variable_values([self.columns[k] for k in watch]), dtype=float),
        )

    def close(self) -> None:
        """Nothing to release."""


class WarmLP:
    """The programme in a HiGHS process of its own (kept basis); MathOpt when that fails.

    Rows and columns are recorded here too, so a failed process costs one cold solve."""

    def __init__(self) -> None:
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.cost: list[float] = []
        self.entries: list[dict[int, float]] = []
        self._sent_rows = self._sent_columns = 0
        self._new_costs: dict[int, float] = {}
        self._lowers: dict[int, float] = {}  # columns whose lower bound is not 0
        self._new_lowers: dict[int, float] = {}
        self._fallback: MathOptLP | None = None
        self.failure: str | None = None  # why the process was given up, if it was
        self._process: subprocess.Popen[bytes] | None = None
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "scheduler.bounds.lp_worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
            answer = self._read()
            if answer[0] != "ready":
                raise RuntimeError(str(answer[1:]))
        except Exception as e:
            self._give_up(e)

    def add_row(self, lower: float, upper: float) -> None:
        """A row ``lower <= a x <= upper``, its coefficients coming with the columns."""
        self.lower.append(lower)
        self.upper.append(upper)
        if self._fallback is not None:
            self._fallback.add_row(lower, upper)

    def add_column(self, cost: float, entries: dict[int, float]) -> int:
        """A column from 0 to infinity with its row coefficients; its place."""
        self.cost.append(cost)
        self.entries.append(entries)
        if self._fallback is not None:
            self._fallback.add_column(cost, entries)
        return len(self.cost) - 1

    def set_cost(self, column: int, cost: float) -> None:
        """Change a column's cost."""
        self.cost[column] = cost
        if self._fallback is not None:
            self._fallback.set_cost(column, cost)
        else:
            self._new_costs[column] = cost

    def set_lower(self, column: int, lower: float) -> None:
        """Change a column's lower bound."""
        self._lowers[column] = lower
        if self._fallback is not None:
            self._fallback.set_lower(column, lower)
        else:
            self._new_lowers[column] = lower

    def solve(self, seconds: float, watch: list[int]) -> Solved | None:
        """The optimum within ``seconds``, or None."""
        if self._fallback is None:
            try:
                self._flush()
                self._write(("solve", seconds, watch))
                answer = self._read()
                if answer[0] != "solved":
                    raise RuntimeError(str(answer[1:]))
                _kind, optimal, value, duals, watched = answer
                return Solved(value, duals, watched) if optimal else None
            except Exception as e:
                self._give_up(e)
        assert self._fallback is not None
        return self._fallback.solve(seconds, watch)

    def close(self) -> None:
        """End the process."""
        process, self._process = self._process, None
        if process is None:
            return
        try:
            if process.stdin:
                process.stdin.close()
            process.wait(timeout=5)
        except Exception:
            process.kill()
            process.wait()

    def _flush(self) -> None:
        if self._sent_rows < len(self.lower):
            lo = np.asarray(self.lower[self._sent_rows :], dtype=float)
            hi = np.asarray(self.upper[self._sent_rows :], dtype=float)
            self._write(("rows", lo, hi))
            self._sent_rows = len(self.lower)
        if self._sent_columns < len(self.cost):
            new = self.entries[self._sent_columns :]
            starts = np.cumsum([0, *(len(e) for e in new[:-1])], dtype=np.int32)
            index = np.fromiter((r for e in new for r in e), dtype=np.int32)
            value = np.fromiter((v for e in new for v in e.values()), dtype=float)
            cost = np.asarray(self.cost[self._sent_columns :], dtype=float)
            self._write(("columns", cost, starts, index, value))
            self._sent_columns = len(self.cost)
        if self._new_costs:
            columns = np.fromiter(self._new_costs, dtype=np.int32)
            cost = np.fromiter(self._new_costs.values(), dtype=float)
            self._write(("costs", columns, cost))
            self._new_costs = {}
        if self._new_lowers:
            columns = np.fromiter(self._new_lowers, dtype=np.int32)
            lower = np.fromiter(self._new_lowers.values(), dtype=float)
            self._write(("lowers", columns, lower))
            self._new_lowers = {}

    def _write(self, message: tuple[Any, ...]) -> None:
        stdin = self._pipe(self._process.stdin if self._process else None)
        pickle.dump(message, stdin, protocol=pickle.HIGHEST_PROTOCOL)
        stdin.flush()

    def _read(self) -> tuple[Any, ...]:
        answer = pickle.load(self._pipe(self._process.stdout if self._process else None))
        if not isinstance(answer, tuple) or not answer:
            raise RuntimeError(f"unexpected answer {answer!r}")
        return answer

    @staticmethod
    def _pipe(pipe: IO[bytes] | None) -> IO[bytes]:
        if pipe is None:
            raise RuntimeError("the HiGHS process is not running")
        return pipe

    def _give_up(self, error: BaseException) -> None:
        """Replay the programme into MathOpt; the process is ended."""
        self.failure = f"{type(error).__name__}: {error}"
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None
        lp = MathOptLP()
        for lower, upper in zip(self.lower, self.upper, strict=True):
            lp.add_row(lower, upper)
        for cost, entries in zip(self.cost, self.entries, strict=True):
            lp.add_column(cost, entries)
        for column, lower in self._lowers.items():
            lp.set_lower(column, lower)
        self._fallback = lp
