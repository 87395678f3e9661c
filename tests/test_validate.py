"""The independent validator: every hard rule on a tiny branch, the objective by hand, speed."""

from __future__ import annotations

import json
import time as clock
from datetime import date, time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from scheduler.config import Weights
from scheduler.errors import InstanceError
from scheduler.instance import (
    DAYS,
    Alt,
    Bell,
    Blocked,
    Instance,
    School,
    SchoolClass,
    Settings,
    Travel,
)
from scheduler.validate import RULES, Violation, check, read_assignments, score

COLUMNS = ["alt_id", "school_id", "class", "day", "period", "start", "end"]

# The tiny branch. E1 is an elementary school (45-minute periods, one ALT a day), J1 a junior
# high (50-minute periods, two ALTs a day; period 4 only on Mon and Tue). A1 lives next to E1
# and teaches both levels; A2 lives next to J1, teaches junior high only and is off on Fridays.
# travel.csv fixes every distance: E1-J1 15, A1-E1 10, A1-J1 20, A2-J1 5, A2-E1 30.
E1_BELLS = {1: ("08:45", "09:30"), 2: ("09:40", "10:25"), 3: ("10:35", "11:20")}
J1_BELLS = {1: ("08:40", "09:30"), 2: ("09:40", "10:30"), 3: ("10:40", "11:30")}


def _t(s: str) -> time:
    return time.fromisoformat(s)


def make_instance(
    settings: dict[str, Any] | None = None,
    alts: dict[str, dict[str, Any]] | None = None,
    schools: dict[str, dict[str, Any]] | None = None,
    j1_co_teacher: str | None = None,
    blocked: tuple[Blocked, ...] = (),
    e1_j1_minutes: int = 15,
    extra_alts: tuple[Alt, ...] = (),
    extra_travel: tuple[tuple[str, str, int], ...] = (),
    no_alts: bool = False,
) -> Instance:
    """The tiny branch, with a few values changed by the caller."""
    st = {
        "min_lessons_per_week": 2,
        "max_lessons_per_week": 5,
        "max_lessons_per_day": 3,
        "max_schools_per_day": 2,
        "max_commute_minutes": 45,
        "max_class_lessons_per_day": 1,
        **(settings or {}),
    }
    school_kw = {
        "E1": {"name": "Sakura ES", "level": "elementary", "lat": 35.0, "lon": 139.0},
        "J1": {
            "name": "Kaede JHS",
            "level": "junior_high",
            "lat": 35.0,
            "lon": 139.01,
            "max_alts_per_day": 2,
        },
    }
    for sid, kw in (schools or {}).items():
        school_kw[sid] = {**school_kw[sid], **kw}
    alt_kw: dict[str, dict[str, Any]] = {
        "A1": {"name": "Amy", "home_lat": 35.0, "home_lon": 139.0},
        "A2": {
            "name": "Ben",
            "home_lat": 35.0,
            "home_lon": 139.01,
            "levels": ("junior_high",),
            "unavailable": ("Fri",),
        },
    }
    for aid, kw in (alts or {}).items():
        alt_kw[aid] = {**alt_kw[aid], **kw}
    bells = [
        Bell(school_id="E1", period=p, start=_t(s), end=_t(e)) for p, (s, e) in E1_BELLS.items()
    ]
    bells += [
        Bell(school_id="J1", period=p, start=_t(s), end=_t(e)) for p, (s, e) in J1_BELLS.items()
    ]
    bells.append(
        Bell(school_id="J1", period=4, start=_t("13:00"), end=_t("13:50"), days=("Mon", "Tue"))
    )
    travel = [("E1", "J1", e1_j1_minutes), ("A1", "E1", 10), ("A1", "J1", 20)]
    travel += [("A2", "J1", 5), ("A2", "E1", 30), *extra_travel]
    return Instance(
        settings=Settings(**st),
        schools=tuple(School(school_id=k, **v) for k, v in school_kw.items()),
        bells=tuple(bells),
        classes=(
            SchoolClass(school_id="E1", class_="5-1", alt_lessons=2, co_teacher="Sato"),
            SchoolClass(school_id="E1", class_="5-2", alt_lessons=2, co_teacher="Sato"),
            SchoolClass(school_id="J1", class_="1-1", alt_lessons=3, co_teacher=j1_co_teacher),
            SchoolClass(school_id="J1", class_="1-2", alt_lessons=1, co_teacher=j1_co_teacher),
        ),
        alts=() if no_alts else tuple(Alt(alt_id=k, **v) for k, v in alt_kw.items()) + extra_alts,
        blocked=blocked,
        travel=tuple(Travel(from_=a, to=b, minutes=m) for a, b, m in travel),
    )


