"""A small set of rule groups that together make a need impossible (CP-SAT, assumptions).

The question is local: can these classes get this many more lessons (or this ALT this many
more), with the rest of the timetable as it is? One boolean per candidate lesson (ALT,
class, day, period), every hard rule stated as usual but split into *groups* (one ALT's
weekly maximum, one blocked.csv row, one co-teacher, the commute limit, ...), each group
switched on by its own assumption literal. When the model is infeasible CP-SAT names a
sufficient set of assumptions (``sufficient_assumptions_for_infeasibility``); dropping, one
by one, each group whose removal keeps the model infeasible leaves a set in which every
group matters. A pin (a lesson that must happen) is a :class:`Target` with its own group, so
pins that conflict with each other or with a rule are named the same way.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from scheduler.instance import DAYS, Blocked, Instance, Period, minutes_of
from scheduler.model.cpsat import new_solver
from scheduler.model.data import too_close
from scheduler.result import Lesson

from .reasons import ClassKey, level_words, listing, plural, school_name

GroupKey = tuple[str, ...]


@dataclass(frozen=True)
class Target:
    """A need the core asks for: ``at_least`` more lessons among the candidate lessons of
    ``classes`` (all of them when None) by ``alts`` (any when None), on ``day`` and in
    ``period`` when given. ``group`` names it when it may be dropped (a pin); a target
    without a group is the question itself and always holds."""

    at_least: int
    classes: frozenset[ClassKey] | None = None
    alts: frozenset[str] | None = None
    day: str | None = None
    period: int | None = None
    group: tuple[GroupKey, str] | None = None


@dataclass
class Core:
    """The answer: ``feasible`` when nothing forbids the targets, else the groups (key and
    sentence) that together forbid them."""

    feasible: bool
    groups: list[tuple[GroupKey, str]] = field(default_factory=list)
    decided: bool = True  # False when a solve ran out of time; groups then may not be minimal


@dataclass(frozen=True)
class _Var:
    alt_id: str
    key: ClassKey
    day: str
    period: Period


class CoreModel:
    """The local model of candidate lessons around fixed lessons, one literal per group."""

    def __init__(
        self,
        instance: Instance,
        fixed: Sequence[Lesson],
        classes: Iterable[ClassKey],
        alts: Iterable[str],
    ) -> None:
        self.inst = instance
        self.fixed = list(fixed)
        self.classes = sorted(set(classes))
        self.alt_ids = sorted(set(alts))
        self.model = cp_model.CpModel()
        self.literal: dict[GroupKey, cp_model.IntVar] = {}
        self.text: dict[GroupKey, str] = {}
        self.x: dict[_Var, cp_model.IntVar] = {}
        self._close: dict[tuple[str, int, int, str, int, int], bool] = {}
        self._index_fixed()
        self._candidates()
        # Stated order: lesson by lesson, then per ALT, per class, per school.
        self._alt_counts()
        self._alt_days()
        self._class_counts()
        self._co_teachers()
        self._alts_per_day()

    # ---- groups --------------------------------------------------------------------------
    def group(self, key: GroupKey, text: str) -> cp_model.IntVar:
        """The assumption literal of a group, made on first use."""
        if key not in self.literal:
            self.literal[key] = self.model.new_bool_var("/".join(key))
            self.text[key] = text
        return self.literal[key]

    def _too_close(self, s1: str, p1: Period, s2: str, p2: Period) -> bool:
        # The same pairs of periods recur for every ALT and class: remembered, not recomputed.
        key = (s1, p1.start_min, p1.end_min, s2, p2.start_min, p2.end_min)
        if key not in self._close:
            self._close[key] = too_close(self.inst, s1, p1, s2, p2)
        return self._close[key]

    def _forbid(self, v: cp_model.IntVar, key: GroupKey, text: str) -> None:
        self.model.add_implication(self.group(key, text), v.Not())

    # ---- data ----------------------------------------------------------------------------
    def _index_fixed(self) -> None:
        inst = self.inst
        self.by_alt_day: dict[tuple[str, str], list[Lesson]] = defaultdict(list)
        self.by_class: dict[ClassKey, list[Lesson]] = defaultdict(list)
        self.by_school_day: dict[tuple[str, str], list[Lesson]] = defaultdict(list)
        self.load: dict[str, int] = defaultdict(int)
        for ls in self.fixed:
            self.by_alt_day[(ls.alt_id, ls.day)].append(ls)
            self.by_class[(ls.school_id, ls.class_)].append(ls)
            self.by_school_day[(ls.school_id, ls.day)].append(ls)
            self.load[ls.alt_id] += 1
        self.weekly_blocked: dict[tuple[str, str], list[tuple[int, Blocked]]] = defaultdict(list)
        for i, b in enumerate(inst.blocked):
            if isinstance(b.day, str):
                self.weekly_blocked[(b.school_id, b.day)].append((i, b))

    def _candidates(self) -> None:
        # Every ALT for every bell period of every class asked about; what forbids a lesson
        # is a group, so the core can say which.
        inst, st = self.inst, self.inst.settings
        lo, hi = minutes_of(st.day_start), minutes_of(st.day_end)
        for key in self.classes:
            for d in DAYS:
                for p in inst.periods(key[0], d):
                    if any(ls.day == d and ls.period == p.period for ls in self.by_class[key]):
                        continue  # the class already has its lesson then
                    for a in self.alt_ids:
                        v = self.model.new_bool_var(f"x/{a}/{key}/{d}/{p.period}")
                        self.x[_Var(a, key, d, p)] = v
                        self._lesson_rules(v, a, key, d, p, (lo, hi))

    def _lesson_rules(
        self, v: cp_model.IntVar, a: str, key: ClassKey, d: str, p: Period, window: tuple[int, int]
    ) -> None:
        inst = self.inst
        alt, school = inst.alt_by_id[a], inst.school_by_id[key[0]]
        limit = inst.settings.max_commute_minutes
        if not inst.qualified(alt, school):
            self._forbid(
                v,
                ("level", school.level),
                f"only ALTs qualified for {level_words(school.level)} teach at "
                f"{level_words(school.level)} schools",
            )
        if inst.commute_minutes(alt, school) > limit:
            self._forbid(v, ("commute",), f"the commute limit of {limit} minutes")
        if d in alt.unavailable:
            self._forbid(v, ("day_off", a), f"{a} is off on {', '.join(alt.unavailable)}")
        if p.start_min < window[0] or p.end_min > window[1]:
            st = inst.settings
            self._forbid(v, ("window",), f"the day window {st.day_start:%H:%M}-{st.day_end:%H:%M}")
        for i, b in self.weekly_blocked.get((key[0], d), []):
            if b.class_ not in (None, key[1]):
                continue
            if b.periods is None or p.period in b.periods:
                who = "the whole school" if b.class_ is None else f"class {b.class_}"
                when = "all day" if b.periods is None else f"periods {_spans(b.periods)}"
                text = f"blocked.csv closes {school_name(inst, key[0])} ({who}) {when} on {d}"
                self._forbid(v, ("blocked", str(i)), text)
        own = self.by_alt_day.get((a, d), [])
        if any(self._too_close(ls.school_id, _period(inst, ls), key[0], p) for ls in own):
            self._forbid(
                v, ("busy", a), f"{a} is busy with other lessons at those times (or travelling)"
            )
        others = {ls.school_id for ls in own} - {key[0]}
        cap = inst.settings.max_schools_per_day
        if len(others) >= cap:
            self._forbid(
                v,
                ("schools_day", a),
                f"{a} visits at most {plural(cap, 'school')} a day (elsewhere on those days)",
            )
        teacher = (inst.class_by_key[key].co_teacher or "").strip()
        if teacher:
            for ls in self.by_school_day.get((key[0], d), []):
                other = inst.class_by_key[(ls.school_id, ls.class_)]
                if (
                    other.class_ != key[1]
                    and (other.co_teacher or "").strip() == teacher
                    and _period(inst, ls).start_min < p.end_min
                    and p.start_min < _period(inst, ls).end_min
                ):
                    self._forbid(
                        v,
                        ("co_teacher", key[0], teacher),
                        f"co-teacher {teacher} at {school_name(inst, key[0])} is busy with "
                        "other classes' lessons at those times",
                    )
                    break

    def _alt_counts(self) -> None:
        # Weekly and daily maxima of each ALT, counting the lessons they already give.
        inst = self.inst
        mine: dict[str, list[_Var]] = defaultdict(list)
        for var in self.x:
            mine[var.alt_id].append(var)
        for a, vars_ in mine.items():
            alt = inst.alt_by_id[a]
            top = inst.max_lessons(alt)
            lit = self.group(
                ("week_max", a),
                f"{a}'s weekly maximum of {top} lessons ({self.load.get(a, 0)} given)",
            )
            self.model.add(
                sum(self.x[v] for v in vars_) + self.load.get(a, 0) <= top
            ).only_enforce_if(lit)
            day_top = inst.max_lessons_per_day(alt)
            for d in DAYS:
                today = [self.x[v] for v in vars_ if v.day == d]
                if not today:
                    continue
                given = len(self.by_alt_day.get((a, d), []))
                lit = self.group(("day_max", a), f"{a}'s daily maximum of {day_top} lessons")
                self.model.add(sum(today) + given <= day_top).only_enforce_if(lit)

    def _alt_days(self) -> None:
        # One ALT is in one place at a time, with travel between schools; schools a day.
        inst = self.inst
        cap = inst.settings.max_schools_per_day
        by_alt_day: dict[tuple[str, str], list[_Var]] = defaultdict(list)
        for var in self.x:
            by_alt_day[(var.alt_id, var.day)].append(var)
        for (a, d), vars_ in by_alt_day.items():
            # One indicator per (school, period) the ALT may teach in: classes of one school
            # share it (one at a time), and pairs of indicators too close for the ALT to
            # make both exclude each other. Far fewer pairs than lesson by lesson.
            slots: dict[tuple[str, int], list[_Var]] = defaultdict(list)
            for v in vars_:
                slots[(v.key[0], v.period.period)].append(v)
            busy: list[tuple[str, Period, cp_model.IntVar]] = []
            for (sid, _p), same in slots.items():
                t = self.model.new_bool_var(f"t/{a}/{sid}/{d}/{_p}")
                self.model.add(sum(self.x[v] for v in same) <= t)
                busy.append((sid, same[0].period, t))
            for i, (s1, p1, t1) in enumerate(busy):
                for s2, p2, t2 in busy[i + 1 :]:
                    if self._too_close(s1, p1, s2, p2):
                        self.model.add(t1 + t2 <= 1)
            schools = sorted({v.key[0] for v in vars_})
            if len(schools) < 2:
                continue
            present = {ls.school_id for ls in self.by_alt_day.get((a, d), [])}
            y = {s: self.model.new_bool_var(f"y/{a}/{s}/{d}") for s in schools if s not in present}
            for v in vars_:
                if v.key[0] in y:
                    self.model.add_implication(self.x[v], y[v.key[0]])
            lit = self.group(
                ("schools_day", a),
                f"{a} visits at most {plural(cap, 'school')} a day (elsewhere on those days)",
            )
            self.model.add(sum(y.values()) + len(present) <= cap).only_enforce_if(lit)

    def _class_counts(self) -> None:
        # A class never gets more than it needs, one lesson at a time, and its daily limit.
        inst = self.inst
        limit = inst.settings.max_class_lessons_per_day
        by_class: dict[ClassKey, list[_Var]] = defaultdict(list)
        for var in self.x:
            by_class[var.key].append(var)
        for key, vars_ in by_class.items():
            given = len(self.by_class.get(key, []))
            need = inst.class_by_key[key].alt_lessons
            self.model.add(sum(self.x[v] for v in vars_) + given <= need)
            slots: dict[tuple[str, int], list[_Var]] = defaultdict(list)
            for v in vars_:
                slots[(v.day, v.period.period)].append(v)
            for same in slots.values():
                self.model.add_at_most_one(self.x[v] for v in same)
            lit = self.group(
                ("class_day",), f"at most {plural(limit, 'ALT lesson')} a class a day"
            )
            for d in DAYS:
                today = [self.x[v] for v in vars_ if v.day == d]
                had = sum(1 for ls in self.by_class.get(key, []) if ls.day == d)
                if today:
                    self.model.add(sum(today) + had <= limit).only_enforce_if(lit)

    def _co_teachers(self) -> None:
        # Two classes of one co-teacher never have lessons at the same time.
        inst = self.inst
        slots: dict[tuple[str, str, str, int], list[_Var]] = defaultdict(list)
        for v in self.x:
            teacher = (inst.class_by_key[v.key].co_teacher or "").strip()
            if teacher:
                slots[(v.key[0], teacher, v.day, v.period.period)].append(v)
        for (sid, teacher, _d, _p), vars_ in slots.items():
            if len({v.key for v in vars_}) < 2:
                continue
            lit = self.group(
                ("co_teacher", sid, teacher),
                f"co-teacher {teacher} at {school_name(inst, sid)} teams one class at a time",
            )
            self.model.add(sum(self.x[v] for v in vars_) <= 1).only_enforce_if(lit)

    def _alts_per_day(self) -> None:
        # A school takes at most max_alts_per_day ALTs a day.
        inst = self.inst
        by_school_day: dict[tuple[str, str], dict[str, list[_Var]]] = defaultdict(
            lambda: defaultdict(list)
        )
        for v in self.x:
            by_school_day[(v.key[0], v.day)][v.alt_id].append(v)
        for (sid, d), per_alt in by_school_day.items():
            present = {ls.alt_id for ls in self.by_school_day.get((sid, d), [])}
            cap = inst.school_by_id[sid].max_alts_per_day
            new = []
            for a, vars_ in per_alt.items():
                if a in present:
                    continue
                z = self.model.new_bool_var(f"z/{a}/{sid}/{d}")
                for v in vars_:
                    self.model.add_implication(self.x[v], z)
                new.append(z)
            lit = self.group(
                ("alts_day", sid),
                f"{school_name(inst, sid)} takes at most {plural(cap, 'ALT')} a day",
            )
            self.model.add(sum(new) + len(present) <= cap).only_enforce_if(lit)

    # ---- targets and the core ------------------------------------------------------------
    def require(self, target: Target) -> None:
        """Ask for ``target`` (with its own literal when it has a group)."""
        chosen = [
            lit
            for v, lit in self.x.items()
            if (target.classes is None or v.key in target.classes)
            and (target.alts is None or v.alt_id in target.alts)
            and (target.day is None or v.day == target.day)
            and (target.period is None or v.period.period == target.period)
        ]
        constraint = self.model.add(sum(chosen) >= target.at_least)
        if target.group is not None:
            constraint.only_enforce_if(self.group(*target.group))

    def core(self, seconds: float = 5.0) -> Core:
        """Solve with every group on; when infeasible, a set of groups each needed for it."""
        deadline = time.monotonic() + seconds
        keys = list(self.literal)
        status, found = self._solve(keys, deadline)
        if status == cp_model.FEASIBLE or status == cp_model.OPTIMAL:
            return Core(feasible=True)
        if status != cp_model.INFEASIBLE:
            return Core(feasible=False, decided=False)
        decided = True
        kept = found
        for key in list(kept):
            if key not in kept:
                continue
            trial = [k for k in kept if k != key]
            status, smaller = self._solve(trial, deadline)
            if status == cp_model.INFEASIBLE:
                kept = [k for k in trial if k in set(smaller)] if smaller else trial
            elif status not in (cp_model.FEASIBLE, cp_model.OPTIMAL):
                decided = False
                break
        return Core(False, [(k, self.text[k]) for k in kept], decided)

    def _solve(
        self, keys: list[GroupKey], deadline: float
    ) -> tuple[cp_model.CpSolverStatus, list[GroupKey]]:
        self.model.clear_assumptions()
        self.model.add_assumptions([self.literal[k] for k in keys])
        # One worker: the core comes from the search that proved infeasibility.
        solver = new_solver(None, max(0.05, deadline - time.monotonic()), workers=1)
        # The models are small: presolve costs more than it saves.
        solver.parameters.cp_model_presolve = False
        status = solver.solve(self.model)
        if status != cp_model.INFEASIBLE:
            return status, []
        index = {self.literal[k].index: k for k in keys}
        return status, [index[i] for i in solver.sufficient_assumptions_for_infeasibility()]


def _period(inst: Instance, ls: Lesson) -> Period:
    return Period(period=ls.period, start=ls.start, end=ls.end)


def _spans(periods: tuple[int, ...]) -> str:
    ps = sorted(periods)
    return (
        f"{ps[0]}-{ps[-1]}"
        if ps == list(range(ps[0], ps[-1] + 1)) and len(ps) > 1
        else ", ".join(map(str, ps))
    )


def core_sentence(inst: Instance, what: str, core: Core) -> str:
    """``1-1 cannot get 2 more lessons while all of these hold: ...`` in users' words."""
    if core.feasible:
        return f"nothing forbids {what}: the search did not find a place; a longer run may give it"
    if not core.decided and not core.groups:
        return f"not examined: {what} (the check ran out of time)"
    if not core.groups:
        return f"{what} is impossible: every period it could use is taken"
    rules = "; ".join(group_phrases(inst, core.groups))
    tail = (
        "" if core.decided else " (the check ran out of time; the list may be longer than needed)"
    )
    return f"{what} is impossible while these hold together: {rules}{tail}"


