"""iCalendar feeds: one per ALT and one per school, as bytes that only change with the input.

Every dated lesson is its own VEVENT (no RRULE/EXDATE: some small parsers mishandle EXDATE, and
per-date events let one date move or be cancelled on its own). Times carry the branch's TZID
with a VTIMEZONE in the file. UID, SEQUENCE and DTSTAMP come from :mod:`identity`; nothing here
reads the clock or draws random numbers, so the same input gives the same bytes.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import icalendar
import pandas as pd

from scheduler.calendar.identity import Draft, Event, assign
from scheduler.calendar.term import TermCalendar, expand
from scheduler.instance import Instance
from scheduler.io import names

PRODID = "-//alt-scheduler//altsched calendar feeds//EN"
CONTENT_TYPE = "text/calendar; charset=utf-8"
# A hint only: Google ignores it, Outlook and Apple honour it.
REFRESH = timedelta(hours=6)
# Rendering is pure Python (icalendar's encoding and line folding), so a large branch's feeds
# are rendered in several processes; below this many events (a few seconds of work) one is
# enough.
PARALLEL_EVENTS = 20_000

FeedKind = Literal["alt", "school"]


@dataclass(frozen=True)
class Feed:
    """One subscribable calendar: an ALT's lessons or a school's ALT lessons."""

    kind: FeedKind
    owner_id: str
    name: str  # the calendar's display name

    @property
    def key(self) -> str:
        """``alt:<alt_id>`` or ``school:<school_id>``; unique in a version."""
        return f"{self.kind}:{self.owner_id}"

    def owns(self, event: Event) -> bool:
        """True when the event belongs in this feed."""
        ls = event.lesson
        return (ls.alt_id if self.kind == "alt" else ls.school_id) == self.owner_id


def drafts(instance: Instance, cal: TermCalendar) -> list[Draft]:
    """The texts of every dated lesson: SUMMARY, LOCATION, DESCRIPTION."""
    out = []
    for ls in cal.lessons:
        alt = instance.alt_by_id[ls.alt_id]
        school = instance.school_by_id[ls.school_id]
        co = instance.class_by_key[(ls.school_id, ls.class_)].co_teacher
        lines = [
            f"Period {ls.period}, {ls.start:%H:%M}-{ls.end:%H:%M}",
            f"Class {ls.class_}, {school.name}",
            f"Co-teacher: {co or 'not named'}",
            f"ALT: {alt.name} ({alt.alt_id})",
        ]
        out.append(
            Draft(
                lesson=ls,
                summary=f"{ls.class_} English · {school.name}",
                school_summary=f"{ls.class_} English · {alt.name}",
                location=school.name,
                description="\n".join(lines),
            )
        )
    return out


def feeds_for(instance: Instance, events: Sequence[Event]) -> list[Feed]:
    """One feed per ALT and per school with events, in the instance's order."""
    alts = {e.lesson.alt_id for e in events}
    schools = {e.lesson.school_id for e in events}
    out = [
        Feed("alt", a.alt_id, f"ALT lessons: {a.name}") for a in instance.alts if a.alt_id in alts
    ]
    out += [
        Feed("school", s.school_id, f"ALT lessons: {s.name}")
        for s in instance.schools
        if s.school_id in schools
    ]
    # Owners gone from the instance still need their feed, to carry the cancellations.
    out += [Feed("alt", a, f"ALT lessons: {a}") for a in sorted(alts - set(instance.alt_by_id))]
    gone = sorted(schools - set(instance.school_by_id))
    out += [Feed("school", s, f"ALT lessons: {s}") for s in gone]
    return out


