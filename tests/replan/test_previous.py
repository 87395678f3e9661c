"""``altsched solve --previous``: a re-plan keeps the previous timetable where it can.

Tiny branches with the answer known; an unchanged branch gives the previous timetable back
on the small path (the demo) and on the large path (a generated branch past
``[search] large_branch_visits``); the command line writes changes.csv and the report's counts.
"""

from __future__ import annotations

import json
from datetime import time
from pathlib import Path

import pandas as pd
import pytest

from scheduler.config import Settings, SolverParams, Weights
from scheduler.errors import InstanceError
from scheduler.generate import generate
from scheduler.instance import Instance
from scheduler.io.read import load_instance
from scheduler.io.tables import write_instance
from scheduler.model.data import prepare
from scheduler.replan.previous import Previous, previous_of, read_previous
from scheduler.result import Lesson, Result, lessons_frame
from scheduler.solve import solve
from scheduler.validate import check, score
from tests.cli.test_calendar_cli import run
from tests.replan.test_pins import two_alts
from tests.tiny import klass

ROOT = Path(__file__).resolve().parents[2]


def replanned(inst: Instance, previous: Previous, time_limit: float = 3.0) -> Result:
    """A re-plan, checked as every solve in the tests: no hard rule broken, and the objective
    is the validator's score (the changes are not part of it)."""
    w = Weights.default()
    params = SolverParams.default(time_limit=time_limit, workers=2, seed=0)
    result = solve(inst, w, params, previous=previous)
    assert check(inst, result.assignments) == []
    assert result.objective == score(inst, result.assignments, w).objective
    return result


