"""Typed objective weights and solver parameters, with defaults in ``defaults.toml``."""

from __future__ import annotations

import os
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from scheduler.errors import InputIssue, InstanceError


def _defaults() -> dict[str, Any]:
    text = resources.files("scheduler").joinpath("defaults.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


# A weight times a term (at most some 10^6 lessons or minutes a week) stays far inside the
# solver's 64-bit integers; a slip of twenty digits is an error naming the key instead.
MAX_WEIGHT = 10**9
# CP-SAT's random seed is a 32-bit signed integer.
MAX_SEED = 2**31 - 1
MAX_WORKERS = 256
# A day: a longer search is a slip (or "inf"), and a deadline that far out is never reached.
MAX_TIME_LIMIT = 86_400.0

# Limits on every file a user gives or edits (docs/input.md, "Limits"), checked before a
# file is parsed whole, so a runaway file (a 50 MB classes.csv, a zip bomb saved as .xlsx) is
# an input error within a second instead of minutes and gigabytes. Each is far above real
# data: generate(250 ALTs), the largest benchmark branch, has 5,010 classes in a 114 KB
# classes.csv and 6,000 lessons a week.
MAX_FILE_BYTES = 20_000_000  # one file: a CSV table, workbook, YAML/JSON, TOML, report.json
MAX_UNZIPPED_BYTES = 50_000_000  # everything inside an .xlsx workbook (a zip), unpacked
MAX_ROWS = 20_000  # the last row number of a table that holds a value (header = row 1)
MAX_ASSIGNMENT_ROWS = 100_000  # assignments.csv: 4,000 ALTs at 25 lessons a week
MAX_COLUMNS = 100  # cells in one row (the widest table has 9 columns)
MAX_CELL_CHARS = 4_000  # characters in one cell (a name is rarely over 100)


class Weights(BaseModel):
    """Weight of each soft goal; a term enters the objective only when its weight is positive."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    unmet_lesson: int = Field(ge=0, le=MAX_WEIGHT)
    under_floor_lesson: int = Field(ge=0, le=MAX_WEIGHT)
    alt_school: int = Field(ge=0, le=MAX_WEIGHT)
    commute_minute: int = Field(ge=0, le=MAX_WEIGHT)
    load_spread: int = Field(ge=0, le=MAX_WEIGHT)
    day_peak: int = Field(ge=0, le=MAX_WEIGHT)
    continuity: int = Field(ge=0, le=MAX_WEIGHT)
    # Only a re-plan (--previous) counts it, so weights written before it existed leave it out.
    changed_lesson: int = Field(
        default_factory=lambda: int(_defaults()["weights"]["changed_lesson"]), ge=0, le=MAX_WEIGHT
    )

    @classmethod
    def default(cls) -> Weights:
        """The weights of ``defaults.toml``."""
        return cls.model_validate(_defaults()["weights"])

    @classmethod
    def from_toml(cls, path: Path) -> Weights:
        """Defaults overridden by the ``[weights]`` table of a TOML file.

        Raises :class:`InstanceError` naming the file, key and value on bad input.
        """
        from scheduler.io.textfile import read_text  # imports this module's limits

        try:
            text = read_text(path)
        except OSError as e:
            raise InstanceError(
                [InputIssue(path.name, None, None, None, f"cannot be read: {e}")]
            ) from e
        try:
            data = tomllib.loads(text)
        except RecursionError:
            why = "is nested too deeply to be read"
            raise InstanceError([InputIssue(path.name, None, None, None, why)]) from None
        except ValueError as e:  # TOMLDecodeError, and a number of 4,300+ digits
            raise InstanceError(
                [InputIssue(path.name, None, None, None, f"cannot be read: {e}")]
            ) from e
        given = data.get("weights", data)
        if not isinstance(given, dict):
            why = "must be a table of goal = weight, e.g. unmet_lesson = 1000"
            raise InstanceError([InputIssue(path.name, None, "weights", str(given), why)])
        try:
            return cls.model_validate({**_defaults()["weights"], **given})
        except ValidationError as e:
            raise InstanceError(
                [
                    InputIssue(
                        path.name,
                        None,
                        ".".join(map(str, err["loc"])),
                        str(err.get("input")),
                        err["msg"].lower(),
                    )
                    for err in e.errors()
                ]
            ) from e


class SolverParams(BaseModel):
    """CP-SAT parameters a user may set from the command line."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    time_limit: float = Field(gt=0, le=MAX_TIME_LIMIT, allow_inf_nan=False)
    workers: int = Field(ge=0, le=MAX_WORKERS)
    seed: int = Field(ge=0, le=MAX_SEED)
    log: bool = False

    @property
    def threads(self) -> int:
        """CP-SAT workers to run: ``workers``, or one per core when it is 0."""
        return self.workers or os.cpu_count() or 1

    @classmethod
    def default(cls, **overrides: Any) -> SolverParams:
        """Defaults of ``defaults.toml``, with the given non-None overrides."""
        given = {k: v for k, v in overrides.items() if v is not None}
        return cls.model_validate({**_defaults()["solver"], **given})
