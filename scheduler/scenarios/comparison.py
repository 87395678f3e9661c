"""Scenarios and the table comparing them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from scheduler.config import Weights
from scheduler.instance import Instance
from scheduler.result import RESULT_KPI_COLUMNS, Result
from scheduler.scenarios.moves import LessonDiff, diff

# A row of the comparison: the scenario's name, its result's KPIs, and why it failed if it did.
KPI_COLUMNS = ["scenario", *RESULT_KPI_COLUMNS, "error"]
ERROR = "ERROR"  # the status of a scenario that could not be solved
CANCELLED = "CANCELLED"  # the status of a scenario a Ctrl-C stopped


@dataclass(frozen=True)
class Scenario:
    """A named variant of a branch and the weights it is solved with (``None``: those the
    comparison is given)."""

    name: str
    instance: Instance
    weights: Weights | None = None

    def apply(self, verb: Callable[..., Instance], *args: Any, **kwargs: Any) -> Scenario:
        """This scenario with ``verb(instance, *args, **kwargs)`` applied to its branch,
        e.g. ``s.apply(add_alts, n=2).apply(close_schools, "E07")``."""
        return replace(self, instance=verb(self.instance, *args, **kwargs))

    def with_weights(self, **changes: int) -> Scenario:
        """This scenario with some weights changed (from its own, or the defaults)."""
        base = (self.weights or Weights.default()).model_dump()
        return replace(self, weights=Weights.model_validate({**base, **changes}))

    def _repr_html_(self) -> str:
        changed = ""
        if self.weights is not None:
            default = Weights.default().model_dump()
            own = {k: v for k, v in self.weights.model_dump().items() if default[k] != v}
            changed = "weights: " + (", ".join(f"{k}={v}" for k, v in own.items()) or "defaults")
        return f"<div><em>{_escape(self.name)}</em> {_escape(changed)}</div>" + (
            self.instance._repr_html_()
        )


def _escape(text: str) -> str:
    from html import escape

    return escape(text)


@dataclass(frozen=True, eq=False)
class Comparison:
    """What :func:`~scheduler.scenarios.compare` returns.

    ``table`` has a row per scenario in the order given (columns :data:`KPI_COLUMNS`; a
    scenario that failed has status ``ERROR``, no KPIs and its ``error``), ``results`` the
    results of the scenarios that solved, by name, each bound to its scenario's instance.
    ``table, results = compare(...)`` unpacks it into the KPI table and the results.
    """

    table: pd.DataFrame
    results: dict[str, Result]
    scenarios: tuple[Scenario, ...] = field(default=())

    def __iter__(self) -> Iterator[Any]:
        return iter((self.table, self.results))

    @property
    def errors(self) -> pd.DataFrame:
        """The rows of scenarios that failed, with their errors."""
        return self.table[self.table["status"] == ERROR].reset_index(drop=True)

    def diff(self, a: str, b: str) -> LessonDiff:
        """The ALT-lessons that differ from scenario ``a`` to ``b``."""
        return diff(self.results[a], self.results[b])

    def _repr_html_(self) -> str:
        from scheduler.notebook import frame_html, percent

        shown = self.table.copy()
        for column in ("coverage", "gap"):
            shown[column] = [percent(None if pd.isna(v) else float(v)) for v in shown[column]]
        if not (shown["error"].fillna("") != "").any():
            shown = shown.drop(columns="error")
        failed = {i: "#fde8e8" for i, s in enumerate(shown["status"]) if s in (ERROR, CANCELLED)}
        return frame_html(shown, f"{len(shown)} scenarios", failed)
