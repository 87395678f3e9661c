"""iCal feeds: four independent parsers read exactly the expected dated lessons; stable bytes."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
import vobject
from ical.calendar_stream import IcsCalendarStream

from scheduler.calendar.ical import write_feeds
from scheduler.instance import Instance
from tests.calendar_data import EXPECTED, TERM, assignments, instance

TOKYO = ZoneInfo("Asia/Tokyo")
# A dated lesson as every parser must report it: (date, start, end, school_id, class, period).
Seen = tuple[str, str, str, str]


def expected(alt_id: str | None = None, school_id: str | None = None) -> set[Seen]:
    """(start ISO, end ISO, summary prefix 'class English', location) of the expected lessons."""
    names = {"S1": "Sakura ES", "S2": "みどり中学校"}
    out = set()
    for day, start, end, alt, school, class_, _ in EXPECTED:
        if alt_id not in (None, alt) or school_id not in (None, school):
            continue
        out.add((f"{day}T{start}+09:00", f"{day}T{end}+09:00", f"{class_} English", names[school]))
    return out


@pytest.fixture(scope="module")
def feeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The feeds of the tiny branch, by file name."""
    out = tmp_path_factory.mktemp("feeds")
    paths = write_feeds(instance(), assignments(), out)
    return {p.name: p.read_bytes() for p in paths}


def _iso(t: datetime) -> str:
    assert t.tzinfo is not None, "a floating time"
    return t.astimezone(TOKYO).isoformat(timespec="minutes")


def _seen(start: datetime, end: datetime, summary: str, location: str) -> Seen:
    return (_iso(start), _iso(end), summary.split(" · ")[0], location)


def by_icalendar(body: bytes) -> set[Seen]:
    cal = icalendar.Calendar.from_ical(body)
    out = set()
    for ev in cal.walk("VEVENT"):
        if str(ev.get("STATUS")) != "CANCELLED":
            out.add(_seen(ev.start, ev.end, str(ev["SUMMARY"]), str(ev["LOCATION"])))
    return out


def by_recurring_ical_events(body: bytes) -> set[Seen]:
    cal = icalendar.Calendar.from_ical(body)
    lo = datetime.combine(TERM[0], datetime.min.time(), TOKYO)
    hi = datetime.combine(TERM[1] + timedelta(days=1), datetime.min.time(), TOKYO)
    out = set()
    for ev in recurring_ical_events.of(cal).between(lo, hi):
        if str(ev.get("STATUS")) != "CANCELLED":
            out.add(_seen(ev["DTSTART"].dt, ev["DTEND"].dt, ev["SUMMARY"], ev["LOCATION"]))
    return out


def by_ical(body: bytes) -> set[Seen]:
    cal = IcsCalendarStream.calendar_from_ics(body.decode("utf-8"))
    out = set()
    for ev in cal.events:
        if ev.status is None or ev.status.value != "CANCELLED":
            assert isinstance(ev.dtstart, datetime) and isinstance(ev.dtend, datetime)
            out.add(_seen(ev.dtstart, ev.dtend, ev.summary or "", ev.location or ""))
    return out


def by_vobject(body: bytes) -> set[Seen]:
    cal = vobject.readOne(body.decode("utf-8"))
    out = set()
    for ev in cal.vevent_list:
        if getattr(ev, "status", None) is None or ev.status.value != "CANCELLED":
            s, e = ev.dtstart.value, ev.dtend.value
            out.add(_seen(s, e, ev.summary.value, ev.location.value))
    return out


PARSERS = [by_icalendar, by_recurring_ical_events, by_ical, by_vobject]


@pytest.mark.parametrize("parse", PARSERS, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    ("name", "alt_id", "school_id"),
    [("A1.ics", "A1", None), ("A2.ics", "A2", None),
     ("school-S1.ics", None, "S1"), ("school-S2.ics", None, "S2")],
)  # fmt: skip
def test_every_parser_reads_exactly_the_expected_lessons(
    feeds: dict[str, bytes], parse: object, name: str, alt_id: str | None, school_id: str | None
) -> None:
    assert callable(parse)
    assert parse(feeds[name]) == expected(alt_id, school_id)


