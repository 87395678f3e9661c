"""Output writers and terminal summaries: exact text written to tmp_path for a tiny result."""

from __future__ import annotations

import json
import math
import os
from datetime import time
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console

from scheduler.errors import InstanceError
from scheduler.instance import Alt, Bell, Blocked, Instance, School, SchoolClass, Settings
from scheduler.io.write import write_outputs
from scheduler.result import Lesson, Result
from scheduler.summary import headline, summary_table


def _lesson(
    alt: str, school: str, cls: str, day: str, period: int, start: str, end: str
) -> Lesson:
    h1, m1 = map(int, start.split(":"))
    h2, m2 = map(int, end.split(":"))
    return Lesson.model_validate(
        {
            "alt_id": alt,
            "school_id": school,
            "class": cls,
            "day": day,
            "period": period,
            "start": time(h1, m1),
            "end": time(h2, m2),
        }
    )


@pytest.fixture
def instance() -> Instance:
    """Two schools (one name needing HTML escapes), three ALTs (one without lessons)."""
    return Instance(
        settings=Settings(branch="宇都宮 branch"),
        schools=(
            School(school_id="S1", name="Sakura ES", level="elementary", lat=36.5, lon=139.9),
            School(
                school_id="S2", name='Kita <JHS> & "Co"', level="junior_high", lat=36.6, lon=139.9
            ),
        ),
        bells=(
            Bell(school_id="S1", period=1, start=time(8, 45), end=time(9, 30)),
            Bell(
                school_id="S1", period=2, start=time(9, 35), end=time(10, 20), days=("Mon", "Tue")
            ),
            Bell(school_id="S2", period=1, start=time(8, 40), end=time(9, 30)),
        ),
        classes=(
            SchoolClass.model_validate({"school_id": "S1", "class": "1-1", "alt_lessons": 2}),
            SchoolClass.model_validate({"school_id": "S1", "class": "2-1", "alt_lessons": 1}),
            SchoolClass.model_validate({"school_id": "S2", "class": "1-1", "alt_lessons": 2}),
        ),
        alts=(
            Alt(alt_id="A1", name="Anna Smith", home_lat=36.5, home_lon=139.9),
            Alt(
                alt_id="A2", name="Ben O'Neil", home_lat=36.6, home_lon=139.9, unavailable=("Wed",)
            ),
            Alt(alt_id="A3", name="Cara Idle", home_lat=36.6, home_lon=139.9),
        ),
        # S1 closes period 1 on Fridays for the whole school.
        blocked=(Blocked.model_validate({"school_id": "S1", "day": "Fri", "periods": (1,)}),),
    )


@pytest.fixture
def result() -> Result:
    """Four lessons, given out of input order; S2 1-1 gets 1 of its 2."""
    return Result(
        status="FEASIBLE",
        objective=10230,
        bound=10000.0,
        seconds=1.23456,
        penalties={"unmet_lesson": 10000, "alt_school": 200, "commute_minute": 30},
        weights={"unmet_lesson": 10000, "alt_school": 100, "commute_minute": 1},
        notes=("time limit reached",),
        lessons=(
            _lesson("A2", "S2", "1-1", "Thu", 1, "08:40", "09:30"),
            _lesson("A1", "S1", "1-1", "Tue", 1, "08:45", "09:30"),
            _lesson("A1", "S1", "2-1", "Mon", 2, "09:35", "10:20"),
            _lesson("A1", "S1", "1-1", "Mon", 1, "08:45", "09:30"),
        ),
    )


@pytest.fixture
def unmet() -> pd.DataFrame:
    """One class short by one lesson, and a row with nothing missing that must be left out."""
    return pd.DataFrame({"school_id": ["S1", "S2"], "class": ["2-1", "1-1"], "missing": [0, 1]})


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_tables_exact(
    tmp_path: Path, instance: Instance, result: Result, unmet: pd.DataFrame
) -> None:
    out = tmp_path / "out"
    write_outputs(instance, result, {"lessons": 4}, unmet, out)
    # Sorted by ALT, weekday, start time, whatever the order in the result.
    assert _read(out / "assignments.csv") == (
        "alt_id,school_id,class,day,period,start,end\n"
        "A1,S1,1-1,Mon,1,08:45,09:30\n"
        "A1,S1,2-1,Mon,2,09:35,10:20\n"
        "A1,S1,1-1,Tue,1,08:45,09:30\n"
        "A2,S2,1-1,Thu,1,08:40,09:30\n"
    )
    # The contract's columns first, in order; the reason (scheduler.explain) last. One ALT
    # is free on Thursday at S2, whose 1-1 lacks one lesson: nothing forbids it.
    assert _read(out / "unmet.csv") == (
        "school_id,class,missing,reason\n"
        'S2,1-1,1,"nothing forbids Kita <JHS> & ""Co"" 1-1 getting 1 more lesson: the search '
        'did not find a place; a longer run may give it"\n'
    )