# Groups of one ALT each, said once for all the ALTs of a kind: (singular, plural) verb
# phrases, and whether the ALT's own figure follows its id.
_PER_ALT = {
    "busy": ("has other lessons at those times", "have other lessons at those times"),
    "schools_day": ("is at another school on those days", "are at another school on those days"),
    "day_off": ("is off on those days", "are off on those days"),
    "week_max": ("is at their weekly maximum", "are at their weekly maximum"),
    "day_max": ("is at their daily maximum on those days", "are at their daily maximum then"),
}


def group_phrases(inst: Instance, groups: Sequence[tuple[GroupKey, str]]) -> list[str]:
    """The groups of a core as phrases, the one-ALT groups of a kind said together:
    ``A01 and A04 have other lessons at those times; A09 is at their weekly maximum (15)``."""
    per_kind: dict[str, list[str]] = defaultdict(list)
    rest = []
    for key, text in groups:
        if key[0] in _PER_ALT and len(key) == 2:
            per_kind[key[0]].append(key[1])
        else:
            rest.append(text)
    out = []
    for kind, (one, many) in _PER_ALT.items():
        alts = sorted(per_kind.get(kind, []))
        if not alts:
            continue
        detail = ""
        if kind == "week_max":
            detail = f" ({', '.join(str(inst.max_lessons(inst.alt_by_id[a])) for a in alts)})"
        elif kind == "day_off":
            detail = (
                " ("
                + "; ".join(f"{a} {', '.join(inst.alt_by_id[a].unavailable)}" for a in alts)
                + ")"
            )
        elif kind == "schools_day":
            cap = inst.settings.max_schools_per_day
            detail = f" (at most {plural(cap, 'school')} a day)"
        out.append(f"{listing(alts, most=8)} {one if len(alts) == 1 else many}{detail}")
    return out + rest


__all__ = ["Core", "CoreModel", "Target", "core_sentence", "group_phrases"]
