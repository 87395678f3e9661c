"""The penalty breakdown per ALT, school and class adds up to the validator's terms."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.explain.penalties import ALT_TERMS, breakdown
from scheduler.io.read import load_instance
from scheduler.validate import TERMS, score
from tests.tiny import EVERY_TERM, alt, bells, branch, klass, school, solved

INSTANCES = Path(__file__).resolve().parents[2] / "instances"


@pytest.mark.parametrize("name", ["tiny-travel", "tiny-coteacher", "tiny-floor"])
def test_breakdown_totals_equal_the_validators_terms(name: str) -> None:
    inst, _ = load_instance(INSTANCES / name)
    result = solved(inst, EVERY_TERM, time_limit=5)
    s = score(inst, result.assignments, EVERY_TERM)
    b = breakdown(inst, result.assignments, EVERY_TERM)
    assert b.totals() == s.terms
    # Per ALT, the same weighted parts as the validator's per_alt KPIs.
    for rec, row in zip(b.alts, s.kpis["per_alt"], strict=True):
        assert rec["alt_id"] == row["alt_id"]
        assert {t: rec["terms"][t]["penalty"] for t in ALT_TERMS} == {
            t: row[f"penalty_{t}"] for t in ALT_TERMS
        }
    # Schools share out the unmet lessons, extra ALTs, ALT-schools and commute of the branch.
    for t in ("unmet_lesson", "continuity", "alt_school", "commute_minute"):
        assert sum(r["terms"][t]["value"] for r in b.schools) == s.terms[t]
    assert (
        sum(r["penalty"] for r in b.alts)
        + sum(r["penalty"] for r in b.classes)
        + b.branch["load_spread"]["penalty"]
        == s.objective
    )


def test_why_an_alt_is_at_two_schools_names_schools_lessons_and_costs() -> None:
    # One ALT, two schools (S1 1 km north: 3 minutes; S2 2 km: 6 minutes), each class asks
    # 2 lessons, one a day: four visit days, two at each school. Default weights:
    # ALT-schools 2 x 100, commute 3+3+6+6 = 18, day peak 1 x 10.
    inst = branch(
        [school("S1", north_km=1), school("S2", north_km=2)],
        bells("S1") + bells("S2"),
        [klass("S1", "1-1", 2), klass("S2", "1-1", 2)],
        [alt("A")],
    )
    result = solved(inst, time_limit=5)
    from scheduler.config import Weights

    rec = breakdown(inst, result.assignments, Weights.default()).alt("A")
    assert [(s["school_id"], s["lessons"], s["commute_minutes"]) for s in rec["schools"]] == [
        ("S1", 2, 6),
        ("S2", 2, 12),
    ]
    assert {t: v["penalty"] for t, v in rec["terms"].items()} == {
        "under_floor_lesson": 0,
        "alt_school": 200,
        "commute_minute": 18,
        "day_peak": 10,
    }
    assert rec["penalty"] == result.objective == 228


def test_terms_cover_every_term_of_the_objective() -> None:
    inst = branch([school("S")], bells("S"), [klass("S", "1-1", 1)], [alt("A"), alt("B")])
    result = solved(inst, EVERY_TERM, time_limit=5)
    b = breakdown(inst, result.assignments, EVERY_TERM)
    assert set(b.totals()) == set(TERMS)
    # One lesson, two ALTs: the spread of 1 is named by its busiest and least busy ALTs.
    spread = b.branch["load_spread"]
    assert spread["value"] == 1 and len(spread["busiest"]) == 1 and len(spread["least_busy"]) == 1


def test_every_solve_writes_why_an_alt_is_under_floor(tmp_path: Path) -> None:
    # Two ALTs with a floor of 3, one class asking 2: both stay under floor, and the
    # floors add up to more than the schools take. report.json says so for each ALT.
    import json

    from scheduler.io.write import write_outputs

    inst = branch(
        [school("S")], bells("S"), [klass("S", "1-1", 2)], [alt("A"), alt("B")],
        min_lessons_per_week=3,
    )  # fmt: skip
    result = solved(inst, time_limit=5)
    s = score(inst, result.assignments, EVERY_TERM)
    write_outputs(inst, result, s.kpis, s.unmet, tmp_path / "out")
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    reasons = {r["alt_id"]: r.get("reason", "") for r in report["breakdown"]["alts"]}
    assert set(reasons) == {"A", "B"}
    assert all("contract floors add up to 6 lessons a week" in r for r in reasons.values())