def test_one_feed_per_alt_with_lessons_and_per_school(feeds: dict[str, bytes]) -> None:
    assert sorted(feeds) == ["A1.ics", "A2.ics", "school-S1.ics", "school-S2.ics"]


def test_event_properties(feeds: dict[str, bytes]) -> None:
    cal = icalendar.Calendar.from_ical(feeds["A1.ics"])
    assert str(cal["X-WR-CALNAME"]) == "ALT lessons: Alice"
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Asia/Tokyo"]
    first = cal.walk("VEVENT")[0]
    assert str(first["SUMMARY"]) == "1-1 English · Sakura ES"
    assert str(first["DESCRIPTION"]).splitlines() == [
        "Period 1, 08:45-09:30",
        "Class 1-1, Sakura ES",
        "Co-teacher: 田中",
        "ALT: Alice (A1)",
    ]
    assert first["SEQUENCE"] == 0
    assert first["DTSTAMP"].dt == datetime(2025, 4, 28, tzinfo=ZoneInfo("UTC"))
    assert str(first["UID"]).endswith("@alt-scheduler")
    school = icalendar.Calendar.from_ical(feeds["school-S2.ics"]).walk("VEVENT")[0]
    # The school's feed names the ALT, not the school it is already about.
    assert str(school["SUMMARY"]) == "2-1 English · Bob"


def test_uids_are_unique_and_shared_between_alt_and_school_feeds(feeds: dict[str, bytes]) -> None:
    def uids(name: str) -> list[str]:
        return [str(e["UID"]) for e in icalendar.Calendar.from_ical(feeds[name]).walk("VEVENT")]

    alt = uids("A1.ics") + uids("A2.ics")
    school = uids("school-S1.ics") + uids("school-S2.ics")
    assert len(alt) == len(set(alt)) == len(EXPECTED)
    assert set(alt) == set(school)


def test_wire_format_rules(feeds: dict[str, bytes]) -> None:
    for body in feeds.values():
        assert body.startswith(b"BEGIN:VCALENDAR\r\n") and body.endswith(b"END:VCALENDAR\r\n")
        lines = body.split(b"\r\n")
        assert all(b"\n" not in line and b"\r" not in line for line in lines)
        assert max(len(line) for line in lines) <= 75
        # Folding never splits a UTF-8 character: every physical line decodes on its own.
        for line in lines:
            line.decode("utf-8")
        assert b"REFRESH-INTERVAL;VALUE=DURATION:PT6H\r\n" in body
        assert b"DTSTART;TZID=Asia/Tokyo:" in body
        # No METHOD: then the server's Content-Type carries no method= either.
        assert b"METHOD:" not in body


def test_long_japanese_text_folds_without_splitting_characters(tmp_path: Path) -> None:
    inst = instance()
    long_name = "宇都宮市立みどりが丘中学校" * 4
    schools = (inst.schools[0], inst.schools[1].model_copy(update={"name": long_name}))
    write_feeds(inst.model_copy(update={"schools": schools}), assignments(), tmp_path)
    body = (tmp_path / "ical" / "A2.ics").read_bytes()
    for line in body.split(b"\r\n"):
        assert len(line) <= 75
        line.decode("utf-8")
    ev = icalendar.Calendar.from_ical(body).walk("VEVENT")[0]
    assert str(ev["LOCATION"]) == long_name


def test_same_input_same_bytes(tmp_path: Path) -> None:
    a = write_feeds(instance(), assignments(), tmp_path / "a")
    b = write_feeds(instance(), assignments().sample(frac=1, random_state=3), tmp_path / "b")
    assert [p.name for p in a] == [p.name for p in b]
    for pa, pb in zip(a, b, strict=True):
        assert pa.read_bytes() == pb.read_bytes()


