"""Independent check of a timetable against its instance, and the objective recomputed.

This module is the second implementation of the rules: it never imports the CP-SAT model and
re-derives every hard rule from the raw tables (bells, blocked rows, settings), so a bug in the
model shows up as a violation here. Only plain data facts are shared with the model: the
instance's lookups, contract values per ALT and :meth:`Instance.travel_minutes`.

Public API: :func:`read_assignments`, :func:`check` (hard rules, one function per rule family)
and :func:`score` (every soft term of ``docs/objective.md`` plus KPIs).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import time
from itertools import combinations
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from scheduler.config import MAX_ASSIGNMENT_ROWS, Weights
from scheduler.errors import InputIssue, InstanceError
from scheduler.instance import DAYS, Alt, Instance, SchoolClass
from scheduler.io.textfile import read_csv
from scheduler.text import id_problem

ASSIGNMENTS_FILE = "assignments.csv"
ASSIGNMENT_COLUMNS = ("alt_id", "school_id", "class", "day", "period", "start", "end")
# A comma inside quotes in these is a stray quote; an id may hold one (docs/input.md).
_COMMA_FREE = ("class", "day", "period", "start", "end")
TERMS = (
    "unmet_lesson",
    "under_floor_lesson",
    "alt_school",
    "commute_minute",
    "load_spread",
    "day_peak",
    "continuity",
)
# Every rule check() may report, in the order it reports them.
RULES = (
    "duplicate_row",
    "unknown_reference",
    "bell_mismatch",
    "day_window",
    "level",
    "day_off",
    "commute",
    "blocked",
    "alt_week_max",
    "alt_day_max",
    "schools_per_day",
    "alt_overlap",
    "travel",
    "class_need",
    "class_day_limit",
    "class_overlap",
    "co_teacher",
    "alts_per_day",
    "pin",
)
PER_ALT_COLUMNS = [
    "alt_id",
    "load",
    "floor",
    "max",
    "schools",
    "visit_days",
    "commute_minutes",
    *DAYS,
    "under_floor",
    "day_peak",
    "penalty_under_floor_lesson",
    "penalty_alt_school",
    "penalty_commute_minute",
    "penalty_day_peak",
    "penalty",
]
PER_CLASS_COLUMNS = ["school_id", "class", "need", "given", "missing", "alts"]
UNMET_COLUMNS = ["school_id", "class", "missing"]
_TIME = re.compile(r"^\s*([0-9]{1,2}):([0-9]{2})\s*$")


@dataclass(frozen=True)
class Violation:
    """One broken hard rule, located as precisely as the rule allows."""

    rule: str
    message: str
    alt_id: str | None = None
    school_id: str | None = None
    class_: str | None = None
    day: str | None = None
    period: int | None = None

    def names(self, lesson: Any) -> bool:
        """Whether ``lesson`` (anything with alt_id, school_id, class_, day and period) is
        one this violation is about: every field the violation gives matches."""
        return all(
            want is None or getattr(lesson, key) == want
            for key, want in (
                ("alt_id", self.alt_id), ("school_id", self.school_id), ("class_", self.class_),
                ("day", self.day), ("period", self.period),
            )
        )  # fmt: skip

    def __str__(self) -> str:
        where = " ".join(
            str(v) for v in (self.alt_id, self.school_id, self.class_, self.day) if v is not None
        )
        if self.period is not None:
            where += f" p{self.period}"
        return f"{self.rule}: {where}: {self.message}" if where else f"{self.rule}: {self.message}"


class _Lesson(NamedTuple):
    """One assignments row, times in minutes since midnight, ``row`` its spreadsheet row."""

    row: int
    alt_id: str
    school_id: str
    class_: str
    day: str
    period: int
    start: int
    end: int

    @property
    def content(self) -> tuple[str, str, str, str, int, int, int]:
        return (
            self.alt_id,
            self.school_id,
            self.class_,
            self.day,
            self.period,
            self.start,
            self.end,
        )

    @property
    def span(self) -> str:
        return f"{_hhmm(self.start)}-{_hhmm(self.end)}"


# ---- reading ---------------------------------------------------------------------------------


def read_assignments(path: Path) -> pd.DataFrame:
    """Read an ``assignments.csv`` into the contract's columns, every value checked.

    Parameters
    ----------
    path
        The CSV file (UTF-8, a BOM is tolerated; extra columns are dropped), read by
        :func:`scheduler.io.textfile.read_csv` as every table is: strict quoting, and at
        most :data:`~scheduler.config.MAX_ASSIGNMENT_ROWS` rows.

    Returns
    -------
    pandas.DataFrame
        Columns ``alt_id, school_id, class, day, period, start, end``; ``period`` an int,
        times normalised to ``HH:MM``.

    Raises
    ------
    InstanceError
        Naming the file, row, column and value of every problem found.
    """
    # Row numbers are the lines an editor shows (blank lines count); every limit and quoting
    # rule of the instance's tables holds here too (docs/input.md).
    grid = read_csv(path, max_rows=MAX_ASSIGNMENT_ROWS, comma_free=_COMMA_FREE)
    if not grid:
        raise InstanceError(
            [InputIssue(path.name, None, None, None, "is empty; it needs a header row")]
        )
    header, records = [c.lower() for c in grid[0][1]], grid[1:]
    _check_assignments_header(path.name, header)
    at = {col: header.index(col) for col in ASSIGNMENT_COLUMNS}  # the first of a repeated name
    raw = pd.DataFrame(
        [
            {col: cells[k] if k < len(cells) else "" for col, k in at.items()}
            for _, cells in records
        ],
        columns=list(ASSIGNMENT_COLUMNS),
        index=pd.Index([row - 2 for row, _ in records], dtype="int64"),
        dtype=object,
    )
    lessons = _lessons(raw, path.name)
    return pd.DataFrame(
        [
            {
                "alt_id": ls.alt_id,
                "school_id": ls.school_id,
                "class": ls.class_,
                "day": ls.day,
                "period": ls.period,
                "start": _hhmm(ls.start),
                "end": _hhmm(ls.end),
            }
            for ls in lessons
        ],
        columns=list(ASSIGNMENT_COLUMNS),
        index=pd.Index([ls.row - 2 for ls in lessons], dtype="int64"),
    )


def _check_assignments_header(file: str, header: list[str]) -> None:
    # Names are matched without case, as in the instance's tables; extra columns are dropped.
    missing = [c for c in ASSIGNMENT_COLUMNS if c not in header]
    twice = sorted({c for c in ASSIGNMENT_COLUMNS if header.count(c) > 1})
    issues = [
        InputIssue(file, None, c, None, "is a required column and is missing") for c in missing
    ] + [InputIssue(file, None, c, None, "appears twice in the header") for c in twice]
    if issues:
        raise InstanceError(issues)


def file_rows(df: pd.DataFrame) -> list[int]:
    """The spreadsheet row of each record of an assignments table: its index + 2 when
    :func:`read_assignments` numbered it (blank lines skipped), else its position + 2."""
    if pd.api.types.is_integer_dtype(df.index) and df.index.is_unique:
        return [int(i) + 2 for i in df.index]
    return list(range(2, len(df) + 2))


def _lessons(df: pd.DataFrame, file: str = ASSIGNMENTS_FILE) -> list[_Lesson]:
    # Every problem of the whole table is collected before raising, so the user sees all.
    missing = [c for c in ASSIGNMENT_COLUMNS if c not in df.columns]
    if missing:
        raise InstanceError(
            [
                InputIssue(file, None, c, None, "is a required column and is missing")
                for c in missing
            ]
        )
    reader = _RowReader(file)
    records = df[list(ASSIGNMENT_COLUMNS)].to_dict("records")
    out = [
        ls
        for row, rec in zip(file_rows(df), records, strict=True)
        if (ls := reader.lesson(row, rec)) is not None
    ]
    if reader.issues:
        raise InstanceError(reader.issues)
    return out


class _RowReader:
    """Reads assignments rows into lessons, collecting every problem of every row.

    The same few hundred ids and bell times repeat over thousands of rows: each is checked
    once (the table is read up to three times a solve).
    """

    def __init__(self, file: str) -> None:
        self.file = file
        self.issues: list[InputIssue] = []
        self._id_problems: dict[str, str | None] = {}
        self._minutes: dict[tuple[type, object], int | None] = {}

    def lesson(self, row: int, rec: dict[Any, Any]) -> _Lesson | None:
        """The row's lesson, or None after recording what is wrong with it."""
        n_before = len(self.issues)
        ids = self._ids(row, rec)
        day = _text(rec["day"])
        if day not in DAYS:
            self._bad(row, "day", rec["day"], "is not a weekday Mon, Tue, Wed, Thu or Fri")
        period = _whole(rec["period"])
        if period is None or period < 1:
            self._bad(row, "period", rec["period"], "is not a period number 1, 2, ...")
        start, end = self._times(row, rec)
        if len(self.issues) > n_before:
            return None
        assert period is not None and start is not None and end is not None
        return _Lesson(row, ids["alt_id"], ids["school_id"], ids["class"], day, period, start, end)

    def _bad(self, row: int, column: str, value: object, message: str) -> None:
        self.issues.append(InputIssue(self.file, row, column, str(value), message))

    def _ids(self, row: int, rec: dict[Any, Any]) -> dict[str, str]:
        ids: dict[str, str] = {}
        for col in ("alt_id", "school_id", "class"):
            v = _text(rec[col])
            if v not in self._id_problems:
                self._id_problems[v] = "is empty" if not v else id_problem(v)
            why = self._id_problems[v]
            if why is not None:
                # The instance's id rule holds for ids read back from a file, too.
                self.issues.append(InputIssue(self.file, row, col, v or None, why))
            ids[col] = v
        return ids

    def _times(self, row: int, rec: dict[Any, Any]) -> tuple[int | None, int | None]:
        start = _minutes_of(rec["start"], self._minutes)
        end = _minutes_of(rec["end"], self._minutes)
        if start is None:
            self._bad(row, "start", rec["start"], "is not a time HH:MM")
        if end is None:
            self._bad(row, "end", rec["end"], "is not a time HH:MM")
        if start is not None and end is not None and end <= start:
            self._bad(row, "end", rec["end"], f"is not after start {_hhmm(start)}")
        return start, end


