"""Hostile and careless input files: each is an input error naming the file and the row, found
before the file is parsed whole, never rows lost in silence, a traceback or gigabytes.

Every reader of a file a user gives or edits goes through scheduler.io.textfile: the tables of
a branch in each form, assignments.csv (validate.read_assignments, which the calendar uses),
report.json, the weights TOML. The limits are those of scheduler.config (docs/input.md,
"Limits"); CSV quoting is strict (docs/input.md, "CSV quoting").
"""

from __future__ import annotations

import json
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook

from scheduler.cli import main
from scheduler.config import MAX_COLUMNS, MAX_ROWS, Weights
from scheduler.errors import InputIssue, InstanceError
from scheduler.io.read import load_instance
from scheduler.io.tables import write_instance
from scheduler.validate import read_assignments
from tests.io.test_input_errors import BASE, write_folder

Located = tuple[str, int | None, str | None]


def located(issues: list[InputIssue]) -> list[Located]:
    return [(i.file, i.row, i.column) for i in issues]


def refused(path: Path, load: Callable[[Path], object] = load_instance) -> InputIssue:
    """The one issue a file is refused with."""
    with pytest.raises(InstanceError) as caught:
        load(path)
    [issue] = caught.value.issues
    return issue


def sparse(path: Path, size: int) -> Path:
    """A file of ``size`` bytes that takes no disk: a size check must refuse it unread."""
    with path.open("wb") as f:
        f.truncate(size)
    return path


CLASSES_HEADER = "school_id,class,alt_lessons,co_teacher\n"

# ---- CSV: a quote never swallows rows ---------------------------------------------------------

