"""FET side by side: the same fixed ALT-to-class choice placed into periods by FET and by us.

    python bench/fet.py --sizes 60 120 250 --seed 1

For each size: generate a branch, solve it with the default method (its choice of which ALT
teaches which class on which day), then time

- ours: :func:`scheduler.reference.periods.place_periods` on the same (ALT, class, day) choice
  (ALT, school, day -> lessons; it also picks the classes, FET is given them), and
- FET: ``fet-cl`` on ``altsched export-fet``'s file of the same choice (days pinned),

check both timetables with :func:`scheduler.validate.check`, and repeat on an
over-constrained variant (the busiest visit's school is blocked down to one period fewer
than that visit's lessons) to see who proves it infeasible. Installs FET with apt-get when
``fet-cl`` is missing. Writes ``bench/results/fet.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from scheduler.config import SolverParams
from scheduler.generate import generate
from scheduler.instance import Blocked, Instance
from scheduler.io.fet import fet_assignments, write_fet
from scheduler.model.data import prepare
from scheduler.model.placement import Counts
from scheduler.reference.periods import Choice, place_periods
from scheduler.result import lessons_frame
from scheduler.solve import solve
from scheduler.validate import check

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "fet.md"
# Only the activities' placement is needed back, but FET writes its activities XML only
# with its default tables and one HTML layout on; the other layouts are skipped.
FET_FLAGS = [
    "--htmllevel=0",
    "--writetimetablesxml=true",
    "--writetimetablesdayshorizontal=true",
    "--writetimetablesdaysvertical=false",
    "--writetimetablestimehorizontal=false",
    "--writetimetablestimevertical=false",
    "--warnsubgroupswiththesameactivities=false",
]


def ensure_fet() -> str | None:
    """Path of fet-cl, installing the Debian package ``fet`` when it is missing."""
    found = shutil.which("fet-cl")
    if found:
        return found
    if shutil.which("apt-get") is None:
        return None
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "fet"]):
        subprocess.run([*sudo, *cmd], capture_output=True, check=False)
    return shutil.which("fet-cl")


def fet_version(fet: str) -> str:
    """FET's version line."""
    out = subprocess.run([fet, "--version"], capture_output=True, text=True, check=False)
    return next((ln for ln in out.stdout.splitlines() if ln.startswith("FET")), "FET ?")


def run_fet(
    fet: str, inst: Instance, table: Any, folder: Path, limit: int, strict: bool = True
) -> dict[str, Any]:
    """Export, run fet-cl, read its placement back and check it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "branch.fet"
    write_fet(inst, table, path, strict=strict)
    out_dir = folder / "fet-out"
    t = time.monotonic()
    run = subprocess.run(
        [fet, f"--inputfile={path}", f"--outputdir={out_dir}", f"--timelimitseconds={limit}",
         *FET_FLAGS],
        capture_output=True,
        text=True,
        check=False,
        timeout=limit + 120,
    )  # fmt: skip
    seconds = time.monotonic() - t
    text = run.stdout + run.stderr
    placed = list(out_dir.rglob("*_activities.xml"))
    success = "Simulation successful" in text and bool(placed)
    violations = None
    if success:
        violations = len(check(inst, fet_assignments(inst, table, placed[0])))
    last = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return {
        "seconds": seconds,
        "success": success,
        "violations": violations,
        "exit": run.returncode,
        "message": last[-1][:120] if last else "",
        # Refused before its time limit without a timetable: FET reported it impossible.
        "proved": not success and seconds < limit - 1,
    }


def run_ours(inst: Instance, choice: list[Choice]) -> dict[str, Any]:
    """Time our period placement of the same fixed choice FET gets, and check the result."""
    prep = prepare(inst)
    t = time.monotonic()
    lessons, impossible, undecided = place_periods(prep, choice)
    seconds = time.monotonic() - t
    success = not impossible and not undecided
    return {
        "seconds": seconds,
        "success": success,
        "violations": len(check(inst, lessons_frame(lessons))) if success else None,
        "conflicts": len(impossible),
        # Only a component proven impossible is a proof; an undecided one is not.
        "proved": bool(impossible),
    }


def over_constrained(inst: Instance, counts: Counts) -> tuple[Instance, str]:
    """The branch with the busiest visit's school blocked down to one period fewer than
    that visit's lessons on its day: no placement can exist."""
    (a, s, d), k = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
    usable = sorted(
        {p.period for c in inst.classes_of[s] for p in inst.usable_periods(s, c.class_, d)}
    )
    keep = usable[: k - 1]
    rest = tuple(p for p in usable if p not in keep)
    extra = Blocked(school_id=s, day=d, periods=rest)
    variant = Instance(
        settings=inst.settings,
        schools=inst.schools,
        bells=inst.bells,
        classes=inst.classes,
        alts=inst.alts,
        blocked=(*inst.blocked, extra),
        travel=inst.travel,
    )
    return variant, f"{a} gives {k} lessons at {s} on {d}; periods {list(keep)} left open"


