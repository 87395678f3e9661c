"""Coverage bounds on short-handed branches: how far each bound is from the generator's
intended shortfall and from the best a solve finds.

    python bench/short.py --sizes 60 120 --shares 0.02 0.05 --seeds 1 2 3 --time-limit 60 --jobs 2

Every mix of ``scheduler.generate.SHORTAGE_MIXES`` is drawn for every (size, share, seed)
(``generate_branch(..., mix=...)``); a mix that cannot be short alone falls back to the
weekly ceilings, and the table says which limits bound. For each branch: the intended
shortfall (``Shortage.short_by``), the unmet lessons the maximum-flow bound and the visit
bound (``scheduler.bounds.coverage``) prove, and the unmet lessons of one solve (its
timetable checked by the validator). Each case is kept in ``bench/results/raw/short/`` as it
ends, so an interrupted run resumes; ``bench/results/short.md`` is rewritten after each case.
``--jobs`` solves run side by side with ``--workers`` CP-SAT workers each.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from scheduler.bounds.coverage import visit_coverage_bound
from scheduler.bounds.flow import VisitIndex, coverage_bound
from scheduler.config import SolverParams, Weights
from scheduler.generate import SHORTAGE_MIXES, generate_branch
from scheduler.model.data import prepare
from scheduler.solve import solve
from scheduler.validate import check, score

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "results" / "short.md"
RAW = ROOT / "bench" / "results" / "raw" / "short"

Case = tuple[int, float, int, tuple[str, ...]]


def _key(case: Case, time_limit: float, workers: int) -> str:
    n, share, seed, mix = case
    name = "+".join(m.replace(" ", "-") for m in mix)
    return f"{n}-{share:g}-{seed}-{name}-{time_limit:g}s-{workers}w"


def run(case: Case, time_limit: float, workers: int) -> dict[str, Any]:
    """Generate one short branch, bound it both ways and solve it once."""
    n, share, seed, mix = case
    t0 = time.monotonic()
    drawn = generate_branch(n, seed, shortage=share, mix=mix)
    generated = time.monotonic() - t0
    inst, short = drawn.instance, drawn.shortage
    assert short is not None
    prep = prepare(inst)
    index = VisitIndex.of(prep)
    t0 = time.monotonic()
    flow = coverage_bound(prep, index)
    flow_s = time.monotonic() - t0
    t0 = time.monotonic()
    visit = visit_coverage_bound(prep, index, time_limit=None)
    visit_s = time.monotonic() - t0
    weights = Weights.default()
    params = SolverParams.default(time_limit=time_limit, workers=workers, seed=0)
    t0 = time.monotonic()
    result = solve(inst, weights, params)
    wall = time.monotonic() - t0
    assert check(inst, result.assignments) == [], case
    unmet = score(inst, result.assignments, weights).terms["unmet_lesson"]
    demand = inst.need()
    assert demand - unmet <= visit <= flow, case  # a bound below a timetable is a bug
    return {
        "alts": n,
        "share": share,
        "seed": seed,
        "mix": " + ".join(mix),
        "binding": " + ".join(short.binding),
        "demand": demand,
        "intended": short.short_by,
        "flow_unmet": demand - flow,
        "visit_unmet": demand - visit,
        "solve_unmet": unmet,
        "generate_s": round(generated, 1),
        "flow_s": round(flow_s, 2),
        "visit_s": round(visit_s, 2),
        "solve_wall_s": round(wall, 1),
    }


def _median(values: list[int]) -> str:
    return f"{statistics.median(values):g}" if values else "-"


def write(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    """The table of every case, then medians per mix of the gaps that matter."""
    rows = sorted(rows, key=lambda r: (r["alts"], r["share"], r["mix"], r["seed"]))
    lines = [
        "# Coverage bounds on short-handed branches",
        "",
        f"Written by `python bench/short.py` ({len(rows)} cases; solves of "
        f"{args.time_limit:g} s, {args.workers} CP-SAT worker(s) each, {args.jobs} side by "
        f"side on {os.cpu_count()} cores shared with other work; Python "
        f"{platform.python_version()}). Unmet lessons: *intended* is the generator's "
        "`short_by`; *flow* and *visit* are what the maximum-flow bound and the visit bound "
        "prove must stay unmet; *solve* is what one solve left (validated). "
        "*binding* is what the generator says binds (a mix that cannot be short alone falls "
        "back to the weekly ceilings).",
        "",
        "| ALTs | share | mix | seed | binding | demand | intended | flow | visit | solve "
        "| visit bound s | solve wall s |",
        "|---:|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['alts']} | {r['share']:.0%} | {r['mix']} | {r['seed']} | {r['binding']} "
            f"| {r['demand']} | {r['intended']} | {r['flow_unmet']} | {r['visit_unmet']} "
            f"| {r['solve_unmet']} | {r['visit_s']:g} | {r['solve_wall_s']:g} |"
        )
    lines += [
        "",
        "## Medians per mix (lessons)",
        "",
        "| mix | cases | intended - flow | intended - visit | solve - visit |",
        "|---|---:|---:|---:|---:|",
    ]
    for mix in sorted({r["mix"] for r in rows}):
        of = [r for r in rows if r["mix"] == mix]
        lines.append(
            f"| {mix} | {len(of)} "
            f"| {_median([r['intended'] - r['flow_unmet'] for r in of])} "
            f"| {_median([r['intended'] - r['visit_unmet'] for r in of])} "
            f"| {_median([r['solve_unmet'] - r['visit_unmet'] for r in of])} |"
        )
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[60, 120])
    parser.add_argument("--shares", type=float, nargs="*", default=[0.02, 0.05])
    parser.add_argument("--seeds", type=int, nargs="*", default=[1, 2, 3])
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=1, help="CP-SAT workers per solve")
    parser.add_argument("--jobs", type=int, default=2, help="solves side by side")
    args = parser.parse_args()
    RAW.mkdir(parents=True, exist_ok=True)
    cases = [
        (n, share, seed, mix)
        for n in args.sizes
        for share in args.shares
        for mix in SHORTAGE_MIXES
        for seed in args.seeds
    ]
    rows: list[dict[str, Any]] = []
    todo = []
    for case in cases:
        kept = RAW / f"{_key(case, args.time_limit, args.workers)}.json"
        if kept.exists():
            rows.append(json.loads(kept.read_text(encoding="utf-8")))
        else:
            todo.append(case)
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(run, c, args.time_limit, args.workers): c for c in todo}
        for future in as_completed(futures):
            case = futures[future]
            row = future.result()
            kept = RAW / f"{_key(case, args.time_limit, args.workers)}.json"
            kept.write_text(json.dumps(row), encoding="utf-8")
            rows.append(row)
            write(rows, args)
            print(json.dumps(row), flush=True)
    write(rows, args)


if __name__ == "__main__":
    main()
