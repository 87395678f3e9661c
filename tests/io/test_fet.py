"""Export to FET: the XML read back element by element on a tiny branch, refusals, the round
trip of FET's placement, the command line, and (when ``fet-cl`` is installed) FET itself."""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

from scheduler.errors import InstanceError
from scheduler.instance import Blocked, Instance
from scheduler.io.fet import fet_assignments, fet_xml, write_fet
from scheduler.io.tables import write_instance
from scheduler.result import ASSIGNMENT_COLUMNS
from scheduler.validate import check
from tests.tiny import alt, bells, branch, klass, school

ROOT = Path(__file__).resolve().parents[2]


def _branch() -> Instance:
    # S: elementary, periods 1-4 every day, 08:45 + 55 min steps; period 2 blocked on Monday.
    # J: junior high, periods 1-5 Mon-Thu only. Classes J 1-1 and 1-2 share co-teacher JTE1.
    # A (off Friday) teaches at S, B at J; daily maxima 3 (A) and 6 (branch default).
    return branch(
        [school("S"), school("J", level="junior_high", north_km=1)],
        bells("S", periods=4)
        + bells("J", periods=5, first="08:40", minutes=50, days=("Mon", "Tue", "Wed", "Thu")),
        [
            klass("S", "5-1", 2, "HR51"),
            klass("J", "1-1", 1, "JTE1"),
            klass("J", "1-2", 1, "JTE1"),
        ],
        [alt("A", unavailable=("Fri",), max_lessons_per_day=3), alt("B", north_km=1)],
        blocked=[Blocked(school_id="S", day="Mon", periods=(2,))],
        branch="Tiny",
    )


def _rows() -> pd.DataFrame:
    # A valid week: A at S on Mon p1 and Tue p3; B at J on Wed p1 and Thu p2 (activity ids
    # follow the week, Wed before Thu, not the alphabet).
    rows = [
        ("A", "S", "5-1", "Mon", 1, "08:45", "09:30"),
        ("A", "S", "5-1", "Tue", 3, "10:35", "11:20"),
        ("B", "J", "1-1", "Wed", 1, "08:40", "09:30"),
        ("B", "J", "1-2", "Thu", 2, "09:40", "10:30"),
    ]
    return pd.DataFrame(rows, columns=ASSIGNMENT_COLUMNS)


def _root(inst: Instance, rows: pd.DataFrame) -> ET.Element:
    return ET.fromstring(fet_xml(inst, rows).split("\n", 2)[2])


def _slots(el: ET.Element, path: str, day: str, hour: str) -> list[tuple[str, str]]:
    return [(s.findtext(day, ""), s.findtext(hour, "")) for s in el.findall(path)]


def test_the_tiny_branch_is_valid() -> None:
    assert check(_branch(), _rows()) == []


def test_days_hours_teachers_and_groups() -> None:
    root = _root(_branch(), _rows())
    assert [d.findtext("Name") for d in root.iterfind("Days_List/Day")] == [
        "Mon",
        "Tue",
        "Wed",
        "Thu",
        "Fri",
    ]
    # Hours are period numbers up to the longest bell schedule (J's 5).
    assert [h.findtext("Name") for h in root.find("Hours_List").iter("Hour")] == [  # type: ignore[union-attr]
        "P1",
        "P2",
        "P3",
        "P4",
        "P5",
    ]
    teachers = [t.findtext("Name") for t in root.iter("Teacher") if t.find("Name") is not None]
    assert teachers == ["A", "B", "HR51 @ S", "JTE1 @ J"]
    years = {
        y.findtext("Name"): [g.findtext("Name") for g in y.iter("Group")]
        for y in root.iter("Year")
    }
    assert years == {"S": ["S 5-1"], "J": ["J 1-1", "J 1-2"]}


