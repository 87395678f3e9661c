"""Versions in the SQLite store: the identity rule, UID/SEQUENCE across publishes, immutability."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from pathlib import Path

import icalendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.calendar.changes import changes_frame, changes_text, diff
from scheduler.calendar.identity import Draft, Event, assign, derive_uid
from scheduler.calendar.store import Store, publish
from scheduler.calendar.term import DatedLesson
from tests.calendar_data import WEEKLY, assignments, instance, moved_a1

T1 = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2025, 4, 2, 9, 0, tzinfo=UTC)
T3 = datetime(2025, 4, 3, 9, 0, tzinfo=UTC)


def draft(day: int, period: int, class_: str = "1-1", text: str = "") -> Draft:
    """A lesson of A1 at S1 on 2025-04-<day> (April 2025: 7 is a Monday)."""
    start = time(8 + period, 0)
    ls = DatedLesson(date(2025, 4, day), start, time(8 + period, 45), "A1", "S1", class_, period)
    return Draft(ls, f"{class_} English", "school", "S1", text or "desc")


def by_uid(events: list[Event]) -> dict[str, Event]:
    return {e.uid: e for e in events}


# ---- the identity rule, on hand-made drafts ----------------------------------------------


def test_unchanged_lessons_keep_uid_sequence_and_stamp() -> None:
    v1 = assign([], [draft(7, 1), draft(9, 2)], stamp=T1)
    v2 = assign(v1, [draft(7, 1), draft(9, 2)], stamp=T2)
    assert v2 == v1


def test_a_moved_lesson_keeps_its_uid_and_raises_sequence() -> None:
    v1 = assign([], [draft(7, 1)], stamp=T1)  # Monday P1
    v2 = assign(v1, [draft(8, 3)], stamp=T2)  # moved to Tuesday P3 of the same week
    assert [e.uid for e in v2] == [v1[0].uid]
    assert (v2[0].sequence, v2[0].cancelled, v2[0].stamp) == (1, False, T2)
    assert v2[0].lesson.date == date(2025, 4, 8)


def test_exact_matches_win_over_time_order() -> None:
    # Mon and Wed lessons; Mon moves to Fri. Wed must stay untouched (not be "moved" to Fri).
    v1 = assign([], [draft(7, 1), draft(9, 1)], stamp=T1)
    mon, wed = v1
    v2 = by_uid(assign(v1, [draft(9, 1), draft(11, 1)], stamp=T2))
    assert v2[wed.uid] == wed
    assert v2[mon.uid].lesson.date == date(2025, 4, 11) and v2[mon.uid].sequence == 1


def test_a_removed_lesson_is_cancelled_and_stays_cancelled() -> None:
    v1 = assign([], [draft(7, 1), draft(9, 1)], stamp=T1)
    v2 = by_uid(assign(v1, [draft(9, 1)], stamp=T2))
    gone = v2[v1[0].uid]
    assert (gone.cancelled, gone.sequence, gone.lesson) == (True, 1, v1[0].lesson)
    v3 = by_uid(assign(list(v2.values()), [draft(9, 1)], stamp=T3))
    assert v3[v1[0].uid] == gone  # a tombstone is carried unchanged


def test_a_restored_lesson_gets_a_fresh_uid_never_a_reused_one() -> None:
    v1 = assign([], [draft(7, 1)], stamp=T1)
    v2 = assign(v1, [], stamp=T2)
    v3 = assign(v2, [draft(7, 1)], stamp=T3)
    assert len(v3) == 2
    cancelled, live = sorted(v3, key=lambda e: not e.cancelled)
    assert cancelled.uid == v1[0].uid and live.uid != v1[0].uid and live.sequence == 0


def test_a_lesson_in_another_week_is_not_a_move() -> None:
    v1 = assign([], [draft(7, 1)], stamp=T1)
    v2 = assign(v1, [draft(14, 1)], stamp=T2)  # the next Monday: a different week
    assert sorted((e.cancelled, e.sequence) for e in v2) == [(False, 0), (True, 1)]


def test_a_new_text_at_the_same_time_raises_sequence_only() -> None:
    v1 = assign([], [draft(7, 1, text="Co-teacher: A")], stamp=T1)
    v2 = assign(v1, [draft(7, 1, text="Co-teacher: B")], stamp=T2)
    assert (v2[0].uid, v2[0].sequence, v2[0].description) == (v1[0].uid, 1, "Co-teacher: B")


def test_classes_do_not_exchange_uids() -> None:
    v1 = assign([], [draft(7, 1, "1-1")], stamp=T1)
    v2 = assign(v1, [draft(7, 1, "1-2")], stamp=T2)
    assert {(e.lesson.class_, e.cancelled) for e in v2} == {("1-1", True), ("1-2", False)}


def test_derive_uid_is_stable_and_avoids_taken_uids() -> None:
    ls = draft(7, 1).lesson
    uid = derive_uid(ls)
    assert uid == derive_uid(ls) and uid.endswith("@alt-scheduler")
    other = derive_uid(ls, {uid})
    assert other != uid and derive_uid(ls, {uid}) == other


# ---- publishing two versions of the tiny branch --------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """An empty store in tmp_path."""
    with Store(tmp_path / "s.sqlite") as st:
        yield st


def _vevents(body: bytes) -> dict[str, icalendar.Event]:
    return {str(e["UID"]): e for e in icalendar.Calendar.from_ical(body).walk("VEVENT")}


def test_first_publish_has_the_unpublished_uids(store: Store, tmp_path: Path) -> None:
    from scheduler.calendar.ical import write_feeds

    publish(store, instance(), assignments(), now=T1)
    (path,) = [p for p in write_feeds(instance(), assignments(), tmp_path) if p.name == "A1.ics"]
    served = {f.key: f.body for f in store.feeds(1)}["alt:A1"]
    assert set(_vevents(served)) == set(_vevents(path.read_bytes()))


def test_moving_one_alts_day_updates_only_that_alt(store: Store) -> None:
    publish(store, instance(), assignments(), now=T1)
    out = publish(store, instance(), moved_a1(), now=T2)
    assert out.created and out.version.version == 2
    f1 = {f.key: f for f in store.feeds(1)}
    f2 = {f.key: f for f in store.feeds(2)}
    # Bob's (A2) feed and S2's are byte-identical: same ETag, Last-Modified still version 1.
    for key in ("alt:A2", "school:S2"):
        assert f2[key].body == f1[key].body and f2[key].modified_at == T1
    assert f2["alt:A1"].etag != f1["alt:A1"].etag and f2["alt:A1"].modified_at == T2

    old, new = _vevents(f1["alt:A1"].body), _vevents(f2["alt:A1"].body)
    # Mon 04-28 P1 moved to Thu 05-01 P2 in the same week: same UID, SEQUENCE 1.
    mon = next(u for u, e in old.items() if e.start.date() == date(2025, 4, 28))
    assert new[mon].start == datetime(2025, 5, 1, 9, 35, tzinfo=new[mon].start.tzinfo)
    assert new[mon]["SEQUENCE"] == 1 and str(new[mon]["STATUS"]) == "CONFIRMED"
    assert new[mon]["DTSTAMP"].dt == T2
    # Thu 05-08 and 05-15 are new (their Mondays were a holiday and an event): SEQUENCE 0.
    added = {e.start.date(): e["SEQUENCE"] for u, e in new.items() if u not in old}
    assert added == {date(2025, 5, 8): 0, date(2025, 5, 15): 0}
    # The untouched Tue lesson keeps UID, SEQUENCE 0 and its version-1 DTSTAMP.
    tue = next(u for u, e in old.items() if e.start.date() == date(2025, 5, 13))
    assert new[tue]["SEQUENCE"] == 0 and new[tue]["DTSTAMP"].dt == T1

    changes = diff(store.events(1), store.events(2))
    assert {c.alt_id for c in changes} == {"A1"}
    assert sorted((c.kind, c.new.lesson.date.isoformat()) for c in changes) == [
        ("added", "2025-05-08"), ("added", "2025-05-15"), ("moved", "2025-05-01"),
    ]  # fmt: skip


def test_removing_a_lesson_publishes_a_cancellation(store: Store) -> None:
    publish(store, instance(), assignments(), now=T1)
    publish(store, instance(), assignments(WEEKLY[:3]), now=T2)  # A2's Friday lesson is gone
    events = _vevents({f.key: f.body for f in store.feeds(2)}["alt:A2"])
    fridays = [e for e in events.values() if e.start.weekday() == 4]
    assert len(fridays) == 2  # 05-02 and 05-16 (05-09 was a school event)
    assert all(str(e["STATUS"]) == "CANCELLED" and e["SEQUENCE"] == 1 for e in fridays)
    changes = diff(store.events(1), store.events(2))
    assert [(c.alt_id, c.kind) for c in changes] == [("A2", "cancelled")] * 2


def test_publishing_the_same_timetable_adds_no_version(store: Store) -> None:
    first = publish(store, instance(), assignments(), now=T1)
    again = publish(store, instance(), assignments(), now=T2)
    assert first.created and not again.created
    assert again.version == first.version and len(store.versions()) == 1


def test_publish_times_always_grow(store: Store) -> None:
    publish(store, instance(), assignments(), now=T2)
    out = publish(store, instance(), moved_a1(), now=T1)  # a clock that went backwards
    assert out.version.published_at > T2


def test_versions_are_never_overwritten_or_deleted(store: Store) -> None:
    publish(store, instance(), assignments(), now=T1)
    before = store.feeds(1)
    publish(store, instance(), moved_a1(), now=T2)
    assert store.feeds(1) == before
    for sql in (
        "UPDATE versions SET label = 'x'",
        "DELETE FROM versions",
        "UPDATE events SET sequence = 9",
        "DELETE FROM events",
        "UPDATE feeds SET body = x'00'",
        "DELETE FROM feeds",
    ):
        with pytest.raises(sqlite3.DatabaseError, match="never changed"):
            store.db.execute(sql)
    assert store.feeds(1) == before


def test_store_keeps_the_source_of_each_version(store: Store) -> None:
    publish(store, instance(), moved_a1(), now=T1)
    inst, table = store.source(1)
    assert inst == instance()
    assert table.astype(str).values.tolist() == moved_a1().astype(str).values.tolist()


def test_reopening_the_store_keeps_versions(tmp_path: Path) -> None:
    with Store(tmp_path / "s.sqlite") as st:
        publish(st, instance(), assignments(), now=T1)
    with Store(tmp_path / "s.sqlite") as st:
        assert [v.version for v in st.versions()] == [1]
        assert len(st.events(1)) == 7


def test_changes_text_and_csv_name_the_weekly_pattern(store: Store) -> None:
    publish(store, instance(), assignments(), now=T1)
    publish(store, instance(), moved_a1(), now=T2)
    changes = diff(store.events(1), store.events(2))
    text = changes_text(changes, {"A1": "Alice"})
    assert text.splitlines() == [
        "A1 Alice: 1 moved, 2 added, 0 cancelled, 0 changed",
        "  moved     S1 1-1  Mon P1 08:45-09:30 -> Thu P2 09:35-10:20  (1 date, 2025-05-01)",
        "  added     S1 1-1  Thu P2 09:35-10:20  (2 dates, 2025-05-08 to 2025-05-15)",
    ]
    frame = changes_frame(changes)
    moved = frame[frame["change"] == "moved"].iloc[0]
    assert (moved["old_date"], moved["new_date"], moved["sequence"]) == (
        "2025-04-28", "2025-05-01", 1,
    )  # fmt: skip
    added = frame[frame["change"] == "added"]
    assert set(added["old_date"]) == {""} and list(added["sequence"]) == [0, 0]


def test_no_changes_says_so() -> None:
    assert changes_text([], {}) == "No changes.\n"


# ---- property: any two timetables, the new version's live events are exactly its lessons ----

SLOTS = [(day, period) for day in (7, 8, 9, 10, 11, 14, 15) for period in (1, 2, 3)]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(SLOTS), st.sampled_from(["1-1", "1-2"])), unique=True),
    st.lists(st.tuples(st.sampled_from(SLOTS), st.sampled_from(["1-1", "1-2"])), unique=True),
)
def test_identity_rule_properties(
    old: list[tuple[tuple[int, int], str]], new: list[tuple[tuple[int, int], str]]
) -> None:
    v1 = assign([], [draft(d, p, c) for (d, p), c in old], stamp=T1)
    v2 = assign(v1, [draft(d, p, c) for (d, p), c in new], stamp=T2)
    live = [e for e in v2 if not e.cancelled]
    # exactly the new lessons are live, each once; UIDs never repeat
    assert sorted((e.lesson.date.day, e.lesson.period, e.lesson.class_) for e in live) == sorted(
        (d, p, c) for (d, p), c in new
    )
    assert len({e.uid for e in v2}) == len(v2)
    # every old UID survives (live or cancelled) and never goes down in SEQUENCE
    before = by_uid(v1)
    after = by_uid(v2)
    assert set(before) <= set(after)
    for uid, e in before.items():
        assert after[uid].sequence >= e.sequence
        assert after[uid].sequence == e.sequence or after[uid].stamp == T2
        # a UID only moves inside its (ALT, school, class, week)
        assert after[uid].group == e.group
    # cancelled + live old UIDs: as many cancellations as the group shrank
    for g in {e.group for e in v1}:
        olds = sum(e.group == g for e in v1)
        news = sum(e.group == g for e in live)
        cancelled = sum(e.group == g and e.cancelled for e in v2)
        assert cancelled == max(0, olds - news)