def lesson(alt: str, school: str, cls: str, day: str, period: int, span: str = "") -> dict:
    """One assignments row; times from the school's bells unless ``span`` says HH:MM-HH:MM."""
    start, end = span.split("-") if span else (E1_BELLS if school == "E1" else J1_BELLS)[period]
    return {"alt_id": alt, "school_id": school, "class": cls, "day": day, "period": period,
            "start": start, "end": end}  # fmt: skip


# A valid week: A1 teaches E1 on Mon and Tue, A2 teaches J1 Mon-Thu; every need is met.
VALID = [
    lesson("A1", "E1", "5-1", "Mon", 1),
    lesson("A1", "E1", "5-2", "Mon", 2),
    lesson("A1", "E1", "5-1", "Tue", 1),
    lesson("A1", "E1", "5-2", "Tue", 3),
    lesson("A2", "J1", "1-1", "Mon", 1),
    lesson("A2", "J1", "1-1", "Tue", 2),
    lesson("A2", "J1", "1-1", "Wed", 3),
    lesson("A2", "J1", "1-2", "Thu", 1),
]
# VALID with A2's Thursday lesson moved to A1 on Monday after E1: A1 sees two schools that day
# (gap 10:25 -> 10:40 = 15 minutes, exactly the travel time) and J1 two ALTs.
TWO_SCHOOLS = [*VALID[:7], lesson("A1", "J1", "1-2", "Mon", 3)]


def frame(rows: list[dict]) -> pd.DataFrame:
    """The rows as an assignments table."""
    return pd.DataFrame(rows, columns=COLUMNS)


def replace(rows: list[dict], i: int, new: dict) -> list[dict]:
    """The rows with row i replaced."""
    return [new if j == i else r for j, r in enumerate(rows)]


def rules(inst: Instance, rows: list[dict]) -> list[str]:
    """Rule names of every violation, in report order."""
    return [v.rule for v in check(inst, frame(rows))]


# ---- valid tables ----------------------------------------------------------------------------


def test_valid_week_has_no_violation() -> None:
    assert check(make_instance(), frame(VALID)) == []


def test_two_schools_a_day_with_exact_travel_time_is_valid() -> None:
    assert check(make_instance(), frame(TWO_SCHOOLS)) == []


def test_empty_timetable_is_valid() -> None:
    assert check(make_instance(), frame([])) == []


# ---- one rule broken at a time ---------------------------------------------------------------