def test_unmet_header_only_when_nothing_missing(
    tmp_path: Path, instance: Instance, result: Result
) -> None:
    none = pd.DataFrame({"school_id": ["S1"], "class": ["1-1"], "missing": [0]})
    write_outputs(instance, result, {}, none, tmp_path / "out")
    assert _read(tmp_path / "out" / "unmet.csv") == "school_id,class,missing,reason\n"


def test_grids_exact(
    tmp_path: Path, instance: Instance, result: Result, unmet: pd.DataFrame
) -> None:
    out = tmp_path / "out"
    write_outputs(instance, result, {}, unmet, out)
    t = out / "timetables"
    # A1 teaches in two time slots at S1: one row each, labelled by time.
    assert _read(t / "A1.csv") == (
        "time,Mon,Tue,Wed,Thu,Fri\n"
        "08:45-09:30,1-1 Sakura ES,1-1 Sakura ES,,,\n"
        "09:35-10:20,2-1 Sakura ES,,,,\n"
    )
    # A school name with quotes is quoted the CSV way.
    assert _read(t / "A2.csv") == (
        'time,Mon,Tue,Wed,Thu,Fri\n08:40-09:30,,,,"1-1 Kita <JHS> & ""Co""",\n'
    )
    # An ALT without lessons still gets a (header-only) grid.
    assert _read(t / "A3.csv") == "time,Mon,Tue,Wed,Thu,Fri\n"
    # A school grid has one row per period, even a period that exists only on Mon and Tue.
    assert _read(t / "school-S1.csv") == (
        "period,time,Mon,Tue,Wed,Thu,Fri\n"
        "1,08:45-09:30,1-1 Anna Smith,1-1 Anna Smith,,,\n"
        "2,09:35-10:20,2-1 Anna Smith,,,,\n"
    )
    assert _read(t / "school-S2.csv") == (
        "period,time,Mon,Tue,Wed,Thu,Fri\n1,08:40-09:30,,,,1-1 Ben O'Neil,\n"
    )
    expected = {
        f"{stem}.{ext}"
        for stem in ("A1", "A2", "A3", "school-S1", "school-S2")
        for ext in ("csv", "html")
    }
    assert {p.name for p in t.iterdir()} == expected


def test_school_grid_joins_cell_and_varying_times(tmp_path: Path, instance: Instance) -> None:
    # Period 1 of S3 starts later on Wednesday; two ALTs teach there at once on Monday.
    inst = instance.model_copy(
        update={
            "schools": (
                *instance.schools,
                School(
                    school_id="S3",
                    name="Big JHS",
                    level="junior_high",
                    lat=36.6,
                    lon=139.9,
                    max_alts_per_day=2,
                ),
            ),
            "bells": (
                *instance.bells,
                Bell(
                    school_id="S3",
                    period=1,
                    start=time(8, 40),
                    end=time(9, 30),
                    days=("Mon", "Tue", "Thu", "Fri"),
                ),
                Bell(school_id="S3", period=1, start=time(9, 0), end=time(9, 50), days=("Wed",)),
            ),
        }
    )
    res = Result(
        status="OPTIMAL",
        lessons=(
            _lesson("A2", "S3", "2-1", "Mon", 1, "08:40", "09:30"),
            _lesson("A1", "S3", "1-1", "Mon", 1, "08:40", "09:30"),
        ),
    )
    write_outputs(
        inst, res, {}, pd.DataFrame(columns=["school_id", "class", "missing"]), tmp_path / "out"
    )
    assert _read(tmp_path / "out" / "timetables" / "school-S3.csv") == (
        "period,time,Mon,Tue,Wed,Thu,Fri\n"
        "1,08:40-09:30 / 09:00-09:50,1-1 Anna Smith; 2-1 Ben O'Neil,,,,\n"
    )


