"""Replay the hostile cases of ``bench/hostile_cases.py`` against the installed ``altsched``.

    .venv/bin/python bench/hostile.py [--only CLASS[,CLASS]] [--case ID ...] [--slow]
        [--jobs 2] [--keep] [--out bench/results/hostile.md]

Each case gets a fresh temporary folder with a copy of ``instances/demo``, is built by its
steps, runs its ``altsched`` commands in child processes (each in a process group of its own,
killed by the harness on a timeout or a memory cap: peak memory is the largest sum of the
group's resident sets, polled from ``/proc``, or the child's own ``ru_maxrss`` if larger), and
is judged by its checks. Prints a table (case, class, expected, got, result) and writes it as
Markdown to ``--out``. Exits 1 if any case fails. The harness imports nothing from
``scheduler``: it is a user at a terminal. What the table covers: ``docs/hostile.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import glob
import hashlib
import http.client
import io
import json
import os
import platform
import random
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import singledispatch
from pathlib import Path
from typing import Any

import hostile_cases as hc
from hostile_cases import CASES, CLASSES, Case

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "instances" / "demo"
RESULTS = ROOT / "bench" / "results" / "hostile.md"
POLL = 0.1  # seconds between two looks at the running commands
PAGE = os.sysconf("SC_PAGE_SIZE")
# The limit of the prerequisite solve: long enough for the demo's 217 lessons on a busy machine.
GOOD_LIMIT = "15"


def altsched() -> str:
    """The console script of the interpreter running this file (the project's .venv)."""
    beside = Path(sys.executable).parent / "altsched"
    found = str(beside) if beside.exists() else shutil.which("altsched")
    if found is None:
        raise SystemExit("altsched is not installed next to this Python; run make first")
    return found


class BuildError(Exception):
    """A case's input could not be built (a step that does not apply, a failed prerequisite)."""


# ---- prerequisites: made once per replay, copied into the cases that need them --------------


class Prereqs:
    """Outputs and stores several cases start from, made lazily with the command line."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.made: dict[str, Path] = {}
        self.failed: dict[str, str] = {}
        self.feed = ""
        self.notes: list[str] = []
        self._lock = threading.RLock()  # cases in parallel wait for the one making it

    def get(self, what: str) -> Path:
        """The prerequisite's path, made on first use; BuildError if it could not be made."""
        with self._lock:
            return self._get(what)

    def _get(self, what: str) -> Path:
        if what in self.failed:
            raise BuildError(f"prerequisite {what}: {self.failed[what]}")
        if what not in self.made:
            make: Callable[[], Path] = getattr(self, f"_{what}")
            try:
                self.made[what] = make()
            except BuildError as e:
                self.failed[what] = str(e)
                raise BuildError(f"prerequisite {what}: {e}") from None
        return self.made[what]

    def _cli(self, *args: str, timeout: float = 300) -> None:
        done = subprocess.run(
            [altsched(), *args], capture_output=True, text=True, timeout=timeout,
            cwd=self.folder, env=command_env(),
        )  # fmt: skip
        if done.returncode not in (0, 1):
            last = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:]
            raise BuildError(f"altsched {args[0]} exit {done.returncode}: {' '.join(last)}")

    def _solved(self, name: str, *options: str) -> Path:
        out = self.folder / name
        self._cli("solve", str(DEMO), "--out", str(out), *options)
        found = written(out)
        if not (found / "assignments.csv").exists():
            raise BuildError(f"solve wrote no {name}/assignments.csv")
        return found

    def _good(self) -> Path:
        out = self._solved("good", "--time-limit", GOOD_LIMIT)
        report = json.loads((out / "report.json").read_text(encoding="utf-8"))
        counts = report.get("instance", {})
        given, needed = counts.get("lessons_assigned"), counts.get("lessons_needed")
        if given != needed:
            self.notes.append(f"the good solve gave {given} of {needed} lessons")
        return out

    def _greedy(self) -> Path:
        return self._solved("greedy", "--method", "greedy")

    def _published(self) -> Path:
        store = self.folder / "published.sqlite"
        self._cli("publish", str(self.get("good")), "--store", str(store))
        return store

    def _tokens(self) -> Path:
        store = self.folder / "tokens.sqlite"
        copy_store(self.get("published"), store)
        urls = self.folder / "urls.csv"
        self._cli("tokens", "--store", str(store), "--export", str(urls))
        with urls.open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        if not rows:
            raise BuildError("tokens --export wrote no URL")
        self.feed = "/" + rows[0]["url"].split("/", 3)[3]
        return store

    def _big120(self) -> Path:
        return self._generated(120)

    def _big250(self) -> Path:
        return self._generated(250)

    def _generated(self, alts: int) -> Path:
        out = self.folder / f"big{alts}"
        self._cli("generate", "--alts", str(alts), "--seed", "1", str(out))
        return out


def written(out: Path) -> Path:
    """Where a solve put its timetable: ``out``, or ``out.new`` for a less complete run."""
    new = out.with_name(out.name + ".new")
    return new if not out.exists() and new.exists() else out


def copy_store(src: Path, dst: Path) -> None:
    """Copy an SQLite store with its write-ahead log, if one is left."""
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{src}{suffix}").exists():
            shutil.copy2(f"{src}{suffix}", f"{dst}{suffix}")