def render(feed: Feed, events: Sequence[Event], tzid: str, description: str = "") -> bytes:
    """The bytes of one feed: CRLF lines folded at 75 octets, VTIMEZONE included.

    Parameters
    ----------
    feed
        Which calendar; only the events it owns are written.
    events
        Events with UID, SEQUENCE and DTSTAMP set.
    tzid
        IANA zone of the lesson times, e.g. ``Asia/Tokyo``.
    description
        Calendar description (X-WR-CALDESC); keep it free of version numbers and clock
        times, or unchanged feeds change bytes.
    """
    tz = ZoneInfo(tzid)
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    # METHOD is left out (and so is method= in Content-Type): with METHOD, RFC 5545 makes
    # DTSTAMP the file's creation time, which would change every feed on every publish.
    # icalendar escapes NAME and X- values only when given as vText; a line break in a
    # name (Alt+Enter in an Excel cell) becomes a space, as a calendar's name is one line.
    name = icalendar.vText(" ".join(feed.name.split()))
    cal.add("name", name)
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", tzid)
    if description:
        cal.add("x-wr-caldesc", icalendar.vText(description))
    # icalendar's refresh_interval setter omits VALUE=DURATION, which RFC 7986 requires.
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", icalendar.vDuration(REFRESH))
    for e in sorted(events, key=_event_order):
        if feed.owns(e):
            cal.add_component(_vevent(e, feed.kind, tz))
    # What add_missing_timezones() does, with each zone's VTIMEZONE built once per process:
    # building it took as long as writing the events of a small feed.
    for missing, zone in enumerate(sorted(cal.get_missing_tzids())):
        cal.subcomponents.insert(missing, _vtimezone(zone))
    return cal.to_ical()


@cache
def _vtimezone(tzid: str) -> icalendar.Timezone:
    # The default range of add_missing_timezones(), so the bytes are the same as with it.
    return icalendar.Timezone.from_tzid(tzid)


def _vevent(e: Event, kind: FeedKind, tz: ZoneInfo) -> icalendar.Event:
    if e.stamp is None:
        raise ValueError(f"event {e.uid} has no DTSTAMP")
    ls = e.lesson
    ev = icalendar.Event()
    ev.add("uid", e.uid)
    ev.add("dtstamp", e.stamp.astimezone(UTC))
    ev.add("dtstart", datetime.combine(ls.date, ls.start, tzinfo=tz))
    ev.add("dtend", datetime.combine(ls.date, ls.end, tzinfo=tz))
    ev.add("sequence", e.sequence)
    ev.add("status", "CANCELLED" if e.cancelled else "CONFIRMED")
    ev.add("summary", e.summary if kind == "alt" else e.school_summary)
    ev.add("location", e.location)
    ev.add("description", e.description)
    ev.add("transp", "OPAQUE")
    return ev


def _event_order(e: Event) -> tuple[object, ...]:
    return (e.lesson.date, e.lesson.start, e.lesson.school_id, e.lesson.class_, e.uid)


def calendar_description(cal: TermCalendar, branch: str) -> str:
    """The X-WR-CALDESC text: branch and term."""
    who = f"{branch}: " if branch else ""
    return f"{who}ALT lessons of the term {cal.term_start} to {cal.term_end}"


def unpublished_stamp(cal: TermCalendar) -> datetime:
    """DTSTAMP of feeds built outside the store: term_start at 00:00 UTC, fixed by the input."""
    return datetime.combine(cal.term_start, time(0, 0), tzinfo=UTC)


def build_feeds(
    instance: Instance,
    events: Sequence[Event],
    cal: TermCalendar,
    processes: int | None = None,
) -> list[tuple[Feed, bytes]]:
    """Render every feed of a set of events, in instance order.

    With :data:`PARALLEL_EVENTS` events or more the feeds are rendered in at most
    ``processes`` processes (default, and never more than: one per core); the bytes are the
    same either way.
    """
    desc = calendar_description(cal, instance.settings.branch)
    tzid = instance.settings.timezone
    # Each feed gets only its own events: handing every feed all of them made the work grow
    # with feeds x events (650 feeds x 78,000 events at 250 ALTs).
    mine: dict[str, list[Event]] = defaultdict(list)
    for e in events:
        mine[f"alt:{e.lesson.alt_id}"].append(e)
        mine[f"school:{e.lesson.school_id}"].append(e)
    jobs = [(f, mine[f.key], tzid, desc) for f in feeds_for(instance, events)]
    cores = os.cpu_count() or 1
    procs = min(processes or cores, cores, len(jobs))
    # fork only: spawn and forkserver run the caller's main module again, which breaks any
    # user script without an ``if __name__ == "__main__"`` guard. And only from a process
    # with no other thread (the command line after a solve; not a notebook's kernel): a
    # thread holding a lock at the fork would leave it locked in the child forever.
    single = threading.active_count() == 1
    if procs < 2 or len(events) < PARALLEL_EVENTS or sys.platform != "linux" or not single:
        return _render_all(jobs)
    # Each process gets whole feeds, dealt largest first so the processes finish together.
    shares: list[list[tuple[Feed, list[Event], str, str]]] = [[] for _ in range(procs)]
    sizes = [0] * procs
    for job in sorted(jobs, key=lambda j: -len(j[1])):
        lightest = sizes.index(min(sizes))
        shares[lightest].append(job)
        sizes[lightest] += len(job[1])
    context = multiprocessing.get_context("fork")
    try:
        with ProcessPoolExecutor(max_workers=procs, mp_context=context) as pool:
            bodies = {
                feed.key: body for done in pool.map(_render_all, shares) for feed, body in done
            }
    except (OSError, BrokenProcessPool):  # no processes allowed here: one is enough
        return _render_all(jobs)
    return [(job[0], bodies[job[0].key]) for job in jobs]


