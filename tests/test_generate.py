"""The instance generator: determinism, sizes, realism and solvability preconditions."""

from __future__ import annotations

import random
import time
from collections import Counter
from datetime import date
from functools import cache
from pathlib import Path

import jpholiday
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from scheduler.cli import app
from scheduler.generate import LESSONS_PER_ALT, city_radius_km, generate
from scheduler.instance import DAYS, Instance, haversine_km, reference_issues, warnings_for
from scheduler.io.read import load_instance
from scheduler.io.tables import write_instance

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
    dated = inst.dated_blocked()
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
    assert inst.dated_blocked() == []
    assert reference_issues(inst) == []


def test_a_spring_term_draws_spring_events() -> None:
    inst = generate(30, 1, term_start=date(2027, 4, 6), term_end=date(2027, 7, 20))
    dated = inst.dated_blocked()
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
