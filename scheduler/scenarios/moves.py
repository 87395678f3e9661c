"""What moved between two timetables: the ALT-lessons of each class, paired and compared.

Two results of a branch (two scenarios, two solves) hold weekly lessons without identities,
so each class's lessons are first paired (:func:`pair_lessons`), the closest pairs first:

1. the same ALT, day and period: *kept*;
2. the same day and period, another ALT: *reassigned*;
3. the same ALT, another day or period: *moved*, in time order;
4. the rest in time order: *moved* (to another slot and another ALT);
5. lessons left over are *removed* (only in the first result) or *added* (only in the
   second).

A pair shares a key; :func:`scheduler.calendar.changes.classify`, the comparison behind
``altsched changes``, then says how each key differs, a lesson left over in the first result
standing as a cancellation kept in place, as a published feed keeps one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import time
from typing import Any

import pandas as pd

from scheduler.calendar.changes import classify
from scheduler.instance import DAYS
from scheduler.result import Lesson, Result

# The calendar's words for a change, as a planner reads them for weekly timetables.
CHANGE_NAMES = {
    "moved": "moved",
    "changed": "reassigned",
    "added": "added",
    "cancelled": "removed",
}
DIFF_COLUMNS = [
    "change", "school_id", "class",
    "old_alt", "old_day", "old_period", "old_start",
    "new_alt", "new_day", "new_period", "new_start",
]  # fmt: skip
PER_ALT_COLUMNS = ["alt_id", "before", "after", "kept", "moved", "gained", "lost"]
PER_SCHOOL_COLUMNS = [
    "school_id", "before", "after", "kept", "moved", "reassigned", "added", "removed",
]  # fmt: skip
Key = tuple[str, str, int]  # school, class, pair number


@dataclass(frozen=True)
class WeeklyLesson:
    """A weekly lesson as :func:`~scheduler.calendar.changes.classify` compares it: its slot
    is the weekday and period, its content the ALT; ``cancelled`` marks one left over."""

    lesson: Lesson
    cancelled: bool = False

    @property
    def slot(self) -> tuple[int, int, time, time]:
        """Weekday, period and times."""
        ls = self.lesson
        return (DAYS.index(ls.day), ls.period, ls.start, ls.end)

    def same_content(self, other: WeeklyLesson) -> bool:
        """Taught by the same ALT."""
        return self.lesson.alt_id == other.lesson.alt_id


def pair_lessons(
    old: Sequence[Lesson], new: Sequence[Lesson]
) -> tuple[dict[Key, Lesson], dict[Key, Lesson]]:
    """Key each lesson so that a lesson of ``old`` and its counterpart in ``new`` share one
    (the rules in the module docstring); a lesson without a counterpart has a key of its own.
    """
    groups: dict[tuple[str, str], tuple[list[Lesson], list[Lesson]]] = {}
    for ls in old:
        groups.setdefault((ls.school_id, ls.class_), ([], []))[0].append(ls)
    for ls in new:
        groups.setdefault((ls.school_id, ls.class_), ([], []))[1].append(ls)
    before: dict[Key, Lesson] = {}
    after: dict[Key, Lesson] = {}
    for (school, class_), (olds, news) in sorted(groups.items()):
        pairs = _pairs(sorted(olds, key=_when), sorted(news, key=_when))
        for number, (a, b) in enumerate(pairs):
            if a is not None:
                before[(school, class_, number)] = a
            if b is not None:
                after[(school, class_, number)] = b
    return before, after


def _when(ls: Lesson) -> tuple[int, time, int, str]:
    return (DAYS.index(ls.day), ls.start, ls.period, ls.alt_id)


def _pairs(
    olds: list[Lesson], news: list[Lesson]
) -> Iterator[tuple[Lesson | None, Lesson | None]]:
    rules = (
        lambda a, b: (a.alt_id, a.day, a.period) == (b.alt_id, b.day, b.period),
        lambda a, b: (a.day, a.period) == (b.day, b.period),
        lambda a, b: a.alt_id == b.alt_id,
        lambda a, b: True,
    )
    for same in rules:
        left = []
        for a in olds:
            match = next((b for b in news if same(a, b)), None)
            if match is None:
                left.append(a)
            else:
                news.remove(match)
                yield a, match
        olds = left
    yield from ((a, None) for a in olds)
    yield from ((None, b) for b in news)


@dataclass(frozen=True)
class LessonDiff:
    """The ALT-lessons that differ between two results, with summaries per ALT and school.

    ``lessons`` has a row per lesson that moved, was reassigned, added or removed (columns
    :data:`DIFF_COLUMNS`); ``counts`` holds, per key, what happened to every lesson (kept
    ones too), from which :meth:`per_alt` and :meth:`per_school` are counted.
    """

    lessons: pd.DataFrame
    counts: tuple[tuple[str, Lesson | None, Lesson | None], ...]

    def per_alt(self) -> pd.DataFrame:
        """Per ALT: lessons before and after, kept (same class and slot), moved (their own
        lesson to another slot), gained (another ALT's or a new lesson) and lost (now
        another ALT's, or removed). ``before = kept + moved + lost``, ``after = kept + moved
        + gained``."""
        tally: dict[str, Counter[str]] = {}
        for change, a, b in self.counts:
            if a is not None:
                tally.setdefault(a.alt_id, Counter())["before"] += 1
            if b is not None:
                tally.setdefault(b.alt_id, Counter())["after"] += 1
            if a is not None and b is not None and a.alt_id == b.alt_id:
                tally[a.alt_id]["kept" if change == "kept" else "moved"] += 1
                continue
            if a is not None:
                tally[a.alt_id]["lost"] += 1
            if b is not None:
                tally[b.alt_id]["gained"] += 1
        return _frame(tally, "alt_id", PER_ALT_COLUMNS)

    def per_school(self) -> pd.DataFrame:
        """Per school: lessons before and after, and how many were kept, moved (another
        slot), reassigned (same slot, another ALT), added and removed."""
        tally: dict[str, Counter[str]] = {}
        for change, a, b in self.counts:
            school = (a or b).school_id  # type: ignore[union-attr]
            counter = tally.setdefault(school, Counter())
            counter["before"] += a is not None
            counter["after"] += b is not None
            counter[change] += 1
        return _frame(tally, "school_id", PER_SCHOOL_COLUMNS)

    def _repr_html_(self) -> str:
        from scheduler.notebook import frame_html

        moved = self.per_alt()
        moved = moved[(moved["gained"] > 0) | (moved["lost"] > 0) | (moved["moved"] > 0)]
        title = f"{len(self.lessons)} ALT-lessons differ; ALTs concerned:"
        return frame_html(moved, title) if len(self.lessons) else frame_html(moved, "No change")


def _frame(tally: dict[str, Counter[str]], id_column: str, columns: list[str]) -> pd.DataFrame:
    rows = [{id_column: k, **{c: v[c] for c in columns[1:]}} for k, v in sorted(tally.items())]
    return pd.DataFrame(rows, columns=columns)


def diff(a: Result, b: Result) -> LessonDiff:
    """The ALT-lessons that differ from ``a`` to ``b``, per lesson, per ALT and per school.

    Works across scenarios: a class only one of them has counts as added or removed.
    """
    before, after = pair_lessons(a.lessons, b.lessons)
    old = {k: WeeklyLesson(ls) for k, ls in before.items()}
    # A lesson only `a` has stays in place as a tombstone, as a removed event does in a feed.
    now = {k: WeeklyLesson(ls) for k, ls in after.items()}
    now.update({k: WeeklyLesson(ls, cancelled=True) for k, ls in before.items() if k not in now})
    differing = {key: kind for kind, key, _was, _now in classify(old, sorted(now.items()))}
    rows: list[dict[str, Any]] = []
    counts = []
    for key in sorted(set(before) | set(after)):
        x, y = before.get(key), after.get(key)
        change = CHANGE_NAMES[differing[key]] if key in differing else "kept"
        counts.append((change, x, y))
        if change != "kept":
            rows.append(
                {
                    "change": change,
                    "school_id": key[0],
                    "class": key[1],
                    **_cols("old", x),
                    **_cols("new", y),
                }
            )
    frame = pd.DataFrame(rows, columns=DIFF_COLUMNS)
    # Periods stay whole numbers beside the empty cells of added and removed lessons.
    for column in ("old_period", "new_period"):
        frame[column] = frame[column].astype("Int64")
    return LessonDiff(frame, tuple(counts))


def _cols(prefix: str, ls: Lesson | None) -> dict[str, object]:
    if ls is None:
        return {f"{prefix}_{k}": None for k in ("alt", "day", "period", "start")}
    return {
        f"{prefix}_alt": ls.alt_id,
        f"{prefix}_day": ls.day,
        f"{prefix}_period": ls.period,
        f"{prefix}_start": f"{ls.start:%H:%M}",
    }