def _minutes_of(v: object, known: dict[tuple[type, object], int | None]) -> int | None:
    """:func:`_minutes`, remembered in ``known`` for text and time cells."""
    if not isinstance(v, (str, time)):
        return _minutes(v)
    key = (type(v), v)
    if key not in known:
        known[key] = _minutes(v)
    return known[key]


def _text(v: object) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    return str(v).strip()


def _whole(v: object) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return int(v) if v.is_integer() else None
    s = _text(v)
    return int(s) if s.isdigit() else None


def _minutes(v: object) -> int | None:
    if isinstance(v, time):
        return v.hour * 60 + v.minute
    m = _TIME.match(_text(v))
    if not m:
        return None
    h, mi = int(m.group(1)), int(m.group(2))
    return h * 60 + mi if h < 24 and mi < 60 else None


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# ---- hard rules ------------------------------------------------------------------------------


class _Week:
    """The lessons of one timetable grouped every way the rules need, built once."""

    def __init__(self, lessons: list[_Lesson]) -> None:
        self.lessons = lessons
        self.by_alt: dict[str, list[_Lesson]] = defaultdict(list)
        self.by_alt_day: dict[tuple[str, str], list[_Lesson]] = defaultdict(list)
        self.by_class: dict[tuple[str, str], list[_Lesson]] = defaultdict(list)
        self.by_class_day: dict[tuple[str, str, str], list[_Lesson]] = defaultdict(list)
        self.by_school_day: dict[tuple[str, str], list[_Lesson]] = defaultdict(list)
        for ls in lessons:
            self.by_alt[ls.alt_id].append(ls)
            self.by_alt_day[(ls.alt_id, ls.day)].append(ls)
            self.by_class[(ls.school_id, ls.class_)].append(ls)
            self.by_class_day[(ls.school_id, ls.class_, ls.day)].append(ls)
            self.by_school_day[(ls.school_id, ls.day)].append(ls)


