"""iCalendar feeds: one per ALT and one per school, as bytes that only change with the input.

Every dated lesson is its own VEVENT (no RRULE/EXDATE: some small parsers mishandle EXDATE, and
per-date events let one date move or be cancelled on its own). Times carry the branch's TZID
with a VTIMEZONE in the file. UID, SEQUENCE and DTSTAMP come from :mod:`identity`; nothing here
reads the clock or draws random numbers, so the same input gives the same bytes.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import icalendar
import pandas as pd

from scheduler.calendar.identity import Draft, Event, assign
from scheduler.calendar.term import DatedLesson, TermCalendar, expand
from scheduler.instance import Instance
from scheduler.io import names
from scheduler.io.textfile import read_text
from scheduler.io.write import write_bytes_atomic

PRODID = "-//alt-scheduler//altsched calendar feeds//EN"
CONTENT_TYPE = "text/calendar; charset=utf-8"
# A hint only: Google ignores it, Outlook and Apple honour it.
REFRESH = timedelta(hours=6)

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


def drafts(
    instance: Instance, cal: TermCalendar, cover_for: Mapping[DatedLesson, str] | None = None
) -> list[Draft]:
    """The texts of every dated lesson: SUMMARY, LOCATION, DESCRIPTION.

    ``cover_for`` maps a lesson given to a substitute (:mod:`scheduler.calendar.covers`) to
    the ALT it is covered for: its texts say so.
    """
    # A weekly lesson's texts are the same on every date: made once (a term repeats ~10 weeks).
    texts: dict[tuple[object, ...], tuple[str, str, str, str]] = {}
    out = []
    for ls in cal.lessons:
        absent = cover_for.get(ls) if cover_for else None
        if absent is not None:
            out.append(Draft(ls, *_cover_texts(instance, ls, absent)))
            continue
        key = (ls.alt_id, ls.school_id, ls.class_, ls.period, ls.start, ls.end)
        made = texts.get(key)
        if made is None:
            made = texts[key] = _texts(instance, ls)
        summary, school_summary, location, description = made
        out.append(Draft(ls, summary, school_summary, location, description))
    return out


def _texts(instance: Instance, ls: DatedLesson) -> tuple[str, str, str, str]:
    """SUMMARY in the ALT's feed, SUMMARY in the school's, LOCATION and DESCRIPTION."""
    alt = instance.alt_by_id[ls.alt_id]
    school = instance.school_by_id[ls.school_id]
    co = instance.class_by_key[(ls.school_id, ls.class_)].co_teacher
    lines = [
        f"Period {ls.period}, {ls.start:%H:%M}-{ls.end:%H:%M}",
        f"Class {ls.class_}, {school.name}",
        f"Co-teacher: {co or 'not named'}",
        f"ALT: {alt.name} ({alt.alt_id})",
    ]
    return (
        f"{ls.class_} English · {school.name}",
        f"{ls.class_} English · {alt.name}",
        school.name,
        "\n".join(lines),
    )


def _cover_texts(instance: Instance, ls: DatedLesson, absent: str) -> tuple[str, str, str, str]:
    """The texts of a lesson taken as cover for ``absent``: both summaries and the
    description say whom it covers for."""
    summary, school_summary, location, description = _texts(instance, ls)
    alt = instance.alt_by_id.get(absent)
    who = f"{alt.name} ({absent})" if alt is not None else absent
    return (
        f"{summary} (cover)",
        f"{school_summary} (cover for {alt.name if alt is not None else absent})",
        location,
        f"{description}\nCover for {who}",
    )


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

    The bytes are those icalendar writes for a ``Calendar`` holding these events
    (``cal.to_ical()``), put together from lines rendered once each (:func:`_vevent`).

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
    zones: set[str] = set()
    body = [_vevent(e, feed.kind, tzid, zones) for e in sorted(events, key=_event_order)
            if feed.owns(e)]  # fmt: skip
    return b"".join([_head(feed, tzid, description, zones), *body, _END])


_END = b"END:VCALENDAR\r\n"


def _head(feed: Feed, tzid: str, description: str, zones: set[str]) -> bytes:
    """The calendar's lines up to its first VEVENT: its properties, then a VTIMEZONE for
    each zone the events name (what ``add_missing_timezones()`` adds, UTC needing none)."""
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
    head = cal.to_ical()
    if not head.endswith(_END):  # icalendar changed how it ends a calendar: fail loudly
        raise ValueError(f"unexpected end of an empty calendar: {head[-40:]!r}")
    return head[: -len(_END)] + b"".join(_vtimezone(zone) for zone in sorted(zones - {"UTC"}))


@cache
def _vtimezone(tzid: str) -> bytes:
    # The default range of add_missing_timezones(), so the bytes are the same as with it;
    # built once per zone and process (building one costs as much as a small feed).
    return icalendar.Timezone.from_tzid(tzid).to_ical()


def _vevent(e: Event, kind: FeedKind, tzid: str, zones: set[str]) -> bytes:
    """The VEVENT of one event, in the order icalendar writes its properties (its canonical
    order SUMMARY, DTSTART, DTEND, DTSTAMP, UID, SEQUENCE, then the rest alphabetically);
    adds the zones its times name to ``zones``.

    Most lines repeat (a weekly lesson's texts every week, its times on every date): each
    is rendered by icalendar once (:func:`_line`, :func:`_time`) and reused, a small share
    of the time of building icalendar components (docs/calendar.md, "Cost of writing the
    feeds"); tests compare the bytes with icalendar's own over random texts.
    """
    if e.stamp is None:
        raise ValueError(f"event {e.uid} has no DTSTAMP")
    ls = e.lesson
    start, start_zone = _time("DTSTART", ls.date, ls.start, tzid)
    end, end_zone = _time("DTEND", ls.date, ls.end, tzid)
    if start_zone is not None:
        zones.add(start_zone)
    if end_zone is not None:
        zones.add(end_zone)
    return b"".join((
        _opening(e.summary if kind == "alt" else e.school_summary),
        start,
        end,
        _line("DTSTAMP", e.stamp),
        _text("UID", e.uid),  # new in every event: never kept
        _line("SEQUENCE", e.sequence),
        _closing(e.description, e.location, e.cancelled),
    ))  # fmt: skip


# Distinct texts of a large branch's feeds: a few for each weekly lesson.
TEXTS_KEPT = 50_000


@lru_cache(maxsize=TEXTS_KEPT)
def _opening(summary: str) -> bytes:
    return b"BEGIN:VEVENT\r\n" + _text("SUMMARY", summary)


@lru_cache(maxsize=TEXTS_KEPT)
def _closing(description: str, location: str, cancelled: bool) -> bytes:
    return b"".join((
        _text("DESCRIPTION", description),
        _text("LOCATION", location),
        _text("STATUS", "CANCELLED" if cancelled else "CONFIRMED"),
        _text("TRANSP", "OPAQUE"),
        b"END:VEVENT\r\n",
    ))  # fmt: skip


# Printable ASCII but for the characters TEXT escapes (`,` `;` `\`): such a value is written
# as it is, and a line shorter than 75 octets is not folded.
_PLAIN = re.compile(r"[\x20-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*")
FOLD_AT = 75


def _text(name: str, value: str) -> bytes:
    """The content line of a TEXT property (folded, with its CRLF)."""
    if len(name) + 1 + len(value) < FOLD_AT and _PLAIN.fullmatch(value):
        return f"{name}:{value}\r\n".encode("ascii")
    return _line(name, value)


# Distinct lines kept per process: a large branch's feeds have a few tens of thousands
# (times of each date, texts that are not plain); beyond that the oldest are rendered again.
LINES_KEPT = 50_000


@lru_cache(maxsize=LINES_KEPT)
def _time(name: str, day: date, clock: time, tzid: str) -> tuple[bytes, str | None]:
    """DTSTART or DTEND at ``clock`` on ``day`` in zone ``tzid``, and the zone the line names.

    Keyed by the zone's id, not by an aware datetime: those of the same instant are equal
    keys whatever their zone."""
    return _icalendar_line(name, datetime.combine(day, clock, tzinfo=ZoneInfo(tzid)))


@lru_cache(maxsize=LINES_KEPT)
def _line(name: str, value: str | int | datetime) -> bytes:
    """The line of any other property; a DTSTAMP is written in UTC (equal instants, equal
    lines)."""
    if name == "DTSTAMP" and isinstance(value, datetime):
        value = value.astimezone(UTC)
    return _icalendar_line(name, value)[0]


def _icalendar_line(name: str, value: object) -> tuple[bytes, str | None]:
    """The content line icalendar writes for one property of a VEVENT (folded, with its
    CRLF), and the zone it names (TZID), if any."""
    holder = icalendar.Event()
    holder.add(name, value)
    prop = holder[name]
    line = holder.content_line(name, prop).to_ical() + b"\r\n"
    return line, getattr(prop, "params", {}).get("TZID")


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
    instance: Instance, events: Sequence[Event], cal: TermCalendar
) -> list[tuple[Feed, bytes]]:
    """Render every feed of a set of events, in instance order, in this process (sending
    events to other processes costs more than rendering them: docs/calendar.md, "Cost of
    writing the feeds")."""
    desc = calendar_description(cal, instance.settings.branch)
    tzid = instance.settings.timezone
    # Each feed gets only its own events: handing every feed all of them made the work grow
    # with feeds x events (650 feeds x 78,000 events at 250 ALTs).
    mine: dict[str, list[Event]] = defaultdict(list)
    for e in events:
        mine[f"alt:{e.lesson.alt_id}"].append(e)
        mine[f"school:{e.lesson.school_id}"].append(e)
    return [(f, render(f, mine[f.key], tzid, desc)) for f in feeds_for(instance, events)]


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
        # Bounded like every file a user may edit: a runaway source.json is not read whole.
        return Instance.model_validate_json(read_text(folder / names.FEEDS_SOURCE))
    except (OSError, ValueError):
        return None


def write_feeds(
    instance: Instance,
    assignments: pd.DataFrame,
    out_dir: Path,
) -> list[Path]:
    """Write ``out_dir/ical/<alt_id>.ics`` and ``out_dir/ical/school-<school_id>.ics``.

    Does nothing and returns ``[]`` when the instance has no term dates. The feeds are those of
    an unpublished timetable (SEQUENCE 0, DTSTAMP term_start 00:00 UTC), byte-identical for the
    same input. ``ical/source.json`` keeps the instance, so ``altsched publish out_dir`` needs
    nothing else. Stale ``.ics`` files in ``ical/`` (an ALT who lost every lesson) are removed.

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
    rendered = build_feeds(instance, events, cal)
    files = feed_files(instance, [feed for feed, _ in rendered])
    written = []
    for feed, body in rendered:
        path = folder / files[feed.key]
        write_bytes_atomic(path, body)
        written.append(path)
    # Feeds of ALTs and schools left without lessons go; other .ics files are the user's.
    ours = set(files.values()) | set(feed_files(_previous(folder), []).values())
    for stale in sorted(set(folder.glob("*.ics")) - set(written)):
        if stale.name in ours:
            stale.unlink()
    source = instance.model_dump_json(by_alias=True, indent=1) + "\n"
    write_bytes_atomic(folder / names.FEEDS_SOURCE, source.encode("utf-8"))
    return written
