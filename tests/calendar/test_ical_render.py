"""Feed bytes: the line-by-line renderer writes exactly what icalendar's components write.

``render`` builds each VEVENT from lines rendered once and reused (docs/calendar.md, "Cost of
writing the feeds"). The reference below is the way feeds were built before: one icalendar
``Event`` per dated lesson added to a ``Calendar``, ``add_missing_timezones()``, ``to_ical()``.
Any text, zone, SEQUENCE, status or DTSTAMP must give the same bytes both ways.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.calendar.ical import PRODID, REFRESH, Feed, FeedKind, _event_order, render
from scheduler.calendar.identity import Event
from scheduler.calendar.term import DatedLesson


def reference(feed: Feed, events: Sequence[Event], tzid: str, description: str = "") -> bytes:
    """A feed built from icalendar components, as ``render`` did before it wrote lines."""
    tz = ZoneInfo(tzid)
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    name = icalendar.vText(" ".join(feed.name.split()))
    cal.add("name", name)
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", tzid)
    if description:
        cal.add("x-wr-caldesc", icalendar.vText(description))
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", icalendar.vDuration(REFRESH))
    for e in sorted(events, key=_event_order):
        if feed.owns(e):
            cal.add_component(_reference_event(e, feed.kind, tz))
    cal.add_missing_timezones()
    return cal.to_ical()


def _reference_event(e: Event, kind: FeedKind, tz: ZoneInfo) -> icalendar.Event:
    assert e.stamp is not None
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


# Texts that exercise escaping and folding: TEXT's special characters, every line-break form,
# the folding rule's `\` and `^`, control characters, Japanese (3-byte) and emoji (4-byte).
PIECES = [*"aZ0 -·:,;\\^\"'\n\r\t\x1b", "\r\n", "みどり", "😀", "\\N", "Period 1, 08:45"]
TEXT = st.lists(st.sampled_from(PIECES), max_size=60).map("".join)
# Plain ids as the derived UIDs are, and ids with every kind of character.
UID = st.one_of(st.from_regex(r"lesson-[0-9a-f]{24}@alt-scheduler", fullmatch=True), TEXT)
ZONES = [
    "Asia/Tokyo",
    "UTC",
    "Etc/UTC",
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
]


@st.composite
def events(draw: st.DrawFn, alt: str = "A1", school: str = "S1") -> Event:
    day = draw(st.dates(date(2024, 1, 1), date(2030, 12, 31)))
    start = draw(st.times().map(lambda t: t.replace(second=0, microsecond=0)))
    end = (datetime.combine(day, start) + timedelta(minutes=45)).time()
    stamp_zone = draw(st.sampled_from([UTC, ZoneInfo("Asia/Tokyo"), ZoneInfo("America/Denver")]))
    stamp = draw(
        st.datetimes(datetime(2024, 1, 1), datetime(2030, 1, 1), timezones=st.just(stamp_zone))
    )
    lesson = DatedLesson(day, start, end, alt, school, draw(TEXT), draw(st.integers(1, 8)))
    return Event(
        lesson=lesson, summary=draw(TEXT), school_summary=draw(TEXT), location=draw(TEXT),
        description=draw(TEXT), uid=draw(UID), sequence=draw(st.integers(0, 10**6)),
        cancelled=draw(st.booleans()), stamp=stamp,
    )  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(
    many=st.lists(events(), max_size=6),
    kind=st.sampled_from(["alt", "school"]),
    name=TEXT,
    tzid=st.sampled_from(ZONES),
    description=TEXT,
)
def test_lines_are_the_bytes_icalendar_writes(
    many: list[Event], kind: FeedKind, name: str, tzid: str, description: str
) -> None:
    feed = Feed(kind, "A1" if kind == "alt" else "S1", name)
    assert render(feed, many, tzid, description) == reference(feed, many, tzid, description)


def test_same_lesson_time_in_two_zones_keeps_each_zone() -> None:
    # Aware datetimes of one instant are equal keys: a line cached for Tokyo must not be
    # reused for another zone's lesson at the same instant (09:00 in Tokyo is 00:00 UTC).
    stamp = datetime(2025, 4, 1, tzinfo=UTC)
    lesson = DatedLesson(date(2025, 4, 7), time(9), time(9, 45), "A1", "S1", "1-1", 1)
    event = Event(lesson, "s", "s", "l", "d", uid="u", stamp=stamp)
    feed = Feed("alt", "A1", "x")
    for tzid in ("Asia/Tokyo", "UTC", "Asia/Tokyo"):
        assert render(feed, [event], tzid) == reference(feed, [event], tzid)


def test_a_feed_without_events_has_no_timezone() -> None:
    feed = Feed("alt", "A9", "ALT lessons: nobody")
    body = render(feed, [], "Asia/Tokyo", "term")
    assert body == reference(feed, [], "Asia/Tokyo", "term")
    assert b"VTIMEZONE" not in body


def test_plain_lines_fold_exactly_where_icalendar_folds() -> None:
    # Plain ASCII lines are written without icalendar: lengths around the 75-octet fold.
    stamp = datetime(2025, 4, 1, tzinfo=UTC)
    lesson = DatedLesson(date(2025, 4, 7), time(9), time(9, 45), "A1", "S1", "1-1", 1)
    feed = Feed("alt", "A1", "x")
    for n in range(66, 80):
        event = Event(lesson, "s" * n, "s", "l" * n, "d" * n, uid="u" * n, stamp=stamp)
        assert render(feed, [event], "Asia/Tokyo") == reference(feed, [event], "Asia/Tokyo")
