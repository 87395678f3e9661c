"""Coverage: lessons given against lessons needed, by school and by school and grade."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from scheduler.instance import Instance
from scheduler.plot._common import axes, bar_labels, row_fontsize, scored
from scheduler.result import Result


def _by_school(per_class: pd.DataFrame, instance: Instance) -> pd.DataFrame:
    sums = per_class.groupby("school_id", sort=False)[["need", "given"]].sum()
    order = [s.school_id for s in instance.schools if s.school_id in sums.index]
    return sums.loc[order]


def school_coverage(result: Result, instance: Instance, ax: Axes | None = None) -> Axes:
    """Lessons given against lessons needed, per school that needs any."""
    sums = _by_school(scored(result, instance).per_class, instance)
    sums = sums[sums["need"] > 0]
    ax = axes(ax, (max(8.0, 0.3 * len(sums)), 4.0))
    x = np.arange(len(sums))
    ax.bar(x, sums["need"], color="lightgrey", label="needed")
    ax.bar(x, sums["given"], width=0.5, label="given")
    bar_labels(ax, list(sums.index))
    ax.set_ylabel("lessons a week")
    ax.set_title("Coverage by school")
    ax.legend(fontsize="small")
    return ax


def grade_coverage(result: Result, instance: Instance, ax: Axes | None = None) -> Axes:
    """A heat map of the share of lessons given, a row per school and a column per grade.

    Each cell reads ``given/need`` for that school's classes of that grade; green is fully
    covered, red uncovered, and a blank cell is a grade the school asks nothing for (junior
    high schools have grades 1-3 only).
    """
    pc = scored(result, instance).per_class
    pc = pc.assign(grade=[int(c.split("-")[0]) for c in pc["class"]])
    pc = pc[pc["need"] > 0]
    sums = pc.groupby(["school_id", "grade"])[["need", "given"]].sum()
    schools = [s.school_id for s in instance.schools if s.school_id in set(pc["school_id"])]
    grades = sorted(set(pc["grade"]))
    share = np.full((len(schools), len(grades)), np.nan)
    ax = axes(ax, (max(5.0, 0.8 * len(grades) + 3), max(3.0, 0.3 * len(schools) + 1.5)))
    size = row_fontsize(len(schools))
    for rec in sums.reset_index().to_dict("records"):
        i, j = schools.index(rec["school_id"]), grades.index(rec["grade"])
        given, need = int(rec["given"]), int(rec["need"])
        share[i, j] = min(given, need) / need
        ax.text(j, i, f"{given}/{need}", ha="center", va="center", fontsize=size * 0.8)
    image = ax.imshow(np.ma.masked_invalid(share), cmap="RdYlGn", vmin=0, vmax=1, aspect="auto")
    ax.figure.colorbar(image, ax=ax, fraction=0.05, pad=0.02, label="share given")
    ax.set_xticks(range(len(grades)), [f"grade {g}" for g in grades])
    names = [instance.school_by_id[s].name for s in schools]
    ax.set_yticks(range(len(schools)), names, fontsize=size)
    ax.set_title("Coverage by school and grade (given/needed)")
    return ax