def check(instance: Instance, assignments: pd.DataFrame) -> list[Violation]:
    """Every hard rule of the contract that the timetable breaks.

    Exact duplicate rows are reported once as ``duplicate_row`` and then counted once; rows
    naming an unknown ALT, school or class are reported as ``unknown_reference`` and left out
    of every other rule, so one mistake gives one violation.

    Parameters
    ----------
    instance
        The branch the timetable was made for.
    assignments
        The contract's assignments table (as from :func:`read_assignments` or a result).

    Returns
    -------
    list[Violation]
        Empty when the timetable obeys every hard rule; otherwise ordered as :data:`RULES`.

    Raises
    ------
    InstanceError
        When the table itself is malformed (missing column, bad day, period or time).
    """
    out, unique = _duplicate_rows(_lessons(assignments))
    known: list[_Lesson] = []
    for ls in unique:
        bad = _unknown_references(instance, ls)
        out += bad
        if not bad:
            known.append(ls)
    week = _Week(known)
    for rule in _RULE_CHECKS:
        out += rule(instance, week)
    return out


def _duplicate_rows(lessons: list[_Lesson]) -> tuple[list[Violation], list[_Lesson]]:
    # An exact repeat of an earlier row is reported once and then counted once.
    out: list[Violation] = []
    unique: list[_Lesson] = []
    seen: dict[tuple[str, str, str, str, int, int, int], int] = {}
    for ls in lessons:
        first = seen.setdefault(ls.content, ls.row)
        if first != ls.row:
            out.append(_v("duplicate_row", ls, f"row {ls.row} repeats row {first}"))
        else:
            unique.append(ls)
    return out, unique


