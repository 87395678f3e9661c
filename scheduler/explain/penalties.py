"""How much each soft goal costs, and for whom: per ALT, per school and per class.

Every term of ``docs/objective.md`` is split over the entity it belongs to (an ALT's
schools, commute, floor and busiest day; a class's missing lessons and extra ALTs; the
branch's load spread, named by its busiest and least busy ALTs). The parts are computed
here from the assignments alone, and the tests check that they add up to the terms of
:func:`scheduler.validate.score`, so the two cannot drift apart.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import pandas as pd

from scheduler.config import Weights
from scheduler.instance import DAYS, Instance

ALT_TERMS = ("under_floor_lesson", "alt_school", "commute_minute", "day_peak")
CLASS_TERMS = ("unmet_lesson", "continuity")
SCHOOL_TERMS = ("unmet_lesson", "continuity", "alt_school", "commute_minute")


@dataclass(frozen=True)
class Breakdown:
    """Terms per entity; ``as_dict()`` is the ``breakdown`` of ``report.json``."""

    alts: list[dict[str, Any]]
    schools: list[dict[str, Any]]
    classes: list[dict[str, Any]]
    branch: dict[str, Any]

    def totals(self) -> dict[str, int]:
        """Each term summed over its entities (equals ``score(...).terms``)."""
        out: Counter[str] = Counter()
        for rec in self.alts:
            for t in ALT_TERMS:
                out[t] += rec["terms"][t]["value"]
        for rec in self.classes:
            for t in CLASS_TERMS:
                out[t] += rec["terms"][t]["value"]
        out["load_spread"] += self.branch["load_spread"]["value"]
        return dict(out)

    def alt(self, alt_id: str) -> dict[str, Any]:
        """The record of one ALT (KeyError when not in the branch)."""
        return next(r for r in self.alts if r["alt_id"] == alt_id)

    def school(self, school_id: str) -> dict[str, Any]:
        """The record of one school (KeyError when not in the branch)."""
        return next(r for r in self.schools if r["school_id"] == school_id)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON: ALTs and schools all, classes only when they cost something."""
        return {
            "alts": self.alts,
            "schools": self.schools,
            "classes": [c for c in self.classes if c["penalty"] > 0],
            "branch": self.branch,
        }


def _term(value: int, weight: int) -> dict[str, int]:
    return {"value": value, "penalty": value * weight}


def breakdown(instance: Instance, assignments: pd.DataFrame, weights: Weights) -> Breakdown:
    """Split every soft term over the ALTs, schools and classes it belongs to.

    Rows naming an ALT or class the branch does not have are left out, as
    :func:`scheduler.validate.score` does.
    """
    w = weights.model_dump()
    rows = [
        (str(r["alt_id"]), str(r["school_id"]), str(r["class"]), str(r["day"]))
        for r in assignments.to_dict("records")
        if str(r["alt_id"]) in instance.alt_by_id
        and (str(r["school_id"]), str(r["class"])) in instance.class_by_key
    ]
    alts = [_alt_record(instance, a.alt_id, rows, w) for a in instance.alts]
    classes = [_class_record(instance, c.key, rows, w) for c in instance.classes]
    schools = [_school_record(s.school_id, alts, classes, w) for s in instance.schools]
    loads = {r["alt_id"]: r["load"] for r in alts}
    top, low = max(loads.values(), default=0), min(loads.values(), default=0)
    branch = {
        "load_spread": {
            **_term(top - low, w["load_spread"]),
            "busiest": sorted(a for a, n in loads.items() if n == top) if loads else [],
            "least_busy": sorted(a for a, n in loads.items() if n == low) if loads else [],
        }
    }
    return Breakdown(alts, schools, classes, branch)


def _alt_record(
    inst: Instance, alt_id: str, rows: list[tuple[str, str, str, str]], w: dict[str, int]
) -> dict[str, Any]:
    alt = inst.alt_by_id[alt_id]
    mine = [r for r in rows if r[0] == alt_id]
    per_school: dict[str, list[tuple[str, str, str, str]]] = defaultdict(list)
    for r in mine:
        per_school[r[1]].append(r)
    schools: list[dict[str, Any]] = []
    for sid in sorted(per_school, key=lambda s: (-len(per_school[s]), s)):
        days = sorted({r[3] for r in per_school[sid]}, key=DAYS.index)
        minutes = inst.travel_minutes(alt_id, sid)
        schools.append(
            {
                "school_id": sid,
                "lessons": len(per_school[sid]),
                "classes": sorted({r[2] for r in per_school[sid]}),
                "days": days,
                "commute_minutes": minutes * len(days),
            }
        )
    per_day = Counter(r[3] for r in mine)
    floor = inst.min_lessons(alt)
    terms = {
        "under_floor_lesson": _term(max(0, floor - len(mine)), w["under_floor_lesson"]),
        "alt_school": _term(len(schools), w["alt_school"]),
        "commute_minute": _term(sum(s["commute_minutes"] for s in schools), w["commute_minute"]),
        "day_peak": _term(max(per_day.values(), default=0), w["day_peak"]),
    }
    return {
        "alt_id": alt_id,
        "load": len(mine),
        "floor": floor,
        "max": inst.max_lessons(alt),
        "schools": schools,
        "terms": terms,
        "penalty": sum(t["penalty"] for t in terms.values()),
    }


def _class_record(
    inst: Instance, key: tuple[str, str], rows: list[tuple[str, str, str, str]], w: dict[str, int]
) -> dict[str, Any]:
    mine = [r for r in rows if (r[1], r[2]) == key]
    need = inst.class_by_key[key].alt_lessons
    alts = sorted({r[0] for r in mine})
    terms = {
        "unmet_lesson": _term(max(0, need - len(mine)), w["unmet_lesson"]),
        "continuity": _term(max(0, len(alts) - 1), w["continuity"]),
    }
    return {
        "school_id": key[0],
        "class": key[1],
        "need": need,
        "given": len(mine),
        "alts": alts,
        "terms": terms,
        "penalty": sum(t["penalty"] for t in terms.values()),
    }


def _school_record(
    sid: str, alts: list[dict[str, Any]], classes: list[dict[str, Any]], w: dict[str, int]
) -> dict[str, Any]:
    # A school's share: its classes' terms, and the ALT-school and commute of visits to it.
    here = [c for c in classes if c["school_id"] == sid]
    visits = [(a["alt_id"], s) for a in alts for s in a["schools"] if s["school_id"] == sid]
    values = {
        "unmet_lesson": sum(c["terms"]["unmet_lesson"]["value"] for c in here),
        "continuity": sum(c["terms"]["continuity"]["value"] for c in here),
        "alt_school": len(visits),
        "commute_minute": sum(s["commute_minutes"] for _a, s in visits),
    }
    terms = {t: _term(v, w[t]) for t, v in values.items()}
    return {
        "school_id": sid,
        "need": sum(c["need"] for c in here),
        "given": sum(min(c["need"], c["given"]) for c in here),
        "alts": [{"alt_id": a, "lessons": s["lessons"], "days": s["days"]} for a, s in visits],
        "terms": terms,
        "penalty": sum(t["penalty"] for t in terms.values()),
    }
