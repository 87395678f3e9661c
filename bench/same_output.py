"""Whether a change kept the timetables: a digest of each branch's assignments table.

    python bench/same_output.py [--time-limit 20] [--sizes 30 120] [--seed 1] [--wall]
        [--work-per-second 0.4]

Solves the tiny branches and the demo (``instances/``) and generated branches
(``generate(size, seed)``) with one CP-SAT worker and solver seed 0, in deterministic mode
where the code has it (``SolverParams.deterministic``; ``--wall`` leaves it off), and
prints one line per branch: the status, objective and
bound, and the SHA-256 of the assignments table (the rows of ``assignments.csv``). Run it
on two commits and compare the lines: equal digests are the same timetables. Without a
deterministic mode the large-branch search follows the wall clock and two runs of the same
commit may differ; compare the branches that reach OPTIMAL then (the tiny ones do). A
deterministic run that its wall-clock guard stopped is marked ``GUARD`` (no longer
repeatable): on a busy machine, lower ``--work-per-second``.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path
from typing import Any

from scheduler.config import SolverParams, Weights
from scheduler.generate import generate
from scheduler.instance import Instance
from scheduler.io.read import load_instance
from scheduler.solve import solve

ROOT = Path(__file__).resolve().parents[1]


def digest(
    instance: Instance, time_limit: float, wall: bool = False, work: float | None = None
) -> str:
    """One line: status, objective, bound, seconds and the assignments' SHA-256."""
    given: dict[str, object] = {"time_limit": time_limit, "workers": 1, "seed": 0}
    extra: dict[str, Any] = {}
    if "deterministic" in SolverParams.model_fields and not wall:
        given["deterministic"] = True
        from scheduler.config import Settings

        settings = Settings.default()
        if work is not None:
            search = settings.search.model_copy(update={"work_per_second": work})
            settings = settings.model_copy(update={"search": search})
        extra["settings"] = settings
    params = SolverParams.default(**given)
    result = solve(instance, Weights.default(), params, **extra)
    guard = any("stopped by the wall clock" in n for n in result.notes)
    table = result.assignments.to_csv(index=False, lineterminator="\n")
    sha = hashlib.sha256(table.encode()).hexdigest()[:16]
    return (
        f"{result.status:8} objective {result.objective:>9,} bound {result.bound or 0:>11,.1f}"
        f" {result.seconds:6.1f} s  {len(result.lessons):5} lessons  sha256 {sha}"
        + ("  GUARD" if guard else "")
    )


def main() -> None:
    """Print the digest of every branch."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    ap.add_argument("--time-limit", type=float, default=20.0)
    ap.add_argument("--sizes", type=int, nargs="*", default=[30, 120])
    ap.add_argument("--seed", type=int, default=1, help="seed of the generated branches")
    ap.add_argument("--wall", action="store_true", help="leave deterministic mode off")
    ap.add_argument("--work-per-second", type=float, help="deterministic work units a second")
    ap.add_argument("--no-demo", action="store_true", help="generated branches only")
    args = ap.parse_args()
    branches: list[tuple[str, Instance]] = []
    if not args.no_demo:
        for name in ("tiny-floor", "tiny-travel", "tiny-coteacher", "demo"):
            branches.append((name, load_instance(ROOT / "instances" / name)[0]))
    branches += [(f"generate({n}, {args.seed})", generate(n, args.seed)) for n in args.sizes]
    for name, instance in branches:
        line = digest(instance, args.time_limit, args.wall, args.work_per_second)
        print(f"{name:18} {line}", flush=True)


if __name__ == "__main__":
    main()