def command_env() -> dict[str, str]:
    """The environment of every command: no store from the caller, wide unbuffered output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALTSCHED_")}
    # Wide lines keep a message on one line for the substring checks; unbuffered output lets
    # a signal follow a line as soon as it is printed.
    env.update(COLUMNS="250", PYTHONUNBUFFERED="1")
    return env


# ---- one case's folder and its placeholders -------------------------------------------------


@dataclass
class Box:
    """A case's temporary folder, its branch and the values of the placeholders."""

    root: Path
    logs: Path
    prereqs: Prereqs
    branch: Path
    port: int
    feed: str = ""
    sockets: list[socket.socket] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)
    before: dict[str, dict[str, str]] = field(default_factory=dict)

    def fill(self, text: str) -> str:
        """The text with the placeholders of hostile_cases' docstring filled in."""
        if "{" not in text:
            return text
        out = self.root / "out"
        values = {
            "{root}": str(self.root),
            "{branch}": str(self.branch),
            "{out}": str(out),
            "{written}": str(written(out)),
            "{store}": str(self.root / "store.sqlite"),
            "{port}": str(self.port),
            "{feed}": self.feed,
        }
        for key, value in values.items():
            text = text.replace(key, value)
        while "{junk}" in text:
            text = text.replace("{junk}", f"/feeds/{secrets.token_urlsafe(32)}.ics", 1)
        return text

    def path(self, text: str) -> Path:
        """A step's or check's path: placeholders filled, relative to the case's folder."""
        p = Path(self.fill(text))
        return p if p.is_absolute() else self.root / p


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---- building the input ---------------------------------------------------------------------


def read_text(p: Path) -> str:
    return p.read_bytes().decode("utf-8")


def write_text(p: Path, text: str) -> None:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(text.encode("utf-8"))


def read_rows(p: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(p.read_bytes().decode("utf-8-sig"), newline="")))


def write_rows(p: Path, rows: list[list[str]], delimiter: str = ",") -> None:
    buf = io.StringIO(newline="")
    csv.writer(buf, delimiter=delimiter, lineterminator="\n").writerows(rows)
    write_text(p, buf.getvalue())


@singledispatch
def build(step: object, box: Box) -> None:
    """Carry out one step of a case's input (one function per kind of step)."""
    raise BuildError(f"no way to build {step!r}")


@build.register
def _(step: hc.Edit, box: Box) -> None:
    p = box.path(step.file)
    text = read_text(p)
    if step.old not in text:
        raise BuildError(f"edit does not apply to {step.file}: {step.old[:40]!r}")
    write_text(p, text.replace(step.old, box.fill(step.new), step.count or -1))


@build.register
def _(step: hc.Row, box: Box) -> None:
    p = box.path(step.file)
    lines = read_text(p).split("\n")
    lines[step.row - 1] = box.fill(step.text)
    write_text(p, "\n".join(lines))


@build.register
def _(step: hc.Cell, box: Box) -> None:
    p = box.path(step.file)
    rows = read_rows(p)
    rows[step.row - 1][rows[0].index(step.column)] = box.fill(step.value)
    write_rows(p, rows)


@build.register
def _(step: hc.Rename, box: Box) -> None:
    new = box.fill(step.new)
    files = [*sorted((box.root / "branch").glob("*.csv")), *(box.path(f) for f in step.also)]
    for p in files:
        rows = read_rows(p)
        write_rows(p, [[new if c == step.old else c for c in row] for row in rows])


@build.register
def _(step: hc.Write, box: Box) -> None:
    p = box.path(step.file)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(step.data if isinstance(step.data, bytes) else step.data.encode("utf-8"))


@build.register
def _(step: hc.HeaderOnly, box: Box) -> None:
    p = box.path(step.file)
    write_text(p, read_text(p).split("\n", 1)[0] + "\n")


@build.register
def _(step: hc.Recode, box: Box) -> None:
    p = box.path(step.file)
    p.write_bytes(read_text(p).encode(step.encoding))


@build.register
def _(step: hc.LineEnds, box: Box) -> None:
    for name in sorted(glob.glob(str(box.path(step.files)))):
        p = Path(name)
        write_text(p, read_text(p).replace("\r\n", "\n").replace("\n", step.ending))


@build.register
def _(step: hc.Delimit, box: Box) -> None:
    p = box.path(step.file)
    write_rows(p, read_rows(p), step.delimiter)


@build.register
def _(step: hc.Grow, box: Box) -> None:
    p = box.path(step.file)
    target = step.megabytes * 1e6
    n = 0
    with p.open("a", encoding="utf-8", newline="") as f:
        while p.stat().st_size < target:
            chunk = [step.row.format(n=n + k, g=(n + k) % 6 + 1) for k in range(100_000)]
            f.write("\n".join(chunk) + "\n")
            f.flush()
            n += len(chunk)


@build.register
def _(step: hc.Widen, box: Box) -> None:
    p = box.path(step.file)
    header, rest = read_text(p).split("\n", 1)
    extra = ",".join(f"c{k}" for k in range(step.columns))
    write_text(p, f"{header},{extra}\n{rest}")


