"""Cover for an absent ALT: who can take each of their dated lessons, best first, and why.

For every dated lesson of the absent ALT in a date range (the term calendar: holidays and
dated events have already dropped some), every other ALT goes through the hard filters
(:data:`FILTERS`, one function per rule, the validator's rules applied to one date); those who
pass are ranked by points (:class:`CoverWeights`, the ``[cover]`` table of ``defaults.toml``).
Lessons are decided in time order and each decision updates the day (the substitute is busy
then, one lesson nearer their maxima, one cover more), so the next lesson's list already
counts it: one ALT is not handed every lesson by default. docs/cover.md has the rules.
"""

from __future__ import annotations

import tomllib
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from scheduler.calendar.covers import Cover, Covered
from scheduler.calendar.term import DatedLesson
from scheduler.errors import InputIssue, InstanceError
from scheduler.instance import DAYS, Alt, Instance, minutes_of
from scheduler.result import Lesson

MAX_POINTS = 10_000.0
MAX_WINDOW_DAYS = 366
CANDIDATE_COLUMNS = [
    "lesson", "key", "date", "period", "start", "end", "school_id", "class", "absent_alt",
    "rank", "alt_id", "name", "points", "reasons",
]  # fmt: skip


def _defaults() -> dict[str, Any]:
    """The ``[cover]`` table of ``defaults.toml``."""
    text = resources.files("scheduler").joinpath("defaults.toml").read_text(encoding="utf-8")
    return dict(tomllib.loads(text)["cover"])