def test_activities_carry_alt_co_teacher_and_class() -> None:
    root = _root(_branch(), _rows())
    acts = [
        ([t.text for t in a.findall("Teacher")], a.findtext("Students"), a.findtext("Id"))
        for a in root.find("Activities_List")  # type: ignore[union-attr]
    ]
    assert acts == [
        (["A", "HR51 @ S"], "S 5-1", "1"),  # Mon
        (["A", "HR51 @ S"], "S 5-1", "2"),  # Tue
        (["B", "JTE1 @ J"], "J 1-1", "3"),
        (["B", "JTE1 @ J"], "J 1-2", "4"),
    ]


def test_each_activity_is_pinned_to_its_day_and_the_usable_periods() -> None:
    root = _root(_branch(), _rows())
    pins = {
        c.findtext("Activity_Id"): _slots(
            c, "Preferred_Starting_Time", "Preferred_Starting_Day", "Preferred_Starting_Hour"
        )
        for c in root.iter("ConstraintActivityPreferredStartingTimes")
    }
    assert pins == {
        "1": [("Mon", "P1"), ("Mon", "P3"), ("Mon", "P4")],  # Monday period 2 is blocked
        "2": [("Tue", f"P{p}") for p in range(1, 5)],
        "3": [("Wed", f"P{p}") for p in range(1, 6)],
        "4": [("Thu", f"P{p}") for p in range(1, 6)],
    }
    for c in root.iter("ConstraintActivityPreferredStartingTimes"):
        assert int(c.findtext("Number_of_Preferred_Starting_Times", "")) == len(
            pins[c.findtext("Activity_Id")]
        )


def test_not_available_times_and_daily_maxima() -> None:
    root = _root(_branch(), _rows())
    teacher_off = {
        c.findtext("Teacher"): _slots(c, "Not_Available_Time", "Day", "Hour")
        for c in root.iter("ConstraintTeacherNotAvailableTimes")
    }
    assert teacher_off == {"A": [("Fri", f"P{p}") for p in range(1, 6)]}
    closed = {
        c.findtext("Students"): _slots(c, "Not_Available_Time", "Day", "Hour")
        for c in root.iter("ConstraintStudentsSetNotAvailableTimes")
    }
    # S has no period 5 on any day and period 2 is blocked on Monday.
    assert closed["S 5-1"] == [("Mon", "P2"), ("Mon", "P5")] + [
        (d, "P5") for d in ("Tue", "Wed", "Thu", "Fri")
    ]
    # J is closed on Friday.
    assert closed["J 1-1"] == [("Fri", f"P{p}") for p in range(1, 6)]
    maxima = {
        c.findtext("Teacher_Name"): c.findtext("Maximum_Hours_Daily")
        for c in root.iter("ConstraintTeacherMaxHoursDaily")
    }
    assert maxima == {"A": "3", "B": "6"}
    (students,) = root.iter("ConstraintStudentsMaxHoursDaily")
    assert students.findtext("Maximum_Hours_Daily") == "1"


def test_same_input_same_bytes() -> None:
    assert fet_xml(_branch(), _rows()) == fet_xml(_branch(), _rows().iloc[::-1])


@pytest.mark.parametrize(
    ("row", "message"),
    [
        # A is off on Friday: a broken timetable is refused.
        (("A", "S", "5-1", "Fri", 1, "08:45", "09:30"), "day_off"),
        # A class gets a third lesson it does not need.
        (("A", "S", "5-1", "Wed", 1, "08:45", "09:30"), "class_need"),
    ],
)
def test_invalid_timetable_is_refused(row: tuple, message: str) -> None:
    rows = pd.concat([_rows(), pd.DataFrame([row], columns=ASSIGNMENT_COLUMNS)])
    with pytest.raises(InstanceError, match=message):
        fet_xml(_branch(), rows)


def test_two_schools_in_one_alt_day_is_refused() -> None:
    inst = _branch().model_copy(
        update={"settings": _branch().settings.model_copy(update={"max_schools_per_day": 2})}
    )
    rows = pd.concat(
        [
            _rows(),
            pd.DataFrame(
                [("A", "J", "1-1", "Tue", 5, "12:40", "13:30")], columns=ASSIGNMENT_COLUMNS
            ),
        ]
    )
    rows = rows[~((rows["alt_id"] == "B") & (rows["class"] == "1-1"))]
    assert check(inst, rows) == []
    with pytest.raises(InstanceError, match="visited by A on Tue"):
        fet_xml(inst, rows)