@build.register
def _(step: hc.Move, box: Box) -> None:
    dst = box.path(step.to)
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(box.path(step.path), dst)


@build.register
def _(step: hc.Remove, box: Box) -> None:
    p = box.path(step.path)
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p)
    else:
        p.unlink(missing_ok=True)


@build.register
def _(step: hc.Wait, box: Box) -> None:
    time.sleep(step.seconds)


@build.register
def _(step: hc.MakeDir, box: Box) -> None:
    box.path(step.path).mkdir(parents=True, exist_ok=True)


@build.register
def _(step: hc.Link, box: Box) -> None:
    p = box.path(step.path)
    p.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(box.fill(step.target), p)


@build.register
def _(step: hc.Chmod, box: Box) -> None:
    box.path(step.path).chmod(step.mode)


@build.register
def _(step: hc.Age, box: Box) -> None:
    when = time.time() - step.hours * 3600
    top = box.path(step.path)
    for folder, _, files in os.walk(top, topdown=False):
        for name in files:
            os.utime(Path(folder) / name, (when, when))
        os.utime(folder, (when, when))


@build.register
def _(step: hc.Form, box: Box) -> None:
    tables = {p.stem: read_rows(p) for p in sorted((box.root / "branch").glob("*.csv"))}
    target = box.root / f"branch{step.suffix}"
    if step.suffix == ".xlsx":
        write_workbook(tables, target)
    elif step.suffix == ".json":
        write_text(target, json.dumps(mapping(tables), indent=1, ensure_ascii=False) + "\n")
    else:
        write_text(target, yaml_text(tables))
    box.branch = target


def mapping(tables: dict[str, list[list[str]]]) -> dict[str, Any]:
    """The branch as the YAML/JSON form holds it: settings a mapping, tables lists of records."""
    data: dict[str, Any] = {}
    for name, (header, *body) in tables.items():
        if name == "settings":
            data[name] = {row[0]: row[1] for row in body}
        else:
            data[name] = [dict(zip(header, row, strict=False)) for row in body]
    return data


def yaml_text(tables: dict[str, list[list[str]]]) -> str:
    """YAML with every value a quoted string, one flow mapping per record (easy to edit)."""
    lines = []
    for name, body in mapping(tables).items():
        if name == "settings":
            lines.append("settings:")
            lines += [f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in body.items()]
            continue
        lines.append(f"{name}:" if body else f"{name}: []")
        for record in body:
            items = ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in record.items())
            lines.append(f"  - {{{items}}}")
    return "\n".join(lines) + "\n"