def lesson(alt_id: str, class_: str, day: str, period: int) -> Lesson:
    """A lesson at school S of the tiny branch (45-minute periods from 08:45, 10 apart)."""
    start = 8 * 60 + 45 + (period - 1) * 55
    begin, end = time(start // 60, start % 60), time((start + 45) // 60, (start + 45) % 60)
    return Lesson.model_validate(
        {
            "alt_id": alt_id, "school_id": "S", "class": class_, "day": day, "period": period,
            "start": begin, "end": end,
        }
    )  # fmt: skip


# A2 gives both lessons on Tuesday: valid, but a plain solve sends A1, who lives beside the
# school (tests/replan/test_pins.py). Moving a lesson saves minutes; it costs 9,000 as a change.
BY_A2 = [lesson("A2", "3-1", "Tue", 2), lesson("A2", "4-1", "Tue", 3)]


def test_a_replan_keeps_the_previous_timetable_a_plain_solve_would_not_make() -> None:
    inst = two_alts()
    assert check(inst, lessons_frame(BY_A2)) == []
    result = replanned(inst, previous_of(inst, BY_A2))
    assert sorted(result.lessons, key=Lesson.sort_key) == BY_A2
    assert result.replan is not None
    assert (result.replan["kept"], result.replan["changed_lessons"]) == (2, 0)


def test_lessons_of_a_removed_alt_are_reported_and_taken_over() -> None:
    # A3 taught 3-1 on Wednesday and is gone; A2's lesson of 4-1 stays where it was, and a
    # third class appears (5-1), which the re-plan adds.
    inst = two_alts().model_copy(update={"classes": (*two_alts().classes, klass("S", "5-1", 1))})
    before = [lesson("A3", "3-1", "Wed", 1), lesson("A2", "4-1", "Tue", 3)]
    previous = previous_of(inst, before)
    assert [(i.row, i.column, i.value) for i in previous.dropped] == [(3, "alt_id", "A3")]
    assert "no longer in alts.csv" in previous.dropped[0].message
    result = replanned(inst, previous)
    assert lesson("A2", "4-1", "Tue", 3) in result.lessons
    assert {ls.class_ for ls in result.lessons} == {"3-1", "4-1", "5-1"}
    changes = result.replan
    assert changes is not None
    assert (changes["kept"], changes["changed_lessons"], changes["previous_rows_dropped"]) == (
        1,
        0,
        1,
    )
    per_alt = {r["alt_id"]: r for r in changes["per_alt"]}
    assert per_alt["A3"]["lost"] == 1  # the gone ALT's lesson, as it was written


def settled(inst: Instance, lessons: tuple[Lesson, ...]) -> Instance:
    """The branch with each class asking for the lessons ``lessons`` give it.

    A re-plan keeps an unchanged branch's timetable unless a change wins a lesson (a lesson
    given is worth 10,000, a change costs 9,000): a timetable a short solve left short can
    lose a few lessons' places to more lessons given. With every need met no change can win
    one (one lesson's soft goals weigh far less), so the timetable must come back as it was.
    """
    given = lessons_frame(list(lessons)).groupby(["school_id", "class"]).size()
    classes = tuple(
        c.model_copy(update={"alt_lessons": int(given.get(c.key, 0))}) for c in inst.classes
    )
    return inst.model_copy(update={"classes": classes})


def test_the_demo_unchanged_comes_back_identical() -> None:
    inst, _ = load_instance(ROOT / "instances" / "demo")
    first = solve(inst, Weights.default(), SolverParams.default(time_limit=3, workers=2, seed=0))
    inst = settled(inst, first.lessons)
    again = replanned(inst, previous_of(inst, first), time_limit=3)
    assert not any(note.startswith("Large branch") for note in again.notes)
    assert set(again.lessons) == set(first.lessons)
    assert again.replan is not None and again.replan["changed_lessons"] == 0


def test_a_large_branch_unchanged_comes_back_identical() -> None:
    # Past [search] large_branch_visits, so the region search runs from the previous timetable.
    inst = generate(20, 1)
    assert len(prepare(inst).visits) > Settings.default().search.large_branch_visits
    params = SolverParams.default(time_limit=1, workers=1, seed=0)
    first = solve(inst, Weights.default(), params, method="greedy")
    inst = settled(inst, first.lessons)
    again = replanned(inst, previous_of(inst, first), time_limit=4)
    assert any(note.startswith("Large branch") for note in again.notes), again.notes
    assert set(again.lessons) == set(first.lessons)


# ---- the command line ------------------------------------------------------------------------


def test_the_command_line_writes_changes_and_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    inst = two_alts()
    write_instance(inst, tmp_path / "branch")
    old = tmp_path / "old"
    old.mkdir()
    # A previous timetable: A2's two lessons, and a row of an ALT since gone (row 4: rows
    # are in ALT order).
    rows = [*BY_A2, lesson("A9", "3-1", "Mon", 1)]
    lessons_frame(rows).to_csv(old / "assignments.csv", index=False)
    # The branch changed: 4-1 no longer needs a lesson.
    classes = (tmp_path / "branch" / "classes.csv").read_text().replace("4-1,1", "4-1,0")
    (tmp_path / "branch" / "classes.csv").write_text(classes)
    code, out, err = run(
        monkeypatch, capsys, "solve", tmp_path / "branch", "--previous", old,
        "--out", tmp_path / "new", "--time-limit", "5", "--workers", "1",
    )  # fmt: skip
    assert code == 0, out + err
    assert 'assignments.csv row 4, column alt_id: "A9" is no longer in alts.csv' in out + err
    assert "Changes from the previous timetable: 1 of 2 lessons kept, 1 changed" in out
    # A2 keeps 3-1 on Tuesday; their 4-1 lesson and the gone ALT's row are removed.
    changes = pd.read_csv(tmp_path / "new" / "changes.csv", keep_default_na=False)
    assert changes[["change", "class", "old_alt", "new_alt"]].values.tolist() == [
        ["removed", "3-1", "A9", ""],
        ["removed", "4-1", "A2", ""],
    ]
    report = json.loads((tmp_path / "new" / "report.json").read_text())
    assert report["changes"]["kept"] == 1 and report["changes"]["changed_lessons"] == 1
    assert report["changes"]["per_alt"][0]["alt_id"] == "A2"
    # The objective written is the validator's score: `altsched check` agrees with it.
    code, out, err = run(monkeypatch, capsys, "check", tmp_path / "branch", tmp_path / "new")
    assert code == 0 and "obey every hard rule" in out, out + err


def test_a_missing_previous_folder_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InstanceError, match="does not exist"):
        read_previous(tmp_path / "nowhere", two_alts())


def test_a_new_pin_wins_over_the_previous_lesson_it_displaces() -> None:
    # The previous timetable gave 3-1 and 4-1 to A2 on Tuesday; a pin now gives 3-1 to A1 on
    # Tuesday in period 2. S takes one ALT a day, so A2 cannot stay beside A1 that Tuesday:
    # both previous lessons change, and A1 (nearer, already there that week) takes 4-1 too.
    from tests.replan.test_pins import with_pins

    inst = with_pins(
        two_alts(),
        {"alt_id": "A1", "school_id": "S", "day": "Tue", "class": "3-1", "period": 2},
    )
    result = replanned(inst, previous_of(inst, BY_A2))
    assert lesson("A1", "3-1", "Tue", 2) in result.lessons
    assert {(ls.alt_id, ls.class_) for ls in result.lessons} == {("A1", "3-1"), ("A1", "4-1")}
    assert result.replan is not None and result.replan["changed_lessons"] == 2


def test_the_notebook_api_takes_a_previous_result() -> None:
    import scheduler as alt

    inst = two_alts()
    before = Result(status="FEASIBLE", lessons=tuple(BY_A2))
    result = alt.solve(inst, time_limit=2, workers=1, previous=before)
    assert sorted(result.lessons, key=Lesson.sort_key) == BY_A2
    assert result.replan is not None and result.replan["kept"] == 2
