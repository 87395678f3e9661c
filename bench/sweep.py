"""A scenario sweep three ways: one after another, in worker processes, on a Dask LocalCluster.

    python bench/sweep.py --alts 60 --seed 1 --time-limit 20 --processes 2 --repeat 2
    python bench/sweep.py --deterministic --repeat 1 --out bench/results/sweep_deterministic.md

Generates the branch as ``altsched generate --alts N --seed S DIR`` does, derives eight
scenarios from it, solves them with one CP-SAT worker and a fixed seed each (a) one after
another in this process (``--repeat`` times, to show how much a time-limited search varies
between two runs of the same mode), (b) in ``--processes`` worker processes and (c) on a
``dask.distributed.LocalCluster`` of as many single-threaded workers, and writes the wall
times and a per-scenario comparison of the KPIs to ``bench/results/sweep.md`` (all rows in
``sweep.csv``). With ``--deterministic`` each scenario is solved in deterministic mode
(docs/settings.md): the search is limited in work units, not wall seconds, so the three
ways must give the same KPIs per scenario. Every timetable is checked by the independent
validator. Not a test: nothing here runs under pytest.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

import scheduler as alt
from scheduler import scenarios as sc
from scheduler.instance import Instance
from scheduler.validate import check

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "results" / "sweep.md"
# Every KPI but the solve's own seconds; a scenario is "identical" when all of them agree.
COMPARED = [c for c in sc.KPI_COLUMNS if c not in ("scenario", "seconds")]


def branch(n_alts: int, seed: int) -> Instance:
    """The branch exactly as the command line generates it, read back like any branch."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "branch"
        altsched = Path(sys.executable).with_name("altsched")
        cmd = [str(altsched), "generate", "--alts", str(n_alts), "--seed", str(seed), str(folder)]
        subprocess.run(cmd, check=True, capture_output=True)
        return alt.load(folder)


def variants(base: Instance) -> list[sc.Scenario]:
    """Eight questions a planner asks before a term."""
    first_jh = next(s.school_id for s in base.schools if s.level == "junior_high")
    junior_highs = [s.school_id for s in base.schools if s.level == "junior_high"]
    return [
        sc.Scenario("today", base),
        sc.Scenario("hire two", sc.add_alts(base, n=2)),
        sc.Scenario("lose one", sc.remove_alts(base, n=1)),
        sc.Scenario("contracts 22-27", sc.with_contracts(base, min_lessons=22, max_lessons=27)),
        sc.Scenario("grades 5-6 need 3", sc.set_need(base, 3, level="elementary", grades=[5, 6])),
        sc.Scenario(f"{first_jh} closes", sc.close_schools(base, first_jh)),
        sc.Scenario("JH Fridays blocked", sc.block_weekday(base, "Fri", schools=junior_highs)),
        sc.Scenario("commute x5", base).with_weights(commute_minute=5),
    ]


def run(label: str, scenarios: list[sc.Scenario], **how: object) -> tuple[float, pd.DataFrame]:
    """Wall seconds of one sweep and its KPI table; every timetable passes the validator."""
    t0 = time.monotonic()
    comparison = sc.compare(scenarios, **how)  # type: ignore[arg-type]
    wall = time.monotonic() - t0
    by_name = {s.name: s.instance for s in scenarios}
    for name, result in comparison.results.items():
        violations = check(by_name[name], result.assignments)
        assert violations == [], (label, name, violations[:3])
    print(f"{label}: {wall:.1f} s", file=sys.stderr)
    return wall, comparison.table


def identical(a: pd.Series, b: pd.Series) -> bool:
    """Every compared KPI equal (NaN equal to NaN)."""
    return all(a[c] == b[c] or (pd.isna(a[c]) and pd.isna(b[c])) for c in COMPARED)