def write_workbook(tables: dict[str, list[list[str]]], target: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in tables.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append([c if c != "" else None for c in row])
    wb.save(target)


@build.register
def _(step: hc.SheetCell, box: Box) -> None:
    from openpyxl import load_workbook

    p = box.path(step.file)
    wb = load_workbook(p)
    wb[step.sheet][step.ref] = step.value
    wb.save(p)


@build.register
def _(step: hc.Cut, box: Box) -> None:
    p = box.path(step.file)
    data = p.read_bytes()
    p.write_bytes(data[: int(len(data) * step.fraction)])


@build.register
def _(step: hc.Overwrite, box: Box) -> None:
    p = box.path(step.file)
    size = p.stat().st_size
    length = size - step.start if step.length is None else step.length
    with p.open("r+b") as f:
        f.seek(step.start)
        f.write(random.Random(29).randbytes(length))


@build.register
def _(step: hc.Need, box: Box) -> None:
    src = box.prereqs.get(step.what)
    dst = box.path(step.to)
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        shutil.copytree(src, dst, symlinks=True)
    else:
        copy_store(src, dst)
    if step.what == "tokens":
        box.feed = box.prereqs.feed


@build.register
def _(step: hc.Hold, box: Box) -> None:
    path = box.path(step.file)
    locked = threading.Event()

    def hold() -> None:
        db = sqlite3.connect(path, timeout=30, isolation_level=None)
        try:
            db.execute("BEGIN IMMEDIATE")
            locked.set()
            time.sleep(step.seconds)
            db.execute("ROLLBACK")
        finally:
            locked.set()
            db.close()

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    box.threads.append(holder)
    if not locked.wait(30):
        raise BuildError(f"could not lock {step.file}")


@build.register
def _(step: hc.Occupy, box: Box) -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", box.port))
    s.listen()
    box.sockets.append(s)


# ---- running commands -----------------------------------------------------------------------


@dataclass
class Proc:
    """A running command, the log files of its output and what the harness saw of it."""

    args: tuple[str, ...]
    popen: subprocess.Popen[bytes]
    out: Path
    err: Path
    timeout: float
    kill_mb: float
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None
    code: int | None = None
    peak_mb: float = 0.0
    stopped: str = ""  # why the harness killed it

    @property
    def seconds(self) -> float:
        return (self.ended or time.monotonic()) - self.started

    def text(self) -> str:
        # surrogateescape keeps a stray byte visible to the control-character check.
        return (self.out.read_bytes() + self.err.read_bytes()).decode("utf-8", "surrogateescape")


@dataclass
class Outcome:
    """What the commands of a case did."""

    procs: list[Proc] = field(default_factory=list)
    http: list[tuple[str, tuple[int, ...], list[int], bool]] = field(default_factory=list)

    @property
    def codes(self) -> list[int | None]:
        return [p.code if not p.stopped else None for p in self.procs]

    @property
    def text(self) -> str:
        return "".join(p.text() for p in self.procs)


def start(cmd: hc.Cmd, box: Box) -> Proc:
    """Start an altsched command in a process group of its own, output to log files."""
    args = tuple(box.fill(a) for a in cmd.args)
    n = len(list(box.logs.glob("*.out")))
    out, err = box.logs / f"{n}.out", box.logs / f"{n}.err"
    env = {**command_env(), **dict(cmd.env)}
    with out.open("wb") as o, err.open("wb") as e:
        popen = subprocess.Popen(
            [altsched(), *args], stdout=o, stderr=e, stdin=subprocess.DEVNULL,
            cwd=box.root, env=env, start_new_session=True,
        )  # fmt: skip
    return Proc(args, popen, out, err, cmd.timeout, cmd.kill_mb)


_scan_lock = threading.Lock()
_last_scan: tuple[float, dict[int, float]] = (0.0, {})


def group_rss_mb() -> dict[int, float]:
    """Resident memory of every process group in MB; one /proc scan serves every thread."""
    global _last_scan
    with _scan_lock:
        if time.monotonic() - _last_scan[0] >= POLL / 2:
            _last_scan = (time.monotonic(), scan_proc())
        return _last_scan[1]


def scan_proc() -> dict[int, float]:
    """Resident memory of every process group, in MB, read from /proc/*/stat (a few ms)."""
    groups: dict[int, float] = {}
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(stat, "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue  # the process ended between the listing and the read
        pgrp, rss = int(fields[2]), int(fields[21])
        groups[pgrp] = groups.get(pgrp, 0.0) + rss * PAGE / 1e6
    return groups


def kill_group(proc: Proc, sig: int = signal.SIGKILL) -> None:
    """Signal the command's own process group (its pid is the group's id)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.popen.pid, sig)


def watch(procs: list[Proc], hook: Callable[[], None] | None = None) -> None:
    """Wait for the commands; kill one past its timeout or memory cap; call hook meanwhile."""
    while any(p.ended is None for p in procs):
        groups = group_rss_mb()
        for p in procs:
            if p.ended is None:
                police(p, groups.get(p.popen.pid, 0.0))
        if hook is not None:
            hook()
        time.sleep(POLL)


def police(p: Proc, rss_mb: float) -> None:
    """One look at a running command: reap it if it ended, kill it if it went too far."""
    p.peak_mb = max(p.peak_mb, rss_mb)
    # wait4 rather than Popen.poll: it also gives the child's own peak memory.
    pid, status, usage = os.wait4(p.popen.pid, os.WNOHANG)
    if pid:
        p.ended = time.monotonic()
        p.code = os.waitstatus_to_exitcode(status)
        p.popen.returncode = p.code
        # ru_maxrss (kB on Linux) catches a peak between two polls.
        p.peak_mb = max(p.peak_mb, usage.ru_maxrss / 1e3)
        kill_group(p)  # children it left behind
        return
    if not p.stopped and p.seconds > p.timeout:
        p.stopped = f"killed after {p.timeout:g} s"
    elif not p.stopped and p.peak_mb > p.kill_mb:
        p.stopped = f"killed at {p.peak_mb:,.0f} MB"
    if p.stopped:
        kill_group(p)


@singledispatch
def execute(run: object, box: Box, outcome: Outcome) -> None:
    """Run one item of a case's run list, adding its commands to the outcome."""
    raise BuildError(f"no way to run {run!r}")


@execute.register
def _(run: hc.Cmd, box: Box, outcome: Outcome) -> None:
    proc = start(run, box)
    outcome.procs.append(proc)
    watch([proc])


@execute.register
def _(run: hc.Together, box: Box, outcome: Outcome) -> None:
    procs: list[Proc] = []
    for k, cmd in enumerate(run.cmds):
        if k:
            time.sleep(run.stagger)
        procs.append(start(cmd, box))
    outcome.procs += procs
    watch(procs)


@execute.register
def _(run: hc.Interrupt, box: Box, outcome: Outcome) -> None:
    proc = start(run.cmd, box)
    outcome.procs.append(proc)
    sig = getattr(signal, f"SIG{run.signal}")
    state = {"seen": 0.0, "sent": False}

    def hook() -> None:
        if state["sent"]:
            return
        if not state["seen"] and started(run, box, proc):
            state["seen"] = time.monotonic()
        if state["seen"] and time.monotonic() - state["seen"] >= run.delay:
            # To the command itself, as timeout(1) and a service manager's first TERM do.
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.popen.pid, sig)
            state["sent"] = True

    watch([proc], hook)


def started(run: hc.Interrupt, box: Box, proc: Proc) -> bool:
    """Whether what the signal waits for has happened: its path appeared, or its text."""
    if run.appears:
        return bool(glob.glob(box.fill(run.appears), include_hidden=True))
    return run.after.encode() in proc.out.read_bytes()


@execute.register
def _(run: hc.Serve, box: Box, outcome: Outcome) -> None:
    args = ("serve", "--store", run.store, "--host", "127.0.0.1", "--port", "{port}")
    proc = start(hc.Cmd(args, timeout=120), box)
    outcome.procs.append(proc)
    try:
        up = wait_listening(box.port, proc)
        for item in run.script:
            if isinstance(item, hc.Request):
                got = [request(box, item) if up else 0 for _ in range(item.repeat)]
                outcome.http.append(
                    (f"{item.method} {item.path}", item.status, got, item.any_of_them)
                )
            else:
                build(item, box)
    finally:
        kill_group(proc, signal.SIGTERM)
        proc.timeout = proc.seconds + 5  # then SIGKILL
        watch([proc])
        proc.stopped = ""  # stopping the server is the plan, not a failure


def wait_listening(port: int, proc: Proc, timeout: float = 30.0) -> bool:
    """Whether the server listens on the port before it exits or the timeout passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        police(proc, 0.0)
        if proc.ended is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def request(box: Box, req: hc.Request) -> int:
    """One HTTP request to the case's server: its status, or 0 without an answer."""
    conn = http.client.HTTPConnection("127.0.0.1", box.port, timeout=5)
    try:
        conn.request(req.method, box.fill(req.path))
        response = conn.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return 0
    finally:
        conn.close()


# ---- checks


def snapshot(path: Path) -> dict[str, str]:
    """Every file, folder and link under path (or the file itself) with a digest of its bytes."""
    if not path.exists() and not path.is_symlink():
        return {}
    found: dict[str, str] = {}
    entries = [path] if not path.is_dir() or path.is_symlink() else [path, *path.rglob("*")]
    for p in entries:
        key = str(p.relative_to(path.parent))
        if p.is_symlink():
            found[key] = "link:" + os.readlink(p)
        elif p.is_dir():
            found[key] = "dir"
        else:
            found[key] = hashlib.sha256(p.read_bytes()).hexdigest()
    return found


@singledispatch
def prepare(check: object, box: Box) -> None:
    """Note what a check compares against, before the commands run (most need nothing)."""


@prepare.register(hc.Unchanged)
@prepare.register(hc.Changed)
def _(check: hc.Unchanged | hc.Changed, box: Box) -> None:
    box.before[check.path] = snapshot(box.path(check.path))


@prepare.register
def _(check: hc.Inside, box: Box) -> None:
    box.before[check.within] = snapshot(box.path(check.within))


@singledispatch
def verify(check: object, outcome: Outcome, box: Box) -> str | None:
    """None if the check holds, else why not (one function per kind of check)."""
    raise BuildError(f"no way to check {check!r}")


@verify.register
def _(check: hc.Exit, outcome: Outcome, box: Box) -> str | None:
    procs = outcome.procs if check.step is None else outcome.procs[check.step : check.step + 1]
    if not procs:
        return f"no command {check.step}"
    for p in procs:
        if p.stopped:
            return f"{p.args[0]} {p.stopped}"
        if p.code not in check.codes:
            return f"{p.args[0]} exit {p.code}"
    return None


@verify.register
def _(check: hc.Says, outcome: Outcome, box: Box) -> str | None:
    text = outcome.text.lower()
    missing = [t for t in check.texts if box.fill(t).lower() not in text]
    return f"does not say {', '.join(map(repr, missing))}" if missing else None


@verify.register
def _(check: hc.ReadOrRefused, outcome: Outcome, box: Box) -> str | None:
    codes = outcome.codes
    if codes == [0]:
        return None
    if codes != [2]:
        return f"exit {'/'.join(map(str, codes))}"
    return verify(hc.Says(check.texts), outcome, box)


@verify.register
def _(check: hc.Never, outcome: Outcome, box: Box) -> str | None:
    text = outcome.text.lower()
    said = [t for t in check.texts if t.lower() in text]
    return f"says {', '.join(map(repr, said))}" if said else None


CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x9f\udc80-\udc9f]")


