"""The command line end to end: bundled instances, the checker, and bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
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
    assert run.returncode == 0, rest
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