CASES: list[tuple[str, str, dict[str, Any], list[dict], int]] = [
    # (rule, why, make_instance overrides, rows, number of violations)
    ("duplicate_row", "A2's Thursday row twice", {}, [*VALID, VALID[7]], 1),
    ("unknown_reference", "ALT A9 is not in alts.csv",
     {}, replace(VALID, 7, lesson("A9", "J1", "1-2", "Thu", 1)), 1),
    ("unknown_reference", "school X1 is not in schools.csv",
     {}, replace(VALID, 7, lesson("A2", "X1", "1-2", "Thu", 1, "08:40-09:30")), 1),
    ("unknown_reference", "J1 has no class 3-3",
     {}, replace(VALID, 7, lesson("A2", "J1", "3-3", "Thu", 1)), 1),
    ("bell_mismatch", "J1's period 4 exists on Mon and Tue only",
     {}, replace(VALID, 7, lesson("A2", "J1", "1-2", "Wed", 4, "13:00-13:50")), 1),
    ("bell_mismatch", "E1 has no period 5 at all",
     {}, replace(VALID, 1, lesson("A1", "E1", "5-2", "Mon", 5, "13:00-13:45")), 1),
    ("bell_mismatch", "E1 period 1 starts 08:45, not 08:50",
     {}, replace(VALID, 0, lesson("A1", "E1", "5-1", "Mon", 1, "08:50-09:35")), 1),
    ("day_window", "J1's period 1 at 08:40 starts before a 08:45 day start",
     {"settings": {"day_start": time(8, 45)}}, VALID, 2),
    ("level", "A1 made junior-high only, teaching four E1 lessons",
     {"alts": {"A1": {"levels": ("junior_high",)}}}, VALID, 4),
    ("day_off", "A2 is off on Friday",
     {}, replace(VALID, 7, lesson("A2", "J1", "1-2", "Fri", 1)), 1),
    ("commute", "A1 lives 10 minutes from E1, the limit is 9",
     {"settings": {"max_commute_minutes": 9}}, VALID, 4),
    ("alt_week_max", "A1 teaches 4, allowed 3",
     {"alts": {"A1": {"max_lessons": 3}}}, VALID, 1),
    ("alt_day_max", "A1 teaches 2 on Mon and 2 on Tue, allowed 1 a day",
     {"alts": {"A1": {"max_lessons_per_day": 1}}}, VALID, 2),
    ("schools_per_day", "A1 sees E1 and J1 on Monday, allowed 1 school",
     {"settings": {"max_schools_per_day": 1}}, TWO_SCHOOLS, 1),
    ("alt_overlap", "A2 teaches 1-1 and 1-2 in J1's period 1 on Monday",
     {}, replace(VALID, 7, lesson("A2", "J1", "1-2", "Mon", 1)), 1),
    ("travel", "E1 -> J1 takes 20 minutes, A1 has 15",
     {"e1_j1_minutes": 20}, TWO_SCHOOLS, 1),
    ("class_need", "1-2 needs 1 and gets 2",
     {}, [*VALID, lesson("A2", "J1", "1-2", "Tue", 1)], 1),
    ("class_day_limit", "1-1 gets two lessons on Monday",
     {}, replace(VALID, 6, lesson("A2", "J1", "1-1", "Mon", 3)), 1),
    ("class_overlap", "A1 and A2 both teach 1-1 in Wednesday's period 3",
     {"settings": {"max_class_lessons_per_day": 2}},
     replace(VALID, 5, lesson("A1", "J1", "1-1", "Wed", 3)), 1),
    ("co_teacher", "1-1 and 1-2 share Ito and meet A2 and A1 in Wednesday's period 3",
     {"j1_co_teacher": "Ito"}, replace(VALID, 7, lesson("A1", "J1", "1-2", "Wed", 3)), 1),
    ("alts_per_day", "J1 takes one ALT a day, gets A1 and A2 on Monday",
     {"schools": {"J1": {"max_alts_per_day": 1}}}, TWO_SCHOOLS, 1),
]  # fmt: skip


@pytest.mark.parametrize(
    ("rule", "why", "overrides", "rows", "count"), CASES, ids=[f"{c[0]}: {c[1]}" for c in CASES]
)
def test_each_rule_alone(
    rule: str, why: str, overrides: dict[str, Any], rows: list[dict], count: int
) -> None:
    found = check(make_instance(**overrides), frame(rows))
    assert [v.rule for v in found] == [rule] * count, why
    assert all(v.message and str(v).startswith(rule) for v in found)


def test_every_rule_has_a_case() -> None:
    # blocked has its own table below; pin its own tests (tests/replan/test_pins.py).
    assert {c[0] for c in CASES} | {"blocked", "pin"} == set(RULES)


BLOCKS = [
    # (blocked row, violations in VALID)
    # the whole of E1 on Monday: both Monday lessons there
    (Blocked(school_id="E1", day="Mon"), 2),
    # only class 5-1, period 1 on Tuesday
    (Blocked(school_id="E1", class_="5-1", day="Tue", periods=(1,)), 1),
    # a range 3-4 at J1 on Wednesday catches 1-1 in period 3
    (Blocked(school_id="J1", day="Wed", periods=(3, 4)), 1),
    # another class of the school is not affected
    (Blocked(school_id="E1", class_="5-2", day="Tue", periods=(1,)), 0),
    # another period is not affected
    (Blocked(school_id="J1", day="Thu", periods=(2,)), 0),
    # a dated row is a calendar event (2025-06-02 is a Monday), not a weekly rule
    (Blocked(school_id="E1", day=date(2025, 6, 2)), 0),
]