def test_report_json(
    tmp_path: Path, instance: Instance, result: Result, unmet: pd.DataFrame
) -> None:
    out = tmp_path / "out"
    kpis = {"coverage": 0.8, "worst": math.nan, "per_day": (1, 2)}
    write_outputs(instance, result, kpis, unmet, out)
    text = _read(out / "report.json")
    data = json.loads(text)
    # The per-entity breakdown has its own tests (tests/explain/test_explain_penalties.py).
    assert data.pop("breakdown")["branch"]["load_spread"]["value"] == 3
    assert data == {
        "status": "FEASIBLE",
        "method": "cpsat",
        "objective": 10230,
        "bound": 10000.0,
        "gap": round((10230 - 10000) / 10230, 6),
        "seconds": 1.235,
        "penalties": {"alt_school": 200, "commute_minute": 30, "unmet_lesson": 10000},
        # The weights the solve minimised, so `altsched check` can recompute with them.
        "weights": {"alt_school": 100, "commute_minute": 1, "unmet_lesson": 10000},
        "notes": ["time limit reached"],
        # NaN is not JSON: it becomes null; tuples become lists.
        "kpis": {"coverage": 0.8, "worst": None, "per_day": [1, 2]},
        "instance": {
            "branch": "宇都宮 branch",
            "schools": 2,
            "classes": 3,
            "alts": 3,
            "lessons_needed": 5,
            "lessons_assigned": 4,
        },
    }
    # Sorted keys, indent 2, Japanese kept as text, newline at the end.
    assert (
        text == json.dumps(json.loads(text), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    )
    assert "宇都宮" in text


def test_html_pages(
    tmp_path: Path, instance: Instance, result: Result, unmet: pd.DataFrame
) -> None:
    out = tmp_path / "out"
    write_outputs(instance, result, {}, unmet, out)
    t = out / "timetables"
    a2 = _read(t / "A2.html")
    assert '<meta charset="utf-8">' in a2
    assert "<title>Ben O&#x27;Neil (A2)</title>" in a2
    assert "1-1 Kita &lt;JHS&gt; &amp; &quot;Co&quot;" in a2
    assert "<JHS>" not in a2
    assert "period 1, 08:40-09:30" in a2
    assert '<td class="closed">day off</td>' in a2  # A2 does not work on Wednesdays
    s1 = _read(t / "school-S1.html")
    assert "1-1 Anna Smith" in s1
    assert s1.count('<td class="closed">no period</td>') == 3  # period 2 on Wed, Thu, Fri
    assert s1.count('<td class="closed">blocked</td>') == 1  # period 1 on Fri
    assert "No lessons this week." in _read(t / "A3.html")
    index = _read(out / "index.html")
    for stem in ("A1", "A2", "A3", "school-S1", "school-S2"):
        assert f'href="timetables/{stem}.html"' in index
    assert "宇都宮 branch timetables" in index


def test_file_names_stay_unique_and_safe(tmp_path: Path, instance: Instance) -> None:
    # An ALT id that looks like a school grid name, and one with a path separator: the door
    # refuses the second (scheduler.text.id_problem), so it is built unchecked, as a library
    # caller skipping validation could; the writer still keeps it inside the folder.
    slash = Alt.model_construct(alt_id="../x", name="Slash", home_lat=36.5, home_lon=139.9)
    inst = instance.model_copy(
        update={
            "alts": (
                Alt(alt_id="school-S1", name="Tricky", home_lat=36.5, home_lon=139.9),
                slash,
            )
        }
    )
    write_outputs(
        inst,
        Result(status="OPTIMAL"),
        {},
        pd.DataFrame(columns=["school_id", "class", "missing"]),
        tmp_path / "out",
    )
    names = sorted(p.name for p in (tmp_path / "out" / "timetables").glob("*.csv"))
    assert names == ["_x.csv", "school-S1-2.csv", "school-S1.csv", "school-S2.csv"]
    assert not (tmp_path / "x.csv").exists()


def test_replaces_previous_output(
    tmp_path: Path, instance: Instance, result: Result, unmet: pd.DataFrame
) -> None:
    out = tmp_path / "out"

    def feeds(folder: Path) -> None:
        (folder / "ical").mkdir()
        (folder / "ical" / "A1.ics").write_text("x")
        (folder / "ical" / "source.json").write_text(instance.model_dump_json(by_alias=True))

    write_outputs(instance, result, {}, unmet, out, extra=feeds)
    assert (out / "ical" / "A1.ics").exists()
    fewer = result.model_copy(update={"lessons": result.lessons[:1]})
    write_outputs(instance, fewer, {}, unmet, out)
    assert _read(out / "assignments.csv").count("\n") == 2  # header and one lesson
    assert not (out / "ical").exists()  # the old folder is replaced, not merged
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary or backup left


def test_failure_keeps_old_folder_byte_identical(
    tmp_path: Path, instance: Instance, result: Result, unmet: pd.DataFrame
) -> None:
    out = tmp_path / "out"
    write_outputs(instance, result, {"run": 1}, unmet, out)
    before = _snapshot(out)

    def boom(folder: Path) -> None:
        (folder / "half.ics").write_text("partial")
        raise RuntimeError("calendar writer failed")

    other = result.model_copy(update={"lessons": (), "status": "OPTIMAL"})
    with pytest.raises(RuntimeError, match="calendar writer failed"):
        write_outputs(instance, other, {"run": 2}, unmet, out, extra=boom)
    assert _snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_failed_swap_restores_old_folder(
    tmp_path: Path,
    instance: Instance,
    result: Result,
    unmet: pd.DataFrame,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "out"
    write_outputs(instance, result, {}, unmet, out)
    before = _snapshot(out)
    real_replace = os.replace

    def flaky(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        # The old folder moves aside, then moving the new one into place fails.
        if ".tmp-" in Path(src).name:
            raise PermissionError("rename refused")
        real_replace(src, dst)

    monkeypatch.setattr("scheduler.io.write.os.replace", flaky)
    with pytest.raises(PermissionError):
        write_outputs(instance, result.model_copy(update={"lessons": ()}), {}, unmet, out)
    assert _snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_failure_without_old_folder_leaves_nothing(
    tmp_path: Path, instance: Instance, result: Result, unmet: pd.DataFrame
) -> None:
    def boom(folder: Path) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_outputs(instance, result, {}, unmet, tmp_path / "out", extra=boom)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("files", "ok"),
    [
        ([], True),  # an empty folder is free to use
        # only our own outputs: grids the index links to, feeds of the instance's ALTs and
        # schools, and what `altsched calendar` adds
        (["assignments.csv", "index.html", "timetables/A1.csv", "timetables/A1.html"], True),
        (["report.json", "ical/A1.ics", "ical/source.json"], True),
        (["report.json", "lessons.csv", "lost.csv"], True),
        # a grid the index does not link to, a calendar of the user's: theirs
        (["report.json", "index.html", "timetables/A1-notes.csv"], False),
        (["report.json", "ical/source.json", "ical/A1.ics", "ical/holidays.ics"], False),
        (["notes.txt"], False),  # the user's own file
        (["assignments.csv", "schools.csv"], False),  # an input folder, not an output folder
        # A previous output the user has added to: replacing it would lose their files.
        (["report.json", "notes.txt"], False),
        (["report.json", "timetables/A1.csv", "timetables/mine.txt"], False),
        (["report.json", "ical/A1.ics", "ical/photo.jpg"], False),
        (["report.json", "archive/old.csv"], False),
    ],
)
def test_refuses_folder_that_is_not_an_output(
    tmp_path: Path,
    instance: Instance,
    result: Result,
    unmet: pd.DataFrame,
    files: list[str],
    ok: bool,
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    for name in files:
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text("mine")
    if "index.html" in files:
        (out / "index.html").write_text('<a href="timetables/A1.html">A1</a>')
    if "ical/source.json" in files:
        (out / "ical/source.json").write_text(instance.model_dump_json(by_alias=True))
    before = _snapshot(out)
    if ok:
        write_outputs(instance, result, {}, unmet, out)
        assert (out / "report.json").exists()
    else:
        with pytest.raises(InstanceError, match="not altsched outputs"):
            write_outputs(instance, result, {}, unmet, out)
        assert _snapshot(out) == before


def test_refuses_a_file(
    tmp_path: Path, instance: Instance, result: Result, unmet: pd.DataFrame
) -> None:
    target = tmp_path / "out"
    target.write_text("not a folder")
    with pytest.raises(InstanceError, match="is not a plain folder"):
        write_outputs(instance, result, {}, unmet, target)
    assert target.read_text() == "not a folder"


# ---- summaries -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("objective", "bound", "seconds", "given", "need", "expected"),
    [
        # The example of the brief: 218/225 is 96.89%, shown to one decimal.
        (
            70412,
            70180.0,
            30.04,
            218,
            225,
            "FEASIBLE · objective 70412 · bound 70180 · gap 0.3% · 30.0 s"
            " · 218/225 lessons (96.9%)",
        ),
        # 2249/2250 rounds to 100.0% but something is missing, so it shows 99.9%.
        (
            10,
            10.0,
            1.0,
            2249,
            2250,
            "FEASIBLE · objective 10 · bound 10 · gap 0.0% · 1.0 s · 2249/2250 lessons (99.9%)",
        ),
        # No solution: objective, bound and gap are unknown.
        (
            None,
            None,
            0.25,
            0,
            4,
            "FEASIBLE · objective n/a · bound n/a · gap n/a · 0.2 s · 0/4 lessons (0.0%)",
        ),
        # Nothing needed: full coverage.
        (
            0,
            0.0,
            0.0,
            0,
            0,
            "FEASIBLE · objective 0 · bound 0 · gap 0.0% · 0.0 s · 0/0 lessons (100.0%)",
        ),
        # A fractional bound keeps one decimal.
        (
            100,
            87.5,
            2.0,
            3,
            3,
            "FEASIBLE · objective 100 · bound 87.5 · gap 12.5% · 2.0 s · 3/3 lessons (100.0%)",
        ),
    ],
)
def test_headline(
    objective: int | None,
    bound: float | None,
    seconds: float,
    given: int,
    need: int,
    expected: str,
) -> None:
    res = Result(status="FEASIBLE", objective=objective, bound=bound, seconds=seconds)
    assert headline(res, {"given": given, "need": need}) == expected


def test_summary_table(instance: Instance, result: Result) -> None:
    per_alt = pd.DataFrame(
        {
            "alt_id": ["A1", "A2"],
            "load": [3, 1],
            "floor": [2, 20],
            "max": [25, 25],
            "schools": [1, 1],
            "visit_days": [2, 1],
            "commute_minutes": [14, 7],
            "Mon": [2, 0],
            "Tue": [1, 0],
            "Wed": [0, 0],
            "Thu": [0, 1],
            "Fri": [0, 0],
        }
    )
    table = summary_table(instance, result, per_alt)
    assert table.row_count == 2
    console = Console(record=True, width=160, color_system=None)
    console.print(table)
    text = console.export_text()
    lines = text.splitlines()
    a1 = next(line for line in lines if "Anna Smith (A1)" in line)
    a2 = next(line for line in lines if "Ben O'Neil (A2)" in line)
    # One line per ALT, no vertical rules: the cells follow the name, split by spaces.
    cells = a1.split("(A1)")[1].split()
    assert cells == ["3/2-25", "1", "2", "14", "2", "1", "0", "0", "0"]
    # Only the load under its floor is marked red.
    loads = list(table.columns[1].cells)
    assert [(str(c), c.style) for c in loads] == [("3/2-25", ""), ("1/20-25", "red")]
    # A2 has Wednesday off; their load 1 is under the floor of 20.
    assert a2.split("(A2)")[1].split() == [
        "1/20-25",
        "1",
        "1",
        "7",
        "0",
        "0",
        "off",
        "1",
        "0",
    ]
    assert "4 lessons in 2 ALT weeks" in text


def test_summary_table_rejects_missing_columns(instance: Instance, result: Result) -> None:
    with pytest.raises(ValueError, match="visit_days"):
        summary_table(
            instance,
            result,
            pd.DataFrame(
                {"alt_id": ["A1"], "load": [1], "floor": [0], "max": [1], "schools": [1]}
            ),
        )
