"""Scenario comparison drawn from the KPI table (it takes the table, not a result)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from scheduler.plot._common import axes

# The KPIs a planner weighs first, in this order; the chart shows those the table has.
DEFAULT_KPIS = (
    "coverage",
    "unmet",
    "alts_under_floor",
    "mean_schools_per_alt",
    "commute_minutes",
    "objective",
)
# Two short lines each, so six groups fit under a page-wide chart without overlapping.
KPI_LABELS = {
    "coverage": "coverage",
    "unmet": "lessons\nunmet",
    "alts_under_floor": "ALTs under\nfloor",
    "mean_schools_per_alt": "schools\nper ALT",
    "commute_minutes": "commute\nminutes",
    "objective": "objective",
    "given": "lessons\ngiven",
    "gap": "gap",
}
PERCENT = frozenset({"coverage", "gap"})


def _text(column: str, value: float) -> str:
    if math.isnan(value):
        return "n/a"
    if column in PERCENT:
        return f"{value:.1%}"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def scenario_kpis(
    table: pd.DataFrame, ax: Axes | None = None, columns: Sequence[str] | None = None
) -> Axes:
    """A bar per scenario for each KPI, every KPI scaled to its largest value across the
    scenarios (so KPIs of different units sit side by side), each bar labelled with its
    real value.

    Parameters
    ----------
    table
        The comparison table: a row per scenario, named by a ``scenario`` column or by the
        index. A scenario that failed (its KPIs missing or NaN) gets an empty bar
        labelled ``n/a``.
    ax
        Where to draw; a new figure when None.
    columns
        The KPIs to show; default: those of :data:`DEFAULT_KPIS` the table has.

    Raises
    ------
    KeyError
        When a named column is not in the table.
    """
    labels = table["scenario"] if "scenario" in table.columns else table.index
    names = [str(n) for n in labels]
    cols = list(columns) if columns is not None else [c for c in DEFAULT_KPIS if c in table]
    missing = [c for c in cols if c not in table]
    if missing:
        raise KeyError(f"the table has no column {missing[0]!r}")
    values = table[cols].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    ax = axes(ax, (max(8.0, 1.6 * len(cols)), 4.5))
    width = 0.8 / max(len(names), 1)
    x = np.arange(len(cols))
    # The largest magnitude per KPI; 0 when no scenario has a value (nothing to scale).
    top = [
        float(np.abs(c[np.isfinite(c)]).max()) if np.isfinite(c).any() else 0.0 for c in values.T
    ]
    for i, name in enumerate(names):
        row = values[i]
        scaled = [0.0 if math.isnan(v) or not top[k] else v / top[k] for k, v in enumerate(row)]
        bars = ax.bar(x + (i - (len(names) - 1) / 2) * width, scaled, width, label=name)
        for bar, col, v in zip(bars, cols, row, strict=True):
            ax.annotate(
                _text(col, v),
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize="x-small",
                rotation=90 if len(names) > 3 else 0,
            )
    ax.set_xticks(x, [KPI_LABELS.get(c, c) for c in cols])
    ax.set_ylim(0, 1.35)
    ax.set_yticks([])
    ax.set_title("Scenarios compared (each KPI scaled to its largest value)")
    ax.legend(fontsize="small", ncols=min(len(names), 4), loc="upper center")
    return ax