@pytest.mark.parametrize(("row", "count"), BLOCKS)
def test_blocked(row: Blocked, count: int) -> None:
    assert rules(make_instance(blocked=(row,)), VALID) == ["blocked"] * count


def test_travel_checks_every_pair_and_direction() -> None:
    # One-way override J1 -> E1 = 60 (E1 -> J1 stays 15 from the base rows, explicit wins).
    # A1 on Mon: J1 p1 08:40-09:30, then E1 p3 10:35: gap 65 >= 60, fine. Make E1 p2 instead:
    # gap 09:30 -> 09:40 = 10 < 60, a travel violation located at the later lesson.
    inst = make_instance(extra_travel=(("J1", "E1", 60),))
    ok = [lesson("A1", "J1", "1-2", "Mon", 1), lesson("A1", "E1", "5-1", "Mon", 3)]
    bad = [lesson("A1", "J1", "1-2", "Mon", 1), lesson("A1", "E1", "5-1", "Mon", 2)]
    assert rules(inst, ok) == []
    found = check(inst, frame(bad))
    assert [(v.rule, v.school_id, v.period) for v in found] == [("travel", "E1", 2)]
    # Back the other way (E1 -> J1 takes 15): E1 p1 ends 09:30, J1 p2 starts 09:40.
    assert rules(
        inst, [lesson("A1", "E1", "5-1", "Mon", 1), lesson("A1", "J1", "1-2", "Mon", 2)]
    ) == ["travel"]


def test_partial_overlap_counts() -> None:
    # 09:00-09:50 at J1 (a bell mismatch) overlaps A2's own 08:40-09:30 lesson.
    rows = [
        lesson("A2", "J1", "1-1", "Mon", 1),
        lesson("A2", "J1", "1-2", "Mon", 2, "09:00-09:50"),
    ]
    assert rules(make_instance(), rows) == ["bell_mismatch", "alt_overlap"]


def test_unknown_rows_are_left_out_of_other_rules() -> None:
    # Unknown ALT A9 in 1-1's Monday period 1 would otherwise also be a class_overlap with A2
    # and push 1-1 over its need and daily limit.
    rows = [*VALID, lesson("A9", "J1", "1-1", "Mon", 1)]
    found = check(make_instance(), frame(rows))
    assert [(v.rule, v.alt_id) for v in found] == [("unknown_reference", "A9")]


def test_violation_str_names_the_place() -> None:
    v = Violation("day_off", "is unavailable", "A2", "J1", "1-2", "Fri", 1)
    assert str(v) == "day_off: A2 J1 1-2 Fri p1: is unavailable"
    assert str(Violation("objective_mismatch", "differs")) == "objective_mismatch: differs"


def test_check_accepts_time_objects_and_int_periods() -> None:
    rows = [{**r, "start": _t(r["start"]), "end": _t(r["end"])} for r in VALID]
    assert check(make_instance(), frame(rows)) == []


# ---- reading assignments.csv -----------------------------------------------------------------


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "assignments.csv"
    path.write_text(text, encoding="utf-8")
    return path


HEADER = "alt_id,school_id,class,day,period,start,end\n"


def test_read_assignments_round_trip(tmp_path: Path) -> None:
    frame(VALID).to_csv(tmp_path / "assignments.csv", index=False)
    got = read_assignments(tmp_path / "assignments.csv")
    assert list(got.columns) == COLUMNS
    assert got.to_dict("records") == VALID


def test_read_assignments_tolerates_bom_extra_columns_and_short_hours(tmp_path: Path) -> None:
    path = tmp_path / "assignments.csv"
    path.write_bytes(
        ("\ufeff" + HEADER.strip() + ",note\nA1,E1,5-1,Mon,1,8:45,9:30,hi\n").encode()
    )
    got = read_assignments(path)
    assert got.to_dict("records") == [lesson("A1", "E1", "5-1", "Mon", 1)]


