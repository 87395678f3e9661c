"""What the user waits for: the wall time of the whole ``altsched solve`` command against its
``--time-limit``, from the process's start to its exit (imports, reading the branch,
preparation, search, writing every output and the calendar feeds).

For each case SIZE:LIMIT[:SHORTAGE] and seed: ``generate(SIZE, seed, shortage=SHORTAGE)`` (a
short-handed branch, whose unmet lessons get reasons and a coverage bound in words) is
written to a temporary folder (with its term, so feeds are written), ``altsched solve
BRANCH --out DIR --time-limit LIMIT --workers W`` runs as a child process, and its wall time,
its own stage split (the "Took ... s of the ... s limit: start ..., prepare ..." line it
prints), the objective and lessons of ``report.json``, the unmet.csv rows whose reason the
limit left "not examined" and the validator's verdict on ``assignments.csv`` are recorded. Writes
bench/results/wall_time.csv (one row per run) and bench/results/wall_time.md (medians per
case, then every run).

    .venv/bin/python bench/wall_time.py     # 120 ALTs at 10 s, 250 at 30 s; generous, 5 % short
    .venv/bin/python bench/wall_time.py --cases 60:10 250:60 --seeds 1 2 3 4 5

The load average (1 minute) before each run is recorded: on a shared machine other work
slows every stage, so quote medians and say so.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scheduler.generate import generate
from scheduler.io.read import load_instance
from scheduler.io.tables import write_instance
from scheduler.validate import check, read_assignments

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
STAGES = ("start", "prepare", "plan", "search", "result", "write")
# The command's last line: "Took 31.2 s of the 30 s limit (5.8 s kept after the search): start
# 1.9 s, prepare 2.4 s, ...".
TOOK = re.compile(
    r"Took ([\d.]+) s of the ([\d.]+) s limit(?: \(([\d.]+) s kept[^)]*\))?: "
    r"((?:\w+ [\d.]+ s,? ?)*)"
)
STAGE = re.compile(r"(\w+) ([\d.]+) s")


def altsched() -> list[str]:
    """The command line of this environment's ``altsched``."""
    script = Path(sys.executable).parent / "altsched"
    return [str(script)] if script.exists() else [sys.executable, "-m", "scheduler.cli"]


def run(
    size: int, seed: int, limit: float, workers: int, scratch: Path, shortage: float = 0.0
) -> dict[str, object]:
    """One ``altsched solve`` of ``generate(size, seed, shortage=shortage)``, timed from
    outside."""
    branch = scratch / f"g{size}-{seed}-{shortage:g}"
    if not branch.exists():
        branch.mkdir()
        write_instance(generate(size, seed, shortage=shortage), branch)
    out = scratch / f"out-{size}-{seed}-{limit:g}-{shortage:g}-{time.monotonic_ns()}"
    command = [*altsched(), "solve", str(branch), "--out", str(out)]
    command += ["--time-limit", f"{limit:g}", "--workers", str(workers)]
    load = os.getloadavg()[0]
    t0 = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.monotonic() - t0
    row: dict[str, object] = {
        "size": size, "shortage": shortage, "seed": seed, "limit": limit, "workers": workers,
        "wall": round(wall, 2), "overrun": round(wall - limit, 2), "exit": done.returncode,
        "load": round(load, 2),
    }  # fmt: skip
    took = TOOK.search(done.stdout.replace("\n", " "))
    if took is not None:
        row["took"] = float(took.group(1))
        row["kept"] = float(took.group(3) or 0.0)
        row.update({k: float(v) for k, v in STAGE.findall(took.group(4))})
    report = out / "report.json"
    if report.exists():
        data = json.loads(report.read_text(encoding="utf-8"))
        row["objective"] = data["objective"]
        row["lessons"] = data["instance"]["lessons_assigned"]
        row["need"] = data["instance"]["lessons_needed"]
        inst, _ = load_instance(branch)
        row["valid"] = not check(inst, read_assignments(out / "assignments.csv"))
        row["feeds"] = len(list((out / "ical").glob("*.ics")))
        # Unmet classes whose reason the time limit left unexamined (docs/outputs.md).
        reasons = (out / "unmet.csv").read_text(encoding="utf-8").splitlines()[1:]
        row["unmet_rows"] = len(reasons)
        row["not_examined"] = sum("not examined" in line for line in reasons)
    else:
        row["error"] = (done.stderr or done.stdout).strip().splitlines()[-1:]
    return row


def _median(rows: list[dict[str, object]], key: str) -> float | None:
    values = [float(v) for r in rows if isinstance(v := r.get(key), int | float)]
    return statistics.median(values) if values else None


