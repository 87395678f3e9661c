"""One function per figure: ``(result, instance, ax=None) -> Axes``; none of them solves."""

from __future__ import annotations

from collections import Counter

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from scheduler.instance import DAYS, Instance
from scheduler.result import Result


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    _fig, new = plt.subplots(figsize=(8, 4))
    return new


def alt_loads(result: Result, instance: Instance, ax: Axes | None = None) -> Axes:
    """Each ALT's weekly lessons, stacked by day, with their contract floor and maximum."""
    ax = _axes(ax)
    ids = [a.alt_id for a in instance.alts]
    per_day = Counter((ls.alt_id, ls.day) for ls in result.lessons)
    bottom = [0] * len(ids)
    for d in DAYS:
        heights = [per_day[(a, d)] for a in ids]
        ax.bar(ids, heights, bottom=bottom, label=d)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    alts = instance.alts
    ax.scatter(
        ids,
        [instance.min_lessons(a) for a in alts],
        marker="_",
        s=300,
        c="black",
        label="floor",
        zorder=3,
    )
    ax.scatter(
        ids,
        [instance.max_lessons(a) for a in alts],
        marker="_",
        s=300,
        c="red",
        label="maximum",
        zorder=3,
    )
    ax.set_ylabel("lessons a week")
    ax.set_title("ALT loads")
    ax.tick_params(axis="x", labelrotation=90)
    ax.legend(ncols=4, fontsize="small")
    return ax


def school_coverage(result: Result, instance: Instance, ax: Axes | None = None) -> Axes:
    """Lessons given against lessons needed, per school."""
    ax = _axes(ax)
    need = Counter[str]()
    for c in instance.classes:
        need[c.school_id] += c.alt_lessons
    given = Counter(ls.school_id for ls in result.lessons)
    ids = [s.school_id for s in instance.schools if need[s.school_id]]
    ax.bar(ids, [need[s] for s in ids], color="lightgrey", label="needed")
    ax.bar(ids, [given[s] for s in ids], width=0.5, label="given")
    ax.set_ylabel("lessons a week")
    ax.set_title("Coverage by school")
    ax.tick_params(axis="x", labelrotation=90)
    ax.legend(fontsize="small")
    return ax


def search_progress(
    result: Result, instance: Instance | None = None, ax: Axes | None = None
) -> Axes:
    """Objective and best bound over the solve's time."""
    ax = _axes(ax)
    if result.progress:
        t, obj, bound = zip(*result.progress, strict=True)
        ax.step(t, obj, where="post", label="objective")
        ax.step(t, bound, where="post", label="bound")
    ax.set_xlabel("seconds")
    ax.set_ylabel("objective")
    ax.set_title("Search progress")
    ax.legend(fontsize="small")
    return ax