@verify.register
def _(check: hc.NoControl, outcome: Outcome, box: Box) -> str | None:
    if not check.path:
        found = CONTROL.search(outcome.text)
        return f"U+{ord(found.group()):04X} on the terminal" if found else None
    top = box.path(check.path)
    for p in sorted(top.rglob("*")) if top.is_dir() else [top]:
        if p.is_file():
            hit = CONTROL.search(p.read_bytes().decode("utf-8", "surrogateescape"))
            if hit:
                return f"U+{ord(hit.group()):04X} in {p.relative_to(box.root)}"
    return None


@verify.register
def _(check: hc.Unchanged, outcome: Outcome, box: Box) -> str | None:
    diff = differ(box.before[check.path], snapshot(box.path(check.path)))
    return f"{check.path} changed ({diff})" if diff else None


@verify.register
def _(check: hc.Changed, outcome: Outcome, box: Box) -> str | None:
    unchanged = not differ(box.before[check.path], snapshot(box.path(check.path)))
    return f"{check.path} was not replaced" if unchanged else None


def differ(before: dict[str, str], after: dict[str, str]) -> str:
    """The first difference between two snapshots, in words ("" if none)."""
    for key in sorted(before.keys() | after.keys()):
        if key not in after:
            return f"{key} gone"
        if key not in before:
            return f"{key} added"
        if before[key] != after[key]:
            return f"{key} differs"
    return ""


