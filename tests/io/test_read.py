"""Reading and writing instances: every form loads to the same Instance, writes are stable."""

from __future__ import annotations

import tempfile
import zipfile
from datetime import date, datetime, time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from scheduler.errors import InstanceError
from scheduler.instance import DAYS, LEVELS, Alt, Bell, Instance, School, SchoolClass, Settings
from scheduler.io import instance_to_tables, load_instance, write_instance
from scheduler.io.tables import COLUMNS, format_periods
from scheduler.text import BIDI_CONTROLS

# One elementary and one junior high school, Japanese names, two ALTs.
CSV: dict[str, str] = {
    "settings.csv": "key,value\ntravel_speed_kmh,15.5\nday_start,08:30\n",
    "schools.csv": (
        "school_id,name,level,lat,lon,max_alts_per_day\n"
        "E1,さくら小学校,elementary,35.6812,139.7671,1\n"
        "J1,みどり中学校,junior_high,35.69,139.7,2\n"
    ),
    "bells.csv": (
        "school_id,period,start,end,days\n"
        "E1,1,08:45,09:30,\n"
        "E1,2,09:35,10:20,Mon;Tue;Thu;Fri\n"
        "J1,1,08:40,09:30,\n"
    ),
    "classes.csv": (
        "school_id,class,alt_lessons,co_teacher\nE1,1-1,1,田中\nE1,1-2,2,\nJ1,3-1,4,鈴木\n"
    ),
    "alts.csv": (
        "alt_id,name,home_lat,home_lon,levels,min_lessons,max_lessons,unavailable\n"
        "A1,Ann Lee,35.68,139.76,,,,\n"
        "A2,Ben Ito,35.69,139.71,junior_high,2,4,Wed;Fri\n"
    ),
    "blocked.csv": "school_id,class,day,periods\nE1,,Mon,1-2\nE1,1-1,2025-05-01,\n",
}


def csv_folder(root: Path, files: dict[str, str], name: str = "tokyo") -> Path:
    folder = root / name
    folder.mkdir()
    for file, text in files.items():
        (folder / file).write_text(text, encoding="utf-8")
    return folder


def typed_workbook(path: Path) -> Path:
    """CSV as a workbook the way Excel stores it: numbers, times and dates as typed cells."""
    wb = Workbook()
    wb.remove(wb.active)
    sheets: dict[str, list[list[object]]] = {
        "settings": [["key", "value"], ["travel_speed_kmh", 15.5], ["day_start", time(8, 30)]],
        "schools": [
            list(COLUMNS["schools"]),
            ["E1", "さくら小学校", "elementary", 35.6812, 139.7671, 1],
            ["J1", "みどり中学校", "junior_high", 35.69, 139.7, 2.0],
        ],
        "bells": [
            list(COLUMNS["bells"]),
            ["E1", 1, time(8, 45), time(9, 30), None],
            ["E1", 2.0, time(9, 35), time(10, 20), "Mon;Tue;Thu;Fri"],
            ["J1", 1, time(8, 40), time(9, 30)],  # a short row: trailing cells empty
        ],
        "classes": [
            list(COLUMNS["classes"]),
            ["E1", "1-1", 1, "田中"],
            [None, None, None, None],  # a blank row is skipped
            ["E1", "1-2", 2.0, None],
            [" J1 ", "3-1", 4, " 鈴木 "],  # cells are stripped
        ],
        "alts": [
            [
                "alt_id",
                "name",
                "home_lat",
                "home_lon",
                "levels",
                "min_lessons",
                "max_lessons",
                "unavailable",
            ],
            ["A1", "Ann Lee", 35.68, 139.76, None, None, None, None],
            ["A2", "Ben Ito", 35.69, 139.71, "junior_high", 2, 4, "Wed;Fri"],
        ],
        "blocked": [
            list(COLUMNS["blocked"]),
            ["E1", None, "Mon", "1-2"],
            ["E1", "1-1", datetime(2025, 5, 1), None],
        ],
    }
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def edited_workbook(tmp_path: Path, cells: dict[tuple[str, str], object]) -> Path:
    """The typed workbook with some cells (sheet, cell) set, as a user would edit it."""
    from openpyxl import load_workbook

    path = typed_workbook(tmp_path / "tokyo.xlsx")
    wb = load_workbook(path)
    for (sheet, cell), value in cells.items():
        wb[sheet][cell] = value
    wb.save(path)
    return path


