"""What every figure shares: a fresh Axes when none is given, the validator's numbers, and
one colour per school."""

from __future__ import annotations

from functools import lru_cache

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.colors import to_hex

from scheduler.config import Weights
from scheduler.instance import Instance
from scheduler.result import Result
from scheduler.validate import Score, score

# Three qualitative maps of 20 colours each, in this order: 60 schools before a colour repeats.
_PALETTES = ("tab20", "tab20b", "tab20c")


def axes(ax: Axes | None, size: tuple[float, float] = (8, 4)) -> Axes:
    """``ax``, or the Axes of a new figure of ``size`` inches."""
    if ax is not None:
        return ax
    _fig, new = plt.subplots(figsize=size)
    return new


def scored(result: Result, instance: Instance) -> Score:
    """The independent validator's score of the result: the same per-ALT and per-class
    numbers as ``report.json`` and ``altsched check``, never recomputed here.

    The weights only change the penalty columns, which no figure shows; those the solve
    recorded are used when the result has them.
    """
    weights = Weights.model_validate({**Weights.default().model_dump(), **result.weights})
    return score(instance, result.assignments, weights)


@lru_cache(maxsize=1)
def _palette() -> tuple[str, ...]:
    return tuple(
        to_hex(c)
        for name in _PALETTES
        for c in plt.get_cmap(name).colors  # type: ignore[attr-defined]
    )


def school_colours(instance: Instance) -> dict[str, str]:
    """A colour (``#rrggbb``) per school, by the schools' order in the instance.

    Every figure uses this mapping, so a school has the same colour on every ALT's week and
    in a printed report. Past 60 schools colours repeat; an ALT's week shows a handful of
    schools, and its legend names them.
    """
    colours = _palette()
    return {s.school_id: colours[i % len(colours)] for i, s in enumerate(instance.schools)}


def bar_labels(ax: Axes, ids: list[str], rotate: bool = True) -> None:
    """Ids under bars: vertical when there are many, so they never overlap."""
    ax.set_xticks(range(len(ids)), ids, fontsize=row_fontsize(len(ids)))
    if rotate:
        ax.tick_params(axis="x", labelrotation=90)


def row_fontsize(rows: int) -> float:
    """Points for the labels of a chart with a row per ALT or school: 9 for a few rows,
    smaller for many, so that a report's page-high chart of 80 schools keeps them apart."""
    return max(4.0, min(9.0, 360 / max(rows, 1)))
