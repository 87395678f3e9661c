"""What-if: a restricted re-solve compared with the timetable term by term, and the command."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from scheduler.config import SolverParams, Weights
from scheduler.explain.whatif import Restriction, restricted, what_if
from scheduler.instance import Instance
from scheduler.io.tables import write_instance
from scheduler.validate import check
from tests.cli.test_calendar_cli import run
from tests.tiny import alt, bells, branch, klass, school, solved


def two_schools() -> Instance:
    """One ALT; S1 1 km north (3 minutes), S2 2 km (6 minutes); each class asks 2 lessons,
    one a day. Optimum at default weights: all four lessons on four visit days, objective
    200 (two schools) + 18 (commute 3+3+6+6) + 10 (day peak 1) = 228."""
    return branch(
        [school("S1", north_km=1), school("S2", north_km=2)],
        bells("S1") + bells("S2"),
        [klass("S1", "1-1", 2), klass("S2", "1-1", 2)],
        [alt("A")],
    )


def test_at_most_one_school_gives_the_known_difference() -> None:
    # Kept: S1 (two lessons each, S1 nearer). S2's two lessons go unmet (+20,000), one school
    # fewer (-100), commute 6 instead of 18 (-12), day peak still 1: +19,888.
    inst = two_schools()
    before = solved(inst, time_limit=5)
    assert before.objective == 228
    params = SolverParams.default(time_limit=5, workers=2, seed=0)
    answer = what_if(
        inst, before.lessons, Restriction("A", max_schools=1), Weights.default(), params
    )
    assert answer.violations == [] and check(inst, answer.result.assignments) == []
    assert answer.closed == ["S2"]
    assert answer.changes() == {
        "unmet_lesson": (0, 2, 20000),
        "under_floor_lesson": (0, 0, 0),
        "alt_school": (2, 1, -100),
        "commute_minute": (18, 6, -12),
        "load_spread": (0, 0, 0),
        "day_peak": (1, 1, 0),
        "continuity": (0, 0, 0),
    }
    assert answer.headline(inst) == (
        "A at 1 school: 2 more unmet lessons at S2 School; commute -12 min; cost +19,888"
    )


def test_a_resolved_baseline_compares_two_searches_of_equal_length() -> None:
    # Before is an unrestricted search, not the (empty) timetable handed in: on this tiny
    # branch both searches are optimal, so the difference is the restriction's alone.
    params = SolverParams.default(time_limit=5, workers=2, seed=0)
    answer = what_if(
        two_schools(), [], Restriction("A", max_schools=1), Weights.default(), params,
        resolve_baseline=True,
    )  # fmt: skip
    assert answer.violations == [] and answer.resolved_baseline
    assert (answer.before.objective, answer.after.objective) == (228, 228 + 19888)


def test_restrictions_are_written_into_the_branch_data() -> None:
    inst = two_schools()
    changed, closed = restricted(
        inst, Restriction("A", without_schools=("S1",), days_off=("Fri",)), []
    )
    assert closed == ["S1"]
    a = changed.alt_by_id["A"]
    assert a.unavailable == ("Fri",)
    assert not changed.reachable(a, changed.school_by_id["S1"])
    assert changed.reachable(a, changed.school_by_id["S2"])
    assert inst.reachable(inst.alt_by_id["A"], inst.school_by_id["S1"])  # the branch is untouched


def test_a_restriction_naming_nothing_known_is_an_input_error() -> None:
    from scheduler.errors import InstanceError

    with pytest.raises(InstanceError) as e:
        restricted(two_schools(), Restriction("Z", without_schools=("S9",), days_off=("Sun",)), [])
    text = str(e.value)
    assert "Z" in text and "S9" in text and "Sun" in text


@pytest.fixture
def eight(tmp_path: Path) -> Path:
    """A branch whose class asks 8 lessons a week (at most 5 fit: one a day)."""
    inst = branch([school("S")], bells("S"), [klass("S", "1-1", 8)], [alt("A")])
    folder = tmp_path / "eight"
    folder.mkdir()
    write_instance(inst, folder)
    return folder


def test_the_command_names_the_planted_cause_and_unmet_csv_keeps_its_columns(
    eight: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, text, _ = run(monkeypatch, capsys, "explain", eight)
    assert code == 0 and "S School 1-1 needs 8 lessons a week but can take at most 5" in text
    out = tmp_path / "out"
    code, _, err = run(monkeypatch, capsys, "solve", eight, "--out", out, "--time-limit", "5")
    assert code == 0, err
    with (out / "unmet.csv").open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    # The contract's columns first, in order; the reason is the extension at the end.
    assert rows[0] == ["school_id", "class", "missing", "reason"]
    assert rows[1][:3] == ["S", "1-1", "3"] and "needs 8 lessons a week" in rows[1][3]
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["breakdown"]["classes"][0]["terms"]["unmet_lesson"]["value"] == 3
    code, text, _ = run(monkeypatch, capsys, "explain", eight, out)
    assert code == 0 and "S School 1-1: 3 missing" in text and "objective" in text
    code, text, _ = run(monkeypatch, capsys, "explain", eight, out, "--alt", "A")
    assert code == 0 and "A (ALT A): 5 lessons at 1 school" in text
    # DIR alone: without term dates there is no DIR/ical/source.json, so --instance is asked.
    code, _, err = run(monkeypatch, capsys, "explain", out, "--school", "S")
    assert code == 2 and "pass --instance BRANCH" in err
    code, text, _ = run(monkeypatch, capsys, "explain", out, "--school", "S", "--instance", eight)
    assert code == 0 and "why 1-1 is short:" in text


def test_the_command_runs_a_what_if_and_writes_only_with_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "two"
    folder.mkdir()
    write_instance(two_schools(), folder)
    out = tmp_path / "out"
    code, _, err = run(monkeypatch, capsys, "solve", folder, "--out", out, "--time-limit", "5")
    assert code == 0, err
    before = sorted(p.name for p in tmp_path.iterdir())
    code, text, _ = run(
        monkeypatch, capsys, "explain", folder, out, "--alt", "A", "--max-schools", "1",
        "--time-limit", "5",
    )  # fmt: skip
    assert code == 0, text
    assert (
        "A at 1 school: 2 more unmet lessons at S2 School; commute -12 min; cost +19,888" in text
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written
    code, _, err = run(
        monkeypatch, capsys, "explain", folder, out, "--alt", "A", "--max-schools", "1",
        "--time-limit", "5", "--out", tmp_path / "whatif",
    )  # fmt: skip
    assert code == 0, err
    assert (tmp_path / "whatif" / "assignments.csv").is_file()


def test_a_what_if_without_dir_or_alt_is_an_input_error(
    eight: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(monkeypatch, capsys, "explain", eight, "--alt", "A", "--max-schools", "1")
    assert code == 2 and "needs --alt and DIR" in err
    code, _, err = run(monkeypatch, capsys, "explain", eight, "--alt", "Z")
    assert code == 2 and "Z" in err


def test_an_infeasible_solve_says_why_and_keeps_its_exit_status(
    eight: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # No branch without pins is infeasible (every hard rule is a limit), so the solver's
    # answer is stood in for; what is tested is the command's output around it.
    import scheduler.solve
    from scheduler.result import Result

    monkeypatch.setattr(scheduler.solve, "solve", lambda *a, **k: Result(status="INFEASIBLE"))
    code, text, _ = run(monkeypatch, capsys, "solve", eight, "--out", tmp_path / "out")
    assert code == 1
    assert "why: S School 1-1 needs 8 lessons a week but can take at most 5" in text


def test_a_timetable_naming_an_alt_the_branch_lacks_is_refused_naming_the_row(
    eight: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A row naming an ALT the branch lacks means DIR is a solve of another branch (or of
    # this one before an ALT left): reasons and costs counted against this branch would be
    # about lessons that cannot exist, so the command refuses and names row, column, value.
    out = tmp_path / "edited"
    out.mkdir()
    (out / "assignments.csv").write_text(
        "alt_id,school_id,class,day,period,start,end\nZZ,S,1-1,Mon,1,08:45,09:30\n",
        encoding="utf-8",
    )
    code, _text, err = run(monkeypatch, capsys, "explain", eight, out)
    assert code == 2 and "row 2" in err and "alt_id" in err and "ZZ" in err, err