def _activities_xml(path: Path, placed: list[tuple[int, str, str]]) -> Path:
    body = "".join(
        f"<Activity><Id>{i}</Id><Day>{d}</Day><Hour>{h}</Hour><Room></Room></Activity>"
        for i, d, h in placed
    )
    path.write_text(f"<Activities_Timetable>{body}</Activities_Timetable>", encoding="utf-8")
    return path


def test_fet_placement_reads_back_as_assignments(tmp_path: Path) -> None:
    # FET moved A's Tuesday lesson to period 1, B's Wednesday one to 2, Thursday one to 1.
    xml = _activities_xml(
        tmp_path / "t_activities.xml",
        [(1, "Mon", "P1"), (2, "Tue", "P1"), (3, "Wed", "P2"), (4, "Thu", "P1")],
    )
    got = fet_assignments(_branch(), _rows(), xml)
    assert got.values.tolist() == [
        ["A", "S", "5-1", "Mon", 1, "08:45", "09:30"],
        ["A", "S", "5-1", "Tue", 1, "08:45", "09:30"],
        ["B", "J", "1-1", "Wed", 2, "09:40", "10:30"],
        ["B", "J", "1-2", "Thu", 1, "08:40", "09:30"],
    ]


@pytest.mark.parametrize(
    ("placed", "column"),
    [
        ([(9, "Mon", "P1")], "Id"),  # no activity 9 was exported
        ([(3, "Fri", "P1")], "Hour"),  # J has no periods on Friday
        ([(1, "Mon", "X")], "Hour"),  # not an hour name of ours
    ],
)
def test_fet_placement_bad_rows(tmp_path: Path, placed: list, column: str) -> None:
    xml = _activities_xml(tmp_path / "bad.xml", placed)
    with pytest.raises(InstanceError) as e:
        fet_assignments(_branch(), _rows(), xml)
    assert [i.column for i in e.value.issues] == [column]


def _cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scheduler.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def _solved_folder(tmp_path: Path) -> tuple[Path, Path]:
    inst_dir, out_dir = tmp_path / "inst", tmp_path / "out"
    inst_dir.mkdir()
    out_dir.mkdir()
    write_instance(_branch(), inst_dir)
    _rows().to_csv(out_dir / "assignments.csv", index=False)
    return inst_dir, out_dir


def test_cli_export_fet(tmp_path: Path) -> None:
    inst_dir, out_dir = _solved_folder(tmp_path)
    run = _cli("export-fet", inst_dir, out_dir, tmp_path / "x.fet")
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "x.fet").read_text(encoding="utf-8") == fet_xml(_branch(), _rows())


def test_cli_export_fet_without_assignments_exits_2(tmp_path: Path) -> None:
    inst_dir, _ = _solved_folder(tmp_path)
    run = _cli("export-fet", inst_dir, tmp_path / "nowhere", tmp_path / "x.fet")
    assert run.returncode == 2
    assert "assignments.csv: does not exist" in run.stderr
    assert not (tmp_path / "x.fet").exists()


@pytest.mark.skipif(shutil.which("fet-cl") is None, reason="fet-cl (Debian package fet) absent")
def test_fet_cl_places_the_export_validly(tmp_path: Path) -> None:
    fet = tmp_path / "tiny.fet"
    write_fet(_branch(), _rows(), fet)
    run = subprocess.run(
        [
            "fet-cl",
            f"--inputfile={fet}",
            f"--outputdir={tmp_path / 'fet'}",
            "--timelimitseconds=30",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    (xml,) = (tmp_path / "fet").rglob("*_activities.xml")
    placed = fet_assignments(_branch(), _rows(), xml)
    assert len(placed) == 4
    assert check(_branch(), placed) == []
