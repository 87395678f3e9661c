"""The instance generator: determinism, sizes, realism and solvability preconditions."""

from __future__ import annotations

import hashlib
import random
import time
from collections import Counter
from datetime import date
from functools import cache
from pathlib import Path

import jpholiday
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from scheduler.bounds.coverage import visit_coverage_bound
from scheduler.bounds.flow import coverage_bound
from scheduler.cli import app
from scheduler.config import SolverParams
from scheduler.generate import (
    LESSONS_PER_ALT,
    city_radius_km,
    generate,
    generate_branch,
    parse_share,
)
from scheduler.instance import DAYS, Instance, haversine_km, reference_issues, warnings_for
from scheduler.io.read import load_instance
from scheduler.io.tables import write_instance
from scheduler.model.data import prepare
from scheduler.solve import solve
from scheduler.validate import check

SIZES = (10, 30, 120)


@cache
def branch(n: int, seed: int = 1) -> Instance:
    """One generated branch per (size, seed), shared by the tests that only read it."""
    return generate(n, seed)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# ---- determinism ------------------------------------------------------------------------------
def test_same_seed_gives_same_bytes(tmp_path: Path) -> None:
    write_instance(generate(30, 7), tmp_path / "a")
    write_instance(generate(30, 7), tmp_path / "b")
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    # Every table of the contract except travel.csv, which the generator leaves to speed.
    assert set(a) == {
        f"{t}.csv" for t in ("settings", "schools", "bells", "classes", "alts", "blocked")
    }
    assert a == b


def test_different_seeds_differ(tmp_path: Path) -> None:
    write_instance(generate(30, 7), tmp_path / "a")
    write_instance(generate(30, 8), tmp_path / "b")
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert a["schools.csv"] != b["schools.csv"]
    assert a["alts.csv"] != b["alts.csv"]


def test_global_random_state_is_untouched() -> None:
    random.seed(123)
    expected = random.random()
    random.seed(123)
    generate(10, 1)
    assert random.random() == expected


def test_written_csv_loads_back_equal_and_without_warnings(tmp_path: Path) -> None:
    inst = branch(30)
    write_instance(inst, tmp_path / "b")
    loaded, warnings = load_instance(tmp_path / "b")
    assert warnings == []
    assert loaded == inst


# ---- size and shape ---------------------------------------------------------------------------
@pytest.mark.parametrize("n", SIZES)
def test_total_need_is_about_22_5_lessons_per_alt(n: int) -> None:
    inst = branch(n)
    assert len(inst.alts) == n
    assert abs(inst.need() - LESSONS_PER_ALT * n) <= 0.03 * LESSONS_PER_ALT * n


@pytest.mark.parametrize("n", SIZES)
def test_one_junior_high_per_two_elementary_schools(n: int) -> None:
    levels = Counter(s.level for s in branch(n).schools)
    assert 0.4 <= levels["junior_high"] / levels["elementary"] <= 0.6


def test_about_40_percent_of_elementary_schools_are_small() -> None:
    inst = branch(120)
    per_grade: Counter[tuple[str, int]] = Counter((c.school_id, c.grade) for c in inst.classes)
    elementary = [s.school_id for s in inst.schools if s.level == "elementary"]
    small = [sid for sid in elementary if max(per_grade[sid, g] for g in range(1, 7)) <= 2]
    assert 0.3 <= len(small) / len(elementary) <= 0.5
    assert max(per_grade.values()) <= 4


@pytest.mark.parametrize("n", SIZES)
def test_needs_follow_the_curriculum(n: int) -> None:
    inst = branch(n)
    for c in inst.classes:
        level = inst.school_by_id[c.school_id].level
        if level == "junior_high":
            assert c.alt_lessons in (1, 2), c
        elif c.grade in (3, 4):
            assert c.alt_lessons == 1, c
        elif c.grade in (5, 6):
            assert c.alt_lessons in (1, 2), c
        else:
            assert c.alt_lessons in (0, 1), c
    # Grades 5-6 keep two lessons, bar the few the need tuning may trim.
    upper = [c.alt_lessons for c in inst.classes if c.grade >= 5 and c.key[0].startswith("E")]
    assert sum(x == 2 for x in upper) / len(upper) > 0.9
    # Most junior highs have the ALT in one lesson a week per class.
    jh = [c.alt_lessons for c in inst.classes if c.key[0].startswith("J")]
    assert sum(x == 1 for x in jh) / len(jh) > 0.5


