"""Text for ``altsched explain``: reasons, one entity's costs, a what-if, line by line.

Pure functions of their inputs returning lines, so the command line stays thin and the
tests read exactly what a user reads.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import time
from pathlib import Path

import pandas as pd

from scheduler.config import Weights
from scheduler.errors import InputIssue, InstanceError
from scheduler.instance import Instance
from scheduler.io.textfile import read_json
from scheduler.result import Lesson
from scheduler.validate import TERMS, file_rows, read_assignments

from .penalties import ALT_TERMS, Breakdown
from .reasons import KINDS, ClassKey, Reason, class_name, listing, plural, school_name
from .timetable import Explanation
from .whatif import WhatIf

TERM_WORDS = {
    "unmet_lesson": "unmet lessons",
    "under_floor_lesson": "lessons under floor",
    "alt_school": "ALT-schools",
    "commute_minute": "commute minutes",
    "load_spread": "load spread",
    "day_peak": "day peaks",
    "continuity": "extra class ALTs",
}


def read_timetable(directory: Path) -> tuple[pd.DataFrame, list[Lesson], dict[str, int]]:
    """``DIR/assignments.csv`` as a table and as lessons, and the weights in ``report.json``
    (empty when there is none).

    Raises
    ------
    InstanceError
        A missing or malformed ``assignments.csv`` or an unreadable ``report.json``.
    """
    path = directory / "assignments.csv"
    if not path.is_file():
        msg = "is not there: DIR must be the output folder of a solve"
        raise InstanceError([InputIssue(path.as_posix(), None, None, None, msg)])
    table = read_assignments(path)
    lessons = [
        Lesson.model_validate(
            {**r, "start": time.fromisoformat(r["start"]), "end": time.fromisoformat(r["end"])}
        )
        for r in table.to_dict("records")
    ]
    recorded: dict[str, int] = {}
    report = directory / "report.json"
    if report.is_file():
        data = read_json(report)
        if isinstance(data, dict) and isinstance(data.get("weights"), dict):
            recorded = {str(k): v for k, v in data["weights"].items() if k in Weights.model_fields}
    return table, lessons, recorded


def check_same_branch(inst: Instance, table: pd.DataFrame, directory: Path) -> None:
    """Refuse a timetable naming an ALT, school or class the branch lacks: DIR is a solve of
    another branch (or of this one before an ALT or class left), and reasons and costs
    counted against this branch would be about lessons that cannot exist. A timetable that
    only breaks hard rules is explained as it is.

    Raises
    ------
    InstanceError
        Naming DIR/assignments.csv, the row, the column and the value of each unknown id.
    """
    label = (directory / "assignments.csv").as_posix()
    issues = []
    for row, rec in zip(file_rows(table), table.to_dict("records"), strict=True):
        alt, school, class_ = str(rec["alt_id"]), str(rec["school_id"]), str(rec["class"])
        if alt not in inst.alt_by_id:
            issues.append(InputIssue(label, row, "alt_id", alt, _OTHER.format("an alt_id")))
        if school not in inst.school_by_id:
            issues.append(InputIssue(label, row, "school_id", school, _OTHER.format("a school")))
        elif (school, class_) not in inst.class_by_key:
            why = _OTHER.format(f"a class of {school}")
            issues.append(InputIssue(label, row, "class", class_, why))
    if issues:
        raise InstanceError(issues)


_OTHER = (
    "is not {} in the branch: DIR is a solve of another branch, or of this one before it "
    "changed (re-solve with altsched solve BRANCH --previous DIR)"
)


def capacity_lines(reasons: list[Reason]) -> list[str]:
    """What cannot be met whatever the timetable, grouped by kind."""
    if not reasons:
        return ["Counting finds nothing that must stay unmet: every need fits the branch."]
    lines = [f"{plural(len(reasons), 'fact')} that no timetable can get round:"]
    for kind in KINDS:
        lines += [f"  - {r.text}" for r in reasons if r.kind == kind]
    return lines


def explanation_lines(inst: Instance, why: Explanation) -> list[str]:
    """Every unmet class and ALT under floor of a timetable, with its reasons."""
    lines = []
    missing = sum(m for m, _ in why.unmet.values())
    if why.unmet:
        classes = "class" if len(why.unmet) == 1 else "classes"
        lines.append(f"Unmet: {plural(missing, 'lesson')} in {len(why.unmet)} {classes}")
        # Classes with the same reasons are said together (a branch short of ALTs gives
        # every short class the same one), in the order of their first class.
        same: dict[tuple[str, ...], list[tuple[ClassKey, int]]] = {}
        for key, (m, reasons) in why.unmet.items():
            same.setdefault(tuple(r.text for r in reasons), []).append((key, m))
        for texts, members in same.items():
            if len(members) == 1:
                ((key, m),) = members
                lines.append(f"  {class_name(inst, key)}: {m} missing")
            else:
                names = listing([class_name(inst, k) for k, _m in members], most=6)
                lost = sum(m for _k, m in members)
                lines.append(f"  {len(members)} classes, {lost} missing: {names}")
            lines += [f"    - {t}" for t in texts]
    else:
        lines.append("Every class gets all its lessons.")
    if why.under_floor:
        lines.append(f"Under floor: {plural(len(why.under_floor), 'ALT')}")
        for alt_id, (short, reasons) in why.under_floor.items():
            floor = inst.min_lessons(inst.alt_by_id[alt_id])
            lines.append(f"  {alt_id}: {short} under the floor of {floor}")
            lines += [f"    - {r.text}" for r in reasons]
    return lines


def terms_lines(totals: dict[str, int], weights: Weights) -> list[str]:
    """The soft goals of a timetable: value, weight and cost of each term."""
    w = weights.model_dump()
    lines = ["Soft goals:"]
    for t in TERMS:
        lines.append(
            f"  {TERM_WORDS[t]:<20} {totals[t]:>8,} x {w[t]:>6,} = {totals[t] * w[t]:>10,}"
        )
    total = sum(totals[t] * w[t] for t in TERMS)
    lines.append(f"  {'objective':<20} {'':>8} {'':>8} {total:>12,}")
    return lines


def _term_line(name: str, term: dict[str, int], weight: int) -> str:
    return f"    {TERM_WORDS[name]:<20} {term['value']:>6,} x {weight:>6,} = {term['penalty']:>8,}"


def alt_lines(inst: Instance, b: Breakdown, weights: Weights, alt_id: str) -> list[str]:
    """Why an ALT's week costs what it does: schools, lessons at each, every term."""
    rec = b.alt(alt_id)
    w = weights.model_dump()
    schools = rec["schools"]
    lines = [
        f"{alt_id} ({inst.alt_by_id[alt_id].name}): {plural(rec['load'], 'lesson')} at "
        f"{plural(len(schools), 'school')} (floor {rec['floor']}, max {rec['max']}); "
        f"cost {rec['penalty']:,}"
    ]
    for s in schools:
        sid = s["school_id"]
        minutes = inst.travel_minutes(alt_id, sid)
        lines.append(
            f"  {school_name(inst, sid)} ({sid}): {plural(s['lessons'], 'lesson')} "
            f"({', '.join(s['classes'])}) on {', '.join(s['days'])}; commute "
            f"{len(s['days'])} x {minutes} = {s['commute_minutes']} min"
        )
    lines.append("  terms:")
    lines += [_term_line(t, rec["terms"][t], w[t]) for t in ALT_TERMS]
    spread = b.branch["load_spread"]
    for side, word in (("busiest", "busiest"), ("least_busy", "least busy")):
        if alt_id in spread[side] and spread["value"] > 0:
            lines.append(
                f"  {alt_id} is among the {word} ALTs: the load spread of {spread['value']} "
                f"costs {spread['penalty']:,} for the branch"
            )
    return lines


