"""Plain-data results: the timetable as lessons, solver statistics and the penalty breakdown."""

from __future__ import annotations

from datetime import time
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from scheduler.instance import DAYS, Day, Instance

if TYPE_CHECKING:
    from scheduler.config import Weights
    from scheduler.io.html import Grid

Status = Literal["OPTIMAL", "FEASIBLE", "INFEASIBLE", "UNKNOWN"]
ASSIGNMENT_COLUMNS = ["alt_id", "school_id", "class", "day", "period", "start", "end"]
# One row of Result.kpis(); the scenario comparison adds its name and an error column.
RESULT_KPI_COLUMNS = [
    "status", "objective", "bound", "gap", "alts", "need", "given", "coverage", "unmet",
    "alts_under_floor", "mean_schools_per_alt", "commute_minutes", "seconds",
]  # fmt: skip


class Lesson(BaseModel):
    """One weekly lesson: an ALT teaches a class in a period on a weekday."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    alt_id: str
    school_id: str
    class_: str = Field(alias="class")
    day: Day
    period: int
    start: time
    end: time

    def sort_key(self) -> tuple[str, int, time, str, str]:
        """Order of assignments.csv: ALT, weekday, start time."""
        return (self.alt_id, DAYS.index(self.day), self.start, self.school_id, self.class_)


def lessons_frame(lessons: list[Lesson]) -> pd.DataFrame:
    """The contract's assignments table (times as HH:MM strings), sorted by ALT, day, time."""
    rows = [
        {
            "alt_id": ls.alt_id,
            "school_id": ls.school_id,
            "class": ls.class_,
            "day": ls.day,
            "period": ls.period,
            "start": f"{ls.start:%H:%M}",
            "end": f"{ls.end:%H:%M}",
        }
        for ls in sorted(lessons, key=Lesson.sort_key)
    ]
    return pd.DataFrame(rows, columns=ASSIGNMENT_COLUMNS)