def matches(box: Box, pattern: str) -> list[Path]:
    return [
        Path(p) for p in glob.glob(str(box.path(pattern)), recursive=True, include_hidden=True)
    ]


@verify.register
def _(check: hc.Absent, outcome: Outcome, box: Box) -> str | None:
    found = matches(box, check.path)
    return f"{found[0].relative_to(box.root)} exists" if found else None


@verify.register
def _(check: hc.Present, outcome: Outcome, box: Box) -> str | None:
    return None if matches(box, check.path) else f"no {check.path}"


@verify.register
def _(check: hc.Inside, outcome: Outcome, box: Box) -> str | None:
    within = box.path(check.within)
    folder = box.path(check.folder)
    after = snapshot(within)
    before = box.before[check.within]
    for key in sorted(after):
        p = within.parent / key
        if after[key] != before.get(key) and not p.is_relative_to(folder):
            return f"wrote {p.relative_to(box.root)} outside {check.folder}"
    return None


@verify.register
def _(check: hc.Bounded, outcome: Outcome, box: Box) -> str | None:
    peak = max((p.peak_mb for p in outcome.procs), default=0.0)
    seconds = max((p.seconds for p in outcome.procs), default=0.0)
    if check.mb is not None and peak > check.mb:
        return f"peak {peak:,.0f} MB"
    if check.seconds is not None and seconds > check.seconds:
        return f"took {seconds:.1f} s"
    return None


@verify.register
def _(check: hc.Valid, outcome: Outcome, box: Box) -> str | None:
    folder = box.path(check.out)
    done = subprocess.run(
        [altsched(), "check", str(box.branch), str(folder)], capture_output=True, text=True,
        timeout=120, cwd=box.root, env=command_env(),
    )  # fmt: skip
    if done.returncode == 0:
        return None
    last = (done.stdout.strip() + "\n" + done.stderr.strip()).strip().splitlines()[-1:]
    return f"check of {check.out} exit {done.returncode}: {' '.join(last)[:120]}"


def files(box: Box, pattern: str) -> list[Path]:
    return sorted(p for p in matches(box, pattern) if p.is_file())


@verify.register
def _(check: hc.Holds, outcome: Outcome, box: Box) -> str | None:
    found = files(box, check.glob)
    if any(check.text in p.read_bytes().decode("utf-8", "replace") for p in found):
        return None
    return f"no {check.glob} holds {check.text!r}" if found else f"no {check.glob}"


@verify.register
def _(check: hc.Lacks, outcome: Outcome, box: Box) -> str | None:
    for p in files(box, check.glob):
        if check.text in p.read_bytes().decode("utf-8", "replace"):
            return f"{p.relative_to(box.root)} holds {check.text!r}"
    return None


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


@verify.register
def _(check: hc.NoFormula, outcome: Outcome, box: Box) -> str | None:
    found = files(box, check.glob)
    if not found:
        return f"no {check.glob}"
    for p in found:
        why = workbook_formula(p) if p.suffix == ".xlsx" else csv_formula(p)
        if why:
            return f"{p.relative_to(box.root)} {why}"
    return None


def workbook_formula(p: Path) -> str:
    """Where the workbook holds a formula cell ("" if nowhere)."""
    from openpyxl import load_workbook

    for ws in load_workbook(p).worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    return f"sheet {ws.title} {c.coordinate}: {str(c.value)[:40]!r}"
    return ""


def csv_formula(p: Path) -> str:
    """Where the CSV file holds a cell a spreadsheet runs as a formula ("" if nowhere)."""
    for n, row in enumerate(read_rows(p), start=1):
        for cell in row:
            if cell.startswith(FORMULA_START) and not is_number(cell):
                return f"row {n}: {cell[:40]!r}"
    return ""


@verify.register
def _(check: hc.CsvShape, outcome: Outcome, box: Box) -> str | None:
    for p in files(box, check.glob):
        widths = {len(row) for row in read_rows(p) if row}
        if len(widths) > 1:
            return f"{p.relative_to(box.root)} rows of {sorted(widths)} cells"
    return None


@verify.register
def _(check: hc.Events, outcome: Outcome, box: Box) -> str | None:
    from icalendar import Calendar

    found = files(box, check.glob)
    if not found:
        return f"no {check.glob}"
    texts: list[str] = []
    for p in found:
        try:
            cal = Calendar.from_ical(p.read_bytes())
        except ValueError as e:
            return f"{p.name} does not parse: {e}"
        texts.append(str(cal.get("X-WR-CALNAME", "")))
        for event in cal.walk("VEVENT"):
            if str(event.get("SUMMARY", "")) == check.forbidden:
                return f"{p.name} holds an injected event"
            texts += [str(event.get("LOCATION", "")), str(event.get("SUMMARY", ""))]
    lost = [n for n in check.names if not any(n in t for t in texts)]
    return f"names not parsed back whole: {lost}" if lost else None