def school_lines(inst: Instance, b: Breakdown, weights: Weights, school_id: str) -> list[str]:
    """What a school's week costs: its ALTs, its classes' unmet and extra ALTs, commute."""
    rec = b.school(school_id)
    w = weights.model_dump()
    lines = [
        f"{school_name(inst, school_id)} ({school_id}): {rec['given']} of {rec['need']} lessons "
        f"a week, {plural(len(rec['alts']), 'ALT')}; cost {rec['penalty']:,}"
    ]
    for a in rec["alts"]:
        lines.append(
            f"  {a['alt_id']}: {plural(a['lessons'], 'lesson')} on {', '.join(a['days'])}"
        )
    lines.append("  terms:")
    lines += [_term_line(t, term, w[t]) for t, term in rec["terms"].items()]
    for c in b.classes:
        if c["school_id"] == school_id and c["penalty"] > 0:
            alts = f"taught by {', '.join(c['alts'])}" if c["alts"] else "no ALT"
            got = f"{c['given']} of {c['need']} lessons"
            lines.append(f"  {c['class']}: {got}, {alts}; cost {c['penalty']:,}")
    return lines


def whatif_lines(inst: Instance, w: WhatIf) -> list[str]:
    """The what-if: a headline, then every term before and after."""
    alt_id = w.restriction.alt_id
    lines = [w.headline(inst)]
    if w.closed:
        names = listing([f"{school_name(inst, s)} ({s})" for s in w.closed], most=4)
        lines.append(f"  closed to {alt_id}: {names}")
    for label, lessons in (("before", w.before_lessons), ("after", w.result.lessons)):
        lines.append(f"  {alt_id} {label}: {_week_of(inst, lessons, alt_id)}")
    lines.append(f"  {'term':<20} {'before':>8} {'after':>8} {'change':>8} {'cost':>10}")
    for t, (old, new, cost) in w.changes().items():
        lines.append(f"  {TERM_WORDS[t]:<20} {old:>8,} {new:>8,} {new - old:>+8,} {cost:>+10,}")
    delta = w.after.objective - w.before.objective
    old, new = w.before.objective, w.after.objective
    lines.append(f"  {'objective':<20} {old:>8,} {new:>8,} {'':>8} {delta:>+10,}")
    before = (
        "before: a search of the same length without the restriction"
        if w.resolved_baseline
        else "before: the timetable in DIR; --baseline resolve compares two equal searches"
    )
    lines.append(f"  (a new search of {w.result.seconds:.1f} s, {w.result.status}; {before})")
    return lines


