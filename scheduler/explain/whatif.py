"""What if: re-solve with one ALT restricted and compare the two timetables term by term.

A restriction is expressed in the branch's own data, so the ordinary solver keeps it: a
school closed to an ALT gets a ``travel`` row from the ALT's home longer than the commute
limit (the ALT can no longer be sent there); a day off joins the ALT's ``unavailable``. Both
timetables are scored on the unchanged branch, so every difference is a difference in the
soft goals of ``docs/objective.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from scheduler.config import SolverParams, Weights
from scheduler.errors import InputIssue, InstanceError
from scheduler.instance import DAYS, Instance, Travel
from scheduler.result import Lesson, Result
from scheduler.validate import TERMS, Score, Violation, check, score

from .reasons import plural, school_name

SolveFn = Callable[[Instance, Weights, SolverParams], Result]


@dataclass(frozen=True)
class Restriction:
    """What the user asks of one ALT: at most ``max_schools`` schools, never these schools,
    or these extra days off."""

    alt_id: str
    max_schools: int | None = None
    without_schools: tuple[str, ...] = ()
    days_off: tuple[str, ...] = ()

    def describe(self) -> str:
        """``A007 at 2 schools``, ``A007 without Kita ES``, ``A007 off on Mon``."""
        parts = []
        if self.max_schools is not None:
            parts.append(f"at {plural(self.max_schools, 'school')}")
        if self.without_schools:
            parts.append(f"without {', '.join(self.without_schools)}")
        if self.days_off:
            parts.append(f"off on {', '.join(self.days_off)}")
        return f"{self.alt_id} {' and '.join(parts)}" if parts else self.alt_id


@dataclass
class WhatIf:
    """The two timetables and their scores on the branch, and the schools closed."""

    restriction: Restriction
    closed: list[str]
    before_lessons: tuple[Lesson, ...]
    before: Score
    after: Score
    result: Result
    violations: list[Violation] = field(default_factory=list)
    resolved_baseline: bool = False  # before: a search without the restriction, not DIR

    def changes(self) -> dict[str, tuple[int, int, int]]:
        """Per term: (before, after, weighted change)."""
        return {
            t: (
                self.before.terms[t],
                self.after.terms[t],
                self.after.penalties[t] - self.before.penalties[t],
            )
            for t in TERMS
        }

    def headline(self, instance: Instance) -> str:
        """One line: ``A007 at 2 schools: 2 more unmet lessons at Kita ES; commute -35 min;
        cost +19,900``."""
        parts = []
        more = _unmet_by_school(self.after).sub(_unmet_by_school(self.before), fill_value=0)
        for sid, n in sorted(more.items()):
            word = "more" if n > 0 else "fewer"
            if n:
                where = school_name(instance, str(sid))
                parts.append(f"{plural(abs(int(n)), f'{word} unmet lesson')} at {where}")
        c = self.changes()
        minutes = c["commute_minute"][1] - c["commute_minute"][0]
        if minutes:
            parts.append(f"commute {minutes:+,} min")
        floor = c["under_floor_lesson"][1] - c["under_floor_lesson"][0]
        if floor:
            parts.append(f"lessons under floor {floor:+,}")
        cost = self.after.objective - self.before.objective
        parts.append(f"cost {cost:+,}")
        return f"{self.restriction.describe()}: {'; '.join(parts)}"


def _unmet_by_school(s: Score) -> pd.Series:
    pc = s.per_class
    return pc.groupby("school_id")["missing"].sum()


def restricted(
    instance: Instance, restriction: Restriction, lessons: Sequence[Lesson]
) -> tuple[Instance, list[str]]:
    """The branch with the restriction written into its data, and the schools closed.

    ``max_schools`` keeps the schools where the ALT teaches most in ``lessons`` (ties: the
    shorter commute), filled up with the nearest other schools in reach, and closes the rest.

    Raises
    ------
    InstanceError
        An unknown ALT, school or day, or a negative number of schools.
    """
    _check(instance, restriction)
    alt = instance.alt_by_id[restriction.alt_id]
    reach = [s for s in instance.schools if instance.reachable(alt, s)]
    closed = [s for s in restriction.without_schools]
    if restriction.max_schools is not None:
        taught: dict[str, int] = {}
        for ls in lessons:
            if ls.alt_id == alt.alt_id:
                taught[ls.school_id] = taught.get(ls.school_id, 0) + 1
        order = sorted(
            (s for s in reach if s.school_id not in closed),
            key=lambda s: (-taught.get(s.school_id, 0), instance.commute_minutes(alt, s)),
        )
        closed += [s.school_id for s in order[restriction.max_schools :]]
    beyond = instance.settings.max_commute_minutes + 1
    travel = [t for t in instance.travel if not (t.from_ == alt.alt_id and t.to in closed)]
    travel += [
        Travel.model_validate({"from": alt.alt_id, "to": s, "minutes": beyond}) for s in closed
    ]
    off = tuple(d for d in DAYS if d in alt.unavailable or d in restriction.days_off)
    alts = tuple(
        a.model_copy(update={"unavailable": off}) if a.alt_id == alt.alt_id else a
        for a in instance.alts
    )
    return instance.model_copy(update={"travel": tuple(travel), "alts": alts}), closed


def _check(instance: Instance, r: Restriction) -> None:
    issues = []
    if r.alt_id not in instance.alt_by_id:
        issues.append(InputIssue("--alt", None, None, r.alt_id, "is not an ALT of the branch"))
    for s in r.without_schools:
        if s not in instance.school_by_id:
            issues.append(
                InputIssue("--without-school", None, None, s, "is not a school of the branch")
            )
    for d in r.days_off:
        if d not in DAYS:
            issues.append(
                InputIssue("--day-off", None, None, d, "is not Mon, Tue, Wed, Thu or Fri")
            )
    if r.max_schools is not None and r.max_schools < 0:
        issues.append(InputIssue("--max-schools", None, None, str(r.max_schools), "is below 0"))
    if issues:
        raise InstanceError(issues)


def what_if(
    instance: Instance,
    lessons: Sequence[Lesson],
    restriction: Restriction,
    weights: Weights,
    params: SolverParams,
    solve: SolveFn | None = None,
    *,
    resolve_baseline: bool = False,
) -> WhatIf:
    """Re-solve the branch with ``restriction`` and score both timetables on the branch.

    ``solve`` defaults to :func:`scheduler.solve.solve`; the search starts from scratch
    (the solver takes no starting timetable), so a short time limit compares a short
    search with ``lessons``. With ``resolve_baseline`` the timetable before is a search of
    the same length without the restriction, so both sides had the same effort.
    """
    from scheduler.result import lessons_frame

    if solve is None:
        from scheduler.solve import solve as default_solve

        solve = default_solve
    changed, closed = restricted(instance, restriction, lessons)
    if resolve_baseline:
        base = solve(instance, weights, params)
        lessons = base.lessons
    result = solve(changed, weights, params)
    before = score(instance, lessons_frame(list(lessons)), weights)
    after = score(instance, result.assignments, weights)
    violations = check(instance, result.assignments)
    if resolve_baseline:
        violations += check(instance, lessons_frame(list(lessons)))
    return WhatIf(
        restriction, closed, tuple(lessons), before, after, result, violations, resolve_baseline
    )


__all__ = ["Restriction", "WhatIf", "restricted", "what_if"]