def _fmt(value: object, digits: int = 1) -> str:
    return f"{value:,.{digits}f}" if isinstance(value, int | float) else "n/a"


def table(rows: list[dict[str, object]], note: str) -> str:
    """Medians per case, then every run."""
    cases = sorted(
        {(int(str(r["size"])), float(str(r["limit"])), float(str(r["shortage"]))) for r in rows}
    )
    lines = [
        "# Wall time of `altsched solve` against `--time-limit`",
        "",
        f"Written by `bench/wall_time.py` on {dt.date.today()}, {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}. {note}".rstrip(),
        "",
        "Wall: from starting the child process to its exit. Stages: the command's own split "
        "(start = imports and reading the branch; prepare = candidate visits and the greedy "
        "start; plan = the large path's bounds, flow plan and planned start; search; result = "
        "filling, checking and scoring; write = every output and the feeds; leaving the "
        "process is the rest of the wall time); kept = the reserve the search left for what "
        "follows it; not examined = unmet.csv rows whose reason the limit left unexamined, of "
        "all its rows. Medians over the seeds; load = the 1-minute load average before each "
        "run.",
        "",
        "| ALTs | short | limit s | runs | wall s | overrun s | max wall s | kept s | "
        + " | ".join(STAGES)
        + " | objective | lessons | not examined | valid | load |",
        "|" + "---|" * (13 + len(STAGES)),
    ]
    for size, limit, shortage in cases:
        mine = [
            r
            for r in rows
            if r["size"] == size and r["limit"] == limit and r["shortage"] == shortage
        ]
        walls = [float(str(r["wall"])) for r in mine]
        lessons = _median(mine, "lessons")
        need = _median(mine, "need")
        lines.append(
            f"| {size} | {shortage:.0%} | {limit:g} | {len(mine)} | "
            f"{_fmt(_median(mine, 'wall'))} | "
            f"{_fmt(_median(mine, 'overrun'))} | {max(walls):.1f} | "
            f"{_fmt(_median(mine, 'kept'))} | "
            + " | ".join(_fmt(_median(mine, s)) for s in STAGES)
            + f" | {_fmt(_median(mine, 'objective'), 0)} | {_fmt(lessons, 0)}/{_fmt(need, 0)} | "
            f"{_fmt(_median(mine, 'not_examined'), 0)}/{_fmt(_median(mine, 'unmet_rows'), 0)} | "
            f"{sum(r.get('valid') is True for r in mine)}/{len(mine)} | "
            f"{_fmt(_median(mine, 'load'))} |"
        )
    lines += ["", "Every run:", "",
              "| ALTs | short | seed | limit s | wall s | exit | took s | kept s | "
              + " | ".join(STAGES) + " | objective | lessons | load |",
              "|" + "---|" * (11 + len(STAGES))]  # fmt: skip
    for r in rows:
        lines.append(
            f"| {r['size']} | {float(str(r['shortage'])):.0%} | {r['seed']} | "
            f"{float(str(r['limit'])):g} | {r['wall']} | "
            f"{r['exit']} | {_fmt(r.get('took'))} | {_fmt(r.get('kept'))} | "
            + " | ".join(_fmt(r.get(s)) for s in STAGES)
            + f" | {_fmt(r.get('objective'), 0)} | {r.get('lessons', 'n/a')} | {r['load']} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run every case and seed, write the CSV and the Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--cases",
        nargs="+",
        default=["120:10", "250:30", "120:10:0.05", "250:30:0.05"],
        metavar="ALTS:LIMIT[:SHORTAGE]",
    )
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--note", default="", help="Said under the title, e.g. the machine.")
    parser.add_argument("--out", type=Path, default=RESULTS / "wall_time")
    args = parser.parse_args()
    cases = [
        (int(parts[0]), float(parts[1]), float(parts[2]) if len(parts) > 2 else 0.0)
        for parts in (c.split(":") for c in args.cases)
    ]
    rows = []
    with tempfile.TemporaryDirectory(prefix="wall-time-") as tmp:
        for size, limit, shortage in cases:
            for seed in args.seeds:
                row = run(size, seed, limit, args.workers, Path(tmp), shortage)
                print(row, flush=True)
                rows.append(row)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    keys = list(dict.fromkeys(k for r in rows for k in r))
    with args.out.with_suffix(".csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, keys)
        writer.writeheader()
        writer.writerows(rows)
    args.out.with_suffix(".md").write_text(table(rows, args.note), encoding="utf-8")
    print(f"wrote {args.out.with_suffix('.md')} and .csv")


if __name__ == "__main__":
    main()