# (new classes.csv body after the header, expected (file, row, column), message fragment).
# BASE's classes.csv has four classes on rows 2-5.
QUOTING = [
    # the issue's case: a stray quote opens a co_teacher cell and is never closed; before,
    # the rows below it were merged into that cell and the solve ran with fewer classes
    (
        'E1,1-1,1,Tanaka\nE1,6-1,2,"Sato\nJ1,1-1,2,Suzuki\nJ1,3-1,1,Suzuki\n',
        ("classes.csv", 3, "co_teacher"),
        "never closed; it runs to the end of the file (row 5)",
    ),
    # a stray quote that a later cell's quote closes: the rows between were one cell
    (
        'E1,1-1,1,"Tanaka\nE1,6-1,2,\nJ1,1-1,2,Suzuki\nJ1,3-1,1,"Suzuki"\n',
        ("classes.csv", 2, "co_teacher"),
        "runs on to row 5",
    ),
    # a quoted cell holding a line break (Alt+Enter in an Excel cell) that closes properly
    (
        'E1,1-1,1,"Tanaka\nAya"\nE1,6-1,2,\nJ1,1-1,2,Suzuki\nJ1,3-1,1,Suzuki\n',
        ("classes.csv", 2, "co_teacher"),
        "runs over a line break to row 3",
    ),
    # an unclosed quote on the last row, the file ending in a line break: it was accepted
    (
        'E1,1-1,1,Tanaka\nE1,6-1,2,\nJ1,1-1,2,Suzuki\nJ1,3-1,1,"Suzuki\n',
        ("classes.csv", 5, "co_teacher"),
        "never closed",
    ),
    # the same without a final line break
    (
        'E1,1-1,1,Tanaka\nE1,6-1,2,\nJ1,1-1,2,Suzuki\nJ1,3-1,1,"Suzuki',
        ("classes.csv", 5, "co_teacher"),
        "never closed",
    ),
    # an unclosed quote in the middle of a row: the class cell swallows the rest of the file
    (
        'E1,1-1,1,Tanaka\nE1,"6-1,2,\nJ1,1-1,2,Suzuki\nJ1,3-1,1,Suzuki\n',
        ("classes.csv", 3, "class"),
        "never closed",
    ),
    # text after a closing quote ("Sato" Aya): strict CSV, not a silent re-join
    (
        'E1,1-1,1,Tanaka\nE1,6-1,2,"Sato" Aya\nJ1,1-1,2,Suzuki\nJ1,3-1,1,Suzuki\n',
        ("classes.csv", 3, None),
        "text after the closing quote",
    ),
    # a quote that joined two cells on one row: a comma inside quotes in a number column
    (
        'E1,1-1,1,Tanaka\nE1,"6-1,2",\nJ1,1-1,2,Suzuki\nJ1,3-1,1,Suzuki\n',
        ("classes.csv", 3, "class"),
        "comma inside quotes",
    ),
    # CRLF line ends, the stray quote on row 3: row numbers as an editor shows them
    (
        'E1,1-1,1,Tanaka\r\nE1,6-1,2,"Sato\r\nJ1,1-1,2,Suzuki\r\n',
        ("classes.csv", 3, "co_teacher"),
        "never closed",
    ),
    # mixed line ends (CRLF, a lone CR of an old Mac file, LF) and a blank line before it
    (
        'E1,1-1,1,Tanaka\r\n\rE1,6-1,2,\nJ1,1-1,2,"Suzuki\nJ1,3-1,1,Suzuki\n',
        ("classes.csv", 5, "co_teacher"),
        "never closed",
    ),
    # a cell of 140,000 characters: csv's own field limit gave a _csv.Error traceback
    (
        "E1,1-1,1," + "x" * 140_000 + "\n",
        ("classes.csv", 2, "co_teacher"),
        "longer than 4,000 characters",
    ),
    # a cell of 5,000 characters: under csv's limit, over ours
    (
        "E1,1-1,1," + "x" * 5_000 + "\n",
        ("classes.csv", 2, "co_teacher"),
        "longer than 4,000 characters",
    ),
    # a stray quote running over 200,000 characters of rows (past csv's field limit)
    (
        'E1,1-1,1,"Tanaka\n' + "J1,1-1,2,Suzuki\n" * 15_000,
        ("classes.csv", 2, "co_teacher"),
        "runs on to row",
    ),
    # the header pasted again (two exports joined with cat)
    (
        "E1,1-1,1,Tanaka\n" + CLASSES_HEADER + "J1,1-1,2,Suzuki\n",
        ("classes.csv", 3, None),
        "repeats the header row",
    ),
    # the header pasted again, padded with empty cells as Excel pads a row
    (
        "E1,1-1,1,Tanaka,\n" + CLASSES_HEADER.replace("\n", ",,\n") + "J1,1-1,2,Suzuki\n",
        ("classes.csv", 3, None),
        "repeats the header row",
    ),
    # a row of 150 cells (trailing empty columns past what a table uses)
    ("E1,1-1,1,Tanaka" + "," * 150 + "\n", ("classes.csv", 2, None), "more than 100 cells"),
]


@pytest.mark.parametrize(("body", "where", "fragment"), QUOTING)
def test_a_quote_never_swallows_rows(
    tmp_path: Path, body: str, where: Located, fragment: str
) -> None:
    folder = write_folder(tmp_path, [])
    (folder / "classes.csv").write_bytes((CLASSES_HEADER + body).encode())
    issue = refused(folder)
    assert (issue.file, issue.row, issue.column) == where
    assert fragment in issue.message


def test_a_long_header_cell_is_refused(tmp_path: Path) -> None:
    # 5,000 characters as a fifth column name: it was printed whole as an unknown column.
    header = CLASSES_HEADER.replace("\n", "," + "x" * 5000 + "\n")
    folder = write_folder(tmp_path, [("classes.csv", CLASSES_HEADER, header)])
    issue = refused(folder)
    assert (issue.file, issue.row, issue.column) == ("classes.csv", 1, "5")
    assert "longer than 4,000 characters" in issue.message


def test_the_stray_quote_message_reads_well(tmp_path: Path) -> None:
    folder = write_folder(tmp_path, [("classes.csv", "E1,6-1,2,\n", 'E1,6-1,2,"Sato\n')])
    assert str(refused(folder)) == (
        'classes.csv row 3, column co_teacher: has a quote (") that is never closed; it runs '
        "to the end of the file (row 5)"
    )


