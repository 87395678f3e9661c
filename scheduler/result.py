"""Plain-data results: the timetable as lessons, solver statistics and the penalty breakdown."""

from __future__ import annotations

from datetime import time
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from scheduler.instance import DAYS, Day

Status = Literal["OPTIMAL", "FEASIBLE", "INFEASIBLE", "UNKNOWN"]
ASSIGNMENT_COLUMNS = ["alt_id", "school_id", "class", "day", "period", "start", "end"]


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
    progress: tuple[tuple[float, float, float], ...] = ()  # (seconds, objective, bound)

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