def test_co_teachers_are_one_jte_per_grade_and_homeroom_teachers() -> None:
    inst = branch(30)
    for c in inst.classes:
        if inst.school_by_id[c.school_id].level == "junior_high":
            assert c.co_teacher == f"JTE-{c.school_id}-{c.grade}"
        else:
            assert c.co_teacher == f"HR-{c.school_id}-{c.class_}"


def test_ids_and_names() -> None:
    inst = branch(30)
    assert inst.schools[0].school_id == "E001" and inst.schools[2].school_id == "J001"
    assert [a.alt_id for a in inst.alts[:2]] == ["A001", "A002"]
    for s in inst.schools:
        assert s.name.endswith(" ES" if s.level == "elementary" else " JHS")
    assert len({s.name for s in inst.schools}) == len(inst.schools)
    assert len({a.name for a in inst.alts}) == len(inst.alts)


def test_settings_name_the_branch_and_default_term() -> None:
    s = branch(10).settings
    assert s.branch
    assert (s.term_start, s.term_end) == (date(2027, 1, 8), date(2027, 3, 19))


# ---- bells and events -------------------------------------------------------------------------
@pytest.mark.parametrize("n", SIZES)
def test_bells_lie_in_the_day_and_last_45_or_50_minutes(n: int) -> None:
    inst = branch(n)
    for b in inst.bells:
        level = inst.school_by_id[b.school_id].level
        assert b.minutes == (45 if level == "elementary" else 50), b
        assert b.start.hour >= 8 and (b.end.hour, b.end.minute) <= (17, 0), b
    for s in inst.schools:
        periods = [len(inst.periods(s.school_id, d)) for d in DAYS]
        first = inst.periods(s.school_id, "Mon")[0].start
        if s.level == "elementary":
            # Six periods, five on Wednesday; first bell about 08:45; 20-minute recess after 2.
            assert periods == [6, 6, 5, 6, 6]
            assert (8, 40) <= (first.hour, first.minute) <= (8, 50)
            p2, p3 = inst.periods(s.school_id, "Mon")[1:3]
            assert p3.start_min - p2.end_min == 20
        else:
            # Six periods, five on one weekday; first bell about 08:40.
            assert sorted(periods) == [5, 6, 6, 6, 6]
            assert (8, 35) <= (first.hour, first.minute) <= (8, 45)


def test_dated_events_are_school_days_inside_the_term() -> None:
    inst = branch(30)
    dated = [b for b in inst.blocked if not b.weekly]
    assert len(dated) >= 2 * len(inst.schools)  # opening and closing ceremonies at least
    for b in dated:
        assert isinstance(b.day, date)
        assert date(2027, 1, 8) <= b.day <= date(2027, 3, 19)
        assert b.day.weekday() < 5 and not jpholiday.is_holiday(b.day), b
    weekly = [b for b in inst.blocked if b.weekly]
    assert weekly, "some schools block a weekly club or class period"


def test_no_term_means_no_dated_events() -> None:
    inst = generate(10, 1, term_start=None, term_end=None)
    assert inst.settings.term_start is None
    assert [b for b in inst.blocked if not b.weekly] == []
    assert reference_issues(inst) == []


def test_a_spring_term_draws_spring_events() -> None:
    inst = generate(30, 1, term_start=date(2027, 4, 6), term_end=date(2027, 7, 20))
    dated = [b for b in inst.blocked if not b.weekly]
    # Sports days and physical exams fall in spring; graduation never does.
    assert any(b.class_ is None and b.periods == (1, 2) for b in dated)
    assert all(isinstance(b.day, date) and b.day.month in (4, 5, 6, 7) for b in dated)
    assert reference_issues(inst) == []


# ---- ALTs and geography -----------------------------------------------------------------------
@pytest.mark.parametrize("n", SIZES)
def test_every_alt_reaches_three_qualified_schools(n: int) -> None:
    inst = branch(n)
    for a in inst.alts:
        assert sum(inst.reachable(a, s) for s in inst.schools) >= 3, a


@pytest.mark.parametrize("n", SIZES)
def test_every_class_with_need_has_a_qualified_alt_in_reach(n: int) -> None:
    inst = branch(n)
    served = {s.school_id for s in inst.schools if any(inst.reachable(a, s) for a in inst.alts)}
    assert all(c.school_id in served for c in inst.classes if c.alt_lessons > 0)


@pytest.mark.parametrize("n", SIZES)
def test_reference_checks_and_warnings_are_clean(n: int) -> None:
    inst = branch(n)
    assert reference_issues(inst) == []
    assert warnings_for(inst) == []


