"""pins.csv: every solve keeps every pin, and a pin that cannot be kept is an input error.

Tiny branches with the answer known, the input errors as a table (each names its row, column
and rule), and a property: pins drawn from a valid timetable are kept by every method on
both the small and the large path.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.config import Settings, SolverParams, Weights
from scheduler.errors import InstanceError
from scheduler.generate import generate
from scheduler.instance import Instance, Pin
from scheduler.io.read import load_instance
from scheduler.io.tables import write_instance
from scheduler.replan.pins import pin_issues
from scheduler.solve import solve
from scheduler.validate import check
from tests.cli.test_calendar_cli import run
from tests.tiny import alt, bells, branch, klass, school, solved

# Sakura ES at the origin; A1 lives beside it, A2 5 km north (15 minutes at 20 km/h), both
# within the 60-minute commute. Two classes need one lesson each.
SAKURA = [school("S")]
BELLS = bells("S", periods=6)
CLASSES = [klass("S", "3-1", 1), klass("S", "4-1", 1)]


def two_alts(**a2: object) -> Instance:
    """The branch with A1 beside the school and A2 further away."""
    return branch(SAKURA, BELLS, CLASSES, [alt("A1"), alt("A2", north_km=5.0, **a2)])


def with_pins(inst: Instance, *pins: dict[str, object]) -> Instance:
    """The instance with these pins."""
    return inst.model_copy(update={"pins": tuple(Pin.model_validate(p) for p in pins)})


@pytest.mark.parametrize("method", ["cpsat", "greedy"])
def test_school_pin_sends_the_farther_alt(method: str) -> None:
    # Without the pin A1 teaches both lessons (nearer, one school): A2 teaches nothing.
    free = solved(two_alts(), method=method, time_limit=3)
    assert {ls.alt_id for ls in free.lessons} == {"A1"}
    # Pinned to the school, A2 gives at least one of its two lessons.
    pinned = with_pins(two_alts(), {"alt_id": "A2", "school_id": "S"})
    result = solved(pinned, method=method, time_limit=3)
    assert any(ls.alt_id == "A2" and ls.school_id == "S" for ls in result.lessons)
    assert len(result.lessons) == 2


@pytest.mark.parametrize("method", ["cpsat", "greedy"])
def test_day_and_exact_pins_are_kept_where_they_say(method: str) -> None:
    # A solve prefers Monday and period 1; the pins ask for Wednesday (any class and period)
    # and for 4-1 in period 5 on Thursday.
    pinned = with_pins(
        two_alts(),
        {"alt_id": "A1", "school_id": "S", "day": "Wed"},
        {"alt_id": "A1", "school_id": "S", "day": "Thu", "class": "4-1", "period": 5},
    )
    result = solved(pinned, method=method, time_limit=3)
    got = {(ls.alt_id, ls.class_, ls.day, ls.period) for ls in result.lessons}
    assert ("A1", "4-1", "Thu", 5) in got
    # 4-1 is taken on Thursday; the Wednesday pin is the other class's lesson.
    assert ("A1", "3-1", "Wed") in {(a, c, d) for a, c, d, _p in got}


def test_the_validator_reports_a_pin_not_kept() -> None:
    pinned = with_pins(two_alts(), {"alt_id": "A2", "school_id": "S", "day": "Tue"})
    free = solved(two_alts(), time_limit=3)  # A1 only: the pin is broken
    rules = [v.rule for v in check(pinned, free.assignments)]
    assert rules == ["pin"]


# ---- input errors --------------------------------------------------------------------------

# A1 works both levels but not on Wednesday; A2 only elementary, 100 km away (out of the
# 60-minute commute to S); S has six periods, period 2 blocked on Tuesday; J is a junior
# high beside S. A1's weekly maximum is 3 lessons.
ERRORS_BRANCH = {
    "schools.csv": "school_id,name,level,lat,lon\nS,Sakura ES,elementary,35.0,139.0\n"
    "J,Midori JHS,junior_high,35.001,139.0\n",
    "bells.csv": "school_id,period,start,end\n"
    + "".join(f"{s},{p},{8 + p}:00,{8 + p}:45\n" for s in "SJ" for p in range(1, 7)),
    "classes.csv": "school_id,class,alt_lessons\nS,3-1,2\nS,4-1,2\nS,5-1,0\nJ,1-1,4\n",
    "alts.csv": "alt_id,name,home_lat,home_lon,levels,min_lessons,max_lessons,unavailable\n"
    "A1,Ann,35.0,139.0,,0,3,Wed\nA2,Ben,35.9,139.0,elementary,,,\n"
    "A3,Cai,35.0,139.0,elementary,,,\n",
    "blocked.csv": "school_id,class,day,periods\nS,,Tue,2\n",
}
HEADER = "alt_id,school_id,day,class,period\n"

# (pins.csv rows after the header, the row, column and words every message names)
PIN_ERRORS = [
    # A pin on an ALT's day off.
    ("A1,S,Wed,,\n", 2, "day", "day_off"),
    # An elementary-only ALT pinned to a junior high.
    ("A3,J,,,\n", 2, "school_id", "rule level"),
    # Out of the commute: A2 lives 100 km away.
    ("A1,S,,,\nA2,S,,,\n", 3, "school_id", "rule commute"),
    # A blocked period.
    ("A1,S,Tue,3-1,2\n", 2, "period", "rule blocked"),
    # A period the school's bells do not have.
    ("A1,S,Mon,3-1,9\n", 2, "period", "bell_mismatch"),
    # Unknown ALT, school and class.
    ("A9,S,,,\n", 2, "alt_id", "alts.csv"),
    ("A1,X,,,\n", 2, "school_id", "schools.csv"),
    ("A1,S,Mon,9-9,1\n", 2, "class", "classes.csv"),
    # A class that needs no ALT lesson.
    ("A1,S,Mon,5-1,1\n", 2, "class", "class_need"),
    # Class without period.
    ("A1,S,Mon,3-1,\n", 2, "period", "both"),
    # An exact lesson needs its day.
    ("A1,S,,3-1,1\n", 2, "day", "needs its day"),
    # Two exact pins of one ALT at the same period (rule alt_overlap), rows 2 and 3.
    ("A1,S,Mon,3-1,1\nA1,S,Mon,4-1,1\n", 2, "alt_id", "rows 2, 3"),
    # Two exact pins of one class on one day (rule class_day_limit: one a day).
    ("A1,S,Mon,3-1,1\nA1,S,Mon,3-1,3\n", 2, "class", "class_day_limit"),
    # Four pinned school-days ask A1 for four lessons, above the weekly maximum 3.
    ("A1,S,Mon,,\nA1,S,Tue,,\nA1,S,Thu,,\nA1,J,Fri,,\n", 2, "alt_id", "alt_week_max"),
    # A3's exact pins take all four lessons S needs: none is left for A1's pin (row 6).
    (
        "A3,S,Mon,3-1,1\nA3,S,Tue,3-1,1\nA3,S,Mon,4-1,3\nA3,S,Thu,4-1,1\nA1,S,,,\n",
        6,
        "school_id",
        "beside the pins on rows 2, 3, 4, 5",
    ),
    # Two schools on one day, one school a day allowed.
    ("A1,S,Mon,,\nA1,J,Mon,,\n", 2, "alt_id", "schools_per_day"),
    # The same exact lesson twice.
    ("A1,S,Mon,3-1,1\nA1,S,Mon,3-1,1\n", 3, "period", "same lesson as the pin on row 2"),
]


def write_branch(root: Path, pins: str) -> Path:
    """ERRORS_BRANCH with this pins.csv, as a CSV folder."""
    folder = root / "branch"
    folder.mkdir()
    for name, text in {**ERRORS_BRANCH, "pins.csv": HEADER + pins}.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize(("pins", "row", "column", "words"), PIN_ERRORS)
def test_a_pin_that_cannot_be_kept_names_row_column_and_rule(
    tmp_path: Path, pins: str, row: int, column: str, words: str
) -> None:
    with pytest.raises(InstanceError) as raised:
        load_instance(write_branch(tmp_path, pins))
    issues = raised.value.issues
    assert any(
        i.file == "pins.csv" and i.row == row and i.column == column and words in i.message
        for i in issues
    ), [str(i) for i in issues]


def test_pins_over_a_weekly_maximum_name_the_rule(tmp_path: Path) -> None:
    pins = "A1,S,Mon,3-1,1\nA1,S,Tue,3-1,1\nA1,S,Mon,4-1,3\nA1,S,Thu,4-1,1\n"
    with pytest.raises(InstanceError) as raised:
        load_instance(write_branch(tmp_path, pins))
    (issue,) = raised.value.issues
    assert "alt_week_max" in issue.message and "rows 2, 3, 4, 5" in issue.message


def test_a_good_pins_table_loads_and_round_trips(tmp_path: Path) -> None:
    inst, _ = load_instance(write_branch(tmp_path, "A1,S,,,\nA3,S,Tue,,\nA1,S,Mon,3-1,1\n"))
    assert [(p.alt_id, p.day, p.class_, p.period) for p in inst.pins] == [
        ("A1", None, None, None),
        ("A3", "Tue", None, None),
        ("A1", "Mon", "3-1", 1),
    ]
    for name in ("again", "book.xlsx", "branch.yaml"):
        write_instance(inst, tmp_path / name)
        assert load_instance(tmp_path / name)[0].pins == inst.pins


def test_the_command_line_refuses_a_bad_pin_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_branch(tmp_path, "A1,S,Wed,,\n")
    code, out, err = run(monkeypatch, capsys, "solve", folder, "--out", tmp_path / "out")
    assert code == 2
    assert "pins.csv row 2, column day" in out + err and "day_off" in out + err
    assert not (tmp_path / "out").exists()


def test_solve_refuses_pins_an_api_user_built_wrong() -> None:
    inst = with_pins(
        two_alts(unavailable=("Mon",)), {"alt_id": "A2", "school_id": "S", "day": "Mon"}
    )
    with pytest.raises(InstanceError, match="day_off"):
        solve(inst, Weights.default(), SolverParams.default(time_limit=1))


# ---- pins on every method and both paths ---------------------------------------------------


def random_pins(inst: Instance, rng: random.Random, count: int) -> tuple[Pin, ...]:
    """Pins drawn from a valid timetable of ``inst`` (so they can all be kept): school, day
    and exact pins alike."""
    params = SolverParams.default(time_limit=1, workers=1, seed=0)
    lessons = list(solve(inst, Weights.default(), params, method="greedy").lessons)
    out = []
    for ls in rng.sample(lessons, min(count, len(lessons))):
        kind = rng.choice(["school", "day", "exact"])
        pin = {"alt_id": ls.alt_id, "school_id": ls.school_id}
        if kind != "school":
            pin["day"] = ls.day
        if kind == "exact":
            pin |= {"class": ls.class_, "period": str(ls.period)}
        out.append(Pin.model_validate(pin))
    return tuple(out)


def large_path(monkeypatch: pytest.MonkeyPatch, large: bool) -> None:
    """Solves with the default settings take the large path (every branch) or the small one
    (a branch this size): the ``[search] large_branch_visits`` setting."""
    default = Settings.default()
    search = default.search.model_copy(update={"large_branch_visits": 0 if large else 2_500})
    chosen = default.model_copy(update={"search": search})
    monkeypatch.setattr(Settings, "default", staticmethod(lambda: chosen))


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seed=st.integers(0, 50), count=st.integers(1, 6), large=st.booleans())
def test_random_pins_from_a_valid_timetable_are_kept(
    monkeypatch: pytest.MonkeyPatch, seed: int, count: int, large: bool
) -> None:
    inst = generate(3, seed)
    inst = inst.model_copy(update={"pins": random_pins(inst, random.Random(seed), count)})
    assert pin_issues(inst) == []
    # The large path on a small branch: the same region search a 100-ALT branch runs.
    large_path(monkeypatch, large)
    for method in ("greedy", "cpsat"):
        result = solve(
            inst, Weights.default(), SolverParams.default(time_limit=1, workers=1, seed=0),
            method=method,  # type: ignore[arg-type]
        )  # fmt: skip
        assert check(inst, result.assignments) == [], (method, large)


@pytest.mark.parametrize("large", [False, True])
def test_two_schools_pinned_on_one_day_are_kept_on_both_paths(
    monkeypatch: pytest.MonkeyPatch, large: bool
) -> None:
    # S and T 1 km apart, two schools a day allowed: A1 is pinned to both on Monday. The large
    # path searches with one school a day (docs/model.md); its pinned start is kept instead.
    inst = branch(
        [school("S"), school("T", north_km=1.0)],
        [*bells("S"), *bells("T")],
        [klass("S", "3-1", 2), klass("T", "3-1", 2)],
        [alt("A1"), alt("A2", north_km=1.0)],
        max_schools_per_day=2,
    )
    inst = with_pins(
        inst,
        {"alt_id": "A1", "school_id": "S", "day": "Mon"},
        {"alt_id": "A1", "school_id": "T", "day": "Mon"},
    )
    large_path(monkeypatch, large)
    result = solved(inst, time_limit=2)
    assert {ls.school_id for ls in result.lessons if (ls.alt_id, ls.day) == ("A1", "Mon")} == {
        "S",
        "T",
    }
