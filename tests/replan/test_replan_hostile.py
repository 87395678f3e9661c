"""The re-planning commands (pins, ``--previous``, ``cover``, ``explain``) against the inputs
a careless user or an attacker gives them (docs/hostile.md, class ``replan``).

Each test is one fault found by the hostile replay, fixed for its class: file options that
name a folder, a missing folder or the same file twice are refused before anything is listed
or recorded, and a failed write names the file asked for (never its hidden temporary file);
``explain`` refuses a timetable of another branch; pins on everything are refused by counting,
before the placement tries them one by one.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import pytest

from scheduler.instance import Instance, Pin
from scheduler.io.write import write_text_atomic
from scheduler.replan.pins import pin_issues
from tests.cli.test_calendar_cli import run
from tests.replan.test_cover import assignments, instance
from tests.replan.test_cover_apply import published  # noqa: F401  (a fixture)
from tests.tiny import alt, bells, branch, klass, school

DAY = "2025-05-13"  # a Tuesday of test_cover's term: A1 has five lessons at S1


def _versions(store: Path) -> int:
    with sqlite3.connect(store) as db:
        return int(db.execute("SELECT COUNT(*) FROM versions").fetchone()[0])


def _cover(monkeypatch, capsys, published, *args: object) -> tuple[int, str, str]:  # noqa: F811
    inst, out, store = published
    return run(monkeypatch, capsys, "cover", inst, out, "--absent", "A1", "--date", DAY,
               "--store", store, *args)  # fmt: skip


# ---- file options of cover and changes -------------------------------------------------------


@pytest.mark.parametrize("option", ["--csv", "--json"])
def test_cover_into_a_missing_folder_is_refused_before_anything_is_recorded(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    published: tuple[Path, Path, Path],  # noqa: F811
    option: str,
) -> None:
    target = tmp_path / "no such folder" / "cover.out"
    code, out, err = _cover(monkeypatch, capsys, published, "--apply", option, target)
    assert code == 2, out + err
    said = out + err
    assert option in said and "no such folder" in said and "does not exist" in said
    assert ".tmp-" not in said  # the hidden temporary name is no business of the user's
    assert "Lesson 1" not in said  # refused before the listing, so nothing half done
    assert _versions(published[2]) == 1  # the cover was not recorded
    assert not target.parent.exists()


def test_cover_csv_onto_a_folder_or_the_json_file_is_refused(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    published: tuple[Path, Path, Path],  # noqa: F811
) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    code, out, err = _cover(monkeypatch, capsys, published, "--csv", folder)
    assert code == 2 and "--csv" in out + err and "is a folder" in out + err
    same = tmp_path / "both.out"
    code, out, err = _cover(
        monkeypatch, capsys, published, "--csv", same, "--json", tmp_path / "." / "both.out"
    )
    assert code == 2 and "also the file of --json" in out + err
    assert not same.exists()


def test_changes_csv_into_a_missing_folder_names_the_option(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    published: tuple[Path, Path, Path],  # noqa: F811
) -> None:
    target = tmp_path / "gone" / "changes.csv"
    code, out, err = run(monkeypatch, capsys, "changes", "--store", published[2], "--csv", target)
    assert code == 2
    assert "--csv" in out + err and "does not exist" in out + err and ".tmp-" not in out + err


def test_a_failed_atomic_write_names_the_file_asked_for(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "x.csv"
    with pytest.raises(OSError) as raised:
        write_text_atomic(target, "a,b\n")
    assert raised.value.filename == str(target)
    assert raised.value.errno == errno.ENOENT
    assert "does not exist" in str(raised.value.strerror)
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind


def test_cover_outside_the_term_is_said_once(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    published: tuple[Path, Path, Path],  # noqa: F811
) -> None:
    inst, out, store = published
    code, text, err = run(monkeypatch, capsys, "cover", inst, out, "--absent", "A1",
                          "--date", "2024-01-09", "--store", store)  # fmt: skip
    assert code == 2
    assert "--date" in text + err and "outside the term" in text + err
    assert "--to" not in text + err  # not given: the same date is not refused twice


# ---- explain with a DIR of another branch ----------------------------------------------------


def test_explain_refuses_a_timetable_of_another_branch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    inst = tmp_path / "branch.json"
    inst.write_text(instance().model_dump_json(by_alias=True), encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    table = assignments(instance())
    table.loc[0, "alt_id"] = "Z9"  # row 2 of the file: an ALT this branch never had
    table.loc[2, "class"] = "9-9"  # row 4: a class S1 does not have
    table.to_csv(out / "assignments.csv", index=False)
    code, text, err = run(monkeypatch, capsys, "explain", inst, out)
    said = text + err
    assert code == 2, said
    assert 'assignments.csv row 2, column alt_id: "Z9"' in said
    assert 'assignments.csv row 4, column class: "9-9"' in said
    assert "objective" not in said  # no costs counted against the wrong branch


def test_explain_of_its_own_branch_still_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    inst = tmp_path / "branch.json"
    inst.write_text(instance().model_dump_json(by_alias=True), encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    assignments(instance()).to_csv(out / "assignments.csv", index=False)  # validator-checked
    code, text, err = run(monkeypatch, capsys, "explain", inst, out)
    assert code == 0, text + err
    assert "objective" in text


# ---- pins on everything ----------------------------------------------------------------------


def _spread(alts: int, schools: int) -> Instance:
    """``schools`` schools at the origin, one class each needing a lesson; ``alts`` ALTs."""
    ids = [f"S{i}" for i in range(1, schools + 1)]
    return branch(
        [school(s) for s in ids],
        [b for s in ids for b in bells(s, periods=6)],
        [klass(s, "3-1", 1) for s in ids],
        [alt(f"A{i}") for i in range(1, alts + 1)],
    )


def _pinned(inst: Instance, pairs: list[tuple[str, str]]) -> Instance:
    pins = tuple(Pin.model_validate({"alt_id": a, "school_id": s}) for a, s in pairs)
    return inst.model_copy(update={"pins": pins})


def test_an_alt_pinned_to_more_schools_than_days_hold_is_refused_by_counting() -> None:
    # One school a day, five days: six schools cannot all be visited in a week.
    inst = _spread(1, 6)
    issues = pin_issues(_pinned(inst, [("A1", s.school_id) for s in inst.schools]))
    (issue,) = issues
    assert issue.row == 2 and issue.column == "alt_id"
    assert "send A1 to 6 schools" in issue.message and "schools_per_day" in issue.message
    assert "rows 2, 3, 4, 5, 6, 7" in issue.message


def test_a_school_pinned_to_more_alts_than_its_days_hold_is_refused_by_counting() -> None:
    # One ALT a day at S1: six ALTs pinned there need six days.
    inst = _spread(6, 1)
    issues = pin_issues(_pinned(inst, [(a.alt_id, "S1") for a in inst.alts]))
    (issue,) = issues
    assert issue.column == "school_id"
    assert "send 6 ALTs to S1" in issue.message and "alts_per_day" in issue.message


def test_pins_the_week_holds_are_still_accepted() -> None:
    inst = _spread(1, 5)  # five schools, five days: one a day fits
    assert pin_issues(_pinned(inst, [("A1", s.school_id) for s in inst.schools])) == []


def test_explain_what_if_never_writes_over_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    inst = tmp_path / "branch.json"
    inst.write_text(instance().model_dump_json(by_alias=True), encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    assignments(instance()).to_csv(out / "assignments.csv", index=False)
    before = (out / "assignments.csv").read_bytes()
    again = tmp_path / "out" / "."  # the same folder, spelled otherwise
    code, text, err = run(monkeypatch, capsys, "explain", inst, out, "--alt", "A2",
                          "--max-schools", "1", "--time-limit", "1", "--out", again)  # fmt: skip
    assert code == 2, text + err
    assert "--out" in text + err and "is DIR" in text + err
    assert (out / "assignments.csv").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["branch.json", "out"]


def test_the_pin_placement_spares_the_validator_days_a_count_already_rules_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A1 is pinned to S1 Mon-Thu (one school a day): the pin to S2 can only go on Friday.
    # Trying every class and period of the four full days through the validator made 240
    # pins of a 120-ALT branch take minutes to load; the counts rule those days out first.
    import scheduler.replan.pins as pins_module

    inst = branch(
        [school("S1"), school("S2")],
        bells("S1", periods=6) + bells("S2", periods=6),
        [klass("S1", "3-1", 4), klass("S2", "3-1", 1)],
        [alt("A1")],
    )
    exact = [
        {"alt_id": "A1", "school_id": "S1", "day": d, "class": "3-1", "period": 1}
        for d in ("Mon", "Tue", "Wed", "Thu")
    ]
    pins = tuple(Pin.model_validate(p) for p in [*exact, {"alt_id": "A1", "school_id": "S2"}])
    calls = []
    real = pins_module._hard_violations

    def counted(*args: object) -> object:
        calls.append(1)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(pins_module, "_hard_violations", counted)
    assert pin_issues(inst.model_copy(update={"pins": pins})) == []
    assert len(calls) <= 2, len(calls)  # Friday's first period (and no day before it)
