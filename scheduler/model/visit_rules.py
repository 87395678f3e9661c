"""Hard rules on visit booleans y[a,s,d], shared by every model that has them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from ortools.sat.python import cp_model

from scheduler.instance import Day, Instance
from scheduler.model.data import Visit


def schools_per_day(
    model: cp_model.CpModel, y: Mapping[Visit, cp_model.IntVar], limit: int
) -> None:
    """An ALT visits at most ``limit`` schools a day."""
    by_alt_day: dict[tuple[str, Day], list[cp_model.IntVar]] = defaultdict(list)
    for (a, _s, d), v in y.items():
        by_alt_day[(a, d)].append(v)
    for vs in by_alt_day.values():
        if len(vs) > limit:
            model.add(sum(vs) <= limit)


def alts_per_day(
    model: cp_model.CpModel, y: Mapping[Visit, cp_model.IntVar], inst: Instance
) -> None:
    """A school takes at most its max_alts_per_day ALTs on one day."""
    by_school_day: dict[tuple[str, Day], list[cp_model.IntVar]] = defaultdict(list)
    for (_a, s, d), v in y.items():
        by_school_day[(s, d)].append(v)
    for (s, _d), vs in by_school_day.items():
        limit = inst.school_by_id[s].max_alts_per_day
        if len(vs) > limit:
            model.add(sum(vs) <= limit)
