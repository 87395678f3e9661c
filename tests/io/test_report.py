"""The printable report: its HTML page and workbook, their print set-up, escaping, and the
``altsched report`` command's input errors. (How the pages look printed is checked by eye
with Chromium; docs/report.md says how.)"""

from __future__ import annotations

import base64
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest
from openpyxl import load_workbook

from scheduler.calendar.ical import write_feeds
from scheduler.config import Weights
from scheduler.instance import Instance
from scheduler.io import report
from scheduler.io.write import refusal, write_outputs
from scheduler.result import Result
from scheduler.validate import score
from tests.cli.test_calendar_cli import run
from tests.tiny import alt, bells, branch, klass, school, solved

# Names a person may type, each of which would do harm if written raw: HTML markup, a
# spreadsheet formula, an ampersand (a code in an Excel page header).
ALT_NAME = '=HYPERLINK("http://example.invalid","click")'
SCHOOL_NAME = "<script>alert(1)</script> & Sons"
BRANCH = "A&P <North>"
# The ALT's sheet: id and name, / and : made _, cut at 31 characters.
ALT_SHEET = 'A =HYPERLINK("http___example.in'


def _instance() -> Instance:
    # Two schools, two ALTs; B is off on Wednesdays. Every lesson can be given.
    return branch(
        [
            school("S").model_copy(update={"name": SCHOOL_NAME}),
            school("T", level="junior_high", north_km=1),
        ],
        bells("S") + bells("T"),
        [klass("S", "3-1", 2), klass("S", "4-1", 1), klass("T", "1-1", 2)],
        [
            alt("A").model_copy(update={"name": ALT_NAME}),
            alt("B", north_km=1, unavailable=("Wed",)),
        ],
        branch=BRANCH,
        term_start="2027-01-08",
        term_end="2027-03-19",
    )


@pytest.fixture(scope="module")
def solve_once() -> tuple[Instance, Result]:
    """The tricky-names branch solved once (checked by the validator in tiny.solved)."""
    inst = _instance()
    return inst, solved(inst, time_limit=5)


@pytest.fixture
def out(solve_once: tuple[Instance, Result], tmp_path: Path) -> Path:
    """A solve's output folder, as ``altsched solve`` writes it (feeds and source.json too)."""
    inst, result = solve_once
    scored = score(inst, result.assignments, Weights.default())
    folder = tmp_path / "out"
    write_outputs(
        inst,
        result,
        scored.kpis,
        scored.unmet,
        folder,
        extra=lambda f: write_feeds(inst, result.assignments, f),
    )
    return folder


# ---- the HTML page ---------------------------------------------------------------------------


def test_html_prints_one_alt_and_one_school_per_a4_page(out: Path) -> None:
    inst = _instance()
    html = report.report_html(report.read_solved(out, inst))
    assert "@page { size: A4" in html
    assert re.search(r"section\.page \{ break-before: page; \}", html)
    assert len(re.findall(r'<section class="page alt"', html)) == len(inst.alts) == 2
    assert len(re.findall(r'<section class="page school"', html)) == len(inst.schools) == 2
    # Each ALT's section holds its grid (the grid pages' table) and its week chart.
    alt_b = html.split('id="alt-B"')[1].split("</section>")[0]
    assert alt_b.count('<table class="grid">') == 1 and 'class="week"' in alt_b
    assert "day off" in alt_b


def test_html_is_self_contained(out: Path) -> None:
    html = report.report_html(report.read_solved(out, _instance()))
    # Every picture is inline, every link stays in the page, no style sheet is fetched.
    sources = re.findall(r'src="([^"]*)"', html)
    assert sources and all(s.startswith("data:image/svg+xml;base64,") for s in sources)
    assert all(h.startswith("#") for h in re.findall(r'href="([^"]*)"', html))
    assert "@import" not in html and "url(" not in html and "<link" not in html
    assert "<script" not in html
    # Six figures and a week chart per ALT, each a whole SVG document.
    assert len(sources) == 6 + 2
    svg = base64.b64decode(sources[-1].split(",", 1)[1]).decode("utf-8")
    assert "<svg" in svg and svg.rstrip().endswith("</svg>")


def test_html_escapes_every_name(out: Path) -> None:
    html = report.report_html(report.read_solved(out, _instance()))
    assert (
        "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Sons" in html
    )
    assert "A&amp;P &lt;North&gt;" in html and "<North>" not in html
    assert "=HYPERLINK(&quot;http://example.invalid&quot;" in html


