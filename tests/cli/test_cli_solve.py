"""The command line end to end: bundled instances, the checker, and bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTANCES = ROOT / "instances"

# Optimal objectives derived by hand in each instance's README.md.
KNOWN_OPTIMA = {"tiny-travel": 10120, "tiny-coteacher": 10232, "tiny-floor": 2270}


def altsched(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run the command line as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "scheduler.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )


@pytest.mark.parametrize(("name", "optimum"), KNOWN_OPTIMA.items())
def test_tiny_instance_reaches_its_known_optimum(name: str, optimum: int, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = altsched("solve", INSTANCES / name, "--out", out, "--time-limit", "10")
    assert run.returncode == 0, run.stderr
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert (report["status"], report["objective"]) == ("OPTIMAL", optimum)
    check = altsched("check", INSTANCES / name, out)
    assert check.returncode == 0, check.stdout


def test_demo_solves_writes_every_output_and_passes_the_checker(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    run = altsched("solve", INSTANCES / "demo", "--out", out, "--time-limit", "8")
    assert run.returncode == 0, run.stderr
    for name in ("assignments.csv", "unmet.csv", "report.json", "index.html"):
        assert (out / name).is_file(), name
    alts = (INSTANCES / "demo" / "alts.csv").read_text(encoding="utf-8").splitlines()[1:]
    for line in alts:
        alt_id = line.split(",")[0]
        assert (out / "timetables" / f"{alt_id}.csv").is_file()
        assert (out / "timetables" / f"{alt_id}.html").is_file()
    assert list((out / "ical").glob("*.ics")), "the demo has term dates, so feeds are written"
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["status"] in ("OPTIMAL", "FEASIBLE")
    assert "objective" in run.stdout and "lessons" in run.stdout
    check = altsched("check", INSTANCES / "demo", out)
    assert check.returncode == 0, check.stdout


@pytest.mark.parametrize("size", ["demo", "30"])
def test_ctrl_c_keeps_the_best_timetable_found(size: str, tmp_path: Path) -> None:
    # The demo takes the master path, 30 generated ALTs the region search: on both, Ctrl-C
    # once the search reports a timetable ends the solve well before its limit, with that
    # timetable written and valid.
    import signal
    import time

    if size == "demo":
        instance = INSTANCES / "demo"
    else:
        instance = tmp_path / "g30"
        assert altsched("generate", "--alts", "30", "--seed", "2", instance).returncode == 0
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "scheduler.cli", "solve", str(instance), "--out", str(out)]
    # A child of a non-interactive shell may inherit SIGINT ignored; a terminal's is default.
    run = subprocess.Popen(
        [*cmd, "--time-limit", "120"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert run.stdout is not None
    for line in run.stdout:
        if "objective" in line:  # the first progress line: the search is on
            break
    time.sleep(2)
    run.send_signal(signal.SIGINT)
    sent = time.monotonic()
    rest, _ = run.communicate(timeout=100)
    # Written, then ended by the signal (docs/outputs.md, "Signals"): a shell sees 130.
    assert run.returncode == -signal.SIGINT, rest
    assert time.monotonic() - sent < 30  # not the 120 s limit
    assert "Stopped by Ctrl-C" in rest  # said on screen, and in report.json's notes
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["status"] == "FEASIBLE" and report["seconds"] < 60
    check = altsched("check", instance, out)
    assert check.returncode == 0, check.stdout


def test_bad_input_exits_2_names_the_cell_and_keeps_the_old_output(tmp_path: Path) -> None:
    src = tmp_path / "branch"
    shutil.copytree(INSTANCES / "tiny-floor", src)
    out = tmp_path / "out"
    first = altsched("solve", src, "--out", out, "--time-limit", "5")
    assert first.returncode == 0, first.stderr
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    classes = src / "classes.csv"
    classes.write_text(
        classes.read_text(encoding="utf-8").replace("S,4-1,1", "S,4-1,two"), encoding="utf-8"
    )
    (src / "bells.csv").write_text(
        "school_id,period,start,end\nS,1,8.45,09:30\n", encoding="utf-8"
    )
    run = altsched("solve", src, "--out", out, "--time-limit", "5")
    assert run.returncode == 2
    assert 'classes.csv row 4, column alt_lessons: "two"' in run.stderr
    assert 'bells.csv row 2, column start: "8.45"' in run.stderr  # every error, not the first
    assert "Traceback" not in run.stderr + run.stdout
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before


def test_out_folder_with_user_files_is_refused_before_solving(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    run = altsched("solve", INSTANCES / "tiny-floor", "--out", out)
    assert run.returncode == 2
    assert "notes.txt" in run.stderr
    assert (out / "notes.txt").read_text(encoding="utf-8") == "keep me"
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_check_recomputes_with_the_weights_the_solve_used(tmp_path: Path) -> None:
    weights = tmp_path / "w.toml"
    weights.write_text("[weights]\ncommute_minute = 5\n", encoding="utf-8")
    out = tmp_path / "out"
    run = altsched("solve", INSTANCES / "tiny-floor", "--out", out, "--weights", weights)
    assert run.returncode == 0, run.stderr
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    # 2270 with default weights; commute 10 + 20 minutes now cost 5 each: 2270 + 4 * 30.
    assert report["objective"] == 2390
    assert report["weights"]["commute_minute"] == 5
    assert altsched("check", INSTANCES / "tiny-floor", out).returncode == 0
    # Naming other weights makes the recorded objective disagree: a violation, exit 1.
    default = tmp_path / "default.toml"
    default.write_text("[weights]\n", encoding="utf-8")
    mismatch = altsched("check", INSTANCES / "tiny-floor", out, "--weights", default)
    assert mismatch.returncode == 1
    assert "objective_mismatch" in mismatch.stdout


def test_an_out_folder_that_cannot_be_made_is_refused_before_solving(tmp_path: Path) -> None:
    # Before, the search ran its whole time and then ended in a FileExistsError traceback.
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    run = altsched("solve", INSTANCES / "tiny-floor", "--out", tmp_path / "a-file" / "out")
    assert run.returncode == 2
    assert "is a file, not a folder" in run.stderr
    assert "Solving" not in run.stdout and "Traceback" not in run.stderr
    fet = altsched("export-fet", INSTANCES / "tiny-floor", tmp_path, tmp_path / "no" / "x.fet")
    assert fet.returncode == 2 and "Traceback" not in fet.stderr


def test_names_are_printed_as_they_are_not_as_markup(tmp_path: Path) -> None:
    # A branch called "[/North]" crashed rich's markup parser after the search.
    src = tmp_path / "branch"
    shutil.copytree(INSTANCES / "tiny-floor", src)
    settings = src / "settings.csv"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(text.replace("Tiny floor", "Utsunomiya [/North] [bold]"), "utf-8")
    run = altsched("solve", src, "--out", tmp_path / "out", "--time-limit", "2")
    assert run.returncode == 0, run.stderr
    assert "Utsunomiya [/North] [bold]" in run.stdout


# ---- replacing an earlier output (docs/outputs.md, "Replacing an earlier output") ----------


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def _lessons(folder: Path) -> int:
    return len((folder / "assignments.csv").read_text(encoding="utf-8").splitlines()) - 1


def test_a_run_giving_fewer_lessons_goes_beside_the_output_instead(tmp_path: Path) -> None:
    # A header-only alts.csv solved "FEASIBLE 0/217", exited 0 and replaced a good --out.
    # Here a branch that lost a class (3 lessons instead of 4) stands for any run that gives
    # fewer lessons: the folder is kept, the run goes to out.new, the command says so.
    out, new = tmp_path / "out", tmp_path / "out.new"
    assert altsched("solve", INSTANCES / "tiny-floor", "--out", out).returncode == 0
    before = _snapshot(out)
    fewer = tmp_path / "fewer"
    shutil.copytree(INSTANCES / "tiny-floor", fewer)
    classes = fewer / "classes.csv"
    classes.write_text(classes.read_text(encoding="utf-8").replace("S,4-2,1\n", ""), "utf-8")

    run = altsched("solve", fewer, "--out", out, "--time-limit", "2")
    assert run.returncode == 1, run.stderr
    line = f"{out}/ kept: it gives 4 lessons, this run 3; this run's timetable is in {new}/; "
    assert line + "use --force to replace" in run.stderr
    assert _snapshot(out) == before
    assert _lessons(new) == 3 and altsched("check", fewer, new).returncode == 0

    # --force replaces; and a run giving as many lessons as the folder replaces it too.
    forced = altsched("solve", fewer, "--out", out, "--time-limit", "2", "--force")
    assert forced.returncode == 0, forced.stderr
    assert _lessons(out) == 3 and altsched("check", fewer, out).returncode == 0
    again = altsched("solve", fewer, "--out", out, "--time-limit", "2")
    assert again.returncode == 0 and "kept" not in again.stderr


def test_an_out_new_that_is_not_altscheds_is_refused_before_solving(tmp_path: Path) -> None:
    # When --out holds a timetable this run may have to go to out.new; a folder of the
    # user's there would be lost, so it is refused before the search, not after it.
    out = tmp_path / "out"
    assert altsched("solve", INSTANCES / "tiny-floor", "--out", out).returncode == 0
    (tmp_path / "out.new").mkdir()
    (tmp_path / "out.new" / "notes.txt").write_text("mine", encoding="utf-8")
    run = altsched("solve", INSTANCES / "tiny-floor", "--out", out)
    assert run.returncode == 2
    assert "out.new" in run.stderr and "notes.txt" in run.stderr
    assert "Solving" not in run.stdout
    assert (tmp_path / "out.new" / "notes.txt").read_text(encoding="utf-8") == "mine"
    # With --force out.new is never needed, so it does not matter.
    forced = altsched("solve", INSTANCES / "tiny-floor", "--out", out, "--force")
    assert forced.returncode == 0, forced.stderr


@pytest.mark.parametrize(
    ("status", "given", "kept"),
    [
        ("INFEASIBLE", 0, True),  # no timetable never replaces one
        ("UNKNOWN", 0, True),  # out of time before the first timetable
        ("FEASIBLE", 0, True),  # a timetable of no lessons (the header-only alts.csv case)
        ("FEASIBLE", 3, True),  # one lesson short
        ("FEASIBLE", 4, False),  # as many: replaced
        ("OPTIMAL", 4, False),
    ],
)
def test_what_replaces_an_output_in_process(
    status: str, given: int, kept: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Statuses the search cannot be made to return on purpose, through the command itself.
    from typer.testing import CliRunner

    import scheduler.solve
    from scheduler.cli import app
    from scheduler.validate import read_assignments

    out = tmp_path / "out"
    runner = CliRunner()
    first = runner.invoke(app, ["solve", str(INSTANCES / "tiny-floor"), "--out", str(out)])
    assert first.exit_code == 0, first.output
    before = _snapshot(out)
    lessons = read_assignments(out / "assignments.csv")

    def fake(inst, weights, params, **_kw):  # type: ignore[no-untyped-def]
        from scheduler.result import Lesson, Result

        rows = lessons.head(given).to_dict("records")
        given_lessons = tuple(Lesson.model_validate(r) for r in rows)
        return Result(status=status, lessons=given_lessons)

    monkeypatch.setattr(scheduler.solve, "solve", fake)
    run = runner.invoke(app, ["solve", str(INSTANCES / "tiny-floor"), "--out", str(out)])
    if kept:
        assert run.exit_code == 1, run.output
        assert _snapshot(out) == before
        assert json.loads((tmp_path / "out.new" / "report.json").read_text())["status"] == status
        assert "kept: it gives 4 lessons" in run.output
    else:
        assert run.exit_code == 0, run.output
        assert not (tmp_path / "out.new").exists()
    forced = runner.invoke(
        app, ["solve", str(INSTANCES / "tiny-floor"), "--out", str(out), "--force"]
    )
    assert forced.exit_code == (1 if status in ("INFEASIBLE", "UNKNOWN") else 0)
    assert json.loads((out / "report.json").read_text())["status"] == status


@pytest.mark.parametrize(
    ("files", "status", "given", "reason"),
    [
        ({}, "INFEASIBLE", 0, None),  # no folder: nothing to lose
        ({"assignments.csv": "alt_id,school_id\n"}, "UNKNOWN", 0, None),  # a timetable of none
        ({"report.json": "{}"}, "INFEASIBLE", 0, None),  # no timetable file at all
        # four lessons (a blank line is no lesson)
        ({"assignments.csv": "h\na\nb\n\nc\nd\n"}, "FEASIBLE", 4, None),
        (
            {"assignments.csv": "h\na\nb\n\nc\nd\n"},
            "FEASIBLE",
            3,
            "it gives 4 lessons, this run 3",
        ),
        (
            {"assignments.csv": "h\na\n"},
            "INFEASIBLE",
            0,
            "this run found no timetable (INFEASIBLE)",
        ),
        # a file nothing can count: kept, whatever the run gives
        ({"assignments.csv": b"h\n\xff\xfe\n"}, "OPTIMAL", 99, "cannot be read"),
    ],
)
def test_keep_reason(
    files: dict[str, str | bytes], status: str, given: int, reason: str | None, tmp_path: Path
) -> None:
    from scheduler.io.write import keep_reason

    out = tmp_path / "out"
    for name, content in files.items():
        out.mkdir(exist_ok=True)
        data = content if isinstance(content, bytes) else content.encode()
        (out / name).write_bytes(data)
    why = keep_reason(out, status, given)
    assert why is None if reason is None else why is not None and reason in why


@pytest.mark.parametrize(
    "limit",
    [
        "inf",  # float() reads it; a deadline never reached
        "nan",  # compares false with everything, so no range check alone catches it
        "1e9",  # thirty years
        "0",  # below the least useful search
        "-5",
    ],
)
def test_a_time_limit_out_of_range_is_refused_before_solving(limit: str, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from scheduler.cli import app

    out = tmp_path / "out"
    args = ["solve", str(INSTANCES / "tiny-floor"), "--out", str(out), "--time-limit", limit]
    run = CliRunner().invoke(app, args)
    assert run.exit_code == 2, run.output
    assert "--time-limit" in run.output
    assert not out.exists()
