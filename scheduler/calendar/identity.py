"""Which VEVENT is which across published versions: stable UIDs and growing SEQUENCE.

The identity rule (docs/calendar.md): a dated lesson belongs to the group
(ALT, school, class, ISO week). Between the previous version and the new one, inside each group,

1. a lesson at exactly the same date, period and times keeps its UID (SEQUENCE + 1 only if its
   text changed, e.g. a new co-teacher);
2. the remaining lessons are paired in time order: each pair keeps the old UID and gets
   SEQUENCE + 1 (a *move*, e.g. Monday period 2 to Tuesday period 3);
3. old lessons left over are kept as STATUS:CANCELLED with SEQUENCE + 1 (a removal);
4. new lessons left over get a fresh UID derived from (ALT, school, class, date, period).

Cancelled events stay in later versions unchanged, so a client that skipped a version still
learns of the cancellation. A fresh UID never reuses one issued before in the store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time

from scheduler.calendar.term import DatedLesson

UID_DOMAIN = "alt-scheduler"


@dataclass(frozen=True)
class Draft:
    """A dated lesson with the texts its VEVENTs show, before it has an identity."""

    lesson: DatedLesson
    summary: str  # in the ALT's feed
    school_summary: str  # in the school's feed
    location: str
    description: str

    @property
    def slot(self) -> tuple[date, int, time, time]:
        """Where the lesson sits in time; equal slots mean the lesson did not move."""
        ls = self.lesson
        return (ls.date, ls.period, ls.start, ls.end)

    @property
    def group(self) -> tuple[str, str, str, tuple[int, int]]:
        """(ALT, school, class, ISO week): lessons only keep a UID inside their group."""
        ls = self.lesson
        return (ls.alt_id, ls.school_id, ls.class_, ls.week)


@dataclass(frozen=True)
class Event(Draft):
    """A VEVENT as published: a draft with its UID, SEQUENCE, status and DTSTAMP."""

    uid: str = ""
    sequence: int = 0
    cancelled: bool = False
    stamp: datetime | None = None  # DTSTAMP: when this event last changed; None = not yet

    def same_content(self, other: Draft) -> bool:
        """True when the texts and slot equal the other's (status and identity aside)."""
        return (self.slot, self.summary, self.school_summary, self.location, self.description) == (
            other.slot, other.summary, other.school_summary, other.location, other.description
        )  # fmt: skip


def derive_uid(lesson: DatedLesson, taken: set[str] | None = None) -> str:
    """A UID from (ALT, school, class, date, period), avoiding every UID in ``taken``.

    Hashing keeps non-ASCII ids out of the UID and gives the same UID on every rebuild.
    """
    ls = lesson
    base = "|".join([ls.alt_id, ls.school_id, ls.class_, ls.date.isoformat(), str(ls.period)])
    n = 0
    while True:
        key = base if n == 0 else f"{base}|{n}"
        uid = f"lesson-{hashlib.sha256(key.encode()).hexdigest()[:24]}@{UID_DOMAIN}"
        if not taken or uid not in taken:
            return uid
        n += 1


def assign(
    previous: Sequence[Event],
    drafts: Iterable[Draft],
    taken: set[str] | None = None,
    stamp: datetime | None = None,
) -> list[Event]:
    """Give each draft an identity, following the rule in the module docstring.

    Parameters
    ----------
    previous
        The events of the last published version (cancelled ones included); empty for a first
        version or an unpublished feed.
    drafts
        The lessons of the new version.
    taken
        Every UID ever issued in the store; fresh UIDs avoid them. ``previous`` UIDs are
        always avoided.
    stamp
        DTSTAMP for events that are new or changed in this version; unchanged events keep
        theirs.

    Returns
    -------
    list[Event]
        Every event of the new version: kept, moved, new and cancelled, sorted by date, time
        and UID.
    """
    used = set(taken or ()) | {e.uid for e in previous}
    old_by_group: dict[tuple[str, str, str, tuple[int, int]], list[Event]] = {}
    out: list[Event] = []
    for e in previous:
        if e.cancelled:
            out.append(e)  # a tombstone stays as it is
        else:
            old_by_group.setdefault(e.group, []).append(e)
    new_by_group: dict[tuple[str, str, str, tuple[int, int]], list[Draft]] = {}
    weeks: dict[date, tuple[int, int]] = {}  # Draft.group's ISO week, once per date
    for d in drafts:
        ls = d.lesson
        if (week := weeks.get(ls.date)) is None:
            week = weeks[ls.date] = ls.week
        new_by_group.setdefault((ls.alt_id, ls.school_id, ls.class_, week), []).append(d)

    for group in sorted(set(old_by_group) | set(new_by_group)):
        olds = sorted(old_by_group.get(group, []), key=lambda e: (e.slot, e.uid))
        news = sorted(new_by_group.get(group, []), key=lambda d: d.slot)
        # 1. unmoved lessons keep their UID
        by_slot: dict[tuple[date, int, time, time], list[Event]] = {}
        for e in olds:
            by_slot.setdefault(e.slot, []).append(e)
        moved_news: list[Draft] = []
        for d in news:
            same = by_slot.get(d.slot)
            if same:
                e = same.pop(0)
                out.append(_carry(e, d, stamp, moved=False))
            else:
                moved_news.append(d)
        left = [e for e in olds if e in by_slot.get(e.slot, [])]
        # 2. moved lessons: pair the rest in time order
        for e, d in zip(left, moved_news, strict=False):
            out.append(_carry(e, d, stamp, moved=True))
        # 3. removed lessons become cancellations
        for e in left[len(moved_news) :]:
            out.append(replace(e, cancelled=True, sequence=e.sequence + 1, stamp=stamp))
        # 4. new lessons get a fresh UID
        for d in moved_news[len(left) :]:
            uid = derive_uid(d.lesson, used)
            used.add(uid)
            out.append(_event(d, uid, 0, stamp))
    return sorted(out, key=lambda e: (e.lesson.date, e.lesson.start, e.lesson.alt_id, e.uid))


def _carry(old: Event, new: Draft, stamp: datetime | None, moved: bool) -> Event:
    if not moved and old.same_content(new):
        return old
    return _event(new, old.uid, old.sequence + 1, stamp)


def _event(d: Draft, uid: str, sequence: int, stamp: datetime | None) -> Event:
    return Event(
        lesson=d.lesson, summary=d.summary, school_summary=d.school_summary,
        location=d.location, description=d.description,
        uid=uid, sequence=sequence, cancelled=False, stamp=stamp,
    )  # fmt: skip