def test_html_is_the_same_bytes_every_time(out: Path) -> None:
    solved_ = report.read_solved(out, _instance())
    assert report.report_html(solved_) == report.report_html(solved_)


def test_kpis_are_the_validators_and_say_when_rules_are_broken(out: Path) -> None:
    inst = _instance()
    good = report.read_solved(out, inst)
    lines = {k.label: k.text() for k in report.kpis(good)}
    assert lines["hard rules"] == "all obeyed"
    assert lines["lessons given / needed"] == "5/5 lessons (100.0%)"
    assert lines["objective (validator)"] == f"{good.score.objective:,}"
    # The same lesson twice is a broken rule; the report says so on its cover.
    rows = (out / "assignments.csv").read_text(encoding="utf-8").splitlines()
    (out / "assignments.csv").write_text("\n".join([*rows, rows[1]]) + "\n", encoding="utf-8")
    bad = report.read_solved(out, inst)
    assert bad.violations
    assert {k.label: k.text() for k in report.kpis(bad)}["hard rules"].endswith("broken")
    assert "breaks" in report.report_html(bad)


def test_a_folder_without_report_json_still_reports(out: Path) -> None:
    (out / "report.json").unlink()
    solved_ = report.read_solved(out, _instance())
    lines = {k.label: k.text() for k in report.kpis(solved_)}
    assert lines["status"] == "not recorded (no report.json)"
    assert "gap" not in lines and "lessons given / needed" in lines


# ---- the workbook ----------------------------------------------------------------------------


def test_workbook_has_a_summary_and_a_sheet_per_alt_and_school(out: Path, tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    report.report_workbook(report.read_solved(out, _instance())).save(path)
    wb = load_workbook(path)
    assert wb.sheetnames == [
        "Summary",
        ALT_SHEET,
        "B ALT B",
        "S <script>alert(1)<_script> & S",  # / is forbidden
        "T T School",
    ]
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape"
        assert int(ws.page_setup.paperSize) == 9  # A4
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 1)
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True
        assert ws.oddHeader.left.text == "A&&P <North>"  # & doubled: a code in a header
        assert ws.oddHeader.right.text == "term 2027-01-08 to 2027-03-19"
        assert ws.print_title_rows in ("$1:$2", "$1:$3")


def test_workbook_never_turns_a_name_into_a_formula(out: Path, tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    report.report_workbook(report.read_solved(out, _instance())).save(path)
    wb = load_workbook(path)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    named = [c for c in cells if isinstance(c.value, str) and c.value.startswith("=")]
    assert named, "the ALT's name is in the workbook"
    assert all(c.data_type == "s" for c in named)
    assert {c.value for c in named} == {ALT_NAME, f"{ALT_NAME} (A)"}  # summary row, grid title
    grid = wb[ALT_SHEET]
    assert grid["A1"].value == f"{ALT_NAME} (A)"
    assert [c.value for c in grid[3]] == ["time", "Mon", "Tue", "Wed", "Thu", "Fri"]


@pytest.mark.parametrize(
    ("wanted", "expected"),
    [
        # Plain names are kept.
        (["Summary", "A01 Emily Carter"], ["Summary", "A01 Emily Carter"]),
        # Each of Excel's forbidden characters becomes _.
        (["a[b]c:d*e?f/g\\h"], ["a_b_c_d_e_f_g_h"]),
        # Longer than 31 characters: cut.
        (["x" * 40], ["x" * 31]),
        # The same name ignoring case: the second gets (2).
        (["Kita JHS", "KITA jhs"], ["Kita JHS", "KITA jhs (2)"]),
        # Two long names cut to the same 31 characters: the suffix fits within 31.
        (["y" * 40, "y" * 35], ["y" * 31, "y" * 27 + " (2)"]),
        # A third clash counts on.
        (["E", "e", "E"], ["E", "e (2)", "E (3)"]),
        # Apostrophes may not start or end a name; nothing left gives "Sheet".
        (["'quoted'", "''", ""], ["quoted", "Sheet", "Sheet (2)"]),
        # A cut that ends on an apostrophe ("... O'Brien" at the 31st character) drops it.
        (["A" * 30 + "'bc"], ["A" * 30]),
        # Excel reserves History.
        (["history"], ["history_"]),
        # Control characters become _.
        (["tab\there"], ["tab_here"]),
        # An emoji counts as two of the 31 (UTF-16).
        (["🙂" * 20], ["🙂" * 15]),
    ],
)
def test_sheet_names(wanted: list[str], expected: list[str]) -> None:
    assert report.sheet_names(wanted) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Utsunomiya", "Utsunomiya"),  # plain text as it is
        ("A&P", "A&&P"),  # & starts a header code (&P is the page number)
        ("&&", "&&&&"),  # each one doubled
        ("z" * 100, "z" * 80),  # cut: the three parts of a header share 255 characters
    ],
)
def test_header_text(text: str, expected: str) -> None:
    assert report.header_text(text) == expected