def one_size(fet: str, size: int, seed: int, args: argparse.Namespace) -> dict[str, Any]:
    """Solve, then compare FET and ours on the choice and on the over-constrained variant."""
    inst = generate(size, seed)
    params = SolverParams.default(time_limit=args.choice_time_limit, workers=args.workers)
    result = solve(inst, params=params)
    table = result.assignments
    assert check(inst, table) == [], "the default solve must give a valid timetable"
    counts: Counts = dict(Counter((ls.alt_id, ls.school_id, ls.day) for ls in result.lessons))
    choice: list[Choice] = [
        (ls.alt_id, (ls.school_id, ls.class_), ls.day) for ls in result.lessons
    ]
    row: dict[str, Any] = {"size": size, "seed": seed, "lessons": len(table)}
    with tempfile.TemporaryDirectory() as tmp:
        row["ours"] = run_ours(inst, choice)
        row["fet"] = run_fet(fet, inst, table, Path(tmp) / "same", args.fet_time_limit)
        variant, how = over_constrained(inst, counts)
        row["variant"] = how
        row["ours_bad"] = run_ours(variant, choice)
        row["fet_bad"] = run_fet(
            fet, variant, table, Path(tmp) / "bad", args.infeasible_time_limit, strict=False
        )
    return row


def markdown(rows: list[dict[str, Any]], version: str, command: str, label: str) -> str:
    """The results table of bench/results/fet.md."""
    lines = [
        "# FET against our period placement, on the same fixed choice",
        "",
        f"**{label}.** Run on {date.today()}: {platform.machine()}, {os.cpu_count()} cores, "
        f"{version}.",
        "",
        f"    {command}",
        "",
        "Same choice: the default solve's lessons (ALT, class, day), periods left open, for "
        "both FET and ours (`scheduler.reference.periods`). `ratio` = FET seconds / "
        "our seconds (above 1: we are faster). Over-constrained: the busiest visit's school "
        "is blocked down to one period fewer than its lessons; `proved` means the tool "
        "reported it impossible before its time limit.",
        "",
        "| ALTs | lessons | ours s | ours valid | FET s | FET valid | ratio "
        "| variant | ours proved (s) | FET proved (s) | FET says |",
        "|---:|---:|---:|---|---:|---|---:|---|---|---|---|",
    ]
    for r in rows:
        o, f, ob, fb = r["ours"], r["fet"], r["ours_bad"], r["fet_bad"]
        ratio = f["seconds"] / o["seconds"] if o["seconds"] > 0 else float("inf")
        lines.append(
            f"| {r['size']} | {r['lessons']} | {o['seconds']:.2f} | {_ok(o)} | "
            f"{f['seconds']:.2f} | {_ok(f)} | {ratio:.1f} | {r['variant']} | "
            f"{'yes' if ob['proved'] else 'no'} ({ob['seconds']:.2f}) | "
            f"{'yes' if fb['proved'] else 'no'} ({fb['seconds']:.1f}) | "
            f"{fb['message'].replace('|', '/')} |"
        )
    return "\n".join(lines) + "\n"


def _ok(r: dict[str, Any]) -> str:
    if not r["success"]:
        return "no timetable"
    return "yes" if r["violations"] == 0 else f"{r['violations']} violations"


def main() -> None:
    """Command line."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    ap.add_argument("--sizes", type=int, nargs="+", default=[60, 120, 250])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--choice-time-limit", type=float, default=60.0)
    ap.add_argument("--fet-time-limit", type=int, default=300)
    ap.add_argument("--infeasible-time-limit", type=int, default=60)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--label", default="Full run")
    args = ap.parse_args()
    fet = ensure_fet()
    if fet is None:
        sys.exit("fet-cl is not installed and apt-get could not install the package fet")
    rows = []
    for size in args.sizes:
        print(f"{size} ALTs ...", flush=True)
        row = one_size(fet, size, args.seed, args)
        print(f"  ours {row['ours']}\n  fet {row['fet']}\n  variant {row['variant']}\n"
              f"  ours {row['ours_bad']}\n  fet {row['fet_bad']}", flush=True)  # fmt: skip
        rows.append(row)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        command = "python bench/fet.py " + shlex.join(sys.argv[1:])
        args.out.write_text(markdown(rows, fet_version(fet), command, args.label), "utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