def test_rewrite_is_byte_identical_and_removes_stale_feeds(tmp_path: Path) -> None:
    first = {p: p.read_bytes() for p in write_feeds(instance(), assignments(), tmp_path)}
    only_a2 = assignments().query("alt_id == 'A2'")
    write_feeds(instance(), only_a2, tmp_path)
    assert sorted(p.name for p in (tmp_path / "ical").glob("*.ics")) == ["A2.ics", "school-S2.ics"]
    again = write_feeds(instance(), assignments(), tmp_path)
    assert {p: p.read_bytes() for p in again} == first


def test_no_term_dates_no_feeds(tmp_path: Path) -> None:
    inst = instance(term_start=None, term_end=None)
    assert write_feeds(inst, assignments(), tmp_path) == []
    assert not (tmp_path / "ical").exists()


def test_source_json_is_the_instance(tmp_path: Path) -> None:
    from scheduler.instance import Instance

    write_feeds(instance(), assignments(), tmp_path)
    text = (tmp_path / "ical" / "source.json").read_text(encoding="utf-8")
    assert Instance.model_validate_json(text) == instance()


def test_dates_in_feeds_are_inside_the_term(feeds: dict[str, bytes]) -> None:
    for body in feeds.values():
        for ev in icalendar.Calendar.from_ical(body).walk("VEVENT"):
            assert TERM[0] <= ev.start.date() <= TERM[1]
            assert ev.start.date() != date(2025, 5, 5)  # Children's Day


def _renamed(inst: Instance, old: str, new: str, name: str | None = None) -> Instance:
    alts = tuple(
        a.model_copy(update={"alt_id": new, "name": name or a.name}) if a.alt_id == old else a
        for a in inst.alts
    )
    return inst.model_copy(update={"alts": alts})


def test_feed_files_are_safe_and_never_overwrite_each_other(tmp_path: Path) -> None:
    # An ALT id naming a school's feed, or climbing out of the folder, gets a file of its own
    # inside ical/ (as the timetables do); a line break in a name is a space in the feed name.
    for alt_id, expected in (("school-S1", "school-S1.ics"), ("../../x", "_.._x.ics")):
        inst = _renamed(instance(), "A1", alt_id, name="Alice\nSmith")
        rows = assignments().replace({"alt_id": {"A1": alt_id}})
        out = tmp_path / alt_id.replace("/", "_")
        paths = write_feeds(inst, rows, out)
        assert all(p.parent == out / "ical" for p in paths)
        names = sorted(p.name for p in paths)
        assert expected in names and len(names) == len(set(names)) == 4
        alt_feed = icalendar.Calendar.from_ical((out / "ical" / expected).read_bytes())
        assert str(alt_feed["X-WR-CALNAME"]) == "ALT lessons: Alice Smith"
        assert len(alt_feed.walk("VEVENT")) == 2  # Alice's two dated lessons
        if alt_id == "school-S1":  # the school's own feed is there too, under another name
            school = icalendar.Calendar.from_ical((out / "ical" / "school-S1-2.ics").read_bytes())
            assert str(school["X-WR-CALNAME"]) == "ALT lessons: Sakura ES"
    assert not (tmp_path / "x.ics").exists()


def test_rewriting_feeds_keeps_the_users_own_calendar_files(tmp_path: Path) -> None:
    write_feeds(instance(), assignments(), tmp_path)
    mine = tmp_path / "ical" / "japan-holidays.ics"
    mine.write_bytes(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    only_a2 = assignments().query("alt_id == 'A2'")
    write_feeds(instance(), only_a2, tmp_path)
    left = sorted(p.name for p in (tmp_path / "ical").glob("*.ics"))
    assert left == ["A2.ics", "japan-holidays.ics", "school-S2.ics"]
