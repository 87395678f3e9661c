"""Re-planning a branch: one ALT leaves, one ALT joins, solved with --previous.

A term timetable of the demo, and of ``generate(ALTS, SEED)``, is solved first. Then, for
each change, the changed branch is solved twice: with the first timetable as ``previous``
(what ``altsched solve --previous`` does) and from nothing, for comparison. The table counts
the first timetable's lessons of the ALTs who stay that are no longer exactly where they
were (same ALT, school, class, day and period): the aim, when an ALT leaves, is to move no
more of the others' lessons than the leaver had. Every timetable is checked by the
validator. Writes bench/results/replan.md.

    python bench/replan.py --alts 120 --seed 1 --time-limit 60
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

from scheduler.config import SolverParams, Weights
from scheduler.generate import generate
from scheduler.instance import Alt, Instance
from scheduler.io import load_instance
from scheduler.model.pins import lesson_key
from scheduler.replan.previous import previous_of
from scheduler.result import Result
from scheduler.solve import solve
from scheduler.validate import check, score

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "results" / "replan.md"


def timed(
    inst: Instance, params: SolverParams, previous: Result | None = None
) -> tuple[Result, float]:
    """A checked solve of ``inst`` and its wall seconds."""
    t0 = time.monotonic()
    before = None if previous is None else previous_of(inst, previous)
    result = solve(inst, Weights.default(), params, previous=before)
    seconds = time.monotonic() - t0
    assert not check(inst, result.assignments)
    return result, seconds


def without(inst: Instance, alt_id: str) -> Instance:
    """The branch after ``alt_id`` leaves."""
    alts = tuple(a for a in inst.alts if a.alt_id != alt_id)
    travel = tuple(t for t in inst.travel if alt_id not in (t.from_, t.to))
    return inst.model_copy(update={"alts": alts, "travel": travel})


def with_new(inst: Instance, first: Result) -> tuple[Instance, str]:
    """The branch with one more ALT, living at the school the first timetable left shortest."""
    short = score(inst, first.assignments, Weights.default()).unmet
    school = inst.school_by_id[
        short.sort_values("missing", ascending=False).iloc[0]["school_id"]
        if len(short)
        else inst.schools[0].school_id
    ]
    new = Alt(alt_id="A999", name="New ALT", home_lat=school.lat, home_lon=school.lon)
    return inst.model_copy(update={"alts": (*inst.alts, new)}), school.school_id


def moved_of_others(first: Result, after: Result, leaver: str | None) -> int:
    """Lessons of the first timetable, of ALTs other than ``leaver``, not kept exactly."""
    now = {lesson_key(ls) for ls in after.lessons}
    return sum(1 for ls in first.lessons if ls.alt_id != leaver and lesson_key(ls) not in now)


def row(
    name: str, inst: Instance, first: Result, result: Result, seconds: float, leaver: str | None
) -> str:
    scored = score(inst, result.assignments, Weights.default())
    return (
        f"| {name} | {len(result.lessons)} | {scored.terms['unmet_lesson']} | "
        f"{scored.objective:,} | {moved_of_others(first, result, leaver)} | {seconds:.0f} |"
    )


def branch_rows(label: str, base: Instance, params: SolverParams) -> list[str]:
    """The first timetable of ``base``, then an ALT leaving and one joining, as table rows."""
    first, first_s = timed(base, params)
    # The leaver: the ALT with the median load (neither a near-empty week nor the busiest).
    loads = sorted(
        (sum(ls.alt_id == a.alt_id for ls in first.lessons), a.alt_id) for a in base.alts
    )
    had, leaver = loads[len(loads) // 2]
    gone = without(base, leaver)
    joined, home = with_new(base, first)
    lines = [
        f"| {label}: first timetable | {len(first.lessons)} | "
        f"{score(base, first.assignments, Weights.default()).terms['unmet_lesson']} | "
        f"{first.objective:,} | | {first_s:.0f} |"
    ]
    print(lines[-1], flush=True)
    for name, inst, left, previous in (
        (f"{leaver} leaves ({had} lessons), --previous", gone, leaver, first),
        (f"{leaver} leaves, from nothing", gone, leaver, None),
        (f"A999 joins at {home}, --previous", joined, None, first),
        (f"A999 joins at {home}, from nothing", joined, None, None),
    ):
        result, seconds = timed(inst, params, previous)
        lines.append(row(f"{label}: {name}", inst, first, result, seconds, left))
        print(lines[-1], flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alts", type=int, default=120)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    params = SolverParams.default(time_limit=args.time_limit, workers=args.workers, seed=0)
    demo, _ = load_instance(ROOT / "instances" / "demo")
    lines = [
        "# Re-planning: an ALT leaves, an ALT joins",
        "",
        f"The demo and `generate({args.alts}, {args.seed})`, time limit {args.time_limit:g} s "
        f"per solve, {args.workers} workers, {os.cpu_count()} cores ({platform.machine()}, "
        f"Python {platform.python_version()}). Written by `bench/replan.py`.",
        "",
        "*Others moved*: lessons of the first timetable, of ALTs other than the one who left,",
        "not kept at the same school, class, day and period. A999 is a new ALT living at the",
        "school the first timetable left shortest.",
        "",
        "| solve | lessons | unmet | objective | others moved | seconds |",
        "|---|---:|---:|---:|---:|---:|",
        *branch_rows("demo", demo, params),
        *branch_rows(
            f"generate({args.alts}, {args.seed})", generate(args.alts, args.seed), params
        ),
    ]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"Wrote {OUT}")


if __name__ == "__main__":
    main()
