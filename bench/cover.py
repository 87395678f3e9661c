"""How long ``altsched cover`` takes, as the user waits for it: the wall time of the whole
command, from the process's start to its exit (imports, reading the branch and the timetable,
the term calendar of the weeks concerned, the store, the plan, the table on screen).

For each size: ``generate(SIZE, 1)`` is written to a temporary folder, solved once with the
greedy method (the timetable only needs to be a real one), published to a store, and then
``altsched cover BRANCH DIR --absent ALT --date DATE --store STORE`` runs as a child process
for a few ALTs and dates (one date each), and once for a three-day range. Writes
bench/results/cover.md: medians and maxima per size, then every run.

    .venv/bin/python bench/cover.py                   # 120 and 250 ALTs
    .venv/bin/python bench/cover.py --sizes 120 --alts 3 --dates 2

The load average (1 minute) before each run is recorded: on a shared machine other work
slows every run, so quote medians and say so.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jpholiday

from scheduler.generate import generate
from scheduler.io.tables import write_instance

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
# The targets for one date, wall time from the process's start.
TARGETS = {120: 2.0, 250: 4.0}


def altsched() -> list[str]:
    """The command line of this environment's ``altsched`` (this checkout's package)."""
    return [sys.executable, "-m", "scheduler.cli"]


def prepare(size: int, scratch: Path) -> tuple[Path, Path, Path, list[str], list[dt.date]]:
    """Branch, solved folder and store of ``generate(size, 1)``; ALT ids; teaching dates."""
    inst = generate(size, 1)
    branch, out, store = scratch / f"g{size}", scratch / f"out{size}", scratch / f"s{size}.sqlite"
    write_instance(inst, branch)
    for command in (
        ["solve", str(branch), "--out", str(out), "--method", "greedy", "--time-limit", "60"],
        ["publish", str(out), "--store", str(store)],
    ):
        subprocess.run([*altsched(), *command], capture_output=True, check=True)
    assert inst.settings.term_start is not None
    start = inst.settings.term_start
    days = [start + dt.timedelta(days=n) for n in range(7, 60)]
    dates = [d for d in days if d.weekday() < 5 and not jpholiday.is_holiday(d)]
    return branch, out, store, [a.alt_id for a in inst.alts], dates


def run(
    size: int, paths: tuple[Path, Path, Path], alt_id: str, first: dt.date, days: int
) -> dict[str, object]:
    """One ``altsched cover``, timed from outside."""
    branch, out, store = paths
    last = first + dt.timedelta(days=days - 1)
    command = [*altsched(), "cover", str(branch), str(out), "--absent", alt_id, "--date",
               first.isoformat(), "--to", last.isoformat(), "--store", str(store)]  # fmt: skip
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, check=False,
                          env={**os.environ, "COLUMNS": "200"})  # fmt: skip
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    said = done.stdout if done.returncode == 0 else done.stderr
    tail = said.strip().splitlines()[-1:] or [""]
    return {
        "size": size, "alt": alt_id, "date": first.isoformat(), "days": days,
        "wall": round(wall, 2), "cpu": round(cpu, 2), "exit": done.returncode,
        "load": round(load, 2),
        "summary": tail[0],
    }  # fmt: skip


def table(rows: list[dict[str, object]]) -> str:
    """Medians per size and range, then every run."""
    lines = [
        "# Wall time of `altsched cover`",
        "",
        f"Written by `bench/cover.py` on {dt.date.today()}, {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}.",
        "",
        "Wall: from starting the child process to its exit, one absent ALT, against a store "
        "holding the published greedy timetable of `generate(SIZE, 1)`. CPU: the child's user "
        "+ system seconds (one process, one thread of Python: what the wall time is on an "
        "idle core). Load: the 1-minute load average before each run; on a shared machine "
        "with a load above its cores, wall time is CPU time stretched by the queue.",
        "",
        "| ALTs | days | runs | median wall s | max wall s | median CPU s | max CPU s | "
        "target s (one date) | median load |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for size in sorted({int(str(r["size"])) for r in rows}):
        for days in sorted({int(str(r["days"])) for r in rows if r["size"] == size}):
            mine = [r for r in rows if r["size"] == size and r["days"] == days]
            walls = [float(str(r["wall"])) for r in mine]
            cpus = [float(str(r["cpu"])) for r in mine]
            loads = [float(str(r["load"])) for r in mine]
            target = f"{TARGETS[size]:g}" if days == 1 and size in TARGETS else ""
            lines.append(
                f"| {size} | {days} | {len(mine)} | {statistics.median(walls):.2f} | "
                f"{max(walls):.2f} | {statistics.median(cpus):.2f} | {max(cpus):.2f} | "
                f"{target} | {statistics.median(loads):.2f} |"
            )
    head = "| ALTs | ALT | date | days | wall s | CPU s | exit | load | last line |"
    lines += ["", "## Every run", "", head, "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        summary = str(r["summary"]).replace("|", "/")
        lines.append(
            f"| {r['size']} | {r['alt']} | {r['date']} | {r['days']} | {r['wall']} | "
            f"{r['cpu']} | {r['exit']} | {r['load']} | {summary} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run the cases and write bench/results/cover.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[120, 250])
    parser.add_argument("--alts", type=int, default=3, help="absent ALTs per size")
    parser.add_argument("--dates", type=int, default=2, help="dates per absent ALT")
    args = parser.parse_args()
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="cover-bench-") as tmp:
        for size in args.sizes:
            branch, out, store, alts, dates = prepare(size, Path(tmp))
            paths = (branch, out, store)
            step = max(1, len(alts) // args.alts)
            for k, alt_id in enumerate(alts[::step][: args.alts]):
                for j in range(args.dates):
                    first = dates[(k * 7 + j * 11) % len(dates)]
                    rows.append(run(size, paths, alt_id, first, 1))
                    print(rows[-1], flush=True)
            monday = next(d for d in dates if d.weekday() == 0)  # three teaching days
            rows.append(run(size, paths, alts[0], monday, 3))
            print(rows[-1], flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "cover.md").write_text(table(rows), encoding="utf-8")
    print(f"Wrote {RESULTS / 'cover.md'}")


if __name__ == "__main__":
    main()