def report(
    args: argparse.Namespace,
    base: Instance,
    walls: dict[str, float],
    tables: dict[str, pd.DataFrame],
) -> str:
    """The markdown page: set-up, wall times, then each scenario's KPIs in every mode."""
    load = os.getloadavg()
    lines = [
        "# Scenario sweep: one after another, worker processes, Dask LocalCluster",
        "",
        f"Written by `bench/sweep.py --alts {args.alts} --seed {args.seed} "
        f"--time-limit {args.time_limit:g} --processes {args.processes} "
        f"--repeat {args.repeat}{' --deterministic' if args.deterministic else ''}`. Branch: "
        f"`altsched generate --alts {args.alts} --seed {args.seed}` ({len(base.alts)} ALTs, "
        f"{len(base.schools)} schools, {base.need()} lessons a week). Eight scenarios, each "
        f"solved with a {args.time_limit:g} s time limit, one CP-SAT worker and seed "
        f"{args.solver_seed} "
        + ("in deterministic mode (a work limit, not wall seconds)" if args.deterministic else "")
        + "; every timetable checked by the independent validator.",
        "",
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()}; shared with other work while this ran (load average "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at the end), so the wall times are "
        "this run's, not the machine's best.",
        "",
        "| how | wall time | against one after another |",
        "|---|---:|---:|",
    ]
    first = walls["one after another"]
    for how, wall in walls.items():
        lines.append(f"| {how} | {wall:.1f} s | {first / wall:.2f}x |")
    lines += [
        "",
        "Objective per scenario in each mode, and whether every KPI but the solve's seconds "
        "(status, objective, bound, gap, coverage, unmet, ALTs under floor, schools per ALT, "
        "commute minutes) is the same as one after another:",
        "",
        "| scenario | status | "
        + " | ".join(f"objective ({h})" for h in walls)
        + " | same KPIs |",
        "|---|---|" + "---:|" * len(walls) + "---|",
    ]
    ref = tables["one after another"]
    for i, name in enumerate(ref["scenario"]):
        rows = [tables[h].iloc[i] for h in walls]
        same = all(identical(rows[0], r) for r in rows[1:])
        objs = " | ".join(
            "-" if pd.isna(r["objective"]) else f"{int(r['objective']):,}" for r in rows
        )
        status = "/".join(dict.fromkeys(str(r["status"]) for r in rows))
        lines.append(f"| {name} | {status} | {objs} | {'yes' if same else 'no'} |")
    n_same = sum(
        all(identical(tables[h].iloc[i], ref.iloc[i]) for h in walls) for i in range(len(ref))
    )
    lines += [
        "",
        f"{n_same} of {len(ref)} scenarios have identical KPIs in every run.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alts", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1, help="the generator's seed")
    parser.add_argument("--solver-seed", type=int, default=1, help="CP-SAT's seed")
    parser.add_argument("--time-limit", type=float, default=20.0)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument(
        "--repeat", type=int, default=2, help="runs of the one-after-another sweep"
    )
    parser.add_argument(
        "--deterministic",
        action="store_true",
        help="limit each search in work units (same KPIs whatever the machine's load)",
    )
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    base = branch(args.alts, args.seed)
    scenarios = variants(base)
    solve: dict[str, object] = {
        "time_limit": args.time_limit,
        "seed": args.solver_seed,
        "cpsat_workers": 1,
    }
    if args.deterministic:
        solve["deterministic"] = True
    walls: dict[str, float] = {}
    tables: dict[str, pd.DataFrame] = {}
    modes: dict[str, dict[str, object]] = {"one after another": {"processes": 0}}
    # The same mode again shows how far a time-limited search differs from run to run.
    for k in range(2, args.repeat + 1):
        modes[f"one after another, run {k}"] = {"processes": 0}
    modes[f"{args.processes} worker processes"] = {"processes": args.processes}
    for how, where in modes.items():
        walls[how], tables[how] = run(how, scenarios, **solve, **where)

    from distributed import Client, LocalCluster

    how = f"LocalCluster, {args.processes} workers"
    with (
        LocalCluster(
            n_workers=args.processes, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        walls[how], tables[how] = run(how, scenarios, **solve, client=client)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report(args, base, walls, tables), encoding="utf-8")
    pd.concat(tables, names=["how", "row"]).to_csv(args.out.with_suffix(".csv"))
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
