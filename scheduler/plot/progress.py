"""How a solve went: its objective and bound over time."""

from __future__ import annotations

from matplotlib.axes import Axes

from scheduler.instance import Instance
from scheduler.plot._common import axes
from scheduler.result import Result


def search_progress(
    result: Result, instance: Instance | None = None, ax: Axes | None = None
) -> Axes:
    """Objective and best bound over the solve's time (empty for a result read from files,
    which keep no progress)."""
    ax = axes(ax)
    if result.progress:
        t, obj, bound = zip(*result.progress, strict=True)
        ax.step(t, obj, where="post", label="objective")
        ax.step(t, bound, where="post", label="bound")
        ax.legend(fontsize="small")
    ax.set_xlabel("seconds")
    ax.set_ylabel("objective")
    ax.set_title("Search progress")
    return ax
