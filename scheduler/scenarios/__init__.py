"""Scenario comparison for planners: variants of a branch, solved side by side.

A scenario is an :class:`~scheduler.instance.Instance` (or a :class:`Scenario`: a name, an
instance and its weights). The verbs derive variants without touching the branch they start
from, each returning a new validated instance::

    from scheduler import scenarios as sc

    more = sc.add_alts(demo, n=2)                  # two hires where coverage is weakest
    fewer = sc.remove_alts(demo, n=1)              # the least needed ALT goes
    closed = sc.close_schools(demo, "E07")
    merged = sc.merge_schools(demo, "E01", "E02")
    floors = sc.with_contracts(demo, min_lessons=22, max_lessons=27)
    grade56 = sc.set_need(demo, 3, level="elementary", grades=[5, 6])
    sports = sc.block_weekday(demo, "Fri", schools=["J01", "J02"])
    table = sc.compare({"today": demo, "two more": more}, time_limit=30).table

:func:`compare` runs them in worker processes (or on a Dask cluster), :func:`diff` lists the
ALT-lessons that moved between two results. ``docs/scenarios.md`` has the rules.
"""

from scheduler.scenarios.comparison import KPI_COLUMNS, Comparison, Scenario
from scheduler.scenarios.moves import LessonDiff, diff
from scheduler.scenarios.sweep import (
    SweepInterrupted,
    compare,
    kpis,
    run_scenario,
    solve_scenario,
)
from scheduler.scenarios.verbs import (
    add_alts,
    add_schools,
    block_weekday,
    close_schools,
    merge_schools,
    remove_alts,
    scale_need,
    set_need,
    with_alt,
    with_contracts,
    with_settings,
    without_school,
)

__all__ = [
    "KPI_COLUMNS",
    "Comparison",
    "LessonDiff",
    "Scenario",
    "SweepInterrupted",
    "add_alts",
    "add_schools",
    "block_weekday",
    "close_schools",
    "compare",
    "diff",
    "kpis",
    "merge_schools",
    "remove_alts",
    "run_scenario",
    "scale_need",
    "set_need",
    "solve_scenario",
    "with_alt",
    "with_contracts",
    "with_settings",
    "without_school",
]
