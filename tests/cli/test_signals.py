"""Signals and killed writes: a real ``altsched solve`` gets SIGTERM or Ctrl-C and keeps its
best timetable; a signal while the outputs are written finishes them, a second rolls back;
what a killed write leaves behind is cleared by the next one, and nothing of a live one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scheduler import signals
from scheduler.io.write import HOST_TAG as HOST
from scheduler.io.write import tidy_siblings

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "instances" / "demo"
TINY = ROOT / "instances" / "tiny-floor"


def _default_signals() -> None:
    # A child of a non-interactive shell may inherit SIGINT ignored (and then, rightly,
    # keeps it so); a terminal's is the default.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_DFL)


def _start(*args: str | Path, stdout: Path) -> subprocess.Popen[str]:
    """``altsched ARGS`` as a user would start it; stderr is read line by line."""
    return subprocess.Popen(
        [sys.executable, "-m", "scheduler.cli", *map(str, args)],
        stdout=stdout.open("w", encoding="utf-8"),
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        preexec_fn=_default_signals,
    )


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scheduler.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def _checked(instance: Path, out: Path) -> dict[str, object]:
    """report.json of ``out``, once the independent validator has passed its timetable."""
    check = _run("check", instance, out)
    assert check.returncode == 0, check.stdout + check.stderr
    return dict(json.loads((out / "report.json").read_text(encoding="utf-8")))


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def _temporaries(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


def _when_writing(parent: Path, run: subprocess.Popen[str], limit: float = 60) -> Path:
    """Wait until ``run`` writes its outputs (its temporary folder appears in ``parent``),
    then stop the process there (SIGSTOP): the caller signals it, then sends SIGCONT."""
    end = time.monotonic() + limit
    while time.monotonic() < end and run.poll() is None:
        tmp = [p for p in parent.iterdir() if ".tmp-" in p.name]
        if tmp:
            run.send_signal(signal.SIGSTOP)
            assert tmp[0].exists(), "the write ended before the process was stopped"
            return tmp[0]
        time.sleep(0.002)
    raise AssertionError(f"no write began (exit {run.poll()})")


def _lines(run: subprocess.Popen[str]) -> Iterator[str]:
    assert run.stderr is not None
    yield from run.stderr


# ---- a signal during the search -------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_the_search_keeps_the_best_and_ends_by_that_signal(
    signum: int, tmp_path: Path
) -> None:
    # `timeout` and service managers send SIGTERM; it used to end the solve at once (exit
    # 143, nothing written). Both now stop the search, write the best timetable, and end
    # the command by the same signal, so a shell sees 143 or 130 and a script stops.
    out = tmp_path / "out"
    log = tmp_path / "stdout.txt"
    run = _start("solve", DEMO, "--out", out, "--time-limit", "120", stdout=log)
    while "objective" not in log.read_text(encoding="utf-8"):  # the first solution is in
        assert run.poll() is None, run.stderr.read() if run.stderr else ""
        time.sleep(0.05)
    run.send_signal(signum)
    sent = time.monotonic()
    _, err = run.communicate(timeout=60)
    assert run.returncode == -signum, err
    assert time.monotonic() - sent < 30  # not the 120 s limit
    name = signals.signal_name(signum)
    assert f"{name}: stopping the search" in err
    assert f"Ended by {name}: exit status {128 + signum}" in err
    assert f"Wrote {out}/" in log.read_text(encoding="utf-8")
    report = _checked(DEMO, out)
    assert report["status"] == "FEASIBLE"
    assert any(f"Stopped by {name}" in note for note in report["notes"])  # type: ignore[attr-defined]
    assert _temporaries(tmp_path) == []


# ---- a signal while the outputs are written ---------------------------------------------------


def test_a_signal_while_writing_finishes_the_write_and_says_so(tmp_path: Path) -> None:
    # Ctrl-C while the outputs were written threw the timetable away without a word.
    out = tmp_path / "out"
    run = _start("solve", DEMO, "--out", out, "--time-limit", "2", stdout=tmp_path / "log")
    _when_writing(tmp_path, run)
    run.send_signal(signal.SIGINT)
    run.send_signal(signal.SIGCONT)
    _, err = run.communicate(timeout=60)
    assert run.returncode == -signal.SIGINT, err
    assert "Ctrl-C while writing the outputs: finishing them first" in err
    assert "Ended by Ctrl-C: exit status 130" in err
    assert _checked(DEMO, out)["status"] in ("OPTIMAL", "FEASIBLE")
    assert _temporaries(tmp_path) == []


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (signal.SIGINT, signal.SIGINT),  # Ctrl-C twice
        (signal.SIGTERM, signal.SIGINT),  # a service manager's stop, then Ctrl-C
    ],
)
def test_a_second_signal_while_writing_rolls_back(first: int, second: int, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _run("solve", TINY, "--out", out, "--time-limit", "1").returncode == 0
    before = _snapshot(out)
    # --force: this run goes to out/ whatever it gives, so the rollback is out/'s.
    run = _start(
        "solve", DEMO, "--out", out, "--time-limit", "2", "--force", stdout=tmp_path / "log"
    )
    lines = _lines(run)
    _when_writing(tmp_path, run)
    run.send_signal(first)
    run.send_signal(signal.SIGCONT)
    for line in lines:  # the first signal is taken: the write goes on
        if "finishing them first" in line:
            break
    _when_writing(tmp_path, run)
    run.send_signal(second)
    run.send_signal(signal.SIGCONT)
    _, err = run.communicate(timeout=60)
    assert run.returncode == -first, err  # ended by the first signal, as it said it would
    assert "again: abandoning the outputs" in err
    assert f"Nothing was written; {out}/ is as it was." in err
    assert _snapshot(out) == before
    assert _temporaries(tmp_path) == []


# ---- what a killed write leaves behind ------------------------------------------------------


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.fixture
def live_pid() -> Iterator[int]:
    """A process that runs for the length of the test."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield child.pid
    child.kill()
    child.wait()