BAD_ROWS = [
    # (data row, column, value, message fragment)
    ("A1,E1,5-1,Sat,1,08:45,09:30", "day", "Sat", "not a weekday"),
    ("A1,E1,5-1,Mon,0,08:45,09:30", "period", "0", "not a period"),
    ("A1,E1,5-1,Mon,one,08:45,09:30", "period", "one", "not a period"),
    ("A1,E1,5-1,Mon,1,8h45,09:30", "start", "8h45", "not a time"),
    ("A1,E1,5-1,Mon,1,08:45,24:30", "end", "24:30", "not a time"),
    ("A1,E1,5-1,Mon,1,09:30,08:45", "end", "08:45", "not after start"),
    (",E1,5-1,Mon,1,08:45,09:30", "alt_id", None, "is empty"),
]


@pytest.mark.parametrize(("line", "column", "value", "fragment"), BAD_ROWS)
def test_read_assignments_bad_value(
    tmp_path: Path, line: str, column: str, value: str | None, fragment: str
) -> None:
    good = "A2,J1,1-1,Mon,1,08:40,09:30\n"
    with pytest.raises(InstanceError) as e:
        read_assignments(_write(tmp_path, HEADER + good + line + "\n"))
    [issue] = e.value.issues
    assert (issue.file, issue.row, issue.column, issue.value) == (
        "assignments.csv",
        3,
        column,
        value,
    )
    assert fragment in issue.message


def test_read_assignments_missing_column(tmp_path: Path) -> None:
    with pytest.raises(InstanceError) as e:
        read_assignments(_write(tmp_path, "alt_id,school_id,class,day,start,end\n"))
    assert [(i.column, i.row) for i in e.value.issues] == [("period", None)]


def test_read_assignments_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InstanceError, match="does not exist"):
        read_assignments(tmp_path / "assignments.csv")


def test_read_assignments_header_only(tmp_path: Path) -> None:
    assert read_assignments(_write(tmp_path, HEADER)).empty


# ---- the objective ---------------------------------------------------------------------------

# Weights chosen so every term is visible in the total; continuity weighs 0.
W = Weights(
    unmet_lesson=1000,
    under_floor_lesson=100,
    alt_school=10,
    commute_minute=1,
    load_spread=7,
    day_peak=3,
    continuity=0,
)
# A third ALT, A3, never teaches (floor 1). Home at E1, no travel row needed: no visits.
A3 = Alt(alt_id="A3", name="Cal", home_lat=35.0, home_lon=139.0, min_lessons=1)
SCORED = [
    lesson("A1", "E1", "5-1", "Mon", 1),
    lesson("A1", "E1", "5-2", "Mon", 2),
    lesson("A1", "J1", "1-1", "Mon", 3),
    lesson("A2", "J1", "1-2", "Tue", 1),
    lesson("A2", "J1", "1-1", "Tue", 2),
    lesson("A1", "E1", "5-1", "Wed", 1),
]
# By hand:
#   given 5-1 = 2/2, 5-2 = 1/2, 1-1 = 2/3, 1-2 = 1/1        -> unmet_lesson = 0+1+1+0 = 2
#   loads A1 4, A2 2, A3 0; floors 2, 2, 1                  -> under_floor_lesson = 1
#   schools A1 {E1, J1}, A2 {J1}, A3 {}                     -> alt_school = 2+1+0 = 3
#   visits A1 (E1 Mon) 10 + (J1 Mon) 20 + (E1 Wed) 10, A2 (J1 Tue) 5 -> commute_minute = 45
#   loads 4, 2, 0                                           -> load_spread = 4 - 0 = 4
#   busiest days A1 Mon 3, A2 Tue 2, A3 0                   -> day_peak = 5
#   1-1 sees A1 and A2                                      -> continuity = 1 (weight 0)
#   objective = 1000*2 + 100*1 + 10*3 + 1*45 + 7*4 + 3*5 + 0*1 = 2218
EXPECTED_TERMS = {
    "unmet_lesson": 2,
    "under_floor_lesson": 1,
    "alt_school": 3,
    "commute_minute": 45,
    "load_spread": 4,
    "day_peak": 5,
    "continuity": 1,
}


def test_score_terms_and_objective_by_hand() -> None:
    s = score(make_instance(extra_alts=(A3,)), frame(SCORED), W)
    assert s.terms == EXPECTED_TERMS
    assert s.objective == 2218
    assert s.penalties["continuity"] == 0
    assert s.penalties["commute_minute"] == 45