def _v(rule: str, ls: _Lesson, message: str) -> Violation:
    return Violation(rule, message, ls.alt_id, ls.school_id, ls.class_, ls.day, ls.period)


def _unknown_references(inst: Instance, ls: _Lesson) -> list[Violation]:
    # Every lesson names an ALT of alts.csv and a class of classes.csv at a school of schools.csv.
    out = []
    if ls.alt_id not in inst.alt_by_id:
        out.append(
            _v("unknown_reference", ls, f'row {ls.row}: ALT "{ls.alt_id}" is not in alts.csv')
        )
    if ls.school_id not in inst.school_by_id:
        msg = f'row {ls.row}: school "{ls.school_id}" is not in schools.csv'
        out.append(_v("unknown_reference", ls, msg))
    elif (ls.school_id, ls.class_) not in inst.class_by_key:
        msg = f'row {ls.row}: class "{ls.class_}" of {ls.school_id} is not in classes.csv'
        out.append(_v("unknown_reference", ls, msg))
    return out


def _bell_mismatch(inst: Instance, week: _Week) -> Iterator[Violation]:
    # A lesson happens in a period the school's bell schedule has that day, at its bell times.
    bells: dict[tuple[str, str, int], set[tuple[int, int]]] = defaultdict(set)
    for b in inst.bells:
        for d in b.days:
            bells[(b.school_id, d, b.period)].add(
                (b.start.hour * 60 + b.start.minute, b.end.hour * 60 + b.end.minute)
            )
    for ls in week.lessons:
        times = bells.get((ls.school_id, ls.day, ls.period))
        if not times:
            msg = f"row {ls.row}: {ls.school_id} has no period {ls.period} on {ls.day}"
            yield _v("bell_mismatch", ls, msg)
        elif (ls.start, ls.end) not in times:
            want = ", ".join(f"{_hhmm(s)}-{_hhmm(e)}" for s, e in sorted(times))
            msg = f"row {ls.row}: runs {ls.span}, but bells.csv says {want}"
            yield _v("bell_mismatch", ls, msg)


def _day_window(inst: Instance, week: _Week) -> Iterator[Violation]:
    # No lesson starts before day_start or ends after day_end.
    st = inst.settings
    lo, hi = st.day_start.hour * 60 + st.day_start.minute, st.day_end.hour * 60 + st.day_end.minute
    for ls in week.lessons:
        if ls.start < lo or ls.end > hi:
            msg = f"row {ls.row}: runs {ls.span}, outside the day {_hhmm(lo)}-{_hhmm(hi)}"
            yield _v("day_window", ls, msg)


def _level(inst: Instance, week: _Week) -> Iterator[Violation]:
    # The ALT is qualified for the school's level.
    for ls in week.lessons:
        level = inst.school_by_id[ls.school_id].level
        if level not in inst.alt_by_id[ls.alt_id].levels:
            msg = f"row {ls.row}: {ls.alt_id} is not qualified for {level} schools"
            yield _v("level", ls, msg)


