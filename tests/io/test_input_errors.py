"""Every kind of bad input is an error (or a warning) that names file, row, column and value.

Each case starts from one small valid CSV folder (``BASE``) and changes one thing.
Row numbers are spreadsheet rows: the header is row 1, the first record row 2.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.errors import InputIssue, InstanceError
from scheduler.io.read import load_instance
from scheduler.io.tables import write_instance

# Two schools 1-2 km from both ALT homes: everybody can reach everything, no warnings.
BASE: dict[str, str] = {
    "settings.csv": "key,value\nterm_start,2025-04-07\nterm_end,2025-07-18\n",
    "schools.csv": (
        "school_id,name,level,lat,lon\n"
        "E1,Sakura ES,elementary,35.00,139.00\n"
        "J1,Midori JHS,junior_high,35.01,139.01\n"
    ),
    "bells.csv": (
        "school_id,period,start,end,days\n"
        "E1,1,08:45,09:30,\n"
        "E1,2,09:35,10:20,\n"
        "J1,1,08:40,09:30,\n"
        "J1,2,09:40,10:30,Mon;Tue;Thu;Fri\n"
    ),
    "classes.csv": (
        "school_id,class,alt_lessons,co_teacher\n"
        "E1,1-1,1,Tanaka\n"
        "E1,6-1,2,\n"
        "J1,1-1,2,Suzuki\n"
        "J1,3-1,1,Suzuki\n"
    ),
    "alts.csv": (
        "alt_id,name,home_lat,home_lon,levels,min_lessons,max_lessons,unavailable\n"
        "A1,Ann,35.005,139.005,,,,\n"
        "A2,Ben,35.006,139.006,junior_high,2,4,Wed\n"
    ),
    "blocked.csv": "school_id,class,day,periods\nE1,,Mon,1-2\nJ1,1-1,2025-05-01,\n",
    "travel.csv": "from,to,minutes\nA1,E1,10\n",
}

# (file, old text, new text); new None deletes the file.
Edit = tuple[str, str, str | None]


def write_folder(root: Path, edits: list[Edit]) -> Path:
    """BASE with the edits applied, as a CSV folder under root."""
    folder = root / "branch"
    folder.mkdir()
    files = dict(BASE)
    for file, old, new in edits:
        if new is None:
            del files[file]
            continue
        assert old in files[file], f"test edit does not apply: {old!r}"
        files[file] = files[file].replace(old, new, 1)
    for file, text in files.items():
        (folder / file).write_text(text, encoding="utf-8")
    return folder


def located(issues: list[InputIssue]) -> list[tuple[str, int | None, str | None, str | None]]:
    return [(i.file, i.row, i.column, i.value) for i in issues]


def test_base_is_clean(tmp_path: Path) -> None:
    inst, warnings = load_instance(write_folder(tmp_path, []))
    assert warnings == []
    assert len(inst.classes) == 4


ERRORS = [
    # a required file is gone
    ([("alts.csv", "", None)], ("alts.csv", None, None, None)),
    # a required column is renamed: reported once for the column, not once per row
    (
        [("classes.csv", "alt_lessons,co_teacher", "lessons,co_teacher")],
        ("classes.csv", None, "alt_lessons", None),
    ),
    # bells names a school that schools.csv lacks
    ([("bells.csv", "J1,1,08:40", "J9,1,08:40")], ("bells.csv", 4, "school_id", "J9")),
    # classes names a school that schools.csv lacks
    ([("classes.csv", "E1,6-1,2,", "E9,6-1,2,")], ("classes.csv", 3, "school_id", "E9")),
    # blocked names a school that schools.csv lacks
    ([("blocked.csv", "E1,,Mon,1-2", "E9,,Mon,1-2")], ("blocked.csv", 2, "school_id", "E9")),
    # blocked names a class the school does not have
    (
        [("blocked.csv", "J1,1-1,2025-05-01", "J1,2-1,2025-05-01")],
        ("blocked.csv", 3, "class", "2-1"),
    ),
    # the same school_id twice
    (
        [("schools.csv", "139.01\n", "139.01\nE1,Other ES,elementary,35,139\n")],
        ("schools.csv", 4, "school_id", "E1"),
    ),
    # the same alt_id twice
    ([("alts.csv", "4,Wed\n", "4,Wed\nA1,Cat,35,139,,,,\n")], ("alts.csv", 4, "alt_id", "A1")),
    # the same class of the same school twice
    (
        [("classes.csv", "J1,3-1,1,Suzuki\n", "J1,3-1,1,Suzuki\nE1,1-1,1,\n")],
        ("classes.csv", 6, "class", "1-1"),
    ),
    # a decimal point instead of a colon
    ([("bells.csv", "E1,1,08:45", "E1,1,8.45")], ("bells.csv", 2, "start", "8.45")),
    # an hour past 23
    ([("bells.csv", "09:40,10:30", "09:40,25:00")], ("bells.csv", 5, "end", "25:00")),
    # end before start
    ([("bells.csv", "E1,2,09:35,10:20", "E1,2,10:20,09:35")], ("bells.csv", 3, "end", "09:35")),
    # a period that ends after the branch's day_end (17:00 by default)
    ([("bells.csv", "E1,2,09:35,10:20", "E1,2,16:30,17:15")], ("bells.csv", 3, "end", "17:15")),
    # a period that starts before the branch's day_start (08:00 by default)
    ([("bells.csv", "E1,1,08:45,09:30", "E1,1,07:15,08:00")], ("bells.csv", 2, "start", "07:15")),
    # a level the contract does not know
    (
        [("schools.csv", "Sakura ES,elementary", "Sakura ES,primary")],
        ("schools.csv", 2, "level", "primary"),
    ),
    # an ALT level misspelt; the bad item of the list is named
    ([("alts.csv", "junior_high,2,4", "junior_hi,2,4")], ("alts.csv", 3, "levels", "junior_hi")),
    # a misspelt day inside a list of days
    ([("bells.csv", "Mon;Tue;Thu;Fri", "Mon;Tue;Thr;Fri")], ("bells.csv", 5, "days", "Thr")),
    # a weekend day in blocked
    ([("blocked.csv", "E1,,Mon,1-2", "E1,,Sat,1-2")], ("blocked.csv", 2, "day", "Sat")),
    # an impossible date in blocked
    (
        [("blocked.csv", "J1,1-1,2025-05-01", "J1,1-1,2025-02-30")],
        ("blocked.csv", 3, "day", "2025-02-30"),
    ),
    # a reversed period range
    ([("blocked.csv", "E1,,Mon,1-2", "E1,,Mon,2-1")], ("blocked.csv", 2, "periods", "2-1")),
    # blocked names a period the school's bells do not have
    ([("blocked.csv", "E1,,Mon,1-2", "E1,,Mon,1-3")], ("blocked.csv", 2, "periods", "3")),
    # a class that is not grade-class
    ([("classes.csv", "E1,6-1,2,", "E1,A-1,2,")], ("classes.csv", 3, "class", "A-1")),
    # grade 7 at an elementary school (grades 1-6)
    ([("classes.csv", "E1,6-1,2,", "E1,7-1,2,")], ("classes.csv", 3, "class", "7-1")),
    # grade 4 at a junior high school (grades 1-3)
    ([("classes.csv", "J1,3-1,1,", "J1,4-1,1,")], ("classes.csv", 5, "class", "4-1")),
    # a negative need
    ([("classes.csv", "E1,6-1,2,", "E1,6-1,-1,")], ("classes.csv", 3, "alt_lessons", "-1")),
    # a need written in words
    ([("classes.csv", "E1,6-1,2,", "E1,6-1,two,")], ("classes.csv", 3, "alt_lessons", "two")),
    # a need that is not whole
    ([("classes.csv", "E1,6-1,2,", "E1,6-1,1.5,")], ("classes.csv", 3, "alt_lessons", "1.5")),
    # the same defect after a blank line: the row number still matches the spreadsheet
    (
        [("classes.csv", "E1,6-1,2,\n", "\nE1,6-1,two,\n")],
        ("classes.csv", 4, "alt_lessons", "two"),
    ),
    # an empty required cell
    ([("alts.csv", "A2,Ben,", "A2,,")], ("alts.csv", 3, "name", None)),
    # a latitude beyond the pole
    ([("schools.csv", "35.01,139.01", "95.01,139.01")], ("schools.csv", 3, "lat", "95.01")),
    # a longitude beyond the date line
    ([("alts.csv", "35.006,139.006", "35.006,200")], ("alts.csv", 3, "home_lon", "200")),
    # a coordinate that is not a number
    ([("schools.csv", "35.00,139.00", "35.00,east")], ("schools.csv", 2, "lon", "east")),
    # an ALT whose minimum is above their maximum
    ([("alts.csv", "junior_high,2,4", "junior_high,5,4")], ("alts.csv", 3, "min_lessons", "5")),
    # a part-timer's ceiling below the branch's floor (20), no floor of their own
    ([("alts.csv", "junior_high,2,4", "junior_high,,10")], ("alts.csv", 3, "max_lessons", "10")),
    # an ALT's floor above the branch's ceiling (25), no ceiling of their own
    ([("alts.csv", "junior_high,2,4", "junior_high,30,")], ("alts.csv", 3, "min_lessons", "30")),
    # a misspelt day off
    ([("alts.csv", "2,4,Wed", "2,4,Weds")], ("alts.csv", 3, "unavailable", "Weds")),
    # the branch's weekly minimum above its maximum
    (
        [("settings.csv", "key,value\n", "key,value\nmin_lessons_per_week,30\n")],
        ("settings.csv", 2, "min_lessons_per_week", "30"),
    ),
    # term_end before term_start (the dated blocked row is dropped so it is not outside the term)
    (
        [
            ("settings.csv", "term_end,2025-07-18", "term_end,2025-04-01"),
            ("blocked.csv", "J1,1-1,2025-05-01,\n", ""),
        ],
        ("settings.csv", 3, "term_end", "2025-04-01"),
    ),
    # a dated blocked row outside the term
    (
        [("blocked.csv", "J1,1-1,2025-05-01", "J1,1-1,2025-09-01")],
        ("blocked.csv", 3, "day", "2025-09-01"),
    ),
    # a setting that is not a whole number
    (
        [("settings.csv", "key,value\n", "key,value\nmax_lessons_per_day,six\n")],
        ("settings.csv", 2, "max_lessons_per_day", "six"),
    ),
    # a malformed day window in settings
    (
        [("settings.csv", "key,value\n", "key,value\nday_start,8h\n")],
        ("settings.csv", 2, "day_start", "8h"),
    ),
    # a time zone that does not exist
    (
        [("settings.csv", "key,value\n", "key,value\ntimezone,Asia/Osaka\n")],
        ("settings.csv", 2, "timezone", "Asia/Osaka"),
    ),
    # the same setting twice
    (
        [("settings.csv", "key,value\n", "key,value\nterm_end,2025-07-01\n")],
        ("settings.csv", 4, "key", "term_end"),
    ),
    # travel to a place that is neither a school nor an ALT
    ([("travel.csv", "A1,E1,10", "A1,E7,10")], ("travel.csv", 2, "to", "E7")),
    # negative travel minutes
    ([("travel.csv", "A1,E1,10", "A1,E1,-5")], ("travel.csv", 2, "minutes", "-5")),
    # one trip given twice (which time holds?); the way back is a trip of its own
    (
        [("travel.csv", "A1,E1,10\n", "A1,E1,10\nE1,A1,12\nA1,E1,50\n")],
        ("travel.csv", 4, "from", "A1"),
    ),
    # a trip from a place to itself
    ([("travel.csv", "A1,E1,10", "E1,E1,10")], ("travel.csv", 2, "to", "E1")),
    # a column named twice
    (
        [("travel.csv", "from,to,minutes", "from,to,minutes,to")],
        ("travel.csv", None, "to", None),
    ),
    # a comma instead of ; in a list of days: the row has a value past the header
    ([("alts.csv", "2,4,Wed", "2,4,Wed,Fri")], ("alts.csv", 3, "9 (no header)", "Fri")),
    # twenty digits: errors naming the cell, not overflows (or gigabytes) in the solver
    (
        [("classes.csv", "E1,6-1,2,", "E1,6-1,99999999999999999999,")],
        ("classes.csv", 3, "alt_lessons", "99999999999999999999"),
    ),
    (
        [
            ("schools.csv", "139.01\n", "139.01,10000000\n"),
            ("schools.csv", ",lon", ",lon,max_alts_per_day"),
        ],
        ("schools.csv", 3, "max_alts_per_day", "10000000"),
    ),
    (
        [("bells.csv", "E1,2,09:35", "E1,99999999999999999999,09:35")],
        ("bells.csv", 3, "period", "99999999999999999999"),
    ),
    (
        [("blocked.csv", "E1,,Mon,1-2", "E1,,Mon,1-99999")],
        ("blocked.csv", 2, "periods", "1-99999"),
    ),
    (
        [
            (
                "settings.csv",
                "key,value\n",
                "key,value\nmax_lessons_per_week,99999999999999999999\n",
            )
        ],
        ("settings.csv", 2, "max_lessons_per_week", "99999999999999999999"),
    ),
    # one term date without the other: found on loading, not after the search
    (
        [
            ("settings.csv", "term_end,2025-07-18\n", ""),
            ("blocked.csv", "J1,1-1,2025-05-01,\n", ""),
        ],
        ("settings.csv", None, "term_end", None),
    ),
    # a term of two years
    (
        [("settings.csv", "term_end,2025-07-18", "term_end,2027-03-19")],
        ("settings.csv", 3, "term_end", "2027-03-19"),
    ),
    # a speed so low that journeys overflow
    (
        [("settings.csv", "key,value\n", "key,value\ntravel_speed_kmh,1e-320\n")],
        ("settings.csv", 2, "travel_speed_kmh", "1e-320"),
    ),
]


@pytest.mark.parametrize(("edits", "expected"), ERRORS)
def test_one_defect_is_one_located_error(
    tmp_path: Path, edits: list[Edit], expected: tuple[object, ...]
) -> None:
    with pytest.raises(InstanceError) as caught:
        load_instance(write_folder(tmp_path, edits))
    assert located(caught.value.issues) == [expected]


def test_message_reads_as_the_style_guide_says(tmp_path: Path) -> None:
    folder = write_folder(tmp_path, [("classes.csv", "E1,6-1,2,", "E1,6-1,two,")])
    with pytest.raises(InstanceError) as caught:
        load_instance(folder)
    assert (
        str(caught.value) == 'classes.csv row 3, column alt_lessons: "two" is not a whole number'
    )


def test_every_error_of_every_file_is_reported_together(tmp_path: Path) -> None:
    folder = write_folder(
        tmp_path,
        [
            ("schools.csv", "Sakura ES,elementary", "Sakura ES,primary"),
            ("bells.csv", "E1,1,08:45", "E1,1,8.45"),
            ("classes.csv", "E1,6-1,2,", "E1,6-1,two,"),
            ("classes.csv", "J1,3-1,1,", "J1,3-1,-1,"),
            ("alts.csv", "35.006,139.006", "35.006,200"),
            ("blocked.csv", "E1,,Mon,1-2", "E1,,Sat,1-2"),
            ("travel.csv", "", None),
        ],
    )
    with pytest.raises(InstanceError) as caught:
        load_instance(folder)
    # Sorted by file, then row.
    assert located(caught.value.issues) == [
        ("alts.csv", 3, "home_lon", "200"),
        ("bells.csv", 2, "start", "8.45"),
        ("blocked.csv", 2, "day", "Sat"),
        ("classes.csv", 3, "alt_lessons", "two"),
        ("classes.csv", 5, "alt_lessons", "-1"),
        ("schools.csv", 2, "level", "primary"),
    ]


def test_reference_errors_of_several_files_come_together(tmp_path: Path) -> None:
    folder = write_folder(
        tmp_path,
        [
            ("bells.csv", "J1,1,08:40", "J9,1,08:40"),
            ("classes.csv", "J1,3-1,1,", "J1,4-1,1,"),
            ("travel.csv", "A1,E1,10", "A1,E7,10"),
        ],
    )
    with pytest.raises(InstanceError) as caught:
        load_instance(folder)
    assert located(caught.value.issues) == [
        ("bells.csv", 4, "school_id", "J9"),
        ("classes.csv", 5, "class", "4-1"),
        ("travel.csv", 2, "to", "E7"),
    ]


def test_a_csv_that_is_not_utf8_is_an_error(tmp_path: Path) -> None:
    folder = write_folder(tmp_path, [])
    # Excel's plain "CSV" on a Japanese machine writes Shift-JIS.
    (folder / "schools.csv").write_bytes(
        BASE["schools.csv"].replace("Sakura", "さくら").encode("shift_jis")
    )
    with pytest.raises(InstanceError) as caught:
        load_instance(folder)
    assert located(caught.value.issues) == [("schools.csv", None, None, None)]
    assert "UTF-8" in caught.value.issues[0].message


def refused_issues(folder: Path) -> list[InputIssue]:
    """Every issue loading ``folder`` (or a file) is refused with."""
    with pytest.raises(InstanceError) as caught:
        load_instance(folder)
    return caught.value.issues


EMPTY = [
    # a header-only alts.csv solved "FEASIBLE 0/217" and exited 0
    ("alts.csv", "a branch needs at least one ALT"),
    # no classes: nothing to timetable
    ("classes.csv", "a branch needs at least one class"),
    # no schools
    ("schools.csv", "a branch needs at least one school"),
    # no periods at all
    ("bells.csv", "a branch needs at least one period"),
]


@pytest.mark.parametrize(("file", "fragment"), EMPTY)
def test_a_table_with_only_its_header_is_an_error(
    tmp_path: Path, file: str, fragment: str
) -> None:
    header = BASE[file].splitlines(keepends=True)[0]
    issues = refused_issues(write_folder(tmp_path, [(file, BASE[file], header)]))
    assert (file, None, None, None) in located(issues)
    assert any(fragment in i.message for i in issues)


def test_an_empty_table_in_yaml_names_it(tmp_path: Path) -> None:
    inst, _ = load_instance(write_folder(tmp_path, []))
    path = tmp_path / "b.yaml"
    write_instance(inst.model_copy(update={"alts": (), "travel": ()}), path)
    [issue] = refused_issues(path)
    assert str(issue) == "b.yaml alts: has no rows; a branch needs at least one ALT"


def test_classes_needing_no_lessons_at_all_warn(tmp_path: Path) -> None:
    body = "E1,1-1,0,\nJ1,1-1,0,\n"
    folder = write_folder(
        tmp_path,
        [("classes.csv", BASE["classes.csv"], "school_id,class,alt_lessons,co_teacher\n" + body)],
    )
    inst, warnings = load_instance(folder)
    assert inst.need() == 0
    assert ("classes.csv", None, "alt_lessons", None) in located(warnings)


WARNINGS = [
    # a 40-minute elementary period (they usually last 45)
    ([("bells.csv", "E1,2,09:35,10:20", "E1,2,09:35,10:15")], ("bells.csv", 3, "end", "10:15")),
    # Ben lives about 165 km away: no junior high within the 60-minute commute
    ([("alts.csv", "35.006,139.006", "36.5,139.006")], ("alts.csv", 3, "alt_id", "A2")),
    # both ALTs teach elementary only: nobody is qualified for J1, its classes are unreachable
    (
        [
            ("alts.csv", "junior_high,2,4", "elementary,2,4"),
            ("alts.csv", "139.005,,", "139.005,elementary,"),
        ],
        ("classes.csv", 4, "class", "1-1"),
    ),
    # a column the contract does not know
    (
        [("classes.csv", "co_teacher\n", "co_teacher,note\n")],
        ("classes.csv", None, "note", None),
    ),
    # a setting the contract does not know
    (
        [("settings.csv", "key,value\n", "key,value\nmax_alts,3\n")],
        ("settings.csv", 2, "key", "max_alts"),
    ),
]


@pytest.mark.parametrize(("edits", "expected"), WARNINGS)
def test_suspicious_input_is_a_warning(
    tmp_path: Path, edits: list[Edit], expected: tuple[object, ...]
) -> None:
    inst, warnings = load_instance(write_folder(tmp_path, edits))
    assert expected in located(warnings)
    assert inst.schools  # loaded despite the warning


def test_missing_path_and_unsupported_file_are_errors(tmp_path: Path) -> None:
    with pytest.raises(InstanceError, match="does not exist"):
        load_instance(tmp_path / "nowhere")
    notes = tmp_path / "notes.txt"
    notes.write_text("hello", encoding="utf-8")
    with pytest.raises(InstanceError, match="neither a folder"):
        load_instance(notes)


def test_many_warnings_of_one_kind_are_counted_not_repeated(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Excel turning a class column into dates warns on every row: three are shown, the rest
    # counted with their rows; another kind of warning is still shown in full.
    from scheduler.cli import print_warnings

    dates = [
        InputIssue(
            "book.xlsx sheet classes", r, "class", f"{r}-1", "was stored by Excel as a date"
        )
        for r in range(2, 14)
    ]
    other = InputIssue("bells.csv", 3, "end", "09:40", "makes period 1 last 55 minutes")
    print_warnings([*dates, other])
    err = capsys.readouterr().err
    assert err.count("was stored by Excel") == 3
    assert "... and 9 more like it (rows 5, 6, 7, 8, 9, 10, 11, 12, ...)" in err
    assert "makes period 1 last 55 minutes" in err


@pytest.mark.parametrize("name", ["branch.yaml", "branch.json"])
def test_a_mapping_file_that_is_not_utf8_is_an_error(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes("schools: []\nname: さくら\n".encode("shift_jis"))
    with pytest.raises(InstanceError) as caught:
        load_instance(path)
    [issue] = caught.value.issues
    assert issue.file == name and "UTF-8" in issue.message


def test_a_weights_file_that_is_not_utf8_is_an_error(tmp_path: Path) -> None:
    from scheduler.config import Weights

    path = tmp_path / "w.toml"
    path.write_bytes("[weights]\nunmet_lesson = 5\n".encode("utf-16"))
    with pytest.raises(InstanceError) as caught:
        Weights.from_toml(path)
    assert "UTF-8" in caught.value.issues[0].message


def test_warnings_name_the_row_after_blank_lines(tmp_path: Path) -> None:
    # A dated event on a Saturday after two blank lines: row 5 as the editor shows it.
    folder = write_folder(
        tmp_path, [("blocked.csv", "J1,1-1,2025-05-01,\n", "\n\nJ1,1-1,2025-05-03,\n")]
    )
    _, warnings = load_instance(folder)
    assert [(w.file, w.row, w.value) for w in warnings] == [("blocked.csv", 5, "2025-05-03")]


def test_table_file_names_match_without_case(tmp_path: Path) -> None:
    # Windows and macOS read Classes.csv as classes.csv; Linux now does too, and messages
    # name the file as it is called.
    folder = write_folder(tmp_path, [("classes.csv", "E1,6-1,2,", "E1,6-1,two,")])
    (folder / "classes.csv").rename(folder / "Classes.CSV")
    with pytest.raises(InstanceError) as caught:
        load_instance(folder)
    assert located(caught.value.issues) == [("Classes.CSV", 3, "alt_lessons", "two")]


def test_thousands_of_errors_print_a_screenful_and_a_count(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from scheduler.cli import ERRORS_SHOWN, report_input_errors

    issues = [
        InputIssue("assignments.csv", r, "alt_id", f"X{r}", "is unknown") for r in range(2, 652)
    ]
    report_input_errors(InstanceError(issues))
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "650 input errors; nothing was written:"
    assert len(err) == ERRORS_SHOWN + 2 and err[-1] == f"  ... and {650 - ERRORS_SHOWN} more"


def test_an_alt_whose_level_no_school_has_is_not_told_it_is_distance(tmp_path: Path) -> None:
    # Ben teaches junior high only; with Midori JHS gone the reason is the level, not the
    # 60-minute commute.
    edits: list[Edit] = [
        ("schools.csv", "J1,Midori JHS,junior_high,35.01,139.01\n", ""),
        ("bells.csv", "J1,1,08:40,09:30,\nJ1,2,09:40,10:30,Mon;Tue;Thu;Fri\n", ""),
        ("classes.csv", "J1,1-1,2,Suzuki\nJ1,3-1,1,Suzuki\n", ""),
        ("blocked.csv", "J1,1-1,2025-05-01,\n", ""),
    ]
    _inst, warnings = load_instance(write_folder(tmp_path, edits))
    ben = [w for w in warnings if w.value == "A2"]
    assert [w.message for w in ben] == [
        "is qualified for junior_high and the branch has no such school"
    ]
