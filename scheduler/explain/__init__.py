"""Answers to "why": unmet lessons, ALTs under floor, what each soft goal costs, what if.

- :mod:`.capacity`: counts that prove some need unmet whatever the timetable;
- :mod:`.core`: CP-SAT over grouped rules with assumption literals, naming a small set of
  groups that together forbid a need;
- :mod:`.timetable`: reasons for the unmet classes and under-floor ALTs of one timetable
  (the ``reason`` column of ``unmet.csv``);
- :mod:`.penalties`: each soft term split over ALTs, schools and classes (``report.json``);
- :mod:`.whatif`: re-solve with one ALT restricted, compared term by term.

See ``docs/explain.md``.
"""

from __future__ import annotations

from collections.abc import Sequence

from scheduler.instance import Instance

from .capacity import capacity_reasons
from .core import CoreModel, Target, core_sentence
from .reasons import Reason


def why_infeasible(instance: Instance, targets: Sequence[Target] = ()) -> list[Reason]:
    """Why a solve found no timetable at all, in users' words.

    Every hard rule of the contract is an upper limit, so a branch without forced lessons
    always has a timetable (the empty one); what a solve must give are ``targets`` (pins:
    :class:`~scheduler.explain.core.Target` with a group each). The core names the pins and
    rule groups that together cannot hold. The capacity facts of the branch follow, and
    when nothing is found the answer says so rather than nothing.
    """
    out: list[Reason] = []
    if targets:
        classes = {k for t in targets for k in (t.classes or instance.class_by_key)}
        alts = [a.alt_id for a in instance.alts]
        model = CoreModel(instance, [], classes, alts)
        for t in targets:
            model.require(t)
        core = model.core(seconds=10.0)
        if not core.feasible:
            out.append(Reason("core", core_sentence(instance, "keeping every pin", core)))
    out += capacity_reasons(instance)
    if not out:
        out.append(
            Reason(
                "search",
                "no hard rules conflict: every rule is a limit and no lesson is forced, so "
                "the search stopped before finding a timetable (a longer time limit gives one)",
            )
        )
    return out


__all__ = ["Reason", "Target", "capacity_reasons", "why_infeasible"]
