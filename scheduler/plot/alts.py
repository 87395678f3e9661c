"""Per-ALT figures: loads against the contract, schools, commute and busiest days.

Every number comes from the validator's ``per_alt`` table (:func:`scored`), one bar or row
per ALT in the instance's order.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from scheduler.instance import DAYS, Instance
from scheduler.plot._common import axes, bar_labels, row_fontsize, scored
from scheduler.result import Result

UNDER_FLOOR_COLOUR = "#c01c28"


def _width(n: int) -> tuple[float, float]:
    # A readable bar per ALT: wider figures for big branches (a report scales them to the page).
    return (max(8.0, min(24.0, 0.22 * n)), 4.0)


def alt_loads(result: Result, instance: Instance, ax: Axes | None = None) -> Axes:
    """Each ALT's weekly lessons stacked by weekday, against their contract floor and maximum.

    ALTs under their floor have their id in red under the bar.
    """
    per_alt = scored(result, instance).per_alt
    ax = axes(ax, _width(len(per_alt)))
    x = np.arange(len(per_alt))
    bottom = np.zeros(len(per_alt))
    for d in DAYS:
        heights = per_alt[d].to_numpy(dtype=float)
        ax.bar(x, heights, bottom=bottom, label=d)
        bottom += heights
    ax.scatter(x, per_alt["floor"], marker="_", s=300, c="black", label="floor", zorder=3)
    ax.scatter(x, per_alt["max"], marker="_", s=300, c="red", label="maximum", zorder=3)
    ids = list(per_alt["alt_id"])
    bar_labels(ax, ids)
    under = per_alt["load"] < per_alt["floor"]
    for label, short in zip(ax.get_xticklabels(), under, strict=True):
        if short:
            label.set_color(UNDER_FLOOR_COLOUR)
            label.set_fontweight("bold")
    ax.set_ylabel("lessons a week")
    n_under = int(under.sum())
    ax.set_title("ALT loads" + (f" ({n_under} under their floor)" if n_under else ""))
    ax.legend(ncols=4, fontsize="small")
    return ax


def schools_per_alt(result: Result, instance: Instance, ax: Axes | None = None) -> Axes:
    """How many schools each ALT teaches at in the week, with the branch's mean as a line."""
    per_alt = scored(result, instance).per_alt
    return _per_alt_bars(
        per_alt["alt_id"].tolist(),
        per_alt["schools"].to_numpy(dtype=float),
        "schools a week",
        "Schools per ALT",
        ax,
    )


def commute_per_alt(result: Result, instance: Instance, ax: Axes | None = None) -> Axes:
    """Each ALT's commute minutes in the week (one way, once per school and visit day, as the
    ``commute_minute`` goal counts them), with the branch's mean as a line."""
    per_alt = scored(result, instance).per_alt
    return _per_alt_bars(
        per_alt["alt_id"].tolist(),
        per_alt["commute_minutes"].to_numpy(dtype=float),
        "commute minutes a week (one way)",
        "Commute per ALT",
        ax,
    )


def _per_alt_bars(
    ids: list[str], values: np.ndarray, ylabel: str, title: str, ax: Axes | None
) -> Axes:
    ax = axes(ax, _width(len(ids)))
    ax.bar(np.arange(len(ids)), values, color="#1a5fb4")
    if len(ids):
        mean = float(values.mean())
        ax.axhline(mean, color="black", linestyle="--", linewidth=1, label=f"mean {mean:.1f}")
        ax.legend(fontsize="small")
    bar_labels(ax, ids)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return ax


def day_peaks(result: Result, instance: Instance, ax: Axes | None = None) -> Axes:
    """Lessons per ALT and weekday as a heat map, each ALT's busiest day in bold.

    Rows are ALTs, columns weekdays; a cell says how many lessons that day (``off`` on the
    ALT's day off). Read along a row for the shape of one week, down a column for a day.
    """
    per_alt = scored(result, instance).per_alt
    n = len(per_alt)
    ax = axes(ax, (6.0, max(2.5, 0.3 * n + 1.0)))
    counts = per_alt[list(DAYS)].to_numpy(dtype=float)
    cap = max((instance.max_lessons_per_day(a) for a in instance.alts), default=1)
    vmax = max(cap, 1)
    size = row_fontsize(n)
    ax.imshow(counts, cmap="Blues", vmin=0, vmax=vmax, aspect="auto")
    off = {(i, DAYS.index(d)) for i, a in enumerate(instance.alts) for d in a.unavailable}
    for i, rec in enumerate(per_alt.to_dict("records")):
        for j, d in enumerate(DAYS):
            value = int(rec[d])
            peak = value == rec["day_peak"] and value > 0
            text = "off" if (i, j) in off and value == 0 else str(value)
            dark = value > 0.6 * vmax
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=size,
                fontweight="bold" if peak else "normal",
                color="white" if dark else "black",
            )
    ax.set_xticks(range(len(DAYS)), DAYS)
    ax.set_yticks(range(n), per_alt["alt_id"].tolist(), fontsize=size)
    ax.set_title("Lessons a day per ALT (busiest day in bold)")
    return ax