class Result(BaseModel):
    """What a solve returns: status, statistics and the timetable; no solver objects."""

    model_config = ConfigDict(frozen=True)

    status: Status
    method: str = "cpsat"
    objective: int | None = None
    bound: float | None = None
    seconds: float = 0.0
    lessons: tuple[Lesson, ...] = ()
    penalties: dict[str, int] = Field(default_factory=dict)
    weights: dict[str, int] = Field(default_factory=dict)  # the weights the solve minimised
    notes: tuple[str, ...] = ()
    # Most lessons any timetable can give, when the caller computed a coverage bound
    # (scheduler.bounds.coverage.best_bound); report.json says it in words.
    most_lessons: int | None = None
    progress: tuple[tuple[float, float, float], ...] = ()  # (seconds, objective, bound)
    # With a previous timetable: what was kept and changed (scheduler.replan.previous.summary).
    replan: dict[str, Any] | None = None

    @property
    def gap(self) -> float | None:
        """Relative gap (objective − bound) / objective; 0 when both are 0."""
        if self.objective is None or self.bound is None:
            return None
        if self.objective == 0:
            return 0.0
        return max(0.0, (self.objective - self.bound) / abs(self.objective))

    @property
    def assignments(self) -> pd.DataFrame:
        """The assignments table of the output contract."""
        return lessons_frame(list(self.lessons))

    # ---- notebook views ------------------------------------------------------------------
    # The instance a result was solved for, kept beside the data (never dumped or sent to a
    # worker): scheduler.api.solve and the scenario comparison set it, so a notebook can ask
    # result.kpis() without passing the branch again.
    _instance: Instance | None = PrivateAttr(default=None)

    def for_instance(self, instance: Instance) -> Result:
        """A copy of this result that remembers ``instance`` for :meth:`kpis` and the grids."""
        copy = self.model_copy()
        copy._instance = instance
        return copy

    def instance_or(self, instance: Instance | None = None) -> Instance:
        """``instance`` if given, else the one this result was solved for.

        Raises
        ------
        ValueError
            When neither is known (a result read back from JSON, or made by
            :func:`scheduler.solve.solve` directly): pass the instance, or use
            :meth:`for_instance`.
        """
        chosen = instance if instance is not None else self._instance
        if chosen is None:
            raise ValueError(
                "this result does not know its instance: pass it, e.g. result.kpis(instance), "
                "or bind it once with result = result.for_instance(instance)"
            )
        return chosen

    def kpis(
        self, instance: Instance | None = None, weights: Weights | None = None
    ) -> pd.DataFrame:
        """The result's KPIs as one row, recomputed from the timetable by the validator.

        Parameters
        ----------
        instance
            The branch; by default the one the result was solved for.
        weights
            Weights for the validator's score; by default those the solve minimised.

        Returns
        -------
        pandas.DataFrame
            One row with the columns of :data:`RESULT_KPI_COLUMNS`: solver status,
            objective, bound and gap; the ALTs, lessons needed and given, coverage (given /
            need), unmet lessons, ALTs under their floor, mean schools per ALT, commute
            minutes a week and the solve's seconds.
        """
        from scheduler.config import Weights
        from scheduler.validate import score

        inst = self.instance_or(instance)
        if weights is None:
            complete = set(self.weights) == set(Weights.model_fields)
            weights = Weights.model_validate(self.weights) if complete else Weights.default()
        scored = score(inst, self.assignments, weights)
        per_alt, coverage = scored.per_alt, scored.kpis["coverage"]
        row = {
            "status": self.status,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "alts": len(inst.alts),
            "need": coverage["need"],
            "given": coverage["given"],
            "coverage": coverage["given"] / coverage["need"] if coverage["need"] else 1.0,
            "unmet": scored.terms["unmet_lesson"],
            "alts_under_floor": int((per_alt["load"] < per_alt["floor"]).sum()),
            "mean_schools_per_alt": float(per_alt["schools"].mean()) if len(per_alt) else 0.0,
            "commute_minutes": scored.terms["commute_minute"],
            "seconds": self.seconds,
        }
        return pd.DataFrame([row], columns=RESULT_KPI_COLUMNS)

    def timetable(self, alt_id: str, instance: Instance | None = None) -> pd.DataFrame:
        """One ALT's week: a row per time slot they teach in, columns ``Mon``..``Fri``.

        The same grid as ``timetables/<alt_id>.csv`` (:func:`scheduler.io.write.alt_grid`):
        the index is the slot (``08:45-09:30``; bells differ between schools), a cell reads
        ``1-1 Sakura ES``, two lessons in one cell are joined with ``; ``, empty cells are
        ``""``.
        """
        from scheduler.io.write import alt_grid

        inst = self.instance_or(instance)
        if alt_id not in inst.alt_by_id:
            raise KeyError(f"no ALT {alt_id!r} in the branch")
        return _grid_frame(alt_grid(inst, list(self.lessons), alt_id))

    def school_timetable(self, school_id: str, instance: Instance | None = None) -> pd.DataFrame:
        """One school's week: a row per period (index ``period``, ``time``), ``Mon``..``Fri``.

        The same grid as ``timetables/school-<school_id>.csv``: a cell reads ``1-1 Anna
        Smith`` (class and ALT name); a period rung at different times on different days
        lists each time, separated by `` / ``.
        """
        from scheduler.io.write import school_grid

        inst = self.instance_or(instance)
        if school_id not in inst.school_by_id:
            raise KeyError(f"no school {school_id!r} in the branch")
        frame = _grid_frame(school_grid(inst, list(self.lessons), school_id))
        # Period numbers as numbers, so frame.loc[3] finds period 3.
        frame.index = pd.MultiIndex.from_tuples(
            [(int(p), t) for p, t in frame.index], names=["period", "time"]
        )
        return frame

    def _repr_html_(self) -> str:
        from scheduler.notebook import facts_html, number, percent

        facts: list[tuple[str, object]] = [
            ("status", self.status),
            ("method", self.method),
            ("objective", number(self.objective)),
            ("bound", number(self.bound, 1)),
            ("gap", percent(self.gap)),
            ("seconds", number(self.seconds, 1)),
            ("lessons a week", number(len(self.lessons))),
        ]
        if self._instance is not None and self.status in ("OPTIMAL", "FEASIBLE"):
            k = self.kpis().iloc[0]
            facts += [
                ("coverage", f"{k['given']:,} of {k['need']:,} ({percent(k['coverage'])})"),
                ("ALTs under floor", number(int(k["alts_under_floor"]))),
                ("schools per ALT", number(float(k["mean_schools_per_alt"]), 2)),
                ("commute minutes a week", number(int(k["commute_minutes"]))),
            ]
        return facts_html("Result", facts, "; ".join(self.notes))


def _grid_frame(grid: Grid) -> pd.DataFrame:
    # The cells of grid_csv (the CSV and HTML timetables), as a frame indexed by the labels.
    rows = [
        [*labels, *("; ".join(e.text for e in cell) for cell in row)]
        for labels, row in zip(grid.labels, grid.cells, strict=True)
    ]
    frame = pd.DataFrame(rows, columns=[*grid.label_columns, *DAYS], dtype=object)
    return frame.set_index(list(grid.label_columns))