def test_csv_folder_and_workbook_load_equal(tmp_path: Path) -> None:
    from_csv, csv_warnings = load_instance(csv_folder(tmp_path, CSV))
    from_xlsx, xlsx_warnings = load_instance(typed_workbook(tmp_path / "tokyo.xlsx"))
    assert from_xlsx == from_csv
    assert csv_warnings == xlsx_warnings == []
    # A spot check that the equal instances hold what the tables say.
    assert from_csv.settings.branch == "tokyo"
    assert from_csv.settings.day_start == time(8, 30)
    assert from_csv.settings.travel_speed_kmh == 15.5
    assert from_csv.school_by_id["J1"].max_alts_per_day == 2
    assert [b.days for b in from_csv.bells][1] == ("Mon", "Tue", "Thu", "Fri")
    assert from_csv.class_by_key[("J1", "3-1")].co_teacher == "鈴木"
    assert from_csv.blocked[0].periods == (1, 2)
    assert from_csv.blocked[1].day == date(2025, 5, 1)
    assert from_csv.alt_by_id["A2"].unavailable == ("Wed", "Fri")


def test_excel_date_in_class_column_is_read_back_as_text_with_warning(tmp_path: Path) -> None:
    # Excel's reading of a typed "1-2".
    path = edited_workbook(tmp_path, {("classes", "B4"): datetime(2025, 1, 2)})
    inst, warnings = load_instance(path)
    assert ("E1", "1-2") in inst.class_by_key
    assert [(w.file, w.row, w.column, w.value) for w in warnings] == [
        ("tokyo.xlsx sheet classes", 4, "class", "1-2")
    ]
    # The workbook does not say how it was typed: a day-month Excel would have stored 1 February.
    assert "month-day" in warnings[0].message and "day-month" in warnings[0].message


def test_a_note_beside_a_workbook_table_is_a_warning_not_an_error(tmp_path: Path) -> None:
    # In a CSV file a value past the header is an error (a comma inside a value shifts the
    # row); in a workbook it is a note beside the table and only warns.
    notes = {("classes", "H2"): "ask Tanaka about 1-1", ("classes", "G3"): "a note on a blank row"}
    inst, warnings = load_instance(edited_workbook(tmp_path, notes))
    assert len(inst.classes) == 3  # the note's row holds no class
    assert [(w.file, w.row, w.column, w.value) for w in warnings] == [
        ("tokyo.xlsx sheet classes", 2, "8 (no header)", "ask Tanaka about 1-1"),
        ("tokyo.xlsx sheet classes", 3, "7 (no header)", "a note on a blank row"),
    ]


def test_errors_in_a_workbook_name_the_sheet(tmp_path: Path) -> None:
    path = edited_workbook(tmp_path, {("classes", "C4"): "two", ("bells", "C2"): "8.45"})
    with pytest.raises(InstanceError) as caught:
        load_instance(path)
    assert [str(i) for i in caught.value.issues] == [
        'tokyo.xlsx sheet bells row 2, column start: "8.45" '
        "is not a time HH:MM (24-hour, e.g. 08:40)",
        'tokyo.xlsx sheet classes row 4, column alt_lessons: "two" is not a whole number',
    ]


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".json"])
def test_yaml_and_json_dump_round_trip(tmp_path: Path, suffix: str) -> None:
    inst, _ = load_instance(csv_folder(tmp_path, CSV))
    path = tmp_path / f"dump{suffix}"
    write_instance(inst, path)
    assert load_instance(path) == (inst, [])


def test_hand_written_yaml(tmp_path: Path) -> None:
    # Unquoted 10:15 is a base-60 number in YAML 1.1; it must still read as a time.
    path = tmp_path / "mini.yaml"
    path.write_text(
        "schools:\n"
        "- {school_id: J1, name: 中学校, level: junior_high, lat: 35.0, lon: 139.0}\n"
        "bells:\n"
        "- {school_id: J1, period: 1, start: 10:15, end: 11:05, days: [Mon, Tue]}\n"
        "classes:\n"
        "- {school_id: J1, class: 1-1, alt_lessons: 2}\n"
        "alts:\n"
        "- {alt_id: A1, name: Ann, home_lat: 35.0, home_lon: 139.0, unavailable: ~}\n",
        encoding="utf-8",
    )
    inst, warnings = load_instance(path)
    assert warnings == []
    assert inst.settings.branch == "mini"
    assert (inst.bells[0].start, inst.bells[0].end) == (time(10, 15), time(11, 5))
    assert inst.bells[0].days == ("Mon", "Tue")
    assert inst.alts[0].unavailable == ()


def test_yaml_errors_name_the_table_and_item(tmp_path: Path) -> None:
    path = tmp_path / "mini.yaml"
    path.write_text(
        "schools: []\nbells: []\nclasses: []\n"
        "alts:\n- {alt_id: A1, name: Ann, home_lat: 35, home_lon: 139}\n"
        "- {alt_id: A2, name: Ben, home_lat: north, home_lon: 139}\n",
        encoding="utf-8",
    )
    with pytest.raises(InstanceError) as caught:
        load_instance(path)
    assert str(caught.value) == 'mini.yaml alts row 2, column home_lat: "north" is not a number'