def test_score_per_alt_and_per_class() -> None:
    s = score(make_instance(extra_alts=(A3,)), frame(SCORED), W)
    a1 = s.per_alt.set_index("alt_id").loc["A1"]
    # A1: Mon 3 lessons, Wed 1; schools E1, J1; visit days Mon, Wed; commute 40;
    # own penalty = 100*0 + 10*2 + 1*40 + 3*3 = 69.
    assert [a1[d] for d in DAYS] == [3, 0, 1, 0, 0]
    assert (a1["load"], a1["schools"], a1["visit_days"], a1["commute_minutes"]) == (4, 2, 2, 40)
    assert (a1["floor"], a1["max"], a1["day_peak"], a1["penalty"]) == (2, 5, 3, 69)
    a3 = s.per_alt.set_index("alt_id").loc["A3"]
    assert (a3["load"], a3["under_floor"], a3["penalty"]) == (0, 1, 100)
    assert s.per_class.set_index("class")["alts"].to_dict() == {
        "5-1": 1,
        "5-2": 1,
        "1-1": 2,
        "1-2": 1,
    }
    assert s.unmet.to_dict("records") == [
        {"school_id": "E1", "class": "5-2", "missing": 1},
        {"school_id": "J1", "class": "1-1", "missing": 1},
    ]
    cov = s.kpis["coverage"]
    assert (cov["need"], cov["given"], cov["missing"], cov["ratio"]) == (8, 6, 2, 0.75)


def test_kpis_serialise_to_json() -> None:
    s = score(make_instance(extra_alts=(A3,)), frame(SCORED), W)
    back = json.loads(json.dumps(s.kpis))
    assert back["per_alt"][0]["alt_id"] == "A1"
    assert back["alts"]["load_max"] == 4


def test_zero_weights_give_zero_objective() -> None:
    zero = Weights(**dict.fromkeys(EXPECTED_TERMS, 0))
    s = score(make_instance(extra_alts=(A3,)), frame(SCORED), zero)
    assert s.objective == 0
    assert s.terms == EXPECTED_TERMS


def test_score_of_a_branch_without_alts() -> None:
    # No ALTs: only the whole need (2+2+3+1 = 8) is unmet; the spread is 0 by definition.
    s = score(make_instance(no_alts=True), frame([]), W)
    assert s.terms == {**dict.fromkeys(EXPECTED_TERMS, 0), "unmet_lesson": 8}
    assert s.objective == 8000
    assert s.unmet["missing"].sum() == 8


def test_score_valid_week() -> None:
    # VALID: all met; loads 4 and 4; A1 one school, 2 visits x 10; A2 one school, 4 visits x 5;
    # peaks A1 2, A2 1. objective = 10*2 + 1*40 + 3*3 = 69.
    s = score(make_instance(), frame(VALID), W)
    assert s.terms == {**dict.fromkeys(EXPECTED_TERMS, 0), "alt_school": 2, "commute_minute": 40,
                       "day_peak": 3}  # fmt: skip
    assert s.objective == 69
    assert s.unmet.empty


# ---- speed -----------------------------------------------------------------------------------


def big_branch() -> tuple[Instance, pd.DataFrame]:
    """125 junior highs, 250 ALTs with 24 lessons each: a valid 6,000-lesson week."""
    schools, bells, classes, alts, rows = [], [], [], [], []
    for s in range(125):
        sid = f"S{s:03d}"
        lat, lon = 35.0 + s * 0.01, 139.0
        schools.append(School(school_id=sid, name=sid, level="junior_high", lat=lat, lon=lon,
                              max_alts_per_day=2))  # fmt: skip
        for p in range(1, 7):
            start = time(8 + p, 0)
            bells.append(Bell(school_id=sid, period=p, start=start, end=time(8 + p, 50)))
        classes += [SchoolClass(school_id=sid, class_=f"{g}-{c}", alt_lessons=5)
                    for g in (1, 2, 3) for c in (1, 2, 3, 4)]  # fmt: skip
        names = [c.class_ for c in classes[-12:]]
        for k in (0, 1):
            aid = f"A{2 * s + k:03d}"
            alts.append(Alt(alt_id=aid, name=aid, home_lat=lat, home_lon=lon))
            for d, day in enumerate(DAYS):
                # Four lessons on Friday, five on other days: 24 a week.
                for j in range(4 if day == "Fri" else 5):
                    # The day's 10 (Fri 8) lessons at a school go to distinct classes.
                    rows.append(lesson(aid, sid, names[(k * 5 + j + d) % 12], day, j + 1,
                                       f"{8 + j + 1:02d}:00-{8 + j + 1:02d}:50"))  # fmt: skip
    inst = Instance(schools=tuple(schools), bells=tuple(bells), classes=tuple(classes),
                    alts=tuple(alts))  # fmt: skip
    return inst, frame(rows)