def _week_of(inst: Instance, lessons: Sequence[Lesson], alt_id: str) -> str:
    # ``24 lessons at 3 schools (Kita JHS 10, Yamabiko ES 8, Nishi JHS 6)``
    at = Counter(ls.school_id for ls in lessons if ls.alt_id == alt_id)
    each = ", ".join(f"{school_name(inst, s)} {n}" for s, n in at.most_common())
    week = f"{plural(sum(at.values()), 'lesson')} at {plural(len(at), 'school')}"
    return f"{week} ({each})" if at else week


def focus_lines(
    inst: Instance,
    b: Breakdown,
    weights: Weights,
    why: Explanation,
    *,
    alt_id: str | None,
    school_id: str | None,
) -> list[str]:
    """One ALT's and/or one school's costs, with the reasons they are short."""
    lines = []
    if alt_id is not None:
        lines += alt_lines(inst, b, weights, alt_id)
        if alt_id in why.under_floor:
            short, reasons = why.under_floor[alt_id]
            lines.append(f"  under floor by {short}:")
            lines += [f"    - {r.text}" for r in reasons]
    if school_id is not None:
        lines += school_lines(inst, b, weights, school_id)
        for key, (_m, reasons) in why.unmet.items():
            if key[0] == school_id:
                lines.append(f"  why {key[1]} is short:")
                lines += [f"    - {r.text}" for r in reasons]
    return lines


def reasons_about(
    reasons: list[Reason], *, alt_id: str | None, school_id: str | None
) -> list[Reason]:
    """The reasons that concern one ALT or one school."""
    return [
        r
        for r in reasons
        if (alt_id is not None and alt_id in r.alts)
        or (school_id is not None and any(k[0] == school_id for k in r.classes))
    ]
