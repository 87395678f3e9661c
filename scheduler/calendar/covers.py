"""Covers: one dated lesson handed from one ALT to another, applied over the term calendar.

A cover is recorded in the publish store (``altsched cover --apply``) and never edited. Every
version built from the store applies all recorded covers in the order they were recorded, over
the dated lessons of its own weekly timetable: a cover takes effect when its lesson (date,
school, class, period) is still there and is still taught by the ALT it was taken from, and the
ALT taking it is known and free at that time. Otherwise it is *dropped* for that version, with
the reason, and the lesson stays as the timetable has it. A later cover of the same lesson
(another substitute, or back to the first ALT) applies on top of the earlier one.

So a new term timetable published after covers keeps every cover that still makes sense and
names the ones it drops (docs/cover.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date

from scheduler.calendar.term import DatedLesson, TermCalendar
from scheduler.instance import Instance, minutes_of

# (date, school_id, class, period): one dated lesson, whoever teaches it.
LessonKey = tuple[date, str, str, int]


@dataclass(frozen=True)
class Cover:
    """One dated lesson taken from ``from_alt`` and given to ``to_alt``."""

    date: date
    period: int
    school_id: str
    class_: str
    from_alt: str
    to_alt: str
    note: str = ""
    version: int | None = None  # the version that recorded it; None before it is recorded

    @property
    def key(self) -> LessonKey:
        """The dated lesson this cover is about."""
        return (self.date, self.school_id, self.class_, self.period)

    def __str__(self) -> str:
        return (
            f"{self.date} P{self.period} {self.school_id} {self.class_}: "
            f"{self.from_alt} -> {self.to_alt}"
        )


def lesson_key(ls: DatedLesson) -> LessonKey:
    """The key of a dated lesson."""
    return (ls.date, ls.school_id, ls.class_, ls.period)


@dataclass(frozen=True)
class Covered:
    """A term calendar with covers applied.

    ``cover_for`` maps each covered lesson (as it is now, with its substitute) to the ALT
    the weekly timetable gives it to; ``applied`` and ``dropped`` say what became of each
    cover, in recording order.
    """

    calendar: TermCalendar
    cover_for: dict[DatedLesson, str]
    applied: tuple[Cover, ...]
    dropped: tuple[tuple[Cover, str], ...]

    def absent_on(self, day: date) -> set[str]:
        """ALTs with a lesson taken from them on ``day`` by a cover in force: absent then."""
        return {c.from_alt for c in self.applied if c.date == day}


def apply_covers(
    instance: Instance,
    cal: TermCalendar,
    covers: Iterable[Cover],
    first: date | None = None,
    last: date | None = None,
) -> Covered:
    """Apply covers, in order, to the dated lessons of a calendar (rule in the module docstring).

    ``first`` and ``last`` say which dates the calendar was expanded for (the whole term when
    None): covers of other dates in the term are left out silently (a calendar of a few weeks
    says nothing about the others). Covers dated outside the term, and those inside that
    cannot apply, are dropped with a reason in the user's words.
    """
    lo, hi = first or cal.term_start, last or cal.term_end
    now: dict[LessonKey, DatedLesson] = {lesson_key(ls): ls for ls in cal.lessons}
    weekly_owner = {k: ls.alt_id for k, ls in now.items()}
    by_alt_day: dict[tuple[str, date], set[LessonKey]] = {}
    for k, ls in now.items():
        by_alt_day.setdefault((ls.alt_id, ls.date), set()).add(k)
    applied: list[Cover] = []
    dropped: list[tuple[Cover, str]] = []
    for c in covers:
        if not cal.term_start <= c.date <= cal.term_end:
            dropped.append((c, f"the term is now {cal.term_start} to {cal.term_end}"))
            continue
        if not lo <= c.date <= hi:
            continue
        why = _cannot_apply(instance, c, now, by_alt_day)
        if why is not None:
            dropped.append((c, why))
            continue
        old = now[c.key]
        new = replace(old, alt_id=c.to_alt)
        now[c.key] = new
        by_alt_day[(old.alt_id, c.date)].discard(c.key)
        by_alt_day.setdefault((c.to_alt, c.date), set()).add(c.key)
        applied.append(c)
    lessons = tuple(sorted(now.values(), key=_order))
    cover_for = {
        ls: weekly_owner[lesson_key(ls)]
        for ls in lessons
        if ls.alt_id != weekly_owner[lesson_key(ls)]
    }
    return Covered(replace(cal, lessons=lessons), cover_for, tuple(applied), tuple(dropped))


def _cannot_apply(
    instance: Instance,
    c: Cover,
    now: Mapping[LessonKey, DatedLesson],
    by_alt_day: Mapping[tuple[str, date], set[LessonKey]],
) -> str | None:
    ls = now.get(c.key)
    if ls is None:
        return f"the timetable has no lesson of {c.class_} at {c.school_id} then"
    if ls.alt_id != c.from_alt:
        return f"the timetable gives that lesson to {ls.alt_id} now, not {c.from_alt}"
    if c.to_alt not in instance.alt_by_id:
        return f"{c.to_alt} is not an ALT of the branch any more"
    for k in by_alt_day.get((c.to_alt, c.date), ()):
        other = now[k]
        if _overlap(other, ls):
            return f"{c.to_alt} teaches {other.class_} at {other.school_id} then"
    return None


def _overlap(a: DatedLesson, b: DatedLesson) -> bool:
    return minutes_of(a.start) < minutes_of(b.end) and minutes_of(b.start) < minutes_of(a.end)


def _order(ls: DatedLesson) -> tuple[object, ...]:
    return (ls.date, ls.start, ls.end, ls.alt_id, ls.school_id, ls.class_, ls.period)


def dropped_since(
    before: Iterable[Cover], dropped: Iterable[tuple[Cover, str]]
) -> list[tuple[Cover, str]]:
    """The covers a new version drops that the version ``before`` it had in force: what a
    publish must tell (older drops were told when they happened)."""
    was = {(c.key, c.from_alt, c.to_alt) for c in before}
    return [(c, why) for c, why in dropped if (c.key, c.from_alt, c.to_alt) in was]