def test_bom_blank_lines_spaces_and_japanese_names(tmp_path: Path) -> None:
    files = dict(CSV)
    # Excel's "CSV UTF-8" starts with a BOM; blank lines and padded cells are common.
    files["schools.csv"] = "\ufeff" + CSV["schools.csv"].replace("E1,", " E1 , ") + "\n,,,,,\n"
    files["classes.csv"] = CSV["classes.csv"].replace("\nE1,1-2", "\n\nE1,1-2")
    inst, warnings = load_instance(csv_folder(tmp_path, files))
    assert warnings == []
    assert inst.school_by_id["E1"].name == "さくら小学校"
    assert inst.class_by_key[("E1", "1-1")].co_teacher == "田中"
    assert len(inst.schools) == 2 and len(inst.classes) == 3


def test_defaults_are_the_contracts(tmp_path: Path) -> None:
    files = {k: v for k, v in CSV.items() if k != "settings.csv"}
    inst, _ = load_instance(csv_folder(tmp_path, files, name="osaka"))
    s = inst.settings
    assert s.branch == "osaka"  # the folder name
    assert s.timezone == "Asia/Tokyo"
    assert (s.term_start, s.term_end) == (None, None)
    assert (s.day_start, s.day_end) == (time(8, 0), time(17, 0))
    assert (s.min_lessons_per_week, s.max_lessons_per_week, s.max_lessons_per_day) == (20, 25, 6)
    assert (s.max_schools_per_day, s.max_commute_minutes) == (1, 60)
    assert s.travel_speed_kmh == 20
    assert s.max_class_lessons_per_day == 1
    a1 = inst.alt_by_id["A1"]
    assert a1.levels == LEVELS  # empty levels: both
    assert (a1.min_lessons, a1.max_lessons, a1.max_lessons_per_day) == (None, None, None)
    assert a1.unavailable == ()
    assert inst.bells[0].days == DAYS  # empty days: all five
    assert inst.blocked[1].periods is None  # empty periods: the whole day
    assert inst.blocked[0].class_ is None  # empty class: the whole school
    assert inst.class_by_key[("E1", "1-2")].co_teacher is None
    assert inst.travel == ()  # travel.csv is optional


def test_max_alts_per_day_defaults_to_one(tmp_path: Path) -> None:
    files = dict(CSV)
    files["schools.csv"] = (
        "school_id,name,level,lat,lon\nE1,A,elementary,35,139\nJ1,B,junior_high,35,139\n"
    )
    inst, _ = load_instance(csv_folder(tmp_path, files))
    assert [s.max_alts_per_day for s in inst.schools] == [1, 1]


def test_settings_branch_wins_over_folder_name(tmp_path: Path) -> None:
    files = dict(CSV)
    files["settings.csv"] = "key,value\nbranch,東京支店\n"
    inst, _ = load_instance(csv_folder(tmp_path, files))
    assert inst.settings.branch == "東京支店"


def test_instance_to_tables_is_the_contract(tmp_path: Path) -> None:
    inst, _ = load_instance(csv_folder(tmp_path, CSV))
    tables = instance_to_tables(inst)
    assert {k: list(df.columns) for k, df in tables.items()} == {
        k: list(v) for k, v in COLUMNS.items()
    }
    # Branch always, then only values that differ from the defaults, in field order.
    assert tables["settings"].values.tolist() == [
        ["branch", "tokyo"],
        ["day_start", "08:30"],
        ["travel_speed_kmh", 15.5],
    ]
    assert tables["bells"].iloc[1].tolist() == ["E1", 2, "09:35", "10:20", "Mon;Tue;Thu;Fri"]
    assert tables["alts"].iloc[1].tolist() == [
        "A2",
        "Ben Ito",
        35.69,
        139.71,
        "junior_high",
        2,
        4,
        None,
        "Wed;Fri",
    ]
    assert tables["blocked"].values.tolist() == [
        ["E1", None, "Mon", "1-2"],
        ["E1", "1-1", "2025-05-01", None],
    ]
    assert tables["travel"].empty


@pytest.mark.parametrize(
    ("periods", "text"),
    [((1,), "1"), ((5, 6), "5-6"), ((1, 2, 3, 5), "1-3;5"), ((2, 4, 6), "2;4;6")],
)
def test_format_periods(periods: tuple[int, ...], text: str) -> None:
    assert format_periods(periods) == text


FORMS = ["folder", "tokyo.xlsx", "tokyo.yaml", "tokyo.json"]


def _bytes(path: Path) -> dict[str, bytes]:
    if path.is_dir():
        return {p.name: p.read_bytes() for p in sorted(path.iterdir())}
    return {path.name: path.read_bytes()}