@verify.register
def _(check: hc.Xml, outcome: Outcome, box: Box) -> str | None:
    import xml.etree.ElementTree as ET

    try:
        ET.parse(box.path(check.path))
    except (OSError, ET.ParseError) as e:
        return f"{check.path}: {e}"
    return None


@verify.register
def _(check: hc.Rows, outcome: Outcome, box: Box) -> str | None:
    paths = [box.path(p) for p in check.paths]
    n = sum(max(0, len(read_rows(p)) - 1) for p in paths if p.is_file())
    return None if n >= check.at_least else f"{n} rows"


@verify.register
def _(check: hc.Http, outcome: Outcome, box: Box) -> str | None:
    for label, allowed, got, any_of_them in outcome.http:
        ok = [g in allowed for g in got]
        if not (any(ok) if any_of_them else all(ok)):
            shown = sorted(set(got)) if any_of_them else got[ok.index(False)]
            return f"{label}: {shown}" + (" (no server)" if 0 in got else "")
    return None


# ---- one case, start to end -----------------------------------------------------------------


@dataclass
class Verdict:
    """A case's result as the table shows it."""

    case: Case
    result: str  # PASS, FAIL or SKIP
    got: str
    seconds: float


def replay(case: Case, prereqs: Prereqs, folder: Path) -> Verdict:
    """Build, run and judge one case in its own folder under ``folder``."""
    t0 = time.monotonic()
    if case.skip_as_root and os.geteuid() == 0:
        return Verdict(case, "SKIP", f"as root: {case.skip_as_root}", 0.0)
    base = folder / case.id
    box = Box(base / "root", base / "logs", prereqs, base / "root" / "branch", free_port())
    box.logs.mkdir(parents=True)
    shutil.copytree(DEMO, box.branch)
    outcome = Outcome()
    try:
        for step in case.build:
            build(step, box)
        for check in case.expect:
            prepare(check, box)
        for run in case.run:
            execute(run, box, outcome)
        failures = [why for check in case.expect if (why := verify(check, outcome, box))]
    except BuildError as e:
        return Verdict(case, "FAIL", f"harness: {e}", time.monotonic() - t0)
    finally:
        for s in box.sockets:
            s.close()
        for t in box.threads:
            t.join()
    if "traceback (most recent call last)" in outcome.text.lower():
        failures.append("a traceback: " + last_error_line(outcome.text))
    got = "; ".join(failures) if failures else summary(outcome)
    return Verdict(case, "FAIL" if failures else "PASS", got, time.monotonic() - t0)


def summary(outcome: Outcome) -> str:
    """What a passing case did, briefly: exit statuses, wall time, peak memory."""
    if not outcome.procs:
        return "ok"
    codes = "/".join(str(c) for c in outcome.codes)
    seconds = max(p.seconds for p in outcome.procs)
    peak = max(p.peak_mb for p in outcome.procs)
    http_part = f", {sum(len(h[2]) for h in outcome.http)} requests" if outcome.http else ""
    return f"exit {codes}, {seconds:.1f} s, {peak:,.0f} MB{http_part}"