# Legal CSV that must keep loading as written.
LEGAL = [
    # a comma inside quotes in a name, and a quote inside a name written as ""
    ('A2,"Ito, Ben ""Benny""",35.006', "A2", 'Ito, Ben "Benny"'),
    # a quote inside an unquoted cell is an ordinary character
    ('A2,Ben "Benny" Ito,35.006', "A2", 'Ben "Benny" Ito'),
]


@pytest.mark.parametrize(("row", "alt_id", "name"), LEGAL)
def test_legal_quoting_is_kept(tmp_path: Path, row: str, alt_id: str, name: str) -> None:
    folder = write_folder(tmp_path, [("alts.csv", "A2,Ben,35.006", row)])
    inst, _ = load_instance(folder)
    assert inst.alt_by_id[alt_id].name == name


# ---- CSV: encodings and separators -------------------------------------------------------------

# (bytes of schools.csv, expected row, message fragment)
SCHOOLS = BASE["schools.csv"]
ENCODINGS = [
    # Excel's "Unicode Text": UTF-16 with a BOM (and TABs)
    (SCHOOLS.encode("utf-16"), None, "is UTF-16 text"),
    # UTF-16 without a BOM: every other byte NUL
    (SCHOOLS.encode("utf-16-le"), 1, "NUL character"),
    # a NUL byte on row 3 of an otherwise fine file
    (SCHOOLS.replace("J1,", "J\0,").encode(), 3, "NUL character"),
    # Excel's plain "CSV" on a Japanese machine: Shift-JIS (CP932), named as such
    (SCHOOLS.replace("Sakura ES", "さくら小学校").encode("cp932"), None, "looks like Shift-JIS"),
    # saved with ; as separator (a European Excel's "CSV")
    (SCHOOLS.replace(",", ";").encode(), None, "looks like ';'-separated"),
    # Excel's "Text (Tab delimited)"
    (SCHOOLS.replace(",", "\t").encode(), None, "looks like TAB-separated"),
]


@pytest.mark.parametrize(("data", "row", "fragment"), ENCODINGS)
def test_encodings_and_separators_are_named(
    tmp_path: Path, data: bytes, row: int | None, fragment: str
) -> None:
    folder = write_folder(tmp_path, [])
    (folder / "schools.csv").write_bytes(data)
    issue = refused(folder)
    assert (issue.file, issue.row) == ("schools.csv", row)
    assert fragment in issue.message


def test_a_semicolon_file_says_so_instead_of_listing_missing_columns(tmp_path: Path) -> None:
    folder = write_folder(tmp_path, [])
    (folder / "classes.csv").write_text(BASE["classes.csv"].replace(",", ";"), encoding="utf-8")
    assert str(refused(folder)) == "classes.csv: looks like ';'-separated; save as CSV with commas"


# ---- bounded input: files, rows, cells ---------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    folder = write_folder(tmp_path, [])
    sparse(folder / "classes.csv", 50_000_000)
    issue = refused(folder)
    assert (issue.file, issue.row) == ("classes.csv", None)
    assert "is 50 MB, over the 20 MB limit" in issue.message


def test_rows_past_the_limit_are_an_error_at_the_first_one(tmp_path: Path) -> None:
    # The issue's 1.4 M rows ran for minutes at 4.6 GB: reading stops at row 20,001.
    folder = write_folder(tmp_path, [])
    rows = "".join(f"E1,{g}-{c},1,\n" for g in range(1, 7) for c in range(1, 4000))
    (folder / "classes.csv").write_text(CLASSES_HEADER + rows, encoding="utf-8")
    start = time.perf_counter()
    issue = refused(folder)
    assert time.perf_counter() - start < 5
    assert (issue.file, issue.row) == ("classes.csv", MAX_ROWS + 1)
    assert "past row 20,000" in issue.message