@pytest.mark.parametrize(
    ("name", "removed"),
    [
        # a temporary folder of a process that is gone: a killed write
        (".out.tmp-{host}-{dead}-1a2b3c4d", True),
        # the probe for a writable place, and a backup beside a folder that is there
        (".out.probe-{host}-{dead}-x7_k2abc", True),
        (".out.old-{host}-{dead}-1a2b3c4d", True),
        # another name's leftovers in the same parent go too
        (".other.tmp-{host}-{dead}-1a2b3c4d", True),
        # a write in progress (its process runs), this process's own
        (".out.tmp-{host}-{live}-1a2b3c4d", False),
        (".out.tmp-{host}-{own}-1a2b3c4d", False),
        # written from another machine sharing the folder: its pid means nothing here
        (".out.tmp-elsewhere-{dead}-1a2b3c4d", False),
        # not ours: visible, another pattern, a file named like a folder of ours
        ("out.tmp-{host}-{dead}-1a2b3c4d", False),
        (".out.tmp-keep", False),
        (".out.old-1a2b3c4d", False),  # an old-style backup may be the only copy
        (".out.tmp-1a2b3c4d", False),  # an old-style temporary folder under a day old
    ],
)
def test_tidying_removes_what_killed_writes_left_and_nothing_live(
    name: str, removed: bool, tmp_path: Path, live_pid: int
) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "assignments.csv").write_text("alt_id\n", encoding="utf-8")
    path = tmp_path / name.format(host=HOST, dead=_dead_pid(), live=live_pid, own=os.getpid())
    path.mkdir()
    (path / "report.json").write_text("{}", encoding="utf-8")
    said = tidy_siblings(tmp_path / "out")
    assert path.exists() is not removed
    assert (tmp_path / "out" / "assignments.csv").exists()  # never the output itself
    assert said == ([f"removed {path.name}, left by a write that was killed"] if removed else [])


def test_an_old_style_temporary_folder_goes_after_a_day(tmp_path: Path) -> None:
    path = tmp_path / ".out.tmp-1a2b3c4d"
    path.mkdir()
    day_old = time.time() - 25 * 3600
    os.utime(path, (day_old, day_old))
    tidy_siblings(tmp_path / "out")
    assert not path.exists()


def test_a_backup_whose_output_is_missing_is_put_back(tmp_path: Path) -> None:
    # Killed between moving the old folder aside and moving the new one in: the old comes
    # back (the newest backup if there are several), the temporary folder goes.
    dead = _dead_pid()
    older, newer = (tmp_path / f".out.old-{HOST}-{dead}-{tag}" for tag in ("aaaa1111", "bbbb2222"))
    for i, backup in enumerate((older, newer)):
        backup.mkdir()
        (backup / "assignments.csv").write_text(f"run {i}\n", encoding="utf-8")
        os.utime(backup, (time.time() - 100 + i, time.time() - 100 + i))
    (tmp_path / f".out.tmp-{HOST}-{dead}-cccc3333").mkdir()
    said = tidy_siblings(tmp_path / "out")
    assert (tmp_path / "out" / "assignments.csv").read_text(encoding="utf-8") == "run 1\n"
    assert _temporaries(tmp_path) == []
    assert "put back out, moved aside by a write that was killed" in said


def test_a_write_killed_by_sigkill_is_cleared_by_the_next(tmp_path: Path) -> None:
    # SIGKILL or a power cut cannot be caught: the temporary folder stays, and it used to
    # stay forever. The next write into the same parent folder clears it.
    out = tmp_path / "out"
    run = _start("solve", DEMO, "--out", out, "--time-limit", "2", stdout=tmp_path / "log")
    left = _when_writing(tmp_path, run)
    run.kill()
    run.communicate(timeout=30)
    assert left.exists() and not out.exists()
    again = _run("solve", TINY, "--out", tmp_path / "other", "--time-limit", "1")
    assert again.returncode == 0, again.stderr
    assert f"removed {left.name}, left by a write that was killed" in again.stdout
    assert _temporaries(tmp_path) == []
    _checked(TINY, tmp_path / "other")


def test_a_file_a_killed_calendar_or_report_left_inside_does_not_block_the_next_solve(
    tmp_path: Path,
) -> None:
    # A killed `calendar` or `report` leaves its temporary file inside the output folder;
    # the next solve took it for the user's and refused the folder.
    from typer.testing import CliRunner

    from scheduler.cli import app
    from scheduler.io.read import load_instance
    from scheduler.validate import check, read_assignments

    out = tmp_path / "out"
    branch = str(TINY)
    assert CliRunner().invoke(app, ["solve", branch, "--out", str(out)]).exit_code == 0
    dead = _dead_pid()
    left = [
        out / f".lessons.csv.tmp-{HOST}-{dead}-1a2b3c4d",
        out / f".report.html.tmp-{HOST}-{dead}-x",
    ]
    for path in left:
        path.write_text("half a file", encoding="utf-8")
    run = CliRunner().invoke(app, ["solve", branch, "--out", str(out)])
    assert run.exit_code == 0, run.output
    assert not any(p.exists() for p in left)
    inst, _ = load_instance(TINY)
    assert check(inst, read_assignments(out / "assignments.csv")) == []
