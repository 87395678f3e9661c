"""What changed for each ALT between two published versions, as text and as CSV.

Events are matched by UID, so the diff says exactly what a subscribed calendar sees: a lesson
*moved* (same UID, new date or time), *added* (new UID), *cancelled* (STATUS:CANCELLED now) or
*changed* (same time, new text such as the co-teacher). Cancellations already sent in the old
version are not news and are left out.

Written out as one CSV for a spreadsheet (:func:`changes_csv`, never a formula) and as one
message file per ALT (:func:`write_messages`, named by :func:`scheduler.io.names.file_stems`,
so an id from an older store never names a file outside the folder).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

import pandas as pd

from scheduler.calendar.identity import Event
from scheduler.calendar.term import DatedLesson
from scheduler.instance import DAYS
from scheduler.io.cells import frame_csv
from scheduler.io.names import file_stems
from scheduler.io.write import write_text_atomic

Kind = Literal["moved", "added", "cancelled", "changed"]
KINDS: tuple[Kind, ...] = ("moved", "added", "cancelled", "changed")
CHANGE_COLUMNS = [
    "alt_id", "change", "uid", "school_id", "class",
    "old_date", "old_period", "old_start", "old_end",
    "new_date", "new_period", "new_start", "new_end", "sequence",
]  # fmt: skip


@dataclass(frozen=True)
class Change:
    """One event that differs between two versions."""

    kind: Kind
    uid: str
    old: Event | None
    new: Event

    @property
    def alt_id(self) -> str:
        """The ALT whose feed shows the change."""
        return self.new.lesson.alt_id


class Keyed(Protocol):
    """What comparing two versions needs of a lesson: where it sits, whether it is a
    cancellation kept in place (a tombstone), and whether its text equals another's."""

    @property
    def cancelled(self) -> bool: ...

    @property
    def slot(self) -> Hashable: ...

    def same_content(self, other: Any) -> bool: ...


L = TypeVar("L", bound=Keyed)
K = TypeVar("K", bound=Hashable)


def classify(
    old: Mapping[K, L], new: Iterable[tuple[K, L]]
) -> Iterator[tuple[Kind, K, L | None, L]]:
    """How each lesson of ``new`` differs from the lesson of ``old`` under the same key.

    The one comparison behind ``altsched changes`` (keys are UIDs) and the scenario diff
    (keys pair the weekly lessons of one class, :mod:`scheduler.scenarios.moves`): *moved*
    (other slot), *changed* (same slot, other content), *added* (a key ``old`` lacks),
    *cancelled* (a tombstone now, where there was none). A lesson absent from ``new`` is not
    reported: a store keeps its cancellations as tombstones, and so must a caller.

    Yields
    ------
    tuple
        ``(kind, key, old lesson or None, new lesson)`` for each lesson that differs, in the
        order of ``new``.
    """
    for key, now in new:
        was = old.get(key)
        kind: Kind | None
        if was is None:
            kind = "cancelled" if now.cancelled else "added"
        elif now.cancelled:
            kind = None if was.cancelled else "cancelled"
        elif was.slot != now.slot:
            kind = "moved"
        elif not was.same_content(now) or was.cancelled:
            kind = "changed"
        else:
            kind = None
        if kind is not None:
            yield kind, key, was, now


def diff(old: Sequence[Event], new: Sequence[Event]) -> list[Change]:
    """Every event of ``new`` that a client holding ``old`` would see change.

    Returns
    -------
    list[Change]
        By ALT, date and time.
    """
    before = {e.uid: e for e in old}
    out = [
        Change(kind, uid, was, now)
        for kind, uid, was, now in classify(before, ((e.uid, e) for e in new))
    ]
    return sorted(out, key=lambda c: (c.alt_id, _when(c), c.uid))


def changes_frame(changes: Sequence[Change]) -> pd.DataFrame:
    """One CSV row per changed dated event (columns :data:`CHANGE_COLUMNS`)."""
    rows = []
    for c in changes:
        before, after = _before_after(c)
        rows.append(
            {
                "alt_id": c.alt_id, "change": c.kind, "uid": c.uid,
                "school_id": c.new.lesson.school_id, "class": c.new.lesson.class_,
                **_cols("old", before), **_cols("new", after), "sequence": c.new.sequence,
            }
        )  # fmt: skip
    return pd.DataFrame(rows, columns=CHANGE_COLUMNS)