class CoverWeights(BaseModel):
    """Points of each ranking criterion (docs/cover.md); a candidate's points are their sum."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    at_school: float = Field(ge=0, le=MAX_POINTS, allow_inf_nan=False)
    released: float = Field(ge=0, le=MAX_POINTS, allow_inf_nan=False)
    knows_class: float = Field(ge=0, le=MAX_POINTS, allow_inf_nan=False)
    knows_school: float = Field(ge=0, le=MAX_POINTS, allow_inf_nan=False)
    back_to_back: float = Field(ge=0, le=MAX_POINTS, allow_inf_nan=False)
    per_cover: float = Field(ge=0, le=MAX_POINTS, allow_inf_nan=False)
    travel_minute: float = Field(ge=0, le=MAX_POINTS, allow_inf_nan=False)
    window_days: int = Field(ge=0, le=MAX_WINDOW_DAYS)

    @classmethod
    def default(cls) -> CoverWeights:
        """The ``[cover]`` table of ``defaults.toml``."""
        return cls.model_validate(_defaults())

    @classmethod
    def load(cls, path: Path | None = None, overrides: Sequence[str] = ()) -> CoverWeights:
        """Defaults, then the ``[cover]`` table of a TOML file, then ``KEY=VALUE`` overrides.

        Raises
        ------
        InstanceError
            Naming the file (or ``--weight``), the key and the value.
        """
        values: dict[str, Any] = dict(_defaults())
        where = "--weight"
        if path is not None:
            values.update(_toml_table(path))
            where = path.name
        for text in overrides:
            key, sep, value = text.partition("=")
            if not sep or not key.strip():
                why = "is not KEY=VALUE, e.g. per_cover=50"
                raise InstanceError([InputIssue("--weight", None, None, text, why)])
            values[key.strip()] = value.strip()
            where = "--weight"
        try:
            return cls.model_validate(values)
        except ValidationError as e:
            issues = [
                InputIssue(where, None, ".".join(map(str, err["loc"])), str(err.get("input")),
                           err["msg"].lower())
                for err in e.errors()
            ]  # fmt: skip
            raise InstanceError(issues) from e


def _toml_table(path: Path) -> dict[str, Any]:
    from scheduler.io.textfile import read_text  # bounded like every file a user edits

    try:
        data = tomllib.loads(read_text(path))
    except OSError as e:
        why = f"cannot be read: {e.strerror or e}"
        raise InstanceError([InputIssue(path.name, None, None, None, why)]) from e
    except (ValueError, RecursionError) as e:
        why = f"cannot be read: {e}"
        raise InstanceError([InputIssue(path.name, None, None, None, why)]) from None
    table = data.get("cover")
    if not isinstance(table, dict):
        why = "has no [cover] table (e.g. [cover] then per_cover = 50)"
        raise InstanceError([InputIssue(path.name, None, "cover", None, why)])
    return table


@dataclass(frozen=True)
class Need:
    """A dated lesson of the absent ALT that needs a substitute."""

    number: int  # 1, 2, ... in the listing, for --choose
    lesson: DatedLesson

    @property
    def key(self) -> str:
        """``2026-12-08/3/S01/1-2``: date, period, school, class (ids hold no ``/``)."""
        ls = self.lesson
        return f"{ls.date.isoformat()}/{ls.period}/{ls.school_id}/{ls.class_}"


@dataclass(frozen=True)
class Candidate:
    """An ALT who can take a lesson: points and the reasons behind them."""

    alt_id: str
    points: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Option:
    """One lesson: its candidates best first, why nobody can take it (when so), the pick."""

    need: Need
    candidates: tuple[Candidate, ...]
    nobody: str | None
    chosen: str | None  # the ALT decided for it in this run (top or --choose), or None


@dataclass(frozen=True)
class CoverPlan:
    """The answer for one absent ALT over a date range."""

    absent: str
    first: date
    last: date
    options: tuple[Option, ...]
    quiet: tuple[tuple[date, str], ...]  # dates without a lesson of the absent ALT, and why

    def covers(self, note: str = "") -> list[Cover]:
        """The decided lessons as covers to record."""
        return [
            Cover(o.need.lesson.date, o.need.lesson.period, o.need.lesson.school_id,
                  o.need.lesson.class_, self.absent, o.chosen, note)
            for o in self.options
            if o.chosen is not None
        ]  # fmt: skip

    def as_json(self, instance: Instance) -> dict[str, Any]:
        """The plan as JSON types: every lesson with its candidates, pick and reasons."""
        lessons = []
        for o in self.options:
            ls = o.need.lesson
            lessons.append({
                "lesson": o.need.number, "key": o.need.key, "date": ls.date.isoformat(),
                "period": ls.period, "start": f"{ls.start:%H:%M}", "end": f"{ls.end:%H:%M}",
                "school_id": ls.school_id, "class": ls.class_, "chosen": o.chosen,
                "nobody": o.nobody,
                "candidates": [
                    {"alt_id": c.alt_id, "name": instance.alt_by_id[c.alt_id].name,
                     "points": c.points, "reasons": list(c.reasons)}
                    for c in o.candidates
                ],
            })  # fmt: skip
        return {
            "absent": self.absent, "first": self.first.isoformat(), "last": self.last.isoformat(),
            "quiet": [{"date": d.isoformat(), "why": why} for d, why in self.quiet],
            "lessons": lessons,
        }  # fmt: skip

    def frame(self, instance: Instance) -> pd.DataFrame:
        """One row per (lesson, candidate), and one per lesson nobody can take."""
        rows: list[dict[str, object]] = []
        for o in self.options:
            ls = o.need.lesson
            base = {
                "lesson": o.need.number, "key": o.need.key, "date": ls.date.isoformat(),
                "period": ls.period, "start": f"{ls.start:%H:%M}", "end": f"{ls.end:%H:%M}",
                "school_id": ls.school_id, "class": ls.class_, "absent_alt": self.absent,
            }  # fmt: skip
            if not o.candidates:
                rows.append({**base, "rank": "", "alt_id": "", "name": "", "points": "",
                             "reasons": o.nobody or ""})  # fmt: skip
            for rank, c in enumerate(o.candidates, 1):
                name = instance.alt_by_id[c.alt_id].name
                why = "; ".join(c.reasons)
                rows.append({**base, "rank": rank, "alt_id": c.alt_id, "name": name,
                             "points": _points(c.points), "reasons": why})  # fmt: skip
        return pd.DataFrame(rows, columns=CANDIDATE_COLUMNS)


def _points(x: float) -> str:
    return f"{x:g}"


# ---- the day, as a substitute sees it ----------------------------------------------------------


@dataclass
class CoverDay:
    """Everything the filters and the ranking need about one date, updated by each decision."""

    instance: Instance
    date: date
    absent: set[str]  # the absent ALT and ALTs covered that day by covers in force
    lessons: dict[str, list[DatedLesson]]  # each present ALT's lessons that day
    week_load: Counter[str]  # lessons in the date's ISO week, per ALT
    released: dict[str, str]  # ALT -> why their lessons that day were lost (events)
    covers: Counter[str]  # covers in the fairness window (store) and in this run
    taught_class: dict[tuple[str, str], set[str]]
    taught_school: dict[str, set[str]]
    owner: Mapping[DatedLesson, str]  # covered lesson -> the ALT the timetable gives it to
    taken: dict[int, str] = field(default_factory=dict)  # need number -> ALT, this run

    def at_school(self, school_id: str) -> set[str]:
        """Present ALTs with a lesson at the school that day."""
        return {a for a, ls in self.lessons.items() if any(x.school_id == school_id for x in ls)}

    def take(self, need: Need, alt_id: str) -> None:
        """Record that ``alt_id`` teaches ``need`` (for the next lessons' filters and points)."""
        self.lessons.setdefault(alt_id, []).append(need.lesson)
        self.week_load[alt_id] += 1
        self.covers[alt_id] += 1
        self.taken[need.number] = alt_id


# A filter says, in the user's words, why an ALT cannot take a lesson; None when they can.
# ``why`` is the reason for this ALT; the group (the function's name) counts them for
# "nobody can take it".


def _not_absent(day: CoverDay, need: Need, alt: Alt) -> str | None:
    # The absent ALT, and anyone whose lessons that day were covered, is not there.
    return "absent that day" if alt.alt_id in day.absent else None


def _qualified(day: CoverDay, need: Need, alt: Alt) -> str | None:
    # The ALT is qualified for the school's level.
    school = day.instance.school_by_id[need.lesson.school_id]
    if day.instance.qualified(alt, school):
        return None
    return f"not qualified for {school.level.replace('_', ' ')}"


def _day_off(day: CoverDay, need: Need, alt: Alt) -> str | None:
    # The ALT works that weekday.
    weekday = DAYS[need.lesson.date.weekday()]
    return f"off on {weekday}" if weekday in alt.unavailable else None


def _commute(day: CoverDay, need: Need, alt: Alt) -> str | None:
    # The school is within the branch's commute limit of the ALT's home.
    limit = day.instance.settings.max_commute_minutes
    minutes = day.instance.travel_minutes(alt.alt_id, need.lesson.school_id)
    return f"farther than {limit} min from home" if minutes > limit else None


def _free(day: CoverDay, need: Need, alt: Alt) -> str | None:
    # The ALT has no lesson at that time that date (their own, or a cover).
    for other in day.lessons.get(alt.alt_id, ()):
        if _overlap(other, need.lesson):
            return f"busy then ({other.class_} at {other.school_id})"
    return None


def _travel(day: CoverDay, need: Need, alt: Alt) -> str | None:
    # Between lessons at two schools the ALT has the travel time (every pair, as the
    # validator checks: travel.csv need not obey the triangle inequality).
    ls = need.lesson
    for other in day.lessons.get(alt.alt_id, ()):
        if other.school_id == ls.school_id or _overlap(other, ls):
            continue
        need_min = day.instance.travel_minutes(other.school_id, ls.school_id)
        if minutes_of(other.end) <= minutes_of(ls.start):
            gap = minutes_of(ls.start) - minutes_of(other.end)
        else:
            gap = minutes_of(other.start) - minutes_of(ls.end)
        if gap < need_min:
            return f"cannot travel in time ({need_min} min from {other.school_id}, {gap} free)"
    return None


def _day_max(day: CoverDay, need: Need, alt: Alt) -> str | None:
    # The ALT stays within their daily maximum.
    cap = day.instance.max_lessons_per_day(alt)
    n = len(day.lessons.get(alt.alt_id, ()))
    return f"at their daily maximum ({n} of {cap})" if n + 1 > cap else None


def _week_max(day: CoverDay, need: Need, alt: Alt) -> str | None:
    # The ALT stays within their weekly maximum (the dated lessons of that week).
    cap = day.instance.max_lessons(alt)
    n = day.week_load[alt.alt_id]
    return f"at their weekly maximum ({n} of {cap})" if n + 1 > cap else None


def _schools_per_day(day: CoverDay, need: Need, alt: Alt) -> str | None:
    # The ALT visits at most max_schools_per_day schools that day.
    cap = day.instance.settings.max_schools_per_day
    schools = {x.school_id for x in day.lessons.get(alt.alt_id, ())} | {need.lesson.school_id}
    if len(schools) <= cap:
        return None
    return f"at another school that day (at most {cap} a day)"


def _school_alts(day: CoverDay, need: Need, alt: Alt) -> str | None:
    # The school has at most max_alts_per_day ALTs that day.
    school = day.instance.school_by_id[need.lesson.school_id]
    there = day.at_school(school.school_id) | {alt.alt_id}
    cap = school.max_alts_per_day
    return f"{school.school_id} has its {cap} ALT(s) that day" if len(there) > cap else None


FILTERS = (
    _not_absent,
    _qualified,
    _day_off,
    _commute,
    _free,
    _schools_per_day,
    _travel,
    _day_max,
    _week_max,
    _school_alts,
)

# How "nobody can take it" names each filter's group: "12 busy then".
_GROUP = {
    "_not_absent": "absent",
    "_qualified": "not qualified for {level}",
    "_day_off": "off on {weekday}",
    "_commute": "farther than {limit} min from home",
    "_free": "busy then",
    "_travel": "cannot travel in time",
    "_day_max": "at their daily maximum",
    "_week_max": "at their weekly maximum",
    "_schools_per_day": "at another school that day",
    "_school_alts": "kept out: {school} has its ALTs that day",
}


def refusal(
    day: CoverDay, need: Need, alt: Alt, skip: Collection[str] = ()
) -> tuple[str, str] | None:
    """(filter name, reason) of the first hard filter the ALT fails, or None; filters named
    in ``skip`` are not applied."""
    for rule in FILTERS:
        if rule.__name__ in skip:
            continue
        why = rule(day, need, alt)
        if why is not None:
            return rule.__name__, why
    return None


def _overlap(a: DatedLesson, b: DatedLesson) -> bool:
    return minutes_of(a.start) < minutes_of(b.end) and minutes_of(b.start) < minutes_of(a.end)


# ---- ranking ----------------------------------------------------------------------------------


def rank(day: CoverDay, need: Need, alt: Alt, w: CoverWeights, back: set[str]) -> Candidate:
    """Points of an ALT who passed the filters, with a reason per criterion that counts.

    ``back`` holds the ALTs who took the absent ALT's lesson just before or after this one
    at the same school, in this run.
    """
    inst, ls = day.instance, need.lesson
    school = inst.school_by_id[ls.school_id]
    points, reasons = 0.0, []

    def add(weight: float, why: str) -> None:
        nonlocal points
        points += weight
        if weight:
            reasons.append(f"{why} ({'+' if weight > 0 else ''}{_points(weight)})")

    mine = day.lessons.get(alt.alt_id, [])
    if any(x.school_id == ls.school_id for x in mine):
        add(w.at_school, f"already at {school.name} that day")
    if alt.alt_id in day.released:
        add(w.released, f"free: {day.released[alt.alt_id]}")
    if alt.alt_id in day.taught_class.get((ls.school_id, ls.class_), ()):
        add(w.knows_class, f"has taught {ls.class_} at {school.name}")
    elif alt.alt_id in day.taught_school.get(ls.school_id, ()):
        add(w.knows_school, f"has taught at {school.name}")
    if alt.alt_id in back:
        add(w.back_to_back, "takes the lesson next to it")
    n = day.covers[alt.alt_id]
    if n:
        add(-w.per_cover * n, f"{n} cover{'s' if n != 1 else ''} in the last {w.window_days} days")
    else:
        reasons.append(f"no cover in the last {w.window_days} days")
    extra = _extra_travel(inst, alt, mine, ls.school_id)
    add(-w.travel_minute * extra, f"{extra} min extra travel")
    if not extra:
        reasons.append("no extra travel")
    return Candidate(alt.alt_id, round(points, 6), tuple(reasons))


def _extra_travel(inst: Instance, alt: Alt, mine: Iterable[DatedLesson], school_id: str) -> int:
    """Minutes to reach the school: 0 when there already, from the nearest school the ALT
    is at that day, else from home."""
    schools = {x.school_id for x in mine}
    if school_id in schools:
        return 0
    if schools:
        return min(inst.travel_minutes(s, school_id) for s in schools)
    return inst.travel_minutes(alt.alt_id, school_id)


# ---- planning -----------------------------------------------------------------------------------


def plan(
    instance: Instance,
    weekly: Sequence[Lesson],
    covered: Covered,
    absent: str,
    first: date,
    last: date,
    weights: CoverWeights,
    history: Sequence[Cover] = (),
    chosen: Mapping[str, str] | None = None,
    take_top: bool = True,
) -> CoverPlan:
    """Candidates for every dated lesson of ``absent`` from ``first`` to ``last``.

    Parameters
    ----------
    instance
        The branch.
    weekly
        The weekly timetable (who has taught which class and school).
    covered
        The term calendar with the store's covers applied; it must hold every date of the
        ISO weeks of the range (the weekly maximum counts the week).
    absent
        The absent ALT's id.
    first, last
        The dates, inside the term.
    weights
        Ranking points.
    history
        Covers in force (the store's), for the fairness window and who taught what.
    chosen
        Need key -> ALT decided by the user (``--choose``); checked against the filters.
    take_top
        Decide the top candidate of every lesson not in ``chosen`` (listing, ``--apply``);
        False decides only the chosen ones (``--choose`` without ``--apply``).

    Raises
    ------
    InstanceError
        A chosen ALT who cannot take the lesson (``--choose``, the value, the reason).
    """
    chosen = dict(chosen or {})
    cal = covered.calendar
    by_date: dict[date, list[DatedLesson]] = defaultdict(list)
    for ls in cal.lessons:
        by_date[ls.date].append(ls)
    taught_class: dict[tuple[str, str], set[str]] = defaultdict(set)
    taught_school: dict[str, set[str]] = defaultdict(set)
    for x in weekly:
        taught_class[(x.school_id, x.class_)].add(x.alt_id)
        taught_school[x.school_id].add(x.alt_id)
    for c in history:
        taught_class[(c.school_id, c.class_)].add(c.to_alt)
        taught_school[c.school_id].add(c.to_alt)
    options: list[Option] = []
    quiet: list[tuple[date, str]] = []
    number = 0
    run_covers: Counter[str] = Counter()
    decided: list[tuple[DatedLesson, str]] = []  # this run's picks, for the weekly maximum
    for d in _dates(first, last):
        mine = sorted((x for x in by_date.get(d, ()) if x.alt_id == absent), key=lambda x: x.start)
        if not mine:
            quiet.append((d, _why_quiet(instance, covered, absent, d)))
            continue
        window = _window_counts(history, d, weights.window_days) + run_covers
        day = _day(instance, covered, by_date.get(d, []), absent, d, window, decided,
                   taught_class, taught_school)  # fmt: skip
        needs = []
        for ls in mine:
            number += 1
            needs.append(Need(number, ls))
        for i, need in enumerate(needs):
            opt = _decide(day, needs, i, weights, chosen.pop(need.key, None), take_top)
            if opt.chosen is not None:
                day.take(need, opt.chosen)
                run_covers[opt.chosen] += 1
                decided.append((need.lesson, opt.chosen))
            options.append(opt)
    return CoverPlan(absent, first, last, tuple(options), tuple(quiet))


def _decide(
    day: CoverDay, needs: Sequence[Need], i: int, w: CoverWeights, pick: str | None, take_top: bool
) -> Option:
    need = needs[i]
    back = {
        day.taken[n.number]
        for n in (needs[i - 1] if i else None, needs[i + 1] if i + 1 < len(needs) else None)
        if n is not None and n.number in day.taken and n.lesson.school_id == need.lesson.school_id
    }
    cands: list[tuple[float, int, int, Candidate]] = []
    refused: list[tuple[str, str, str]] = []
    for order, alt in enumerate(day.instance.alts):
        why = refusal(day, need, alt)
        if why is not None:
            refused.append((alt.alt_id, *why))
            continue
        c = rank(day, need, alt, w, back)
        cands.append((-c.points, len(day.lessons.get(alt.alt_id, ())), order, c))
    ranked = tuple(c for *_, c in sorted(cands, key=lambda t: t[:3]))
    decided: str | None = None
    if pick is not None:
        if pick not in {c.alt_id for c in ranked} and not _giving_back(day, need, pick):
            reason = next((r for a, _, r in refused if a == pick), "not an ALT of the branch")
            msg = f"{pick} cannot take lesson {need.number} ({need.key}): {reason}"
            raise InstanceError([InputIssue("--choose", None, None, f"{need.key}={pick}", msg)])
        decided = pick
    elif take_top and ranked:
        decided = ranked[0].alt_id
    nobody = None if ranked else _nobody(day, need, refused)
    return Option(need, ranked, nobody, decided)


def _giving_back(day: CoverDay, need: Need, pick: str) -> bool:
    """True when ``pick`` is the ALT whose lesson was covered, named to take it back: they
    count as absent that day only for the lessons still covered, so every other filter must
    pass."""
    alt = day.instance.alt_by_id.get(pick)
    return (
        alt is not None
        and day.owner.get(need.lesson) == pick
        and refusal(day, need, alt, skip=("_not_absent",)) is None
    )


def _nobody(day: CoverDay, need: Need, refused: Sequence[tuple[str, str, str]]) -> str:
    """'nobody can take it: 40 not qualified for junior high, 12 busy then, ...'."""
    school = day.instance.school_by_id[need.lesson.school_id]
    facts = {
        "level": school.level.replace("_", " "),
        "weekday": DAYS[need.lesson.date.weekday()],
        "limit": day.instance.settings.max_commute_minutes,
        "school": school.school_id,
    }
    counts = Counter(rule for _, rule, _ in refused if rule != "_not_absent")
    if not counts:
        return "nobody can take it: no other ALT in the branch"
    parts = [f"{n} {_GROUP[rule].format(**facts)}" for rule, n in counts.most_common()]
    when = f"period {need.lesson.period} ({need.lesson.start:%H:%M}-{need.lesson.end:%H:%M})"
    return f"nobody can take {when}: of {sum(counts.values())} other ALTs, " + ", ".join(parts)


def _day(
    instance: Instance,
    covered: Covered,
    lessons: Sequence[DatedLesson],
    absent: str,
    d: date,
    window: Counter[str],
    decided: Sequence[tuple[DatedLesson, str]],
    taught_class: dict[tuple[str, str], set[str]],
    taught_school: dict[str, set[str]],
) -> CoverDay:
    away = {absent} | covered.absent_on(d)
    by_alt: dict[str, list[DatedLesson]] = defaultdict(list)
    for ls in lessons:
        if ls.alt_id not in away:
            by_alt[ls.alt_id].append(ls)
    monday = d - timedelta(days=d.weekday())
    week = {monday + timedelta(days=n) for n in range(7)}
    load = Counter(ls.alt_id for ls in covered.calendar.lessons if ls.date in week)
    load.update(alt_id for ls, alt_id in decided if ls.date in week)  # earlier days of this run
    released: dict[str, str] = {}
    for x in covered.calendar.lost:
        if x.date == d and x.reason == "event" and x.alt_id not in by_alt:
            released[x.alt_id] = f"own lessons that day lost to an event ({x.detail})"
    return CoverDay(instance, d, away, dict(by_alt), load, released, Counter(window),
                taught_class, taught_school, covered.cover_for)  # fmt: skip


def _window_counts(history: Iterable[Cover], d: date, days: int) -> Counter[str]:
    """Covers each ALT took in the ``days`` days before ``d`` (``d`` itself included)."""
    lo = d - timedelta(days=days)
    return Counter(c.to_alt for c in history if lo <= c.date <= d)


def _dates(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _why_quiet(instance: Instance, covered: Covered, absent: str, d: date) -> str:
    """Why the absent ALT has no lesson that date, in the user's words."""
    if d.weekday() >= 5:
        return "a weekend"
    lost = [x for x in covered.calendar.lost if x.date == d and x.alt_id == absent]
    if any(x.reason == "holiday" for x in lost):
        return f"a holiday ({lost[0].detail})"
    if absent in covered.absent_on(d):
        return "already covered"
    if lost:
        return f"all {len(lost)} lessons lost to school events ({lost[0].detail})"
    weekday = DAYS[d.weekday()]
    if weekday in instance.alt_by_id[absent].unavailable:
        return f"off on {weekday}"
    return f"no lesson on {weekday} in the timetable"


def week_span(first: date, last: date) -> tuple[date, date]:
    """Monday of ``first``'s ISO week to Friday of ``last``'s: what :func:`plan` needs
    expanded (the weekly maximum counts the whole week)."""
    return first - timedelta(days=first.weekday()), last + timedelta(days=4 - last.weekday())


__all__ = [
    "FILTERS",
    "Candidate",
    "CoverDay",
    "CoverPlan",
    "CoverWeights",
    "Need",
    "Option",
    "plan",
    "rank",
    "refusal",
    "week_span",
]