def test_alt_contract_quirks() -> None:
    n = 120
    alts = branch(n).alts
    assert sum(a.levels == ("elementary",) for a in alts) == round(0.10 * n)
    assert sum(a.levels == ("junior_high",) for a in alts) == round(0.05 * n)
    assert sum(len(a.unavailable) == 1 for a in alts) == round(0.10 * n)
    assert all(len(a.unavailable) <= 1 for a in alts)
    part = [a for a in alts if a.max_lessons is not None]
    assert len(part) == round(0.03 * n)
    assert all((a.min_lessons, a.max_lessons) == (10, 15) for a in part)


def test_city_grows_so_no_alt_reaches_every_school_at_250() -> None:
    started = time.perf_counter()
    inst = generate(250, 1)
    assert time.perf_counter() - started < 2.0
    assert abs(inst.need() - LESSONS_PER_ALT * 250) <= 0.03 * LESSONS_PER_ALT * 250
    assert reference_issues(inst) == []
    lat0, lon0 = 36.555, 139.883
    radius = city_radius_km(250)
    assert 24 <= radius <= 27
    assert all(haversine_km(lat0, lon0, s.lat, s.lon) <= radius + 0.01 for s in inst.schools)
    reach = [sum(inst.reachable(a, s) for s in inst.schools) for a in inst.alts]
    assert max(reach) < len(inst.schools)
    assert min(reach) >= 3


