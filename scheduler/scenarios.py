"""Scenario comparison for planners: solve variants of a branch and compare their KPIs.

A scenario is an :class:`Instance`; the helpers here derive the common ones (one more ALT,
a school closing, a different contract floor) without touching the original.
"""

from __future__ import annotations

import pandas as pd

from scheduler.config import SolverParams, Weights
from scheduler.errors import InstanceError
from scheduler.instance import Alt, Instance, reference_issues
from scheduler.model.interrupt import was_interrupted
from scheduler.result import Result
from scheduler.solve import solve
from scheduler.validate import score

KPI_COLUMNS = [
    "scenario", "status", "objective", "bound", "gap", "need", "given", "coverage",
    "unmet", "alts_under_floor", "mean_schools_per_alt", "commute_minutes", "seconds",
]  # fmt: skip


def _checked(instance: Instance) -> Instance:
    # A scenario must be as valid as a branch read from files (e.g. no duplicate alt_id).
    issues = reference_issues(instance)
    if issues:
        raise InstanceError(issues)
    return instance


def with_alt(instance: Instance, alt: Alt) -> Instance:
    """The branch with one more ALT."""
    return _checked(instance.model_copy(update={"alts": (*instance.alts, alt)}))


def without_school(instance: Instance, school_id: str) -> Instance:
    """The branch with a school closed: its classes, bells and blocked rows go with it."""
    if school_id not in instance.school_by_id:
        raise KeyError(f"no school {school_id!r}")
    return _checked(
        instance.model_copy(
            update={
                "schools": tuple(s for s in instance.schools if s.school_id != school_id),
                "bells": tuple(b for b in instance.bells if b.school_id != school_id),
                "classes": tuple(c for c in instance.classes if c.school_id != school_id),
                "blocked": tuple(b for b in instance.blocked if b.school_id != school_id),
                "travel": tuple(t for t in instance.travel if school_id not in (t.from_, t.to)),
            }
        )
    )


def with_settings(instance: Instance, **changes: object) -> Instance:
    """The branch with some settings changed, e.g. ``min_lessons_per_week=22``."""
    settings = type(instance.settings).model_validate(
        {**instance.settings.model_dump(), **changes}
    )
    return _checked(instance.model_copy(update={"settings": settings}))


def kpis(name: str, instance: Instance, result: Result, weights: Weights) -> dict[str, object]:
    """One row of the comparison table, recomputed from the timetable by the validator."""
    scored = score(instance, result.assignments, weights)
    per_alt = scored.per_alt
    need, given = instance.need(), len(result.lessons)
    return {
        "scenario": name,
        "status": result.status,
        "objective": result.objective,
        "bound": result.bound,
        "gap": result.gap,
        "need": need,
        "given": given,
        "coverage": given / need if need else 1.0,
        "unmet": scored.terms["unmet_lesson"],
        "alts_under_floor": int((per_alt["load"] < per_alt["floor"]).sum()),
        "mean_schools_per_alt": float(per_alt["schools"].mean()) if len(per_alt) else 0.0,
        "commute_minutes": scored.terms["commute_minute"],
        "seconds": result.seconds,
    }


def compare(
    scenarios: dict[str, Instance],
    weights: Weights | None = None,
    params: SolverParams | None = None,
) -> tuple[pd.DataFrame, dict[str, Result]]:
    """Solve every scenario with the same weights and parameters.

    Returns the KPI table (one row per scenario, in the given order) and the results.
    Interrupting (Ctrl-C, or the notebook's stop button) raises ``KeyboardInterrupt``: a
    table of scenarios solved for different times would compare unlike things.
    """
    weights = weights or Weights.default()
    params = params or SolverParams.default()
    results = {}
    for name, inst in scenarios.items():
        results[name] = solve(inst, weights, params)
        if was_interrupted():
            raise KeyboardInterrupt
    rows = [kpis(name, scenarios[name], results[name], weights) for name in scenarios]
    return pd.DataFrame(rows, columns=KPI_COLUMNS), results