def _render_all(
    jobs: list[tuple[Feed, list[Event], str, str]],
) -> list[tuple[Feed, bytes]]:
    return [(job[0], render(*job)) for job in jobs]


def feed_files(instance: Instance | None, feeds: Sequence[Feed]) -> dict[str, str]:
    """The file name of every feed key (:func:`scheduler.io.names.feed_files`): every ALT and
    school of the instance is named first, then owners only the feeds know, so a feed keeps
    its name when others come and go."""
    alts = [a.alt_id for a in instance.alts] if instance is not None else []
    schools = [s.school_id for s in instance.schools] if instance is not None else []
    alts += sorted({f.owner_id for f in feeds if f.kind == "alt"} - set(alts))
    schools += sorted({f.owner_id for f in feeds if f.kind == "school"} - set(schools))
    return names.feed_files(alts, schools)


def _previous(folder: Path) -> Instance | None:
    """The instance of the feeds already in ``folder`` (its ``source.json``), if readable."""
    try:
        text = (folder / names.FEEDS_SOURCE).read_text(encoding="utf-8")
        return Instance.model_validate_json(text)
    except (OSError, ValueError):
        return None


def write_feeds(
    instance: Instance,
    assignments: pd.DataFrame,
    out_dir: Path,
    processes: int | None = None,
) -> list[Path]:
    """Write ``out_dir/ical/<alt_id>.ics`` and ``out_dir/ical/school-<school_id>.ics``.

    Does nothing and returns ``[]`` when the instance has no term dates. The feeds are those of
    an unpublished timetable (SEQUENCE 0, DTSTAMP term_start 00:00 UTC), byte-identical for the
    same input. ``ical/source.json`` keeps the instance, so ``altsched publish out_dir`` needs
    nothing else. Stale ``.ics`` files in ``ical/`` (an ALT who lost every lesson) are removed.
    ``processes`` caps the processes rendering a large set of feeds (:func:`build_feeds`).

    Returns
    -------
    list[Path]
        The feeds written, ALTs first, then schools.

    Raises
    ------
    InstanceError
        On bad term dates, dated blocked rows or assignment rows.
    """
    st = instance.settings
    if st.term_start is None and st.term_end is None:
        return []
    cal = expand(instance, assignments)
    events = assign([], drafts(instance, cal), stamp=unpublished_stamp(cal))
    folder = out_dir / names.FEEDS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    rendered = build_feeds(instance, events, cal, processes)
    files = feed_files(instance, [feed for feed, _ in rendered])
    written = []
    for feed, body in rendered:
        path = folder / files[feed.key]
        path.write_bytes(body)
        written.append(path)
    # Feeds of ALTs and schools left without lessons go; other .ics files are the user's.
    ours = set(files.values()) | set(feed_files(_previous(folder), []).values())
    for stale in sorted(set(folder.glob("*.ics")) - set(written)):
        if stale.name in ours:
            stale.unlink()
    (folder / names.FEEDS_SOURCE).write_text(
        instance.model_dump_json(by_alias=True, indent=1) + "\n", encoding="utf-8"
    )
    return written
