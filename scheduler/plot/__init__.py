"""One function per figure: ``(result, instance, ax=None) -> Axes``; none of them solves.

Each draws into ``ax`` (or a new figure) and returns it. Per-ALT and per-class numbers are
the independent validator's (:func:`scheduler.validate.score`), so a figure shows what
``report.json`` and ``altsched check`` say. A school has one colour in every figure
(:func:`school_colours`). The scenario chart takes the comparison table instead of a result.
"""

from __future__ import annotations

from scheduler.plot._common import school_colours
from scheduler.plot.alts import alt_loads, commute_per_alt, day_peaks, schools_per_alt
from scheduler.plot.coverage import grade_coverage, school_coverage
from scheduler.plot.places import school_map
from scheduler.plot.progress import search_progress
from scheduler.plot.scenarios import scenario_kpis
from scheduler.plot.week import alt_week

__all__ = [
    "alt_loads",
    "alt_week",
    "commute_per_alt",
    "day_peaks",
    "grade_coverage",
    "scenario_kpis",
    "school_colours",
    "school_coverage",
    "school_map",
    "schools_per_alt",
    "search_progress",
]