def test_large_schools_take_two_alts_a_day() -> None:
    inst = branch(120)
    for s in inst.schools:
        classes = inst.classes_of[s.school_id]
        need = sum(c.alt_lessons for c in classes)
        large = (s.level == "junior_high" and len(classes) >= 10) or need > 25
        assert s.max_alts_per_day == (2 if large else 1), s


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 40), seed=st.integers(0, 2**32))
def test_any_seed_gives_a_clean_reachable_branch(n: int, seed: int) -> None:
    inst = generate(n, seed)
    assert reference_issues(inst) == []
    assert warnings_for(inst) == []
    assert abs(inst.need() - LESSONS_PER_ALT * n) <= max(0.03 * LESSONS_PER_ALT * n, 12)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_alts": 0, "seed": 1}, "at least 1"),  # a branch needs an ALT
        (  # a term that ends before it starts
            {"n_alts": 5, "seed": 1, "term_start": date(2027, 3, 1), "term_end": date(2027, 2, 1)},
            "before term_start",
        ),
    ],
)
def test_invalid_arguments(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate(**kwargs)  # type: ignore[arg-type]


# ---- command line -----------------------------------------------------------------------------
def test_cli_writes_and_refuses_to_overwrite(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "branch"
    first = runner.invoke(app, ["generate", "--alts", "10", "--seed", "4", str(out)])
    assert first.exit_code == 0, first.output
    written = _files(out)
    again = runner.invoke(app, ["generate", "--alts", "12", "--seed", "5", str(out)])
    assert again.exit_code == 2
    assert "--force" in again.output
    assert _files(out) == written  # nothing was touched
    forced = runner.invoke(app, ["generate", "--alts", "12", "--seed", "5", "--force", str(out)])
    assert forced.exit_code == 0, forced.output
    assert load_instance(out)[0] == generate(12, 5)


@pytest.mark.parametrize(
    ("existing", "args"),
    [
        ("file", ["--format", "csv"]),  # a CSV folder cannot replace a file
        ("folder", ["--format", "json"]),  # a JSON file cannot replace a folder
    ],
)
def test_cli_refuses_the_wrong_kind_of_target_even_with_force(
    tmp_path: Path, existing: str, args: list[str]
) -> None:
    target = tmp_path / "b.json"
    if existing == "file":
        target.write_text("{}")
    else:
        target.mkdir()
    cmd = ["generate", "--alts", "3", "--force", *args, str(target)]
    result = CliRunner().invoke(app, cmd)
    assert result.exit_code == 2, result.output
    assert "exists" in result.output


def test_cli_writes_into_an_existing_empty_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["generate", "--alts", "3", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "schools.csv").exists()


@pytest.mark.parametrize(
    ("args", "written", "code"),
    [
        (["--format", "xlsx", "b"], "b.xlsx", 0),  # the suffix is added
        (["--format", "yaml", "b.yml"], "b.yml", 0),  # either YAML suffix
        (["b.json"], "b.json", 0),  # the format follows the suffix
        (["--format", "xlsx", "b.yaml"], None, 2),  # suffix and format disagree
    ],
)
def test_cli_formats(tmp_path: Path, args: list[str], written: str | None, code: int) -> None:
    result = CliRunner().invoke(
        app, ["generate", "--alts", "5", *args[:-1], str(tmp_path / args[-1])]
    )
    assert result.exit_code == code, result.output
    if written is not None:
        assert load_instance(tmp_path / written)[0] == generate(5, 0)
    else:
        assert list(tmp_path.iterdir()) == []


# ---- short-handed branches (--shortage) -------------------------------------------------------
# The digest of generate(30, 1) written as CSV, taken before --shortage existed: shortage 0
# must keep every generous branch byte-identical.
GENEROUS_30_1_SHA256 = "099a9a89a5b2c370e986b3a4694abab04d1aa3de7f4801f998905bf4dfa0adf4"


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for name, data in _files(folder).items():
        h.update(name.encode() + b"\0" + data)
    return h.hexdigest()


@pytest.mark.parametrize("shortage", [None, 0.0])  # the option left out, and given as 0
def test_no_shortage_keeps_the_generous_bytes(tmp_path: Path, shortage: float | None) -> None:
    inst = generate(30, 1) if shortage is None else generate(30, 1, shortage=shortage)
    write_instance(inst, tmp_path / "b")
    assert _digest(tmp_path / "b") == GENEROUS_30_1_SHA256


@pytest.mark.parametrize(
    ("seed", "changed"),
    [
        (7, {"alts.csv"}),  # weekly ceilings: only the ALTs' contracts change
        (1, {"alts.csv", "travel.csv"}),  # a region: contracts and the river's commutes
        (2, {"alts.csv"}),  # visit days: days off, calibrated on the visit bound's LP
    ],
)
def test_short_branch_same_seed_same_bytes(tmp_path: Path, seed: int, changed: set[str]) -> None:
    write_instance(generate(30, seed, shortage=0.05), tmp_path / "a")
    write_instance(generate(30, seed, shortage=0.05), tmp_path / "b")
    write_instance(generate(30, seed), tmp_path / "g")
    a, b, g = _files(tmp_path / "a"), _files(tmp_path / "b"), _files(tmp_path / "g")
    assert a == b
    # The schools, their needs, bells and events are the generous branch's.
    assert {k for k in a if a[k] != g.get(k)} == changed


def _capacity(inst: Instance, level: str | None = None) -> int:
    """Weekly capacity of the ALTs (qualified for ``level``): ceiling or daily max x days."""
    return sum(
        min(inst.max_lessons(a), inst.max_lessons_per_day(a) * len(inst.available_days(a)))
        for a in inst.alts
        if level is None or level in a.levels
    )


# At 60 ALTs seeds 1-4 and 6 draw the five mixes, so each is checked against the flow bound.
MIX_OF_SEED_60 = {
    1: ("weekly ceilings", "days off"),
    2: ("weekly ceilings",),
    3: ("days off",),
    4: ("junior-high level",),
    6: ("region",),
}


@pytest.mark.parametrize("share", [0.02, 0.05])
@pytest.mark.parametrize("seed", sorted(MIX_OF_SEED_60))
def test_the_flow_bound_sees_the_shortage(share: float, seed: int) -> None:
    drawn = generate_branch(60, seed, shortage=share)
    inst, short = drawn.instance, drawn.shortage
    assert short is not None
    assert short.binding == MIX_OF_SEED_60[seed]
    demand = inst.need()
    assert short.demand == demand and short.short_by == round(share * demand)
    # Every limit varied here is in the maximum-flow network (weekly and daily ceilings, days
    # off, qualified ALTs per school, commutes), so the bound must show the shortfall.
    unmet = demand - coverage_bound(prepare(inst))
    assert 0.9 * share * demand <= unmet <= 1.1 * share * demand + 2, short
    assert reference_issues(inst) == [] and warnings_for(inst) == []


@settings(max_examples=15, deadline=None)
@given(
    n=st.integers(1, 40),
    seed=st.integers(0, 2**32),
    share=st.floats(0.005, 0.3),
)
# One ALT for both levels: the junior-high mix would make the whole short, so it falls back.
@example(n=1, seed=238, share=0.125)
# One ALT and the days-off mix: a day off would take more than the cut, so none is given.
@example(n=1, seed=477, share=0.0625)
def test_any_short_branch_is_clean_and_short_by_its_share(n: int, seed: int, share: float) -> None:
    # Large shares and tiny branches included: a level or region that cannot be short alone
    # falls back to the weekly ceilings, and no ALT is left without a school.
    drawn = generate_branch(n, seed, shortage=share)
    inst, short = drawn.instance, drawn.shortage
    asked = max(1, round(share * inst.need()))
    assert short is not None
    if short.binding == ("visit days",):
        # Whole days off: short by the share asked, or by up to a day's lessons more.
        assert asked <= short.short_by <= asked + inst.settings.max_lessons_per_day, short
    else:
        assert short.short_by == asked
    assert reference_issues(inst) == [] and warnings_for(inst) == []
    # The visit bound: the flow bound does not see visit days (one school a day).
    unmet = inst.need() - visit_coverage_bound(prepare(inst))
    assert abs(unmet - short.short_by) <= 0.1 * short.short_by + 2, short


def test_a_short_branch_solves_to_a_valid_timetable_that_is_short() -> None:
    # 5 ALTs, seed 5 draws the region mix: its travel.csv rows and trimmed ceilings go through
    # the solver, and the validator accepts the timetable. The flow bound is an upper bound,
    # so no timetable can leave fewer than short_by lessons unmet.
    drawn = generate_branch(5, 5, shortage=0.1, term_start=None, term_end=None)
    inst, short = drawn.instance, drawn.shortage
    assert short is not None and short.binding == ("region",)
    result = solve(inst, params=SolverParams.default(time_limit=2, workers=1, seed=0))
    assert check(inst, result.assignments) == []
    assert inst.need() - len(result.lessons) >= short.short_by


@pytest.mark.parametrize("seed", range(1, 9))
def test_what_the_shortage_says_binds_is_true(seed: int) -> None:
    drawn = generate_branch(30, seed, shortage=0.05)
    inst, short = drawn.instance, drawn.shortage
    assert short is not None and short.binding and len(short.taken) == len(short.binding)
    generous = branch(30, seed) if seed == 1 else generate(30, seed)
    if short.binding == ("junior-high level",):
        jh = {s.school_id for s in inst.schools if s.level == "junior_high"}
        jh_need = sum(c.alt_lessons for c in inst.classes if c.school_id in jh)
        assert _capacity(inst, "junior_high") == jh_need - short.short_by
        assert _capacity(inst) > inst.need()  # the whole is not short
        # Every junior high keeps a qualified ALT in reach: short of capacity, not reach.
        for sid in jh:
            assert any(inst.reachable(a, inst.school_by_id[sid]) for a in inst.alts), sid
    elif short.binding == ("region",):
        # Commutes across the river exceed the limit; the ALTs left reaching the region give
        # short_by lessons fewer than it needs, while the whole keeps its slack.
        limit = inst.settings.max_commute_minutes
        assert inst.travel and all(t.minutes > limit for t in inst.travel)
        region = {t.to for t in inst.travel}
        for a in inst.alts:  # each ALT reaches all of the region or none of it
            reached = {s for s in region if inst.reachable(a, inst.school_by_id[s])}
            assert reached in (set(), region), a
        near = [
            a for a in inst.alts if all(inst.reachable(a, inst.school_by_id[s]) for s in region)
        ]
        region_need = sum(c.alt_lessons for c in inst.classes if c.school_id in region)
        assert sum(min(inst.max_lessons(a), 6 * len(inst.available_days(a))) for a in near) <= (
            region_need - short.short_by
        )
        assert _capacity(inst) > inst.need()
        assert [a.alt_id for a in inst.alts] == [a.alt_id for a in generous.alts]
    elif short.binding == ("visit days",):
        # Days off with the ceilings kept: lessons to spare, visits not. The flow bound lets
        # an ALT split a day between schools and sees less; the visit bound sees it all.
        assert _capacity(inst) >= inst.need() - short.short_by
        assert all(len(a.unavailable) <= 2 for a in inst.alts)
        assert [inst.max_lessons(a) for a in inst.alts] == [
            generous.max_lessons(a) for a in generous.alts
        ]
        prep = prepare(inst)
        assert coverage_bound(prep) > inst.need() - short.short_by
        assert visit_coverage_bound(prep) == inst.need() - short.short_by
    else:
        assert _capacity(inst) == inst.need() - short.short_by
        days_off = sum(len(a.unavailable) for a in inst.alts)
        assert (days_off > sum(len(a.unavailable) for a in generous.alts)) == (
            "days off" in short.binding
        )
        assert all(len(a.unavailable) <= 2 for a in inst.alts)
        # An ALT given days off works a part week of at most five lessons a working day.
        for a, g in zip(inst.alts, generous.alts, strict=True):
            if len(a.unavailable) > len(g.unavailable):
                assert inst.max_lessons(a) <= 5 * (5 - len(a.unavailable)), a
    assert short.describe().startswith("short by ~5% (")


@pytest.mark.parametrize(("n", "seed", "share"), [(30, 2, 0.005), (60, 3, 0.005)])
def test_large_schools_taking_one_alt_a_day_are_short_by_the_share(
    n: int, seed: int, share: float
) -> None:
    drawn = generate_branch(n, seed, shortage=share, mix=("ALTs per school-day",))
    inst, short = drawn.instance, drawn.shortage
    assert short is not None and short.binding == ("ALTs per school-day",)
    generous = generate(n, seed)
    # Only schools change, from two ALTs a day to one; the ALTs keep their contracts.
    changed = [
        (g.max_alts_per_day, s.max_alts_per_day)
        for s, g in zip(inst.schools, generous.schools, strict=True)
        if s != g
    ]
    assert changed and set(changed) == {(2, 1)}
    assert inst.alts == generous.alts
    assert generate_branch(n, seed, shortage=share, mix=("ALTs per school-day",)) == drawn
    # The maximum flow counts one ALT a day times the largest visit, so it sees it exactly.
    assert coverage_bound(prepare(inst)) == inst.need() - short.short_by
    assert reference_issues(inst) == [] and warnings_for(inst) == []


def test_a_chosen_mix_keeps_the_other_draws() -> None:
    # The seed's draw of a mix is still made, so the branch is the seed's with that mix.
    drawn = generate_branch(30, 3, shortage=0.02, mix=("region",))
    assert drawn.shortage is not None and drawn.shortage.binding == ("region",)
    assert drawn.instance.schools == generate(30, 3).schools
    with pytest.raises(ValueError, match="mix"):
        generate_branch(5, 1, shortage=0.02, mix=("nothing",))


def test_the_seed_varies_the_binding_limits() -> None:
    mixes = {generate_branch(30, s, shortage=0.02).shortage.binding for s in range(1, 9)}  # type: ignore[union-attr]
    assert len(mixes) >= 3, mixes


@pytest.mark.parametrize(
    ("text", "share"),
    [
        ("0", 0.0),  # the generous branch
        ("0.02", 0.02),  # a share
        ("2%", 0.02),  # a percentage
        (" 5% ", 0.05),  # spaces around
        ("30%", 0.3),  # the largest allowed
    ],
)
def test_parse_share_reads_shares_and_percentages(text: str, share: float) -> None:
    assert parse_share(text) == pytest.approx(share)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("5", "outside"),  # 5 is not guessed to mean 5%
        ("0.31", "outside"),  # above the largest share
        ("31%", "outside"),  # the same as a percentage
        ("-0.01", "outside"),  # negative
        ("nan", "outside"),  # not a number at all
        ("two", "not a share"),  # words
        ("%", "not a share"),  # a bare percent sign
        ("", "not a share"),  # empty
    ],
)
def test_parse_share_refuses(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_share(text)


@pytest.mark.parametrize("share", [-0.01, 0.31])
def test_generate_refuses_a_shortage_out_of_range(share: float) -> None:
    with pytest.raises(ValueError, match="shortage"):
        generate(5, 1, shortage=share)


def test_cli_says_what_binds(tmp_path: Path) -> None:
    # Seed 3 draws the weekly ceilings: quick to draw (visit days take a few LP solves).
    cmd = ["generate", "--alts", "30", "--seed", "3", "--shortage", "2%", str(tmp_path / "b")]
    result = CliRunner().invoke(app, cmd)
    assert result.exit_code == 0, result.output
    short = generate_branch(30, 3, shortage=0.02).shortage
    assert short is not None
    assert short.describe() in result.output.replace("\n", "")
    assert "binding: " in result.output
    assert load_instance(tmp_path / "b")[0] == generate(30, 3, shortage=0.02)


@pytest.mark.parametrize("value", ["5", "abc", "-2%"])  # no %, words, negative
def test_cli_refuses_a_bad_shortage_and_writes_nothing(tmp_path: Path, value: str) -> None:
    out = tmp_path / "b"
    result = CliRunner().invoke(app, ["generate", "--alts", "3", "--shortage", value, str(out)])
    assert result.exit_code == 2, result.output
    assert "--shortage" in result.output and value in result.output
    assert not out.exists()
