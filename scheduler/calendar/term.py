"""The term calendar: the weekly timetable turned into dated lessons.

Every weekday from ``term_start`` to ``term_end`` repeats the week of ``assignments.csv``,
except national holidays (``jpholiday``, substitute holidays included) and the dated rows of
``blocked.csv`` (school events: a whole day or some periods, the whole school or one class).
Lessons that fall on those are *lost* and counted per ALT, so a branch can see who loses what.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path
from typing import Literal

import jpholiday
import pandas as pd

from scheduler import validate
from scheduler.errors import InputIssue, InstanceError
from scheduler.instance import DAYS, Day, Instance, reference_issues
from scheduler.result import Lesson

ASSIGNMENTS_FILE = "assignments.csv"
LESSON_COLUMNS = ["date", "start", "end", "alt_id", "school_id", "class", "period"]
LOST_COLUMNS = ["alt_id", "lessons", "lost_holidays", "lost_events"]
# A term is at most a school year; a longer one is almost always a typo in a year.
_HHMM = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")


@dataclass(frozen=True, order=True)
class DatedLesson:
    """One lesson on one date; field order is the order of ``lessons.csv``."""

    date: date
    start: time
    end: time
    alt_id: str
    school_id: str
    class_: str
    period: int

    @property
    def week(self) -> tuple[int, int]:
        """ISO (year, week) of the date: the week whose timetable this lesson comes from."""
        iso = self.date.isocalendar()
        return (iso.year, iso.week)


@dataclass(frozen=True)
class LostLesson:
    """A weekly lesson that does not happen on a date, and why."""

    date: date
    alt_id: str
    school_id: str
    class_: str
    period: int
    reason: Literal["holiday", "event"]
    detail: str


@dataclass(frozen=True)
class TermCalendar:
    """The dated lessons of a term and the lessons lost to holidays and events."""

    term_start: date
    term_end: date
    lessons: tuple[DatedLesson, ...]
    lost: tuple[LostLesson, ...]
    alt_ids: tuple[str, ...]

    def lessons_frame(self) -> pd.DataFrame:
        """``lessons.csv``: one row per dated lesson, by date, time and ALT."""
        rows = [
            {
                "date": ls.date.isoformat(),
                "start": f"{ls.start:%H:%M}",
                "end": f"{ls.end:%H:%M}",
                "alt_id": ls.alt_id,
                "school_id": ls.school_id,
                "class": ls.class_,
                "period": ls.period,
            }
            for ls in sorted(self.lessons, key=lambda x: (x.date, x.start, x.alt_id, x.school_id))
        ]
        return pd.DataFrame(rows, columns=LESSON_COLUMNS)

    def lost_frame(self) -> pd.DataFrame:
        """``lost.csv``: per ALT with weekly lessons, dated lessons kept and lost."""
        rows = []
        for alt_id in self.alt_ids:
            lost = [x for x in self.lost if x.alt_id == alt_id]
            rows.append(
                {
                    "alt_id": alt_id,
                    "lessons": sum(1 for x in self.lessons if x.alt_id == alt_id),
                    "lost_holidays": sum(1 for x in lost if x.reason == "holiday"),
                    "lost_events": sum(1 for x in lost if x.reason == "event"),
                }
            )
        return pd.DataFrame(rows, columns=LOST_COLUMNS)


def read_assignments(path: Path) -> pd.DataFrame:
    """Read ``assignments.csv`` with the validator's reader (every cell checked).

    Raises
    ------
    InstanceError
        When the file is missing, unreadable, lacks a contract column or holds a bad cell.
    """
    return validate.read_assignments(path)


def weekly_lessons(instance: Instance, assignments: pd.DataFrame) -> list[Lesson]:
    """The assignments table as lessons, checked against the instance.

    Raises
    ------
    InstanceError
        Naming ``assignments.csv``, the row and the column of every unknown ALT, school,
        class, day or malformed period and time.
    """
    issues: list[InputIssue] = []
    out: list[Lesson] = []
    rows = validate.file_rows(assignments)
    for row, rec in zip(rows, assignments.to_dict("records"), strict=True):
        text = {k: str(rec[k]).strip() for k in ("alt_id", "school_id", "class", "day")}
        period = _whole(rec["period"])
        start, end = _clock(rec["start"]), _clock(rec["end"])
        found = _row_issues(instance, text, period, start, end, rec, row=row)
        if found or period is None or start is None or end is None:
            issues += found
            continue
        out.append(
            Lesson(
                alt_id=text["alt_id"], school_id=text["school_id"], class_=text["class"],
                day=_day(text["day"]), period=period, start=start, end=end,
            )
        )  # fmt: skip
    if issues:
        raise InstanceError(issues)
    return out


def _row_issues(
    instance: Instance,
    text: dict[str, str],
    period: int | None,
    start: time | None,
    end: time | None,
    rec: dict[Hashable, object],
    row: int,
) -> list[InputIssue]:
    found: list[InputIssue] = []

    def bad(column: str, value: object, message: str) -> None:
        found.append(InputIssue(ASSIGNMENTS_FILE, row, column, str(value), message))

    if text["alt_id"] not in instance.alt_by_id:
        bad("alt_id", text["alt_id"], "is not an alt_id in alts.csv")
    school_id = text["school_id"]
    if school_id not in instance.school_by_id:
        bad("school_id", school_id, "is not a school_id in schools.csv")
    elif (school_id, text["class"]) not in instance.class_by_key:
        bad("class", text["class"], f"is not a class of {school_id} in classes.csv")
    if text["day"] not in DAYS:
        bad("day", text["day"], "is not one of Mon Tue Wed Thu Fri")
    if period is None or period < 1:
        bad("period", rec["period"], "is not a period number")
    for column, t in (("start", start), ("end", end)):
        if t is None:
            bad(column, rec[column], "is not a time like 08:45")
    if start is not None and end is not None and end <= start:
        bad("end", rec["end"], f"is not after start {rec['start']}")
    return found


def calendar_issues(instance: Instance) -> list[InputIssue]:
    """Everything that stops a term calendar: missing or reversed term dates, a term longer
    than a year, dated events outside the term or naming an unknown school or class.

    Rows are spreadsheet rows of the instance's records (header row 1), as the loader numbers
    them when the tables have no blank lines.
    """
    st = instance.settings
    out = [i for i in reference_issues(instance) if _about_calendar(i)]
    # One date without the other (and a term over a year) is in reference_issues already.
    if st.term_start is None and st.term_end is None:
        out += [
            InputIssue(
                "settings.csv", None, key, None, "is needed for a term calendar (YYYY-MM-DD)"
            )
            for key in ("term_start", "term_end")
        ]
    return out


def holidays(start: date, end: date) -> dict[date, str]:
    """National holidays (with substitute holidays) between two dates, inclusive, by name."""
    return {d: str(name) for d, name in jpholiday.between(start, end)}


def school_days(start: date, end: date) -> list[date]:
    """Every Monday-Friday from start to end inclusive (holidays included)."""
    days = (start + timedelta(days=n) for n in range((end - start).days + 1))
    return [d for d in days if d.weekday() < 5]


def expand(
    instance: Instance,
    assignments: pd.DataFrame,
    first: date | None = None,
    last: date | None = None,
    weekly: list[Lesson] | None = None,
) -> TermCalendar:
    """Turn the weekly timetable into the dated lessons of the instance's term.

    Parameters
    ----------
    instance
        The branch; its settings must give ``term_start`` and ``term_end``.
    assignments
        The contract's assignments table (``alt_id, school_id, class, day, period, start, end``).
    first, last
        Expand only the dates from ``first`` to ``last`` (inside the term): a cover needs a
        week or two, not the whole term. The calendar's term dates stay the term's.
    weekly
        :func:`weekly_lessons` of ``assignments``, when the caller has it already.

    Raises
    ------
    InstanceError
        On missing or bad term dates, bad dated blocked rows, or bad assignment rows.
    """
    issues = calendar_issues(instance)
    if issues:
        raise InstanceError(issues)
    if weekly is None:
        weekly = weekly_lessons(instance, assignments)
    start, end = instance.settings.term_start, instance.settings.term_end
    assert start is not None and end is not None  # calendar_issues guarantees both
    off = holidays(start, end)
    events = _dated_blocked(instance)
    by_day: dict[Day, list[Lesson]] = {d: [] for d in DAYS}
    for ls in weekly:
        by_day[ls.day].append(ls)
    kept: list[DatedLesson] = []
    lost: list[LostLesson] = []
    for d in school_days(max(start, first or start), min(end, last or end)):
        for ls in by_day[DAYS[d.weekday()]]:
            reason: Literal["holiday", "event"] | None = None
            if d in off:
                reason, detail = "holiday", off[d]
            else:
                row = _blocking_row(events.get((ls.school_id, d), []), ls.class_, ls.period)
                if row is not None:
                    reason, detail = "event", f"blocked.csv row {row}"
            if reason is None:
                kept.append(
                    DatedLesson(d, ls.start, ls.end, ls.alt_id, ls.school_id, ls.class_, ls.period)
                )
            else:
                lost.append(
                    LostLesson(d, ls.alt_id, ls.school_id, ls.class_, ls.period, reason, detail)
                )
    teaching = {x.alt_id for x in weekly}
    alt_ids = tuple(a.alt_id for a in instance.alts if a.alt_id in teaching)
    # The dataclass order by a key: the generated comparisons build two tuples per call.
    return TermCalendar(start, end, tuple(sorted(kept, key=_dated_order)), tuple(lost), alt_ids)


def _dated_order(ls: DatedLesson) -> tuple[date, time, time, str, str, str, int]:
    """The order of :class:`DatedLesson` (its fields in turn), as a sort key."""
    return (ls.date, ls.start, ls.end, ls.alt_id, ls.school_id, ls.class_, ls.period)


# (school_id, date) -> [(spreadsheet row, class or None for the school, periods or None)]
_Events = dict[tuple[str, date], list[tuple[int, str | None, tuple[int, ...] | None]]]


def _dated_blocked(instance: Instance) -> _Events:
    out: _Events = {}
    for i, b in enumerate(instance.blocked):
        if isinstance(b.day, date):
            out.setdefault((b.school_id, b.day), []).append((i + 2, b.class_, b.periods))
    return out


def _blocking_row(
    rows: Iterable[tuple[int, str | None, tuple[int, ...] | None]], class_: str, period: int
) -> int | None:
    for row, who, periods in rows:
        if (who is None or who == class_) and (periods is None or period in periods):
            return row
    return None


def _about_calendar(issue: InputIssue) -> bool:
    return issue.file == "blocked.csv" or issue.column in ("term_start", "term_end")


def _whole(value: object) -> int | None:
    text = str(value).strip()
    if text.endswith(".0"):  # a spreadsheet may have turned 3 into 3.0
        text = text[:-2]
    return int(text) if text.isdigit() else None


def _clock(value: object) -> time | None:
    m = _HHMM.match(str(value).strip())
    return time(int(m.group(1)), int(m.group(2))) if m else None


def _day(value: str) -> Day:
    return DAYS[DAYS.index(value)]


def load_calendar_instance(path: Path) -> tuple[Instance, list[InputIssue]]:
    """Load an instance for calendars, with its warnings (dated events on a weekend or a
    holiday among them: :func:`scheduler.instance.warnings_for`).

    Raises
    ------
    InstanceError
        On any input error, and on everything :func:`calendar_issues` finds.
    """
    from scheduler.io.read import load_instance  # the reader's imports are only needed here

    inst, warnings = load_instance(path)
    issues = calendar_issues(inst)
    if issues:
        raise InstanceError(issues)
    return inst, warnings