# ---- the command -----------------------------------------------------------------------------


def test_report_command_writes_both_files_from_the_feeds_source(
    out: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text, err = run(monkeypatch, capsys, "report", out)
    assert code == 0, err
    assert (out / "report.html").is_file() and (out / "report.xlsx").is_file()
    assert "report.html" in text
    # Run again: its own files are replaced; and a later solve may still replace the folder.
    assert run(monkeypatch, capsys, "report", out)[0] == 0
    assert refusal(out) is None
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]


def _no_source(out: Path) -> list[str]:
    (out / "ical" / "source.json").unlink()
    return [str(out)]


def _missing_dir(out: Path) -> list[str]:
    return [str(out / "nowhere"), "--instance", str(out / "ical" / "source.json")]


def _missing_dir_alone(out: Path) -> list[str]:
    return [str(out / "nowhere")]


def _unknown_alt(out: Path) -> list[str]:
    text = (out / "assignments.csv").read_text(encoding="utf-8")
    (out / "assignments.csv").write_text(text.replace("\nB,", "\nZ,", 1), encoding="utf-8")
    return [str(out)]


def _bad_report_json(out: Path) -> list[str]:
    (out / "report.json").write_text("{not json", encoding="utf-8")
    return [str(out)]


def _bad_status(out: Path) -> list[str]:
    (out / "report.json").write_text('{"status": "GREAT"}', encoding="utf-8")
    return [str(out)]


def _report_json_list(out: Path) -> list[str]:
    (out / "report.json").write_text("[1, 2]", encoding="utf-8")
    return [str(out)]


def _bad_objective(out: Path) -> list[str]:
    (out / "report.json").write_text('{"status": "FEASIBLE", "objective": "lots"}', "utf-8")
    return [str(out)]


def _unknown_weight(out: Path) -> list[str]:
    (out / "report.json").write_text('{"status": "FEASIBLE", "weights": {"fun": 3}}', "utf-8")
    return [str(out)]


def _deep_report_json(out: Path) -> list[str]:
    (out / "report.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    return [str(out)]


def _bad_instance(out: Path) -> list[str]:
    (out / "branch.yaml").write_text("schools: [", encoding="utf-8")
    return [str(out), "--instance", str(out / "branch.yaml")]


@pytest.mark.parametrize(
    ("make", "says"),
    [
        # No --instance and no feeds beside the timetable: say where it looked.
        (_no_source, "ical/source.json: is not there"),
        # The folder does not exist, with or without --instance: said before anything else.
        (_missing_dir, "nowhere: is not a folder"),
        (_missing_dir_alone, "nowhere: is not a folder"),
        # The timetable names an ALT the instance lacks (the wrong --instance): name the row.
        (_unknown_alt, "assignments.csv row"),
        # report.json is not JSON, is a list, or is nested past what Python can read.
        (_bad_report_json, "report.json: cannot be parsed"),
        (_report_json_list, "report.json: is not a JSON object but list"),
        (_deep_report_json, "report.json: is nested too deeply"),
        # report.json holds a status, an objective or a weight no solve writes.
        (_bad_status, 'report.json column status: "GREAT"'),
        (_bad_objective, 'report.json column objective: "lots"'),
        (_unknown_weight, 'report.json column weights.fun: "3"'),
        # The --instance file is broken: the reader's own message.
        (_bad_instance, "branch.yaml"),
    ],
)
def test_report_command_input_errors_exit_2_and_write_nothing(
    out: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    make,  # type: ignore[no-untyped-def]
    says: str,
) -> None:
    args = make(out)
    code, _text, err = run(monkeypatch, capsys, "report", *args)
    assert code == 2
    assert says in err and "Traceback" not in err
    assert not (out / "report.html").exists() and not (out / "report.xlsx").exists()


@pytest.mark.parametrize("name", ["report.html", "report.xlsx"])
def test_a_users_file_of_the_same_name_is_never_overwritten(
    out: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    (out / name).write_bytes(b"my own notes")
    code, _text, err = run(monkeypatch, capsys, "report", out)
    assert code == 2 and "is not a report altsched wrote" in err
    assert (out / name).read_bytes() == b"my own notes"
    assert not [p for p in out.iterdir() if p.name.startswith(".report")]
