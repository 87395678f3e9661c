"""``altsched cover --apply`` and ``--choose`` on the tiny branch of test_cover.py: the store
gains a version whose feeds cancel the absent ALT's lessons (same UID, SEQUENCE raised) and add
them to the substitutes' feeds; ``changes`` lists them, the server serves them, and a later
publish keeps the covers that still fit and names those it drops."""

from __future__ import annotations

import sqlite3
import warnings
from datetime import date
from pathlib import Path

import icalendar
import pandas as pd
import pytest
import vobject

from scheduler.calendar import tokens as tk
from scheduler.calendar.server import create_app
from scheduler.calendar.store import Store
from scheduler.validate import check
from tests.cli.test_calendar_cli import run
from tests.replan.test_cover import assignments, instance

with warnings.catch_warnings():  # starlette would rather see httpx2; httpx works the same
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

DAY = "2025-05-13"
# Worked out in test_cover.py: Bob (A2) takes lessons 1-2, Cara (A3) lessons 3-5.
EXPECTED = {1: "A2", 2: "A2", 3: "A3", 4: "A3", 5: "A3"}


@pytest.fixture
def published(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[Path, Path, Path]:
    """(instance JSON, solve folder, store) with the weekly timetable published as version 1."""
    inst = tmp_path / "branch.json"
    inst.write_text(instance().model_dump_json(by_alias=True), encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    assignments(instance()).to_csv(out / "assignments.csv", index=False)
    store = tmp_path / "feeds.sqlite"
    code, _, err = run(monkeypatch, capsys, "publish", out, "--instance", inst, "--store", store)
    assert code == 0, err
    return inst, out, store


def _cover(monkeypatch, capsys, published, *args: object) -> tuple[int, str, str]:
    inst, out, store = published
    return run(monkeypatch, capsys, "cover", inst, out, "--absent", "A1", "--date", DAY,
               "--store", store, *args)  # fmt: skip


def _feed(store: Path, key: str) -> bytes:
    with Store(store, "read") as st:
        latest = st.latest()
        assert latest is not None
        return next(f.body for f in st.feeds(latest.version) if f.key == key)


def _on_day(body: bytes) -> list[tuple[str, str, int, str, str]]:
    """(UID, STATUS, SEQUENCE, SUMMARY, DESCRIPTION) of the feed's events on DAY, by icalendar."""
    cal = icalendar.Calendar.from_ical(body)
    return sorted(
        (str(e["UID"]), str(e["STATUS"]), int(e["SEQUENCE"]), str(e["SUMMARY"]),
         str(e["DESCRIPTION"]))
        for e in cal.walk("VEVENT")
        if e.decoded("DTSTART").date() == date.fromisoformat(DAY)
    )  # fmt: skip


def _on_day_vobject(body: bytes) -> list[tuple[str, str, int]]:
    """(UID, STATUS, SEQUENCE) of the feed's events on DAY, by vobject."""
    cal = vobject.readOne(body.decode("utf-8"))
    return sorted(
        (e.uid.value, e.status.value, int(e.sequence.value))
        for e in cal.vevent_list
        if e.dtstart.value.date() == date.fromisoformat(DAY)
    )


def test_apply_cancels_and_adds_in_the_feeds(published, monkeypatch, capsys) -> None:
    _, _, store = published
    before = _on_day(_feed(store, "alt:A1"))
    assert [s for _, s, *_ in before] == ["CONFIRMED"] * 5
    code, text, err = _cover(monkeypatch, capsys, published, "--apply")
    assert code == 0, err
    assert "Recorded as version 2" in text
    assert "5 cancelled" in text  # changes of A1, as publish prints them

    # Alice's feed: the same five UIDs, now cancelled, SEQUENCE 0 -> 1; both parsers agree.
    after = _on_day(_feed(store, "alt:A1"))
    assert [(u, s, q) for u, s, q, *_ in after] == [(u, "CANCELLED", 1) for u, *_ in before]
    assert _on_day_vobject(_feed(store, "alt:A1")) == [(u, s, q) for u, s, q, *_ in after]

    # Bob's and Cara's feeds gain 2 and 3 new events saying whom they cover for.
    for alt_id, n in (("A2", 2), ("A3", 3)):
        added = _on_day(_feed(store, f"alt:{alt_id}"))
        assert len(added) == n
        assert all(s == "CONFIRMED" and q == 0 for _, s, q, *_ in added)
        assert all(summary.endswith("(cover)") for *_, summary, _ in added)
        assert all("Cover for ALT A1 (A1)" in d for *_, d in added)
        assert {u for u, *_ in added}.isdisjoint(u for u, *_ in before)
        assert len(_on_day_vobject(_feed(store, f"alt:{alt_id}"))) == n

    # The school's feed shows both: five cancelled, five added.
    school = _on_day(_feed(store, "school:S1"))
    assert sorted(s for _, s, *_ in school) == ["CANCELLED"] * 5 + ["CONFIRMED"] * 5

    # changes lists them per ALT.
    code, text, _ = run(monkeypatch, capsys, "changes", "--store", store)
    assert code == 0
    assert "A1 ALT A1: 0 moved, 0 added, 5 cancelled" in text
    assert "A2 ALT A2: 0 moved, 2 added" in text
    assert "A3 ALT A3: 0 moved, 3 added" in text

    # The server serves the new version: Bob's feed holds his cover lessons.
    with Store(store) as st:
        bob = tk.issue(st, "alt:A2").token
    client = TestClient(create_app(store), client=("203.0.113.7", 50000))
    got = client.get(f"/feeds/{bob}.ics")
    assert got.status_code == 200
    assert got.content == _feed(store, "alt:A2")
    assert b"Cover for ALT A1 (A1)" in got.content


def test_the_next_listing_counts_recorded_covers(published, monkeypatch, capsys) -> None:
    # After the cover, Alice's lessons that day are Bob's and Cara's: nothing left to cover.
    assert _cover(monkeypatch, capsys, published, "--apply")[0] == 0
    code, text, _ = _cover(monkeypatch, capsys, published)
    assert code == 0
    assert "has no lesson on 2025-05-13 (already covered)" in text
    # A week later Bob and Cara carry 2 and 3 covers in the window: the 28 days before.
    inst, out, store = published
    csv = out.parent / "next.csv"
    code, _, err = run(monkeypatch, capsys, "cover", inst, out, "--absent", "A1", "--date",
                       "2025-05-20", "--store", store, "--csv", csv)  # fmt: skip
    assert code == 0, err
    rows = pd.read_csv(csv, keep_default_na=False)
    first = rows[rows["lesson"] == 1].set_index("alt_id")["reasons"]
    assert "2 covers in the last 28 days" in first["A2"]
    assert "3 covers in the last 28 days" in first["A3"]


def test_choose_records_only_the_picks(published, monkeypatch, capsys) -> None:
    code, _, err = _cover(monkeypatch, capsys, published, "--choose", "1=A3",
                             "--choose", f"{DAY}/2/S1/1-2=A2")  # fmt: skip
    assert code == 0, err
    with Store(published[2], "read") as st:
        recorded = [(c.period, c.to_alt) for c in st.covers()]
    assert recorded == [(1, "A3"), (2, "A2")]


@pytest.mark.parametrize(
    ("pick", "says"),
    [
        ("9=A2", "is not a lesson of the listing (numbers 1-5"),  # no lesson 9
        ("1=A4", "A4 cannot take lesson 1"),  # Dan: junior high only
        ("1=A1", "A1 cannot take lesson 1 (2025-05-13/1/S1/1-1): absent that day"),
        ("1=Z9", "not an ALT of the branch"),
    ],
)
def test_bad_picks_exit_2(published, monkeypatch, capsys, pick: str, says: str) -> None:
    code, _, err = _cover(monkeypatch, capsys, published, "--choose", pick)
    assert code == 2
    assert says in err
    with Store(published[2], "read") as st:
        assert len(st.versions()) == 1 and st.covers() == []


def test_refuses_a_store_holding_another_timetable(published, monkeypatch, capsys) -> None:
    out = published[1]
    table = pd.read_csv(out / "assignments.csv")
    table.drop(index=len(table) - 1).to_csv(out / "assignments.csv", index=False)
    code, _, err = _cover(monkeypatch, capsys, published, "--apply")
    assert code == 2
    assert "holds another timetable than DIR's" in err


def test_a_new_timetable_keeps_covers_that_fit_and_names_the_rest(
    published, monkeypatch, capsys
) -> None:
    inst, out, store = published
    assert _cover(monkeypatch, capsys, published, "--apply")[0] == 0
    # Publishing the same timetable again changes nothing: the covers carry over.
    code, text, _ = run(monkeypatch, capsys, "publish", out, "--instance", inst, "--store", store)
    assert "Nothing changed" in text
    # A new timetable (valid: checked) gives Tuesday's 3-1 (lesson 5, covered by Cara) to Bob.
    table = pd.read_csv(out / "assignments.csv")
    table.loc[(table["alt_id"] == "A1") & (table["class"] == "3-1"), "alt_id"] = "A2"
    assert check(instance(), table) == []
    table.to_csv(out / "assignments.csv", index=False)
    code, text, err = run(
        monkeypatch, capsys, "publish", out, "--instance", inst, "--store", store
    )
    assert code == 0, err
    assert (
        "Cover dropped: 2025-05-13 P5 S1 3-1: A1 -> A3: the timetable gives that lesson to A2 "
        "now, not A1." in text
    )
    assert "4 covers kept" in text
    on_day = _on_day(_feed(store, "alt:A3"))
    assert [s for _, s, *_ in on_day].count("CONFIRMED") == 2


def test_a_schema_1_store_gains_the_covers_table(published, monkeypatch, capsys) -> None:
    # A store written before covers existed: no covers table, user_version 1.
    store = published[2]
    db = sqlite3.connect(store)
    db.execute("DROP TABLE covers")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    code, _, err = _cover(monkeypatch, capsys, published)  # reading leaves it as it is
    assert code == 0, err
    assert _cover(monkeypatch, capsys, published, "--apply")[0] == 0
    with Store(store, "read") as st:
        assert len(st.covers()) == 5
        assert st.db.execute("PRAGMA user_version").fetchone()[0] == 2


def test_a_stale_pick_is_recorded_but_not_in_force(published, monkeypatch, capsys) -> None:
    # Two IMs: one plans Alice's cover (Bob first), the other records Cara for lesson 1 in
    # between. The first's cover of lesson 1 no longer finds Alice's lesson: not in force.
    from scheduler.calendar.term import load_calendar_instance
    from scheduler.replan import cover_run as cr
    from scheduler.replan.cover import CoverWeights

    path, out, store = published
    day = date.fromisoformat(DAY)
    with Store(store, "write") as st:
        inputs = cr.gather(load_calendar_instance(path)[0], out, st, day, day)
        plan = cr.make_plan(inputs, "A1", day, day, CoverWeights.default())
    assert _cover(monkeypatch, capsys, published, "--choose", "1=A3")[0] == 0
    with Store(store, "write") as st:
        mine = plan.covers()
        outcome = cr.record(st, inputs, plan, mine, source=str(out))
    assert outcome.created
    assert [(c.period, why) for c, why in outcome.dropped if c in mine] == [
        (1, "the timetable gives that lesson to A3 now, not A1")
    ]
    assert len(outcome.applied) == 5  # Cara's lesson 1, then this plan's lessons 2-5


def test_a_new_term_drops_the_covers_of_other_dates_and_says_so(
    published, monkeypatch, capsys
) -> None:
    inst, out, store = published
    assert _cover(monkeypatch, capsys, published, "--apply")[0] == 0
    later = instance(term_start=date(2025, 5, 14))  # the term now starts after the cover
    inst.write_text(later.model_dump_json(by_alias=True), encoding="utf-8")
    code, text, err = run(
        monkeypatch, capsys, "publish", out, "--instance", inst, "--store", store
    )
    assert code == 0, err
    assert text.count("the term is now 2025-05-14 to 2025-05-23.") == 5
    assert "covers kept" not in text


def test_a_lesson_goes_back_to_its_own_alt(published, monkeypatch, capsys) -> None:
    # Alice is back for period 1: recorded as a cover of Bob's (he holds it) back to Alice.
    _, _, store = published
    assert _cover(monkeypatch, capsys, published, "--apply")[0] == 0
    inst, out, _ = published
    args = ["cover", inst, out, "--absent", "A2", "--date", DAY, "--store", store]
    code, text, _ = run(monkeypatch, capsys, *args)
    assert code == 0 and "│ A1 " not in text  # not offered: Alice is away that day
    code, text, err = run(monkeypatch, capsys, *args, "--choose", "1=A1")
    assert code == 0, err
    assert (
        "A1 ALT A1: 0 moved, 1 added" in text
        and "A2 ALT A2: 0 moved, 0 added, 1 cancelled" in text
    )
    alice = _on_day(_feed(store, "alt:A1"))
    back = [(s, q, summary) for _, s, q, summary, _ in alice if s == "CONFIRMED"]
    assert back == [("CONFIRMED", 0, "1-1 English · S1 School")]  # a new event, no "(cover)"