@pytest.mark.parametrize("form", FORMS)
def test_write_then_load_is_the_same_instance(tmp_path: Path, form: str) -> None:
    inst, _ = load_instance(csv_folder(tmp_path, CSV))
    path = tmp_path / "out" / form
    path.parent.mkdir()
    write_instance(inst, path)
    assert load_instance(path) == (inst, [])


@pytest.mark.parametrize("form", FORMS)
def test_writing_twice_gives_the_same_bytes(tmp_path: Path, form: str) -> None:
    inst, _ = load_instance(csv_folder(tmp_path, CSV))
    first, second = tmp_path / "a" / form, tmp_path / "b" / form
    first.parent.mkdir()
    second.parent.mkdir()
    write_instance(inst, first)
    write_instance(inst, second)
    assert _bytes(first) == _bytes(second)


def test_workbook_carries_no_clock_time(tmp_path: Path) -> None:
    # Same bytes on another day too: no save time in the zip entries or the metadata.
    inst, _ = load_instance(csv_folder(tmp_path, CSV))
    write_instance(inst, tmp_path / "w.xlsx")
    with zipfile.ZipFile(tmp_path / "w.xlsx") as z:
        assert {i.date_time for i in z.infolist()} == {(2000, 1, 1, 0, 0, 0)}
        core = z.read("docProps/core.xml").decode()
    assert "2000-01-01T00:00:00Z</dcterms:modified>" in core


def test_csv_folder_text_is_exact(tmp_path: Path) -> None:
    inst, _ = load_instance(csv_folder(tmp_path, CSV))
    out = tmp_path / "out"
    write_instance(inst, out)
    assert sorted(p.name for p in out.iterdir()) == [
        "alts.csv",
        "bells.csv",
        "blocked.csv",
        "classes.csv",
        "schools.csv",
        "settings.csv",
    ]  # travel.csv is empty, so left out
    assert (out / "settings.csv").read_text(encoding="utf-8") == (
        "key,value\nbranch,tokyo\nday_start,08:30\ntravel_speed_kmh,15.5\n"
    )
    assert (out / "alts.csv").read_text(encoding="utf-8") == (
        "alt_id,name,home_lat,home_lon,levels,min_lessons,max_lessons,max_lessons_per_day,"
        "unavailable\n"
        "A1,Ann Lee,35.68,139.76,elementary;junior_high,,,,\n"
        "A2,Ben Ito,35.69,139.71,junior_high,2,4,,Wed;Fri\n"
    )


def test_write_removes_a_stale_optional_table(tmp_path: Path) -> None:
    inst, _ = load_instance(csv_folder(tmp_path, CSV))
    out = tmp_path / "out"
    write_instance(inst, out)
    write_instance(inst.model_copy(update={"blocked": ()}), out)
    assert not (out / "blocked.csv").exists()
    assert load_instance(out)[0].blocked == ()


def test_write_refuses_an_unknown_suffix(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.txt"):
        write_instance(Instance(), tmp_path / "x.txt")


names = st.sampled_from(
    ["~", "null", "no", "10:15", "1-2", "さくら", 'A "quoted", name']
) | st.text(
    # Control characters (bidi overrides too) leave a name on loading: docs/input.md.
    alphabet=st.characters(
        codec="utf-8",
        exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp"),
        exclude_characters="".join(BIDI_CONTROLS),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=20, deadline=None)
@given(
    name=names,
    # Six decimals (0.1 m): a workbook keeps 16 significant digits, Excel itself 15.
    lat=st.floats(-90, 90).map(lambda x: round(x, 6)),
    lon=st.floats(-180, 180).map(lambda x: round(x, 6)),
)
def test_any_name_and_coordinates_survive_every_form(name: str, lat: float, lon: float) -> None:
    # YAML-ish names (~, null, no, 10:15) and full-precision floats must come back unchanged.
    school = School(school_id="S1", name=name, level="elementary", lat=lat, lon=lon)
    # The smallest whole branch (a branch without periods, classes or ALTs is an error): the
    # ALT lives at the school, so nothing warns.
    inst = Instance(
        settings=Settings(branch="b"),
        schools=(school,),
        bells=(Bell(school_id="S1", period=1, start=time(8, 45), end=time(9, 30)),),
        classes=(SchoolClass(school_id="S1", class_="1-1", alt_lessons=1),),
        alts=(Alt(alt_id="A1", name=name, home_lat=lat, home_lon=lon),),
    )
    with tempfile.TemporaryDirectory() as tmp:
        for form in FORMS:
            path = Path(tmp) / form
            write_instance(inst, path)
            assert load_instance(path) == (inst, []), form