def _day_off(inst: Instance, week: _Week) -> Iterator[Violation]:
    # The ALT works only on days they are available.
    for ls in week.lessons:
        if ls.day in inst.alt_by_id[ls.alt_id].unavailable:
            yield _v("day_off", ls, f"row {ls.row}: {ls.alt_id} is unavailable on {ls.day}")


def _commute(inst: Instance, week: _Week) -> Iterator[Violation]:
    # An ALT is never sent to a school farther than max_commute_minutes from home.
    limit = inst.settings.max_commute_minutes
    for ls in week.lessons:
        minutes = inst.travel_minutes(ls.alt_id, ls.school_id)
        if minutes > limit:
            msg = f"row {ls.row}: {ls.school_id} is {minutes} minutes from home (max {limit})"
            yield _v("commute", ls, msg)


def _blocked(inst: Instance, week: _Week) -> Iterator[Violation]:
    # No lesson in a weekly blocked period (school-wide or the class's own). Dated rows are
    # school events for calendars, not weekly rules, so they are ignored here.
    rows: dict[tuple[str, str], list[tuple[str | None, tuple[int, ...] | None]]] = defaultdict(
        list
    )
    for b in inst.blocked:
        if isinstance(b.day, str):
            rows[(b.school_id, b.day)].append((b.class_, b.periods))
    for ls in week.lessons:
        for class_, periods in rows.get((ls.school_id, ls.day), ()):
            if (class_ is None or class_ == ls.class_) and (
                periods is None or ls.period in periods
            ):
                who = "the whole school" if class_ is None else f"class {class_}"
                when = "all day" if periods is None else f"in period {ls.period}"
                msg = f"row {ls.row}: blocked.csv blocks {who} {when} on {ls.day}"
                yield _v("blocked", ls, msg)
                break


def _alt_week_max(inst: Instance, week: _Week) -> Iterator[Violation]:
    # An ALT teaches at most their weekly maximum.
    for alt_id, lessons in week.by_alt.items():
        cap = inst.max_lessons(inst.alt_by_id[alt_id])
        if len(lessons) > cap:
            msg = f"{len(lessons)} lessons in the week, above the maximum {cap}"
            yield Violation("alt_week_max", msg, alt_id=alt_id)


def _alt_day_max(inst: Instance, week: _Week) -> Iterator[Violation]:
    # An ALT teaches at most their daily maximum.
    for (alt_id, day), lessons in week.by_alt_day.items():
        cap = inst.max_lessons_per_day(inst.alt_by_id[alt_id])
        if len(lessons) > cap:
            msg = f"{len(lessons)} lessons on {day}, above the daily maximum {cap}"
            yield Violation("alt_day_max", msg, alt_id=alt_id, day=day)


def _schools_per_day(inst: Instance, week: _Week) -> Iterator[Violation]:
    # An ALT visits at most max_schools_per_day schools in a day.
    cap = inst.settings.max_schools_per_day
    for (alt_id, day), lessons in week.by_alt_day.items():
        schools = sorted({ls.school_id for ls in lessons})
        if len(schools) > cap:
            msg = f"visits {len(schools)} schools on {day} ({', '.join(schools)}), max {cap}"
            yield Violation("schools_per_day", msg, alt_id=alt_id, day=day)


def _overlap(a: _Lesson, b: _Lesson) -> bool:
    return a.start < b.end and b.start < a.end


def _pairs(lessons: list[_Lesson]) -> Iterator[tuple[_Lesson, _Lesson]]:
    # Pairs in time order, so messages read earlier -> later.
    yield from combinations(sorted(lessons, key=lambda ls: (ls.start, ls.end, ls.row)), 2)


def _alt_overlap(inst: Instance, week: _Week) -> Iterator[Violation]:
    # An ALT is never in two lessons at once.
    for lessons in week.by_alt_day.values():
        for a, b in _pairs(lessons):
            if _overlap(a, b):
                msg = (
                    f"rows {a.row} and {b.row}: {a.school_id} {a.class_} {a.span} overlaps "
                    f"{b.school_id} {b.class_} {b.span}"
                )
                yield _v("alt_overlap", a, msg)


