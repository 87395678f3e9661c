"""Typed objective weights and solver parameters, with defaults in ``defaults.toml``."""

from __future__ import annotations

import os
import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

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
        data = _read_toml(path)
        given = data.get("weights", data)
        if not isinstance(given, dict):
            why = "must be a table of goal = weight, e.g. unmet_lesson = 1000"
            raise InstanceError([InputIssue(path.name, None, "weights", str(given), why)])
        try:
            return cls.model_validate({**_defaults()["weights"], **given})
        except ValidationError as e:
            raise InstanceError(_issues(path, e)) from e


def _read_toml(path: Path) -> dict[str, Any]:
    """A user's TOML file, read within the file limits; :class:`InstanceError` naming the
    file when it cannot be read or parsed."""
    from scheduler.io.textfile import read_text  # imports this module's limits

    try:
        text = read_text(path)
    except OSError as e:
        raise InstanceError(
            [InputIssue(path.name, None, None, None, f"cannot be read: {e}")]
        ) from e
    try:
        return tomllib.loads(text)
    except RecursionError:
        why = "is nested too deeply to be read"
        raise InstanceError([InputIssue(path.name, None, None, None, why)]) from None
    except ValueError as e:  # TOMLDecodeError, and a number of 4,300+ digits
        raise InstanceError(
            [InputIssue(path.name, None, None, None, f"cannot be read: {e}")]
        ) from e


def _issues(path: Path, error: ValidationError, prefix: str = "") -> list[InputIssue]:
    """One issue per wrong value of a validated file: the file, the key and the value."""
    return [
        InputIssue(
            path.name,
            None,
            prefix + ".".join(map(str, err["loc"])),
            str(err.get("input")),
            err["msg"].lower(),
        )
        for err in error.errors()
    ]


class SolverParams(BaseModel):
    """CP-SAT parameters a user may set from the command line.

    ``deterministic``: the same timetable on every run of the same branch, seed and
    settings (docs/settings.md, "Deterministic mode"): one worker, and every search limited
    by CP-SAT's deterministic time (work units) instead of the wall clock, which only
    guards the whole search.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    time_limit: float = Field(gt=0, le=MAX_TIME_LIMIT, allow_inf_nan=False)
    workers: int = Field(ge=0, le=MAX_WORKERS)
    seed: int = Field(ge=0, le=MAX_SEED)
    log: bool = False
    deterministic: bool = False

    @property
    def threads(self) -> int:
        """CP-SAT workers to run: one in deterministic mode, else ``workers``, or one per
        core when it is 0."""
        if self.deterministic:
            return 1
        return self.workers or os.cpu_count() or 1

    @classmethod
    def default(cls, **overrides: Any) -> SolverParams:
        """Defaults of ``defaults.toml``, with the given non-None overrides."""
        given = {k: v for k, v in overrides.items() if v is not None}
        return cls.model_validate({**_defaults()["solver"], **given})


Share = Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]
Seconds = Annotated[float, Field(ge=0, le=MAX_TIME_LIMIT, allow_inf_nan=False)]
Ratio = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=1, le=1_000_000)]


class SearchSettings(BaseModel):
    """How the search spends its time: the ``[search]`` table of ``defaults.toml``, where
    each key is explained (docs/settings.md)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Which path a branch takes.
    large_branch_visits: int = Field(ge=0, le=10**9)
    # The small branch: the master, then region steps.
    master_share: Share
    closing_until: Share
    first_level_share: Share
    probe_share: Share
    probe_seconds: Seconds
    placement_reserve_share: Share
    placement_reserve_seconds: Seconds
    hint_seconds: Seconds
    # The large branch: the plan, the start, the restart from the programme.
    plan_per_prepare: float = Field(ge=0, le=1_000, allow_inf_nan=False)
    restart_left: Ratio
    # Region steps.
    region_schools: Count
    region_near_alts: Count
    step_seconds: Seconds
    plan_steps: Ratio
    chain_steps: Ratio
    short_seed_share: Ratio
    stuck_steps: Count
    most_growth: Count
    place_effort: Seconds
    master_place_effort: Seconds
    lanes: Count
    disjoint_tries: Count
    replace_schools: Count
    # The start from the programme.
    group_weights: tuple[Ratio, ...] = Field(min_length=1)
    max_group_alts: Count
    pair_weight: Ratio
    group_base_seconds: Seconds
    group_seconds_per_alt: Seconds
    group_most_seconds: Seconds
    # The end of the search.
    overrun_share: Ratio
    overrun_seconds: Seconds
    # Deterministic mode: CP-SAT work units the search gets per second of its time limit,
    # and how far past its deadline (a share of the limit) the wall clock stops it.
    work_per_second: float = Field(gt=0, le=1_000, allow_inf_nan=False)
    guard_share: float = Field(ge=0, le=100, allow_inf_nan=False)


class BoundSettings(BaseModel):
    """How the lower bounds spend their time: the ``[bounds]`` table of ``defaults.toml``
    (docs/settings.md)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pattern_share: Share
    closing_share: Share
    closing_gap: Ratio
    closing_growth: float = Field(ge=1, le=1_000, allow_inf_nan=False)
    closing_choices: Count
    closing_realise_seconds: Seconds
    week_give_up: Ratio


class Settings(BaseModel):
    """The tuning of the search and of the bounds; defaults in ``defaults.toml``, a user's
    file overrides some keys (:meth:`from_toml`). The defaults are what the benchmarks in
    docs/benchmarks.md were measured with."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    search: SearchSettings
    bounds: BoundSettings

    @classmethod
    def default(cls) -> Settings:
        """The settings of ``defaults.toml``."""
        data = _defaults()
        return cls.model_validate({"search": data["search"], "bounds": data["bounds"]})

    @classmethod
    def from_toml(cls, path: Path) -> Settings:
        """Defaults overridden by the ``[search]`` and ``[bounds]`` tables of a TOML file
        (``[weights]``, ``[solver]`` and ``[cover]`` may sit beside them, left to their readers).

        Raises :class:`InstanceError` naming the file, key and value on bad input.
        """
        data = _read_toml(path)
        strangers = sorted(set(data) - {"search", "bounds", "weights", "solver", "cover"})
        if strangers or not {"search", "bounds"} & set(data):
            key = strangers[0] if strangers else None
            why = "must hold a [search] or [bounds] table of setting = value"
            if strangers:
                why = "is not a table of settings (expected [search] or [bounds])"
            raise InstanceError([InputIssue(path.name, None, key, None, why)])
        merged: dict[str, Any] = {}
        for table in ("search", "bounds"):
            given = data.get(table, {})
            if not isinstance(given, dict):
                why = f"must be a table of setting = value, e.g. [{table}]"
                raise InstanceError([InputIssue(path.name, None, table, str(given), why)])
            merged[table] = {**_defaults()[table], **given}
        try:
            return cls.model_validate(merged)
        except ValidationError as e:
            raise InstanceError(_issues(path, e)) from e