def test_six_thousand_lessons_are_checked_fast() -> None:
    inst, table = big_branch()
    assert len(table) == 6000
    t0 = clock.perf_counter()
    found = check(inst, table)
    s = score(inst, table, Weights.default())
    elapsed = clock.perf_counter() - t0
    assert found == []
    assert s.terms["unmet_lesson"] == 125 * 12 * 5 - 6000
    assert elapsed < 2.0, f"check + score took {elapsed:.2f} s"


# ---- the check command -----------------------------------------------------------------------


@pytest.fixture
def branch_dir(tmp_path: Path) -> Path:
    """The tiny branch written as a CSV folder (needs the instance reader and writer)."""
    tables = pytest.importorskip("scheduler.io.tables")
    pytest.importorskip("scheduler.io.read")
    folder = tmp_path / "branch"
    folder.mkdir()
    tables.write_instance(make_instance(), folder)
    return folder


def run_check(*args: str) -> tuple[int, str]:
    """Run ``altsched check`` in-process; exit code and printed text."""
    from typer.testing import CliRunner

    from scheduler.cli import app

    result = CliRunner().invoke(app, ["check", *args])
    if isinstance(result.exception, InstanceError):
        return 2, str(result.exception)
    return result.exit_code, result.output


def test_check_command_valid(branch_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    frame(VALID).to_csv(out / "assignments.csv", index=False)
    # Default weights on VALID: alt_school 100*2 + commute 1*40 + day_peak 10*3 = 270.
    (out / "report.json").write_text(json.dumps({"objective": 270}), encoding="utf-8")
    code, text = run_check(str(branch_dir), str(out))
    assert code == 0, text
    assert "270" in text and "OK" in text


def test_check_command_violation_and_objective_mismatch(branch_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    frame(replace(VALID, 7, lesson("A2", "J1", "1-2", "Fri", 1))).to_csv(
        out / "assignments.csv", index=False
    )
    (out / "report.json").write_text(json.dumps({"objective": 1}), encoding="utf-8")
    code, text = run_check(str(branch_dir), str(out))
    assert code == 1
    assert "day_off" in text and "objective_mismatch" in text


def test_check_command_weights_file(branch_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    frame(VALID).to_csv(out / "assignments.csv", index=False)
    # Only commute changes: 100*2 + 2*40 + 10*3 = 310.
    (out / "report.json").write_text(json.dumps({"objective": 310}), encoding="utf-8")
    weights = tmp_path / "w.toml"
    weights.write_text("[weights]\ncommute_minute = 2\n", encoding="utf-8")
    code, text = run_check(str(branch_dir), str(out), "--weights", str(weights))
    assert code == 0, text


def test_check_command_bad_assignments(branch_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "assignments.csv").write_text(
        HEADER + "A1,E1,5-1,Sun,1,08:45,09:30\n", encoding="utf-8"
    )
    code, text = run_check(str(branch_dir), str(out))
    assert code == 2
    assert 'assignments.csv row 2, column day: "Sun"' in text


def test_rows_named_in_assignments_errors_are_the_lines_an_editor_shows(tmp_path: Path) -> None:
    # pandas drops blank lines; the messages must still name the line the user sees.
    path = tmp_path / "assignments.csv"
    path.write_text(
        "alt_id,school_id,class,day,period,start,end\n"
        "A1,S1,1-1,Mon,1,08:45,09:30\n"
        "\n"
        "\n"
        "A1,S1,1-2,Monday,2,09:35,10:20\n",
        encoding="utf-8",
    )
    with pytest.raises(InstanceError) as caught:
        read_assignments(path)
    assert [(i.row, i.column, i.value) for i in caught.value.issues] == [(5, "day", "Monday")]
