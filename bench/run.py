"""The benchmark suite: generated branches x seeds x methods, one child process per run.

    python bench/run.py --sizes 10 30 60 120 250 --seeds 1 2 3 \
        --methods cpsat greedy naive --time-limit 300

Each run generates its branch with :func:`scheduler.generate.generate`, solves it in a child
process (so its peak memory is that child's maximum RSS, read with ``os.wait4``), checks the
timetable with :func:`scheduler.validate.check` and scores it with
:func:`scheduler.validate.score`. Rows go to ``bench/results/benchmarks.csv``; the summary
table, the plot ``docs/benchmarks.png`` and fitted growth exponents replace the part of
``docs/benchmarks.md`` between its ``results`` markers. Definitions of every column are in
``docs/benchmarks.md``. Benchmarks are not tests: nothing here runs under pytest.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import platform
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

from scheduler.validate import TERMS

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "benchmarks.csv"
DOC = ROOT / "docs" / "benchmarks.md"
PLOT = ROOT / "docs" / "benchmarks.png"
MARK_START = "<!-- results:start (written by bench/run.py) -->"
MARK_END = "<!-- results:end -->"
CHECKPOINTS = (10, 60, 300)  # seconds at which the gap is read off the progress trace
COLUMNS = [
    "size",
    "seed",
    "method",
    "time_limit",
    "workers",
    "alts",
    "schools",
    "classes",
    "lessons",
    "status",
    "seconds",
    "first_valid_s",
    "coverage",
    "given",
    "objective",
    "bound",
    "gap",
    *(f"gap_{t}s" for t in CHECKPOINTS),
    "violations",
    "peak_rss_mb",
    "exit",
    # Every KPI of the objective, recomputed by the validator (unweighted).
    *(f"term_{k}" for k in TERMS),
]


# ---- child: one run --------------------------------------------------------------------------


def child(size: int, seed: int, method: str, time_limit: float, workers: int) -> dict[str, Any]:
    """Generate, solve, check and score one branch; the row of this run (without memory)."""
    from scheduler.config import SolverParams, Weights
    from scheduler.generate import generate
    from scheduler.reference.naive import solve_reference
    from scheduler.solve import solve
    from scheduler.validate import check, score

    inst = generate(size, seed)
    weights = Weights.default()
    params = SolverParams.default(time_limit=time_limit, workers=workers, seed=0)
    if method == "naive":  # the reference model, out of the user's methods
        result = solve_reference(inst, weights, params)
    else:
        result = solve(inst, weights, params, method=method)  # type: ignore[arg-type]
    table = result.assignments
    scored = score(inst, table, weights)
    coverage = scored.kpis["coverage"]
    trace = [list(p) for p in result.progress]
    found = result.status in ("OPTIMAL", "FEASIBLE")  # UNKNOWN: no timetable in time
    # Greedy reports no progress: its one timetable is valid when it returns. The searches
    # count from their first solution (a fallback to the greedy hint is not theirs).
    first = result.seconds if method == "greedy" else (trace[0][0] if trace else None)
    return {
        "size": size,
        "seed": seed,
        "method": method,
        "time_limit": time_limit,
        "workers": workers,
        "alts": len(inst.alts),
        "schools": len(inst.schools),
        "classes": len(inst.classes),
        "lessons": inst.need(),
        "status": result.status,
        "seconds": result.seconds,
        "first_valid_s": first,
        "coverage": coverage["ratio"] if found else None,
        "given": coverage["given"] if found else None,
        "objective": scored.objective if found else None,
        "bound": result.bound,
        "gap": result.gap,
        **gaps(trace, result.seconds, result.status, result.gap, time_limit),
        "violations": len(check(inst, table)) if found else None,
        **{f"term_{k}": (v if found else None) for k, v in scored.terms.items()},
        "trace": trace,
    }


def gaps(
    trace: list[list[float]], seconds: float, status: str, final: float | None, limit: float
) -> dict[str, float | None]:
    """Gap at each checkpoint: the final gap once the run has ended, else the last progress
    point before it; None when the run had no solution yet or was stopped before it."""
    out: dict[str, float | None] = {}
    for t in CHECKPOINTS:
        key = f"gap_{t}s"
        if seconds <= t and (status == "OPTIMAL" or t <= limit):
            out[key] = final
            continue
        if t > limit:
            out[key] = None  # stopped by the time limit before the checkpoint
            continue
        before = [p for p in trace if p[0] <= t]
        if not before:
            out[key] = None
            continue
        _, obj, bound = before[-1]
        out[key] = 0.0 if obj == 0 else max(0.0, (obj - bound) / abs(obj))
    return out


# ---- parent: the suite -----------------------------------------------------------------------


def run_one(
    size: int, seed: int, method: str, time_limit: float, workers: int, memory_gb: float
) -> dict[str, Any]:
    """Run one benchmark in a child process; add its peak RSS and exit status."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child"]
    cmd += [str(size), str(seed), method, str(time_limit), str(workers)]

    def limit_memory() -> None:  # pragma: no cover - runs in the child
        if memory_gb > 0:
            cap = int(memory_gb * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, preexec_fn=limit_memory, cwd=ROOT)
        # Generation and model building come on top of the solver's own limit.
        watchdog = threading.Timer(time_limit * 2 + 300, proc.kill)
        watchdog.start()
        _, status, usage = os.wait4(proc.pid, 0)
        watchdog.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text, log = out.read().decode(), err.read().decode()
    row: dict[str, Any] = {"size": size, "seed": seed, "method": method}
    lines = [ln for ln in text.splitlines() if ln.startswith("{")]
    if proc.returncode == 0 and lines:
        row = json.loads(lines[-1])
    else:
        tail = log.strip().splitlines()[-1:] or ["no output"]
        print(f"  failed (exit {proc.returncode}): {tail[0]}", file=sys.stderr)
        row.update(time_limit=time_limit, workers=workers, status="CRASHED")
    # ru_maxrss is in KiB on Linux.
    row["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)
    row["exit"] = proc.returncode
    return row


def write_csv(rows: list[dict[str, Any]], path: Path) -> None:
    """One line per run, the columns of :data:`COLUMNS` (the trace is left out)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: _cell(r.get(k)) for k in COLUMNS})


def _cell(v: Any) -> Any:
    if isinstance(v, float):
        return f"{v:.6g}"
    return "" if v is None else v


def read_csv(path: Path) -> list[dict[str, Any]]:
    """Rows of a results CSV with numbers parsed."""
    with path.open(encoding="utf-8") as f:
        return [{k: _parse(v) for k, v in r.items()} for r in csv.DictReader(f)]


def _parse(v: str) -> Any:
    if v == "":
        return None
    try:
        return int(v)
    except ValueError:
        pass
    try:
        return float(v)
    except ValueError:
        return v


def _median(values: list[Any]) -> float | None:
    xs = [float(v) for v in values if v is not None]
    return statistics.median(xs) if xs else None


def summary(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Medians over seeds for each (size, method)."""
    groups: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[(int(r["size"]), str(r["method"]))].append(r)
    out = []
    for (size, method), rs in sorted(groups.items()):
        out.append(
            {
                "size": size,
                "method": method,
                "runs": len(rs),
                "valid": sum(1 for r in rs if r.get("violations") == 0),
                "lessons": _median([r.get("lessons") for r in rs]),
                "first_valid_s": _median([r.get("first_valid_s") for r in rs]),
                "seconds": _median([r.get("seconds") for r in rs]),
                "coverage": _median([r.get("coverage") for r in rs]),
                "objective": _median([r.get("objective") for r in rs]),
                "bound": _median([r.get("bound") for r in rs]),
                "gap": _median([r.get("gap") for r in rs]),
                **{f"gap_{t}s": _median([r.get(f"gap_{t}s") for r in rs]) for t in CHECKPOINTS},
                "peak_rss_mb": _median([r.get("peak_rss_mb") for r in rs]),
                **{f"term_{k}": _median([r.get(f"term_{k}") for r in rs]) for k in TERMS},
            }
        )
    return out


def growth(rows: list[dict[str, Any]], method: str, key: str) -> float | None:
    """Least-squares exponent b of ``key ~ lessons^b`` over the runs of one method."""
    runs = [
        r for r in rows if r["method"] == method and r.get(key) and r.get("lessons") and r[key] > 0
    ]
    # One size with seeds of slightly different lessons fits noise, not growth.
    if len({r["size"] for r in runs}) < 2:
        return None
    pts = [(math.log(r["lessons"]), math.log(r[key])) for r in runs]
    mx = statistics.fmean(x for x, _ in pts)
    my = statistics.fmean(y for _, y in pts)
    sxx = sum((x - mx) ** 2 for x, _ in pts)
    return sum((x - mx) * (y - my) for x, y in pts) / sxx


def _fmt(v: Any, kind: str = "") -> str:
    if v is None:
        return "–"
    if kind == "pct":
        return f"{100 * v:.1f}%"
    if kind == "int":
        return f"{v:,.0f}"
    if kind == "s":
        return f"{v:.1f}"
    return str(v)


def results_markdown(
    rows: list[dict[str, Any]], label: str, command: str, figure: str = PLOT.name
) -> str:
    """The generated part of docs/benchmarks.md: provenance, medians, exponents, plot."""
    sizes = sorted({int(r["size"]) for r in rows})
    seeds = sorted({int(r["seed"]) for r in rows})
    methods = sorted({str(r["method"]) for r in rows})
    limits = sorted({float(r["time_limit"]) for r in rows if r.get("time_limit")})
    workers = sorted({int(r["workers"]) for r in rows if r.get("workers") is not None})
    lines = [
        MARK_START,
        "",
        f"### {label}",
        "",
        f"Run on {date.today()}: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; sizes {sizes}, seeds {seeds}, methods "
        f"{methods}, time limit {limits} s, workers {workers}.",
        "",
        f"    {command}",
        "",
        "Medians over seeds. Gaps are (objective - bound) / objective; `–` means not measured "
        "(no bound, no solution yet, or the run stopped before that time).",
        "",
        "| ALTs | method | runs | valid | lessons | first valid s | total s | coverage "
        "| objective | bound | gap | "
        + " | ".join(f"gap {t}s" for t in CHECKPOINTS)
        + " | peak MB |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        + "---:|" * len(CHECKPOINTS)
        + "---:|",
    ]
    for s in summary(rows):
        lines.append(
            f"| {s['size']} | {s['method']} | {s['runs']} | {s['valid']} | "
            f"{_fmt(s['lessons'], 'int')} | {_fmt(s['first_valid_s'], 's')} | "
            f"{_fmt(s['seconds'], 's')} | {_fmt(s['coverage'], 'pct')} | "
            f"{_fmt(s['objective'], 'int')} | {_fmt(s['bound'], 'int')} | "
            f"{_fmt(s['gap'], 'pct')} | "
            + " | ".join(_fmt(s[f"gap_{t}s"], "pct") for t in CHECKPOINTS)
            + f" | {_fmt(s['peak_rss_mb'], 'int')} |"
        )
    lines += [
        "",
        "Every KPI of the objective (medians, unweighted, recomputed by the validator): unmet "
        "lessons, lessons under floor, ALT-schools, commute minutes, load spread, day peaks, "
        "extra ALTs per class.",
        "",
        "| ALTs | method | " + " | ".join(TERMS) + " |",
        "|---:|---|" + "---:|" * len(TERMS),
    ]
    for s in summary(rows):
        cells = " | ".join(_fmt(s.get(f"term_{k}"), "int") for k in TERMS)
        lines.append(f"| {s['size']} | {s['method']} | {cells} |")
    lines += [
        "",
        "Growth with the number of lessons (least-squares exponent b of y ~ lessons^b):",
        "",
    ]
    lines += ["| method | first valid s | peak memory |", "|---|---:|---:|"]
    for m in methods:
        t, mem = growth(rows, m, "first_valid_s"), growth(rows, m, "peak_rss_mb")
        lines.append(
            f"| {m} | {'–' if t is None else f'{t:.2f}'} | "
            f"{'–' if mem is None else f'{mem:.2f}'} |"
        )
    lines += ["", f"![time and gap against size]({figure})", "", MARK_END]
    return "\n".join(lines)


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    """Time to the first valid timetable and final gap against size, one line per method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_t, ax_g) = plt.subplots(1, 2, figsize=(10, 4))
    by_method: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in summary(rows):
        by_method[s["method"]].append(s)
    for method, ss in sorted(by_method.items()):
        xs = [s["size"] for s in ss]
        ax_t.plot(xs, [s["first_valid_s"] for s in ss], marker="o", label=method)
        ys = [None if s["gap"] is None else min(100.0, 100 * s["gap"]) for s in ss]
        ax_g.plot(xs, ys, marker="o", label=method)
    ax_t.set(xscale="log", yscale="log", xlabel="ALTs", ylabel="seconds to first valid",
             title="Time to the first valid timetable")  # fmt: skip
    ax_g.set(xscale="log", xlabel="ALTs", ylabel="gap at the end (%, capped at 100)",
             ylim=(0, 105), title="Gap to the best bound at the time limit")  # fmt: skip
    for ax in (ax_t, ax_g):
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def update_doc(doc: Path, block: str) -> None:
    """Replace the generated block of docs/benchmarks.md (or append it)."""
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n"
    if MARK_START in text and MARK_END in text:
        head, rest = text.split(MARK_START, 1)
        _, tail = rest.split(MARK_END, 1)
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    doc.write_text(text, encoding="utf-8")


def warm_up() -> None:
    """Compile the bounds' numba kernels once (they are cached on disk), so the first
    measured run does not pay for it (~10-30 s of one core after an install or an edit)."""
    code = (
        "import time\n"
        "from scheduler.config import Weights\n"
        "from scheduler.generate import generate\n"
        "from scheduler.model.data import prepare\n"
        "from scheduler.bounds.week_bound import week_bound\n"
        "from scheduler.bounds.patterns import pattern_bound\n"
        "prep = prepare(generate(30, 1))\n"
        "week_bound(prep, Weights.default(), time.monotonic() + 120)\n"
        "pattern_bound(prepare(generate(6, 1)), Weights.default(), time.monotonic() + 60)\n"
    )
    print("compiling the bounds' kernels ...", flush=True)
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=False)


def main() -> None:
    """Command line of the suite (and, with --child, of one run)."""
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        size, seed, method, limit, workers = sys.argv[2:7]
        row = child(int(size), int(seed), method, float(limit), int(workers))
        print(json.dumps(row))
        return
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    ap.add_argument("--sizes", type=int, nargs="+", default=[10, 30, 60, 120, 250])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--methods", nargs="+", default=["cpsat", "greedy", "naive"],
                    choices=["cpsat", "greedy", "naive"])  # fmt: skip
    ap.add_argument("--time-limit", type=float, default=300.0)
    ap.add_argument("--workers", type=int, default=2, help="CP-SAT workers (the target: 2)")
    ap.add_argument("--memory-gb", type=float, default=8.0,
                    help="address-space cap of each run (0: none)")  # fmt: skip
    ap.add_argument("--csv", type=Path, default=RESULTS)
    ap.add_argument("--doc", type=Path, default=DOC)
    ap.add_argument("--label", default="Full suite")
    ap.add_argument("--from-csv", action="store_true",
                    help="no runs: redraw the table and plot from --csv")  # fmt: skip
    args = ap.parse_args()

    rows = read_csv(args.csv) if args.from_csv else []
    if not args.from_csv:
        warm_up()
    for size in [] if args.from_csv else args.sizes:
        for seed in args.seeds:
            for method in args.methods:
                print(f"{size} ALTs, seed {seed}, {method} ...", flush=True)
                t = time.monotonic()
                row = run_one(size, seed, method, args.time_limit, args.workers, args.memory_gb)
                rows.append(row)
                print(
                    f"  {row.get('status')} objective {row.get('objective')} gap "
                    f"{_fmt(row.get('gap'), 'pct')} first {_fmt(row.get('first_valid_s'), 's')} s"
                    f" violations {row.get('violations')} peak {row['peak_rss_mb']} MB "
                    f"({time.monotonic() - t:.0f} s wall)",
                    flush=True,
                )
                write_csv(rows, args.csv)  # after every run, so a long suite can be stopped
    command = "python bench/run.py " + shlex.join(sys.argv[1:])
    if args.from_csv:  # keep the command that produced the rows
        text = args.doc.read_text(encoding="utf-8") if args.doc.exists() else ""
        old = [ln.strip() for ln in text.splitlines() if ln.startswith("    python bench/run.py")]
        command = old[-1] if old else command
    # The figure sits beside its page and shares its name: docs/x.md -> docs/x.png.
    figure = args.doc.with_suffix(".png")
    plot(rows, figure)
    update_doc(args.doc, results_markdown(rows, args.label, command, figure.name))
    print(f"wrote {args.csv}, {args.doc}, {figure}")


if __name__ == "__main__":
    main()