def _travel(inst: Instance, week: _Week) -> Iterator[Violation]:
    # Between lessons at two schools an ALT has at least the travel time (every pair, since
    # travel.csv need not obey the triangle inequality). Overlaps are alt_overlap's business.
    for lessons in week.by_alt_day.values():
        if len({ls.school_id for ls in lessons}) < 2:
            continue
        for a, b in _pairs(lessons):
            if a.school_id == b.school_id or _overlap(a, b):
                continue
            need = inst.travel_minutes(a.school_id, b.school_id)
            gap = b.start - a.end
            if gap < need:
                msg = (
                    f"rows {a.row} and {b.row}: {gap} minutes from {a.school_id} (ends "
                    f"{_hhmm(a.end)}) to {b.school_id} (starts {_hhmm(b.start)}), "
                    f"travel takes {need}"
                )
                yield _v("travel", b, msg)


def _class_need(inst: Instance, week: _Week) -> Iterator[Violation]:
    # A class never gets more ALT lessons than it needs.
    for (school_id, class_), lessons in week.by_class.items():
        need = inst.class_by_key[(school_id, class_)].alt_lessons
        if len(lessons) > need:
            msg = f"gets {len(lessons)} lessons, needs {need}"
            yield Violation("class_need", msg, school_id=school_id, class_=class_)


def _class_day_limit(inst: Instance, week: _Week) -> Iterator[Violation]:
    # A class gets at most max_class_lessons_per_day ALT lessons in a day.
    cap = inst.settings.max_class_lessons_per_day
    for (school_id, class_, day), lessons in week.by_class_day.items():
        if len(lessons) > cap:
            msg = f"gets {len(lessons)} lessons on {day}, max {cap}"
            yield Violation("class_day_limit", msg, school_id=school_id, class_=class_, day=day)


def _class_overlap(inst: Instance, week: _Week) -> Iterator[Violation]:
    # A class has at most one ALT lesson at a time.
    for lessons in week.by_class_day.values():
        for a, b in _pairs(lessons):
            if _overlap(a, b):
                msg = f"rows {a.row} and {b.row}: {a.alt_id} {a.span} overlaps {b.alt_id} {b.span}"
                yield _v("class_overlap", a, msg)


def _co_teacher(inst: Instance, week: _Week) -> Iterator[Violation]:
    # Two classes of one co-teacher at a school never have lessons at the same time.
    for (school_id, _day), lessons in week.by_school_day.items():
        by_teacher: dict[str, list[_Lesson]] = defaultdict(list)
        for ls in lessons:
            teacher = (inst.class_by_key[(school_id, ls.class_)].co_teacher or "").strip()
            if teacher:
                by_teacher[teacher].append(ls)
        for teacher, group in by_teacher.items():
            for a, b in _pairs(group):
                if a.class_ != b.class_ and _overlap(a, b):
                    msg = (
                        f"rows {a.row} and {b.row}: {a.class_} {a.span} and {b.class_} {b.span} "
                        f"share co-teacher {teacher}"
                    )
                    yield _v("co_teacher", a, msg)


def _alts_per_day(inst: Instance, week: _Week) -> Iterator[Violation]:
    # A school never has more ALTs in a day than its max_alts_per_day.
    for (school_id, day), lessons in week.by_school_day.items():
        cap = inst.school_by_id[school_id].max_alts_per_day
        alts = sorted({ls.alt_id for ls in lessons})
        if len(alts) > cap:
            msg = f"has {len(alts)} ALTs on {day} ({', '.join(alts)}), max {cap}"
            yield Violation("alts_per_day", msg, school_id=school_id, day=day)


def _pin(inst: Instance, week: _Week) -> Iterator[Violation]:
    # Every pin of pins.csv is kept: the ALT teaches at the school (that day, that lesson).
    for i, pin in enumerate(inst.pins):
        if not any(
            ls.school_id == pin.school_id
            and (pin.day is None or ls.day == pin.day)
            and (pin.class_ is None or ls.class_ == pin.class_)
            and (pin.period is None or ls.period == pin.period)
            for ls in week.by_alt.get(pin.alt_id, [])
        ):
            what = " ".join(str(v) for v in (pin.day, pin.class_, pin.period) if v is not None)
            msg = f"pins.csv record {i + 1} is not kept: no lesson at {pin.school_id}" + (
                f" ({what})" if what else ""
            )
            yield Violation("pin", msg, pin.alt_id, pin.school_id, pin.class_, pin.day, pin.period)