def changes_csv(changes: Sequence[Change]) -> str:
    """:func:`changes_frame` as CSV text; text a spreadsheet would run as a formula starts
    with ``'``."""
    return frame_csv(changes_frame(changes))


def write_messages(
    folder: Path, changes: Sequence[Change], names: Mapping[str, str], title: str
) -> list[Path]:
    """Write ``<alt_id>.txt`` (:func:`changes_text` of that ALT's changes) per ALT concerned.

    File names are made safe and unique by :func:`scheduler.io.names.file_stems`: every file
    is inside ``folder``, whatever the ids hold. Returns the files written, by ALT.
    """
    folder.mkdir(parents=True, exist_ok=True)
    by_alt: dict[str, list[Change]] = {}
    for c in changes:
        by_alt.setdefault(c.alt_id, []).append(c)
    stems = file_stems(sorted(by_alt), "", set())
    written = []
    for alt_id, stem in stems.items():
        path = folder / f"{stem}.txt"
        write_text_atomic(path, changes_text(by_alt[alt_id], names, title))
        written.append(path)
    return written


def changes_text(changes: Sequence[Change], names: Mapping[str, str], title: str = "") -> str:
    """A message per ALT, weekly patterns folded into one line with their dates.

    A weekly change repeats on every date of the term; the line says it once:
    ``moved  S01 1-1  Mon P2 09:35-10:20 -> Tue P3 10:40-11:25  (14 dates, 2025-04-07 ..)``.
    """
    lines = [title] if title else []
    by_alt: dict[str, list[Change]] = {}
    for c in changes:
        by_alt.setdefault(c.alt_id, []).append(c)
    if not by_alt:
        lines.append("No changes.")
    for alt_id, cs in by_alt.items():
        counts = ", ".join(f"{sum(c.kind == k for c in cs)} {k}" for k in KINDS)
        lines.append(f"{alt_id} {names.get(alt_id, '')}".rstrip() + f": {counts}")
        groups: dict[tuple[str, str, str, str, str], list[Change]] = {}
        for c in cs:
            ls = c.new.lesson
            before, after = (_slot(x) if x is not None else "" for x in _before_after(c))
            groups.setdefault((c.kind, ls.school_id, ls.class_, before, after), []).append(c)
        for (kind, school, class_, before, after), members in groups.items():
            arrow = f"{before} -> {after}" if before and after else before or after
            dates = sorted({_when(c)[0] for c in members})
            span = dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"
            n = f"{len(dates)} date{'s' if len(dates) != 1 else ''}"
            lines.append(f"  {kind:<9} {school} {class_}  {arrow}  ({n}, {span})")
    return "\n".join(lines) + "\n"


def _before_after(c: Change) -> tuple[DatedLesson | None, DatedLesson | None]:
    # A cancelled event still sits where the lesson was; an added one had no before.
    if c.kind == "added" or c.old is None:
        return None, c.new.lesson
    if c.kind == "cancelled":
        return c.new.lesson, None
    return c.old.lesson, c.new.lesson


def _slot(ls: DatedLesson) -> str:
    return f"{DAYS[ls.date.weekday()]} P{ls.period} {ls.start:%H:%M}-{ls.end:%H:%M}"


def _when(c: Change) -> tuple[str, str]:
    # A cancelled event is dated where it was; the others where they are now.
    ls = c.new.lesson
    return (ls.date.isoformat(), f"{ls.start:%H:%M}")


def _cols(prefix: str, ls: DatedLesson | None) -> dict[str, object]:
    if ls is None:
        return {f"{prefix}_{k}": "" for k in ("date", "period", "start", "end")}
    return {
        f"{prefix}_date": ls.date.isoformat(),
        f"{prefix}_period": ls.period,
        f"{prefix}_start": f"{ls.start:%H:%M}",
        f"{prefix}_end": f"{ls.end:%H:%M}",
    }
