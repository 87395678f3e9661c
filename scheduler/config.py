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

    @classmethod
    def default(cls) -> Weights:
        """The weights of ``defaults.toml``."""
        return cls.model_validate(_defaults()["weights"])

    @classmethod
    def from_toml(cls, path: Path) -> Weights:
        """Defaults overridden by the ``[weights]`` table of a TOML file.

        Raises :class:`InstanceError` naming the file, key and value on bad input.
        """
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError as e:
            why = f"is not UTF-8 text (byte {e.start}); save it as UTF-8"
            raise InstanceError([InputIssue(path.name, None, None, None, why)]) from e
        except (OSError, tomllib.TOMLDecodeError) as e:
            raise InstanceError(
                [InputIssue(path.name, None, None, None, f"cannot be read: {e}")]
            ) from e
        given = data.get("weights", data)
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

    time_limit: float = Field(gt=0)
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
