"""The calendar commands end to end: calendar, ical, publish, tokens, changes; exit codes."""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from scheduler import budget
from scheduler.cli import main
from tests.calendar_data import EXPECTED, assignments, instance, moved_a1


@pytest.fixture
def branch(tmp_path: Path) -> tuple[Path, Path]:
    """(instance JSON, output folder with assignments.csv) of the tiny branch."""
    inst = tmp_path / "branch.json"
    inst.write_text(instance().model_dump_json(by_alias=True), encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    assignments().to_csv(out / "assignments.csv", index=False)
    return inst, out


def run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: object
) -> tuple[int, str, str]:
    """Run ``altsched ARGS`` through the console entry point: (exit code, stdout, stderr).

    The time limit counts from the command's start, as it does in its own process: the
    console entry point counts from the process's start, which here is pytest's, and a
    test late in the suite would find its limit spent before the command began."""
    monkeypatch.setattr(budget, "process_started", time.monotonic)
    monkeypatch.setattr(sys, "argv", ["altsched", *map(str, args)])
    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit) as done:
        main()
    out, err = capsys.readouterr()
    code = done.value.code
    return (code if isinstance(code, int) else 0 if code is None else 1), out, err


def test_calendar_writes_lessons_and_lost(
    branch: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    inst, out = branch
    code, text, _ = run(monkeypatch, capsys, "calendar", inst, out)
    assert code == 0
    lessons = pd.read_csv(out / "lessons.csv", dtype={"period": int}, keep_default_na=False)
    assert [tuple(r) for r in lessons.itertuples(index=False)] == EXPECTED
    lost = pd.read_csv(out / "lost.csv")
    assert lost.values.tolist() == [["A1", 2, 3, 1], ["A2", 5, 0, 1]]
    assert "A1" in text and "lost to holidays" in text


def test_ical_twice_gives_the_same_bytes(
    branch: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    inst, out = branch
    assert run(monkeypatch, capsys, "ical", inst, out)[0] == 0
    first = {p.name: p.read_bytes() for p in (out / "ical").iterdir()}
    assert run(monkeypatch, capsys, "ical", inst, out)[0] == 0
    assert {p.name: p.read_bytes() for p in (out / "ical").iterdir()} == first
    assert sorted(first) == ["A1.ics", "A2.ics", "school-S1.ics", "school-S2.ics", "source.json"]


def test_publish_tokens_and_changes(
    branch: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    inst, out = branch
    store = tmp_path / "feeds.sqlite"
    monkeypatch.setenv("ALTSCHED_STORE", str(store))  # the default store comes from here
    assert run(monkeypatch, capsys, "ical", inst, out)[0] == 0
    code, text, _ = run(monkeypatch, capsys, "publish", out)
    assert code == 0 and "Published version 1" in text

    urls = tmp_path / "urls.csv"
    code, text, _ = run(
        monkeypatch, capsys, "tokens", "--export", urls, "--base-url", "https://f.example/"
    )
    assert code == 0
    table = pd.read_csv(urls)
    assert table[["kind", "id"]].values.tolist() == [
        ["alt", "A1"], ["alt", "A2"], ["school", "S1"], ["school", "S2"],
    ]  # fmt: skip
    assert table["url"].str.fullmatch(r"https://f\.example/feeds/[A-Za-z0-9_-]{43}\.ics").all()
    assert urls.stat().st_mode & 0o077 == 0  # the URLs are secrets
    # A second export issues nothing new and writes no file: the first file keeps the URLs.
    code, text, _ = run(monkeypatch, capsys, "tokens", "--export", tmp_path / "more.csv")
    assert code == 0 and not (tmp_path / "more.csv").exists() and "--rotate" in text
    assert len(pd.read_csv(urls)) == 4
    code, text, _ = run(monkeypatch, capsys, "tokens", "--rotate", "A1")
    assert code == 0 and text.startswith("alt:A1: http://127.0.0.1:8000/feeds/")
    code, text, _ = run(monkeypatch, capsys, "tokens")
    assert code == 0 and text.count("alt:A1") == 2  # the rotated token and its successor

    moved_a1().to_csv(out / "assignments.csv", index=False)
    code, text, _ = run(monkeypatch, capsys, "publish", out)
    assert code == 0 and "Published version 2" in text and "A1 Alice: 1 moved, 2 added" in text
    code, text, _ = run(monkeypatch, capsys, "publish", out)
    assert code == 0 and "Nothing changed since version 2" in text

    changes = tmp_path / "changes.csv"
    msgs = tmp_path / "msgs"
    code, text, _ = run(monkeypatch, capsys, "changes", "--csv", changes, "--messages", msgs)
    assert code == 0 and text.startswith("Changes from version 1 to 2\nA1 Alice:")
    assert "A2" not in text
    assert set(pd.read_csv(changes)["alt_id"]) == {"A1"}
    assert [p.name for p in msgs.iterdir()] == ["A1.txt"]
    assert "Thu P2 09:35-10:20" in (msgs / "A1.txt").read_text(encoding="utf-8")
    code, text, _ = run(monkeypatch, capsys, "changes", "--to", "1")
    assert (
        code == 0
        and "Version 1 (everything is new)" in text
        and "A2 Bob: 0 moved, 5 added" in text
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        # no version 9 in the store
        (["changes", "--to", "9"], "is not a version in the store"),
        # no such feed to revoke
        (["tokens", "--revoke", "Z9"], '"Z9" is no ALT or school'),
        # a store that is not there
        (["serve", "--store", "nowhere.sqlite"], "nowhere.sqlite: is not there"),
    ],
)
def test_store_errors_exit_2(
    branch: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    inst, out = branch
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ALTSCHED_STORE", str(tmp_path / "s.sqlite"))
    run(monkeypatch, capsys, "ical", inst, out)
    run(monkeypatch, capsys, "publish", out)
    code, _, err = run(monkeypatch, capsys, *args)
    assert code == 2 and message in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        # reversed term: the loader already refuses it
        ({"term_start": date(2025, 5, 1), "term_end": date(2025, 4, 1)},
         'column term_end: "2025-04-01" is before term_start 2025-05-01'),
        # no term: legal for a solve, not for a calendar
        ({"term_start": None, "term_end": None},
         "settings.csv column term_start: is needed for a term calendar"),
    ],
)  # fmt: skip
def test_bad_term_exits_2_naming_the_file(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    settings: dict[str, object],
    message: str,
) -> None:
    inst = tmp_path / "bad.json"
    bad = instance(**settings).model_copy(update={"blocked": ()})
    inst.write_text(bad.model_dump_json(by_alias=True), encoding="utf-8")
    (tmp_path / "out").mkdir()
    assignments().to_csv(tmp_path / "out" / "assignments.csv", index=False)
    for command in ("calendar", "ical"):
        code, _, err = run(monkeypatch, capsys, command, inst, tmp_path / "out")
        assert code == 2 and message in err and "Traceback" not in err
    assert not (tmp_path / "out" / "lessons.csv").exists()
    assert not (tmp_path / "out" / "ical").exists()


def test_publish_without_source_exits_2(
    branch: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    _, out = branch
    code, _, err = run(monkeypatch, capsys, "publish", out, "--store", tmp_path / "s.sqlite")
    assert code == 2 and "ical/source.json" in err and "--instance" in err