def test_blank_lines_past_the_limit_are_skipped_at_once_and_a_value_after_them_found(
    tmp_path: Path,
) -> None:
    folder = write_folder(tmp_path, [])
    blank = "\n" * 3_000_000  # read line by line, this took seconds
    (folder / "classes.csv").write_text(BASE["classes.csv"] + blank, encoding="utf-8")
    start = time.perf_counter()
    inst, _ = load_instance(folder)
    assert len(inst.classes) == 4 and time.perf_counter() - start < 5
    (folder / "classes.csv").write_text(BASE["classes.csv"] + blank + "E1,2-1,1,\n")
    issue = refused(folder)
    assert (issue.file, issue.row) == ("classes.csv", 5 + 3_000_000 + 1)


# ---- YAML and JSON --------------------------------------------------------------------------


def alias_bomb(levels: int) -> str:
    """Each anchor a list of nine aliases of the one before: 9**levels copies of a string."""
    lines = ['a0: &a0 ["xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"]']
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]")
    lines.append(
        f"schools:\n- {{school_id: E1, name: *a{levels}, level: elementary, lat: 35, lon: 139}}"
    )
    return "\n".join(lines) + "\n"


# (file name, text, message fragment)
MAPPINGS = [
    # an alias bomb: 1 KB of YAML, 59,049 copies once the cells are joined
    ("bomb.yaml", alias_bomb(5), "reuses the value on line 1 through an alias"),
    # a harmless-looking alias is refused too: a rule that is easy to state and check
    (
        "merge.yaml",
        "x: &a {level: elementary, lat: 35, lon: 139}\nschools:\n- {<<: *a, school_id: E1}\n",
        "YAML anchors and aliases are not accepted",
    ),
    # a list nested 10,000 deep: libyaml's depth limit ("maximum nesting depth"), or without
    # libyaml PyYAML's RecursionError (a traceback before)
    ("deep.yaml", "schools: " + "[" * 10_000 + "]" * 10_000 + "\n", "nest"),
    # the same in JSON: a RecursionError traceback before
    ("deep.json", '{"schools": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
    # a number of 5,000 digits: Python refuses to convert it (a ValueError traceback before)
    ("long.json", '{"schools": [{"lat": ' + "9" * 5000 + "}]}", "cannot be parsed"),
    # more records than a table may have
    (
        "many.json",
        json.dumps({"schools": [{"school_id": f"S{i}"} for i in range(MAX_ROWS + 1)]}),
        "more than 20,000 records",
    ),
    # a record with 150 different keys
    (
        "wide.json",
        json.dumps({"schools": [{f"note{i}": 1 for i in range(150)}]}),
        "more than 100 columns",
    ),
    # a 5,000-character cell
    (
        "long.yaml",
        "schools:\n- {school_id: E1, name: " + "x" * 5000 + "}\n",
        "longer than 4,000 characters",
    ),
]


@pytest.mark.parametrize(("name", "text", "fragment"), MAPPINGS)
def test_yaml_and_json_are_bounded(tmp_path: Path, name: str, text: str, fragment: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InstanceError) as caught:
        load_instance(path)
    assert any(fragment in i.message for i in caught.value.issues), str(caught.value)


def test_a_big_alias_bomb_is_refused_fast_and_small(tmp_path: Path) -> None:
    # 9**7 = 4.8 M copies of 40 characters: hundreds of MB before; refused before anything
    # is expanded (the time and memory measured on a bigger one are in docs/input.md).
    path = tmp_path / "bomb.yaml"
    path.write_text(alias_bomb(7), encoding="utf-8")
    start = time.perf_counter()
    issue = refused(path)
    assert time.perf_counter() - start < 2
    assert issue.file == "bomb.yaml" and "alias" in issue.message


def test_a_big_json_file_is_refused_unread(tmp_path: Path) -> None:
    issue = refused(sparse(tmp_path / "source.json", 25_000_000))
    assert "over the 20 MB limit" in issue.message


# ---- xlsx -------------------------------------------------------------------------------------


def _workbook(tmp_path: Path) -> Path:
    path = tmp_path / "b.xlsx"
    inst, _ = load_instance(write_folder(tmp_path, []))
    write_instance(inst, path)
    return path


def _rezip(path: Path, change: Callable[[str, bytes], bytes], extra: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path) as z:
        members = {i.filename: z.read(i) for i in z.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in {**members, **extra}.items():
            z.writestr(name, change(name, body))


def test_a_zip_bomb_saved_as_xlsx_is_refused_before_opening(tmp_path: Path) -> None:
    # 60 MB of zeros packs to 60 KB; openpyxl would have unpacked whatever a sheet holds.
    path = _workbook(tmp_path)
    _rezip(path, lambda _, body: body, {"xl/media/padding.bin": bytes(60_000_000)})
    issue = refused(path)
    assert issue.file == "b.xlsx" and "unpacks to 60 MB, over the 50 MB limit" in issue.message


def test_a_sheet_stating_a_million_rows_is_refused_before_reading(tmp_path: Path) -> None:
    wb = Workbook()
    wb.active.title = "classes"
    wb.active.append(["school_id", "class", "alt_lessons"])
    wb.active.cell(row=800_000, column=1, value="E1")
    path = tmp_path / "big.xlsx"
    wb.save(path)
    with pytest.raises(InstanceError) as caught:
        load_instance(path)
    [issue] = [i for i in caught.value.issues if i.file == "big.xlsx sheet classes"]
    assert issue.row is None and "reaches row 800,000" in issue.message


def test_a_value_past_the_limit_is_found_when_a_sheet_understates_its_size(
    tmp_path: Path,
) -> None:
    # The stated size (A1:D5) hides a class on row 25,000: it must not be dropped silently.
    path = _workbook(tmp_path)
    row = b'<row r="25000"><c r="A25000" t="inlineStr"><is><t>E1</t></is></c></row>'

    def change(name: str, body: bytes) -> bytes:
        if b"<sheetData>" not in body or b"alt_lessons" not in body:
            return body
        return body.replace(b"</sheetData>", row + b"</sheetData>")

    _rezip(path, change, {})
    with pytest.raises(InstanceError) as caught:
        load_instance(path)
    assert ("b.xlsx sheet classes", 25000, None) in located(caught.value.issues)


def test_a_long_workbook_cell_is_refused(tmp_path: Path) -> None:
    path = _workbook(tmp_path)
    from openpyxl import load_workbook

    wb = load_workbook(path)
    wb["alts"]["B2"] = "x" * 5000
    wb.save(path)
    issue = refused(path)
    assert (issue.file, issue.row, issue.column) == ("b.xlsx sheet alts", 2, "name")
    assert issue.value is not None and issue.value.endswith("(5,000 characters)")


def test_a_workbook_value_past_the_last_cell_a_row_may_have_is_refused(tmp_path: Path) -> None:
    # Cells past column 100 were cut off without a word; a CSV row that long is refused.
    path = _workbook(tmp_path)
    from openpyxl import load_workbook

    wb = load_workbook(path)
    wb["alts"].cell(row=3, column=MAX_COLUMNS + 5, value="note")
    wb.save(path)
    issue = refused(path)
    assert (issue.file, issue.row) == ("b.xlsx sheet alts", 3)
    assert f"more than {MAX_COLUMNS} cells" in issue.message


# ---- assignments.csv, read back by check, calendar, ical, publish -----------------------------

ASSIGNMENTS_HEADER = "alt_id,school_id,class,day,period,start,end\n"
GOOD_ROW = "A1,E1,1-1,Mon,1,08:45,09:30\n"
ASSIGNMENTS = [
    # a stray quote: the lessons below it were one cell (pandas merged them)
    (
        GOOD_ROW + 'A1,E1,"1-1,Tue,1,08:45,09:30\n' + GOOD_ROW,
        (3, "class"),
        "never closed",
    ),
    # the header again (two timetables pasted together)
    (GOOD_ROW + ASSIGNMENTS_HEADER + GOOD_ROW, (3, None), "repeats the header row"),
    # a 5,000-character cell
    (GOOD_ROW.replace("A1", "A" * 5000, 1), (2, "alt_id"), "longer than 4,000"),
    # a comma inside quotes in a time
    (GOOD_ROW.replace("08:45", '"08,45"'), (2, "start"), "comma inside quotes"),
]


@pytest.mark.parametrize(("body", "where", "fragment"), ASSIGNMENTS)
def test_assignments_are_read_as_strictly_as_the_tables(
    tmp_path: Path, body: str, where: tuple[int, str | None], fragment: str
) -> None:
    path = tmp_path / "assignments.csv"
    path.write_text(ASSIGNMENTS_HEADER + body, encoding="utf-8")
    issue = refused(path, read_assignments)
    assert (issue.file, issue.row, issue.column) == ("assignments.csv", *where)
    assert fragment in issue.message


def test_assignments_with_a_column_named_twice_are_an_error(tmp_path: Path) -> None:
    path = tmp_path / "assignments.csv"
    path.write_text(ASSIGNMENTS_HEADER.replace(",end", ",end,day") + GOOD_ROW, encoding="utf-8")
    issue = refused(path, read_assignments)
    assert (issue.column, issue.message) == ("day", "appears twice in the header")


def test_assignments_over_the_size_limit_are_refused_unread(tmp_path: Path) -> None:
    issue = refused(sparse(tmp_path / "assignments.csv", 30_000_000), read_assignments)
    assert "over the 20 MB limit" in issue.message


# ---- the weights TOML --------------------------------------------------------------------------

WEIGHTS = [
    # weights that are not a table: a TypeError traceback before
    ("weights = 3\n", "must be a table"),
    # a number of 5,000 digits: a ValueError traceback before
    ("[weights]\nunmet_lesson = " + "9" * 5000 + "\n", "cannot be read"),
    # nested 10,000 deep
    ("x = " + "[" * 10_000 + "]" * 10_000 + "\n", "nested too deeply"),
]


@pytest.mark.parametrize(("text", "fragment"), WEIGHTS)
def test_a_bad_weights_file_is_an_input_error(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "w.toml"
    path.write_text(text, encoding="utf-8")
    issue = refused(path, Weights.from_toml)
    assert issue.file == "w.toml" and fragment in issue.message


def test_weights_are_bounded_and_a_bom_is_fine(tmp_path: Path) -> None:
    issue = refused(sparse(tmp_path / "big.toml", 21_000_000), Weights.from_toml)
    assert "over the 20 MB limit" in issue.message
    # Notepad saves UTF-8 with a BOM: TOML itself has no place for one.
    path = tmp_path / "w.toml"
    path.write_bytes(b"\xef\xbb\xbf[weights]\nunmet_lesson = 7\n")
    assert Weights.from_toml(path).unmet_lesson == 7


# ---- the command line: exit 2 with a message, never a traceback -----------------------------


def run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: object
) -> tuple[int, str]:
    """``altsched ARGS`` through the console entry point: (exit code, stderr)."""
    monkeypatch.setattr(sys, "argv", ["altsched", *map(str, args)])
    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit) as done:
        main()
    code = done.value.code
    return (code if isinstance(code, int) else 0 if code is None else 1), capsys.readouterr().err


def test_check_refuses_a_damaged_report_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_folder(tmp_path, [])
    out = tmp_path / "out"
    out.mkdir()
    (out / "assignments.csv").write_text(ASSIGNMENTS_HEADER, encoding="utf-8")
    # nested 100,000 deep: a RecursionError traceback before
    (out / "report.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    code, err = run(monkeypatch, capsys, "check", folder, out)
    assert code == 2 and "report.json: is nested too deeply" in err
    sparse(out / "report.json", 21_000_000)
    code, err = run(monkeypatch, capsys, "check", folder, out)
    assert code == 2 and "report.json: is 21 MB, over the 20 MB limit" in err


def test_solve_refuses_a_header_only_alts_csv_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    header = BASE["alts.csv"].splitlines(keepends=True)[0]
    folder = write_folder(tmp_path, [("alts.csv", BASE["alts.csv"], header)])
    code, err = run(monkeypatch, capsys, "solve", folder, "--out", tmp_path / "out")
    assert code == 2 and "alts.csv: has no rows; a branch needs at least one ALT" in err
    assert not (tmp_path / "out").exists()