# Stated order, that of RULES: lesson by lesson, then per ALT, per class, per school.
_RULE_CHECKS: tuple[Callable[[Instance, _Week], Iterable[Violation]], ...] = (
    _bell_mismatch,
    _day_window,
    _level,
    _day_off,
    _commute,
    _blocked,
    _alt_week_max,
    _alt_day_max,
    _schools_per_day,
    _alt_overlap,
    _travel,
    _class_need,
    _class_day_limit,
    _class_overlap,
    _co_teacher,
    _alts_per_day,
    _pin,
)
assert tuple(f.__name__[1:] for f in _RULE_CHECKS) == RULES[2:]


# ---- objective -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    """The objective recomputed from a timetable: terms, weighted total and KPIs.

    ``kpis`` holds only JSON types (``coverage``, ``alts``, ``per_alt``, ``per_class``), so a
    solve can write it into ``report.json`` as it is.
    """

    terms: dict[str, int]
    penalties: dict[str, int]
    objective: int
    kpis: dict[str, Any] = field(default_factory=dict)

    @property
    def per_alt(self) -> pd.DataFrame:
        """One row per ALT of the instance: load, schools, days, commute, own penalties."""
        return pd.DataFrame(self.kpis.get("per_alt", []), columns=PER_ALT_COLUMNS)

    @property
    def per_class(self) -> pd.DataFrame:
        """One row per class of the instance: need, given, missing and distinct ALTs."""
        return pd.DataFrame(self.kpis.get("per_class", []), columns=PER_CLASS_COLUMNS)

    @property
    def unmet(self) -> pd.DataFrame:
        """The contract's ``unmet.csv``: classes given fewer lessons than they need."""
        pc = self.per_class
        return pc.loc[pc["missing"] > 0, UNMET_COLUMNS].reset_index(drop=True)


def score(instance: Instance, assignments: pd.DataFrame, weights: Weights) -> Score:
    """Recompute every term of ``docs/objective.md`` and the objective from the table alone.

    Rows naming an unknown ALT or class are left out (``check`` reports them); every other
    row counts as written, duplicates included.

    Parameters
    ----------
    instance
        The branch.
    assignments
        The contract's assignments table.
    weights
        Weight of each term; ``objective = Σ weight × term``.

    Returns
    -------
    Score
        Terms, weighted penalties, objective and JSON-ready KPIs.
    """
    lessons = [
        ls
        for ls in _lessons(assignments)
        if ls.alt_id in instance.alt_by_id and (ls.school_id, ls.class_) in instance.class_by_key
    ]
    week = _Week(lessons)
    w = weights.model_dump()
    per_alt = [_alt_row(instance, week, alt, w) for alt in instance.alts]
    per_class = [_class_row(week, c) for c in instance.classes]
    terms = {term: of(per_alt, per_class) for term, of in _TERM_OF.items()}
    penalties = {t: w[t] * v for t, v in terms.items()}
    kpis: dict[str, Any] = {
        "coverage": _coverage_kpis(per_class, terms),
        "alts": _alt_kpis(per_alt, terms),
        "per_alt": per_alt,
        "per_class": per_class,
    }
    return Score(terms=terms, penalties=penalties, objective=sum(penalties.values()), kpis=kpis)


_Rows = list[dict[str, Any]]


def _alt_row(inst: Instance, week: _Week, alt: Alt, w: dict[str, int]) -> dict[str, Any]:
    """One ALT's week: load, floor, schools, days, commute, lessons per day and the
    penalties of the terms counted per ALT."""
    mine = week.by_alt.get(alt.alt_id, [])
    load, floor = len(mine), inst.min_lessons(alt)
    visits = sorted({(ls.school_id, ls.day) for ls in mine})
    per_day = Counter(ls.day for ls in mine)
    commute = sum(inst.travel_minutes(alt.alt_id, s) for s, _ in visits)
    row: dict[str, Any] = {
        "alt_id": alt.alt_id,
        "load": load,
        "floor": floor,
        "max": inst.max_lessons(alt),
        "schools": len({s for s, _ in visits}),
        "visit_days": len({d for _, d in visits}),
        "commute_minutes": commute,
        **{d: per_day.get(d, 0) for d in DAYS},
        "under_floor": max(0, floor - load),
        "day_peak": max(per_day.values(), default=0),
    }
    own = {
        "under_floor_lesson": row["under_floor"],
        "alt_school": row["schools"],
        "commute_minute": commute,
        "day_peak": row["day_peak"],
    }
    for term, value in own.items():
        row[f"penalty_{term}"] = w[term] * value
    row["penalty"] = sum(w[term] * value for term, value in own.items())
    return row