def last_error_line(text: str) -> str:
    """The exception line that ends a traceback (``_csv.Error: field larger than ...``)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    after = [ln for ln in lines if re.match(r"^[\w.]+(Error|Exception|Interrupt)\b", ln)]
    return (after or lines or ["?"])[-1][:140]


# ---- the table


def expected(case: Case) -> str:
    return "; ".join(str(c) for c in case.expect)


def clip(text: str, width: int) -> str:
    text = CONTROL.sub("?", text.replace("\n", " "))
    return text if len(text) <= width else text[: width - 1] + "…"


_print_lock = threading.Lock()


def print_row(v: Verdict) -> None:
    """One line of the terminal table (whole: cases finish in two threads)."""
    line = (
        f"{v.result:4}  {v.case.id:34} {v.case.cls:9} {clip(expected(v.case), 58):58} "
        f"{clip(v.got, 70)}\n"
    )
    with _print_lock:
        sys.stdout.write(line)
        sys.stdout.flush()


def markdown(verdicts: list[Verdict], header: list[str], hide: list[str]) -> str:
    """The Markdown page of the replay: how to run it, the counts, one row per case."""

    def cell(text: str) -> str:
        for secret in hide:
            text = text.replace(secret, "<tmp>")
        return CONTROL.sub("?", text).replace("|", "\\|").replace("\n", " ")

    lines = [
        *header,
        "",
        "| case | class | what | expected | got | s | result |",
        "|---|---|---|---|---|---:|---|",
    ]
    lines += [
        f"| `{v.case.id}` | {v.case.cls} | {cell(v.case.what)} | {cell(expected(v.case))} | "
        f"{cell(v.got)} | {v.seconds:.1f} | {'**FAIL**' if v.result == 'FAIL' else v.result} |"
        for v in verdicts
    ]
    return "\n".join(lines) + "\n"


def counts(verdicts: list[Verdict]) -> str:
    n = {r: sum(v.result == r for v in verdicts) for r in ("PASS", "FAIL", "SKIP")}
    return f"{len(verdicts)} cases: {n['PASS']} pass, {n['FAIL']} fail, {n['SKIP']} skipped"


def page_header(
    verdicts: list[Verdict], chosen: str, seconds: float, notes: list[str], loads: str
) -> list[str]:
    by_class = [
        f"{cls} {sum(v.result == 'PASS' for v in verdicts if v.case.cls == cls)}"
        f"/{sum(v.result != 'SKIP' for v in verdicts if v.case.cls == cls)}"
        for cls in CLASSES
        if any(v.case.cls == cls for v in verdicts)
    ]
    return [
        "# Hostile cases (issue 29): replay",
        "",
        "Generated by `bench/hostile.py` from the table in `bench/hostile_cases.py`; do not edit "
        "by hand. What it covers and why: `docs/hostile.md`. Replay it from the repository root:",
        "",
        "    .venv/bin/python bench/hostile.py                 # every case",
        "    .venv/bin/python bench/hostile.py --only csv      # one class",
        "    .venv/bin/python bench/hostile.py --case csv-tab  # one case",
        "",
        f"Run {datetime.now():%Y-%m-%d %H:%M} on {platform.machine()}, {os.cpu_count()} cores, "
        f"commit {git_head()}; {chosen}; {seconds:.0f} s, load average {loads}. "
        f"**{counts(verdicts)}** "
        f"(passing/run by class: {', '.join(by_class)}).",
        "",
        "Every case also requires no Python traceback on stdout or stderr. `got` is what "
        "failed, or for a pass the exit status(es), the longest command's wall time and its "
        "peak memory; `s` is the whole case's wall time (building, commands, checks).",
        *(["", *(f"Note: {n}." for n in notes)] if notes else []),
    ]


def exclusive(case: Case) -> bool:
    """Whether a case runs alone: it measures time or memory, or times a signal or a race."""
    timed = any(isinstance(c, hc.Bounded) for c in case.expect)
    return timed or any(not isinstance(r, hc.Cmd) for r in case.run)


def run_all(cases: list[Case], prereqs: Prereqs, folder: Path, jobs: int) -> list[Verdict]:
    """Replay the cases, ``jobs`` at a time and then the exclusive ones alone; in table order.

    Most cases wait on an interpreter starting up; two at a time halve the replay on two
    cores. Cases whose checks read a clock or race two processes get the machine to
    themselves, as far as this replay goes.
    """
    done: dict[str, Verdict] = {}

    def one(case: Case) -> None:
        done[case.id] = verdict = replay(case, prereqs, folder)
        print_row(verdict)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(one, [c for c in cases if not exclusive(c)]))
    for case in cases:
        if exclusive(case):
            one(case)
    return [done[c.id] for c in cases]


def git_head() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, cwd=ROOT,
        ).stdout.strip()  # fmt: skip
    except OSError:
        return "unknown"
    return f"{head}{' with uncommitted changes' if dirty else ''}"


def select(args: argparse.Namespace) -> tuple[list[Case], str]:
    """The cases asked for, and how the choice reads in the page's header."""
    cases = [c for c in CASES if args.slow or not c.slow]
    chosen = "all classes" + ("" if args.slow else " (without the --slow cases)")
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - set(CLASSES)
        if unknown:
            raise SystemExit(f"unknown class {sorted(unknown)}; classes: {', '.join(CLASSES)}")
        cases = [c for c in cases if c.cls in wanted]
        chosen = f"--only {args.only}"
    if args.case:
        cases = [c for c in CASES if c.id in args.case]
        chosen = f"--case {' '.join(args.case)}"
        if len(cases) != len(set(args.case)):
            raise SystemExit(f"unknown case in {args.case}")
    return cases, chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="comma-separated classes: " + ", ".join(CLASSES))
    parser.add_argument("--case", nargs="+", help="case ids to replay")
    parser.add_argument("--slow", action="store_true", help="also the minutes-long cases")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders")
    parser.add_argument("--out", type=Path, default=RESULTS, help="the Markdown table")
    parser.add_argument(
        "--jobs", type=int, default=2, help="cases at a time (timed and racing ones run alone)"
    )
    args = parser.parse_args(argv)
    cases, chosen = select(args)

    folder = Path(tempfile.mkdtemp(prefix="hostile-"))
    prereqs = Prereqs(folder / "_prereqs")
    prereqs.folder.mkdir()
    t0, load0 = time.monotonic(), os.getloadavg()[0]
    print(f"{'':4}  {'case':34} {'class':9} {'expected':58} got", flush=True)
    try:
        verdicts = run_all(cases, prereqs, folder, max(1, args.jobs))
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    seconds = time.monotonic() - t0
    # Other work on the machine slows every case: the time caps are read against it.
    loads = f"{load0:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    header = page_header(verdicts, f"{chosen}, --jobs {args.jobs}", seconds, prereqs.notes, loads)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(markdown(verdicts, header, [str(folder), str(ROOT)]), encoding="utf-8")
    failed = [v for v in verdicts if v.result == "FAIL"]
    print(f"\n{counts(verdicts)} in {seconds:.0f} s; table in {display(args.out)}")
    for v in failed:
        print(f"  FAIL {v.case.id}: {clip(v.got, 150)}")
    return 1 if failed else 0


def display(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.resolve().relative_to(ROOT))
    return str(path)


if __name__ == "__main__":
    sys.exit(main())