def _class_row(week: _Week, c: SchoolClass) -> dict[str, Any]:
    """One class's week: need, lessons given, lessons missing and distinct ALTs."""
    mine = week.by_class.get(c.key, [])
    return {
        "school_id": c.school_id,
        "class": c.class_,
        "need": c.alt_lessons,
        "given": len(mine),
        "missing": max(0, c.alt_lessons - len(mine)),
        "alts": len({ls.alt_id for ls in mine}),
    }


# ---- soft goals, one function per weight key, in docs/objective.md's order -------------------


def _unmet_lesson(per_alt: _Rows, per_class: _Rows) -> int:
    # Class lessons asked for and not given.
    return sum(r["missing"] for r in per_class)


def _under_floor_lesson(per_alt: _Rows, per_class: _Rows) -> int:
    # Lessons each ALT is below their weekly floor.
    return sum(r["under_floor"] for r in per_alt)


def _alt_school(per_alt: _Rows, per_class: _Rows) -> int:
    # Distinct schools in each ALT's week.
    return sum(r["schools"] for r in per_alt)


def _commute_minute(per_alt: _Rows, per_class: _Rows) -> int:
    # One-way home-to-school minutes, once per visit day.
    return sum(r["commute_minutes"] for r in per_alt)


def _load_spread(per_alt: _Rows, per_class: _Rows) -> int:
    # Lessons between the busiest and the least busy ALT.
    loads = [r["load"] for r in per_alt]
    return max(loads) - min(loads) if loads else 0


def _day_peak(per_alt: _Rows, per_class: _Rows) -> int:
    # Lessons on each ALT's busiest day.
    return sum(r["day_peak"] for r in per_alt)


def _continuity(per_alt: _Rows, per_class: _Rows) -> int:
    # Extra ALTs per class beyond the first.
    return sum(max(0, r["alts"] - 1) for r in per_class)


_TERM_OF: dict[str, Callable[[_Rows, _Rows], int]] = {
    "unmet_lesson": _unmet_lesson,
    "under_floor_lesson": _under_floor_lesson,
    "alt_school": _alt_school,
    "commute_minute": _commute_minute,
    "load_spread": _load_spread,
    "day_peak": _day_peak,
    "continuity": _continuity,
}
assert tuple(_TERM_OF) == TERMS


def _coverage_kpis(per_class: _Rows, terms: dict[str, int]) -> dict[str, Any]:
    need = sum(r["need"] for r in per_class)
    covered = sum(min(r["need"], r["given"]) for r in per_class)
    return {
        "need": need,
        "given": covered,
        "missing": terms["unmet_lesson"],
        "extra": sum(max(0, r["given"] - r["need"]) for r in per_class),
        "ratio": round(covered / need, 4) if need else 1.0,
        "classes": len(per_class),
        "classes_short": sum(1 for r in per_class if r["missing"] > 0),
    }


def _alt_kpis(per_alt: _Rows, terms: dict[str, int]) -> dict[str, Any]:
    loads = [r["load"] for r in per_alt]
    used = [r for r in per_alt if r["load"] > 0]
    return {
        "count": len(per_alt),
        "used": len(used),
        "under_floor": sum(1 for r in per_alt if r["under_floor"] > 0),
        "load_min": min(loads, default=0),
        "load_max": max(loads, default=0),
        "load_mean": round(sum(loads) / len(loads), 2) if loads else 0.0,
        "schools_mean": round(sum(r["schools"] for r in used) / len(used), 2) if used else 0.0,
        "visit_days": sum(r["visit_days"] for r in per_alt),
        "commute_minutes": terms["commute_minute"],
    }
