"""The printable report of a solve: ``DIR/report.html`` and ``DIR/report.xlsx``.

Both are read back from a solve's output folder (``assignments.csv`` and ``report.json``) and
the instance, and show the same things: the KPIs, recomputed by the independent validator;
the figures of :mod:`scheduler.plot`; and every ALT's and every school's weekly grid, built
by :func:`scheduler.io.write.alt_grid` and :func:`~scheduler.io.write.school_grid` (the grids
of ``timetables/``), so a printout and the web pages never disagree.

The HTML page is self-contained (CSS inline, figures as base64 SVG, no external URL) and
prints on A4 with one ALT, or one school, per page. The workbook has a summary sheet and a
sheet per ALT and per school, each set up to print on one landscape A4 page.
"""

from __future__ import annotations

import base64
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from html import escape
from pathlib import Path
from typing import Any

import matplotlib
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet
from pydantic import ValidationError

from scheduler import plot
from scheduler.config import Weights
from scheduler.errors import InputIssue, InstanceError
from scheduler.instance import DAYS, Instance
from scheduler.io.cells import xlsx_cell
from scheduler.io.html import CSS, Grid, grid_table
from scheduler.io.names import file_stems
from scheduler.io.textfile import read_json
from scheduler.io.write import LEVEL_NAMES, alt_grid, school_grid, tidy_folder, write_bytes_atomic
from scheduler.result import Result
from scheduler.summary import coverage_text
from scheduler.validate import Score, Violation, check, read_assignments, score

REPORT_HTML = "report.html"
REPORT_XLSX = "report.xlsx"
# How the files say they are ours: a report is replaced only when it carries this mark, so a
# file of the user's that happens to bear the name is never overwritten.
GENERATOR = "altsched report"
_HTML_MARK = f'<meta name="generator" content="{GENERATOR}">'
VIOLATIONS_SHOWN = 20


# ---- reading a solve back --------------------------------------------------------------------


@dataclass(frozen=True)
class Solved:
    """A solve read back from its output folder, scored and checked by the validator.

    ``recorded`` is False when the folder has no ``report.json``: the timetable is known,
    the solver's status, objective and time are not.
    """

    instance: Instance
    result: Result
    score: Score
    violations: list[Violation]
    recorded: bool


def read_solved(directory: Path, instance: Instance) -> Solved:
    """Read ``directory/assignments.csv`` and ``report.json`` into a :class:`Solved`.

    Raises
    ------
    InstanceError
        When ``assignments.csv`` is missing or malformed, names an ALT, school or class the
        instance does not have (the wrong ``--instance``), or ``report.json`` cannot be read
        or holds a value no solve writes.
    """
    from scheduler.calendar.term import weekly_lessons

    table = read_assignments(directory / "assignments.csv")
    lessons = weekly_lessons(instance, table)
    stats = _report_json(directory / "report.json")
    recorded = stats is not None
    stats = stats or {"status": "UNKNOWN", "method": "unknown"}
    try:
        result = Result.model_validate({**stats, "lessons": lessons})
        weights = Weights.model_validate({**Weights.default().model_dump(), **result.weights})
    except ValidationError as e:
        first = e.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        if e.title == "Weights":
            key = f"weights.{key}"
        why = f"is not what a solve writes ({first['msg'][:1].lower()}{first['msg'][1:]})"
        issue = InputIssue("report.json", None, key, str(first.get("input")), why)
        raise InstanceError([issue]) from e
    scored = score(instance, result.assignments, weights)
    return Solved(instance, result, scored, check(instance, result.assignments), recorded)


_STATS = ("status", "method", "objective", "bound", "seconds", "weights", "notes")


def _report_json(path: Path) -> dict[str, Any] | None:
    # Only the solver's statistics are taken: the KPIs are recomputed, never trusted. The
    # file is read like every file a user may edit (bounded: docs/input.md, "Limits").
    if not path.exists():
        return None
    data = read_json(path)
    if not isinstance(data, dict):
        why = f"is not a JSON object but {type(data).__name__}"
        raise InstanceError([InputIssue(path.name, None, None, None, why)])
    return {k: data[k] for k in _STATS if data.get(k) is not None}


# ---- what both files show --------------------------------------------------------------------


@dataclass(frozen=True)
class Kpi:
    """One line of the KPI table: ``kind`` says how to show ``value`` (``int``, ``float``,
    ``percent``, ``text``)."""

    label: str
    value: int | float | str | None
    kind: str = "int"

    def text(self) -> str:
        """The value as the HTML page shows it."""
        v = self.value
        if v is None:
            return "n/a"
        if self.kind == "percent" and isinstance(v, int | float):
            return f"{v:.1%}"
        if self.kind == "float" and isinstance(v, int | float):
            return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"
        return f"{v:,}" if isinstance(v, int) else str(v)


def kpis(solved: Solved) -> list[Kpi]:
    """The report's KPI lines, the validator's numbers (solver statistics from report.json)."""
    r, k = solved.result, solved.score.kpis
    cov, alts = k["coverage"], k["alts"]
    rules = "all obeyed" if not solved.violations else f"{len(solved.violations)} broken"
    stats = [
        Kpi("status", r.status if solved.recorded else "not recorded (no report.json)", "text"),
        Kpi("method", r.method, "text"),
        Kpi("objective (validator)", solved.score.objective),
        Kpi("lower bound", r.bound, "float"),
        Kpi("gap", r.gap, "percent"),
        Kpi("solve seconds", r.seconds, "float"),
    ]
    if not solved.recorded:
        stats = [stats[0], Kpi("objective (validator)", solved.score.objective)]
    return [
        *stats,
        Kpi("hard rules", rules, "text"),
        Kpi("lessons given / needed", coverage_text(cov["given"], cov["need"]), "text"),
        Kpi("coverage", cov["ratio"], "percent"),
        Kpi("classes short of lessons", cov["classes_short"]),
        Kpi("ALTs (with lessons)", f"{alts['count']} ({alts['used']})", "text"),
        Kpi("ALTs under their floor", alts["under_floor"]),
        Kpi("lessons per ALT: min / mean / max", _spread(alts), "text"),
        Kpi("schools per ALT (mean)", alts["schools_mean"], "float"),
        Kpi("visit days", alts["visit_days"]),
        Kpi("commute minutes a week", alts["commute_minutes"]),
    ]


def _spread(alts: dict[str, Any]) -> str:
    return f"{alts['load_min']} / {alts['load_mean']:.1f} / {alts['load_max']}"


def title_and_term(instance: Instance) -> tuple[str, str]:
    """The report's title (the branch) and its term line ("" without term dates)."""
    st = instance.settings
    title = f"{st.branch} ALT timetables" if st.branch else "ALT timetables"
    if st.term_start and st.term_end:
        return title, f"term {st.term_start} to {st.term_end}"
    return title, ""


ALT_COLUMNS: dict[str, str] = {
    "alt_id": "ALT",
    "name": "name",
    "load": "lessons",
    "floor": "floor",
    "max": "max",
    "schools": "schools",
    "visit_days": "visit days",
    "commute_minutes": "commute min",
    "day_peak": "busiest day",
    **{d: d for d in DAYS},
}
SCHOOL_COLUMNS: dict[str, str] = {
    "school_id": "school",
    "name": "name",
    "level": "level",
    "need": "needed",
    "given": "given",
    "missing": "missing",
    "alts": "ALTs",
}


def alt_table(solved: Solved) -> pd.DataFrame:
    """A row per ALT: the validator's load, contract, schools, days, commute and day counts."""
    per_alt = solved.score.per_alt
    names = {a.alt_id: a.name for a in solved.instance.alts}
    table = per_alt.assign(name=per_alt["alt_id"].map(names))
    return table[list(ALT_COLUMNS)]


def school_table(solved: Solved) -> pd.DataFrame:
    """A row per school: lessons needed, given and missing, and how many ALTs teach there."""
    inst = solved.instance
    pc = solved.score.per_class
    sums = pc.groupby("school_id", sort=False)[["need", "given", "missing"]].sum()
    alts: dict[str, set[str]] = {}
    for ls in solved.result.lessons:
        alts.setdefault(ls.school_id, set()).add(ls.alt_id)
    counts = {str(k): v for k, v in sums.to_dict("index").items()}
    rows = []
    for s in inst.schools:
        got = counts.get(s.school_id, {})
        rows.append(
            {
                "school_id": s.school_id,
                "name": s.name,
                "level": LEVEL_NAMES.get(s.level, s.level),
                **{k: int(got.get(k, 0)) for k in ("need", "given", "missing")},
                "alts": len(alts.get(s.school_id, ())),
            }
        )
    return pd.DataFrame(rows, columns=list(SCHOOL_COLUMNS))


def grids(solved: Solved) -> tuple[list[tuple[str, Grid]], list[tuple[str, Grid]]]:
    """Every ALT's and every school's grid, by id, in the instance's order."""
    inst, lessons = solved.instance, list(solved.result.lessons)
    alts = [(a.alt_id, alt_grid(inst, lessons, a.alt_id)) for a in inst.alts]
    schools = [(s.school_id, school_grid(inst, lessons, s.school_id)) for s in inst.schools]
    return alts, schools


# ---- figures ---------------------------------------------------------------------------------

# Text stays text in the SVG (the browser's fonts draw names in any script); a fixed hash salt
# and no date keep the same report byte for byte the same.
PAGE_WIDTH_IN = 7.2  # A4 less the margins, in inches
# The week chart's margins: hour labels on the left, day names and title on top, the
# schools' legend on the right.
_WEEK = {"left": 0.08, "right": 0.76, "top": 0.84, "bottom": 0.03}


def svg_uri(
    draw: Callable[[Axes], object],
    size: tuple[float, float],
    margins: dict[str, float] | None = None,
) -> str:
    """A ``data:image/svg+xml;base64,...`` URI of what ``draw`` puts into a fresh Axes.

    The figure is made without pyplot, so no window opens and nothing stays in memory.
    Fixed ``margins`` (``subplots_adjust`` fractions) replace the constrained layout, which
    costs as much again as drawing: they are given for the chart drawn once per ALT.
    """
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "altsched"}):
        fig = Figure(figsize=size, layout=None if margins else "constrained")
        draw(fig.add_subplot())
        if margins:
            fig.subplots_adjust(**margins)
        buf = io.BytesIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _figures(solved: Solved) -> list[tuple[str, str, str]]:
    # (caption, CSS class, SVG): charts of the branch at the page's width; a chart with a
    # row per ALT or school grows with the branch and is "tall" (up to a page of its own).
    r, inst = solved.result, solved.instance
    w = PAGE_WIDTH_IN
    rows_alts = min(max(3.0, 0.22 * len(inst.alts) + 1.2), 9.5)
    rows_schools = min(max(3.0, 0.25 * len(inst.schools) + 1.2), 9.5)
    specs: list[tuple[str, str, Callable[..., Axes], float]] = [
        ("ALT loads", "wide", plot.alt_loads, 3.4),
        ("Schools per ALT", "wide", plot.schools_per_alt, 3.0),
        ("Commute per ALT", "wide", plot.commute_per_alt, 3.0),
        ("Lessons a day per ALT", "tall", plot.day_peaks, rows_alts),
        ("Coverage by school and grade", "tall", plot.grade_coverage, rows_schools),
        ("Map", "tall", plot.school_map, w),
    ]
    return [
        (caption, kind, svg_uri(partial(figure, r, inst), (w, height)))
        for caption, kind, figure, height in specs
    ]


# ---- the HTML page ---------------------------------------------------------------------------

# On top of the grid pages' style: A4 pages, a page per ALT and per school, colours printed.
_REPORT_CSS = """
@page { size: A4; margin: 12mm; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
h2 { font-size: 1.25rem; margin: 0 0 .25rem; break-after: avoid; }
h3 { font-size: 1rem; margin: 1rem 0 .35rem; break-after: avoid; }
section.page { break-before: page; }
table.grid { max-width: none; }
table.grid tr, figure, table.kpi { break-inside: avoid; }
table.kpi, table.list { border-collapse: collapse; margin-bottom: 1rem; font-size: .8rem; }
table.list { width: 100%; font-size: .75rem; }
table.kpi th, table.kpi td, table.list th, table.list td { border: 1px solid #c4ccd4;
  padding: .15rem .35rem; text-align: left; }
table.kpi th, table.list thead th { background: #eef2f6; font-weight: 600; }
table.list td.n { text-align: right; font-variant-numeric: tabular-nums; }
table.list tr.short td { color: #c01c28; font-weight: 600; }
figure { margin: 0 0 1rem; }
figure img { display: block; width: 100%; max-height: 120mm; object-fit: contain; }
figure.tall img { max-height: 240mm; }
section.alt td .lesson .d { display: none; }
table.grid { font-size: .8rem; }
table.grid th, table.grid td { padding: .25rem .35rem; }
table.grid th.label { width: 6.5rem; }
td .lesson { padding: .1rem .3rem; margin-bottom: .15rem; }
@media print {
  /* An ALT's page is one A4 page tall: the grid takes what it needs, the week chart the
     rest (shrunk to fit, never pushed onto a page of its own). */
  section.alt { height: 268mm; display: flex; flex-direction: column; }
  section.alt > * { flex: none; }
  section.alt > figure.week { flex: 1 1 0; min-height: 0; margin: .5rem 0 0; }
  figure.week img { width: 100%; height: 100%; max-height: 95mm; object-position: left top; }
}
figcaption { font-size: .8rem; color: #55606b; }
p.facts { margin: 0 0 .6rem; font-size: .9rem; }
p.where { margin: 0 0 .4rem; font-size: .75rem; color: #55606b; }
p.alarm { color: #c01c28; font-weight: 600; }
ul.violations { font-size: .8rem; color: #c01c28; }
@media print { body { margin: 0; font-size: 10pt; } a { color: inherit; text-decoration: none; } }
""".strip()


def _list_table(frame: pd.DataFrame, labels: dict[str, str], links: dict[str, str]) -> list[str]:
    # A plain table of a frame: numbers right-aligned; the first column links to its page;
    # a row with something missing or under the floor is red.
    head = "".join(f"<th>{escape(labels[c])}</th>" for c in frame.columns)
    out = ['<table class="list">', f"<thead><tr>{head}</tr></thead>", "<tbody>"]
    for rec in frame.to_dict("records"):
        short = rec.get("missing", 0) > 0 or rec.get("load", 0) < rec.get("floor", 0)
        cells = []
        for i, (col, value) in enumerate(rec.items()):
            text = escape(f"{value:,}" if isinstance(value, int) else str(value))
            if i == 0 and str(value) in links:
                text = f'<a href="#{links[str(value)]}">{text}</a>'
            numeric = isinstance(value, int | float) and col not in ("alt_id", "school_id")
            cells.append(f'<td class="n">{text}</td>' if numeric else f"<td>{text}</td>")
        out.append(f"<tr{' class=short' if short else ''}>{''.join(cells)}</tr>")
    out += ["</tbody>", "</table>"]
    return out


def _cover(solved: Solved, title: str, term: str, anchors: dict[str, str]) -> list[str]:
    sub = " · ".join(x for x in (term, solved.result.status) if x)
    out = [f"<h1>{escape(title)}</h1>", f'<p class="sub">{escape(sub)}</p>']
    out.append('<table class="kpi"><tbody>')
    out += [
        f"<tr><th>{escape(k.label)}</th><td>{escape(k.text())}</td></tr>" for k in kpis(solved)
    ]
    out.append("</tbody></table>")
    if solved.violations:
        n = len(solved.violations)
        out.append(f'<p class="alarm">This timetable breaks {n} hard rule(s):</p>')
        shown = solved.violations[:VIOLATIONS_SHOWN]
        out.append('<ul class="violations">')
        out += [f"<li>{escape(str(v))}</li>" for v in shown]
        if n > len(shown):
            out.append(f"<li>... and {n - len(shown)} more (altsched check)</li>")
        out.append("</ul>")
    if solved.result.notes:
        out.append("<h3>Notes from the solve</h3><ul>")
        out += [f"<li>{escape(note)}</li>" for note in solved.result.notes]
        out.append("</ul>")
    out.append("<h3>ALTs</h3>")
    out += _list_table(alt_table(solved), ALT_COLUMNS, anchors)
    out.append("<h3>Schools</h3>")
    out += _list_table(school_table(solved), SCHOOL_COLUMNS, anchors)
    return out


def _alt_facts(solved: Solved, alt_id: str) -> str:
    rec = solved.score.per_alt.set_index("alt_id").loc[alt_id]
    return (
        f"{rec['load']} lessons (floor {rec['floor']}, max {rec['max']}) · "
        f"{rec['schools']} schools on {rec['visit_days']} days · "
        f"commute {rec['commute_minutes']} min a week · busiest day {rec['day_peak']}"
    )


def _school_facts(solved: Solved, school_id: str) -> str:
    short = solved.score.unmet
    mine = short[short["school_id"] == school_id]
    if mine.empty:
        return "Every class gets the ALT lessons it needs."
    parts = [f"{rec['class']} ({rec['missing']} missing)" for rec in mine.to_dict("records")]
    return "Short of lessons: " + ", ".join(parts)


def _section(
    kind: str, anchor: str, grid: Grid, facts: str, extra: Sequence[str], where: str
) -> list[str]:
    # A page handed to one ALT or one school: it says which branch and term it is about.
    out = [f'<section class="page {kind}" id="{escape(anchor)}">']
    out.append(f'<p class="where">{escape(where)}</p>')
    out.append(f"<h2>{escape(grid.title)}</h2>")
    out.append(f'<p class="sub">{escape(grid.subtitle)}</p>')
    out.append(f'<p class="facts">{escape(facts)}</p>')
    out += grid_table(grid)
    out += extra
    out.append("</section>")
    return out


def report_html(solved: Solved) -> str:
    """The report as one self-contained HTML page (every name escaped).

    A cover page (KPIs, broken rules if any, the solve's notes, a table of ALTs and one of
    schools), the figures, then a page per ALT (facts, grid, week chart) and a page per
    school (grid, classes short of lessons).
    """
    inst, r = solved.instance, solved.result
    title, term = title_and_term(inst)
    alt_grids, school_grids = grids(solved)
    used: set[str] = set()
    alt_anchor = file_stems([a for a, _ in alt_grids], "alt-", used)
    school_anchor = file_stems([s for s, _ in school_grids], "school-", used)
    body = _cover(solved, title, term, {**school_anchor, **alt_anchor})
    where = " · ".join(x for x in (inst.settings.branch, term) if x)
    body += ['<section class="page figures">', "<h2>Figures</h2>"]
    for caption, kind, uri in _figures(solved):
        body.append(f'<figure class="{kind}"><img src="{uri}" alt="{escape(caption)}"></figure>')
    body.append("</section>")
    for alt_id, grid in alt_grids:
        week = svg_uri(partial(plot.alt_week, r, inst, alt_id), (PAGE_WIDTH_IN, 3.6), _WEEK)
        extra = [f'<figure class="week"><img src="{week}" alt="week chart"></figure>']
        facts = _alt_facts(solved, alt_id)
        body += _section("alt", alt_anchor[alt_id], grid, facts, extra, where)
    for school_id, grid in school_grids:
        facts = _school_facts(solved, school_id)
        body += _section("school", school_anchor[school_id], grid, facts, (), where)
    head = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        _HTML_MARK,
        f"<title>{escape(' · '.join(x for x in (title, term) if x))}</title>",
        f"<style>\n{CSS}\n{_REPORT_CSS}\n</style>",
        "</head>",
        "<body>",
    ]
    return "\n".join([*head, *body, "</body>", "</html>", ""])


# ---- the workbook ----------------------------------------------------------------------------

MAX_SHEET_NAME = 31
# Excel's forbidden characters, and control characters (a TAB or a line break in a tab).
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f\x7f-\x9f]")
# Excel keeps "History" for itself (change tracking), in any case.
_RESERVED_SHEETS = frozenset({"history"})


def _utf16_len(text: str) -> int:
    # Excel counts a sheet name's 31 characters in UTF-16 units: an emoji counts twice.
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, limit: int) -> str:
    while _utf16_len(text) > limit:
        text = text[:-1]
    return text


def sheet_names(wanted: Iterable[str]) -> list[str]:
    """A valid, unique worksheet name for each wanted name, in order.

    Excel's rules: at most 31 characters, none of ``[ ] : * ? / \\``, not starting or ending
    with ``'``, not empty, not ``History``, and unique ignoring case. Forbidden characters
    (and control characters) become ``_``; a long name is cut; a name taken already gets
    `` (2)``, `` (3)``... within the 31 characters.
    """
    used: set[str] = set()
    out = []
    for name in wanted:
        base = _SHEET_FORBIDDEN.sub("_", name)
        base = _cut(base.strip().strip("'").strip(), MAX_SHEET_NAME).rstrip(" '") or "Sheet"
        if base.casefold() in _RESERVED_SHEETS:
            base += "_"
        candidate, n = base, 1
        while candidate.casefold() in used:
            n += 1
            suffix = f" ({n})"
            candidate = _cut(base, MAX_SHEET_NAME - len(suffix)).rstrip().rstrip("'") + suffix
        used.add(candidate.casefold())
        out.append(candidate)
    return out


def header_text(text: str) -> str:
    """Text safe in an Excel page header: ``&`` starts a code there (``&P`` is the page
    number), so a branch called "A&P" is written ``A&&P``; cut to fit Excel's 255
    characters for the three parts of a header."""
    return _cut(text, 80).replace("&", "&&")


_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_GREY = Font(italic=True, color="6B7480")
_HEAD_FILL = PatternFill("solid", fgColor="EEF2F6")
_CLOSED_FILL = PatternFill("solid", fgColor="F3F4F6")
_LESSON_FILL = PatternFill("solid", fgColor="E3EFFD")
_THIN = Side(style="thin", color="C4CCD4")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="top")
_FORMATS = {"percent": "0.0%", "float": "#,##0.0", "int": "#,##0"}


def _put(ws: Worksheet, row: int, column: int, value: object) -> Any:
    # Every cell of the workbook is written here, through xlsx_cell: a name like
    # '=HYPERLINK(...)' stays the text it is, never a formula. Characters XML cannot hold
    # (control characters) are dropped rather than failing the whole workbook.
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return xlsx_cell(ws, row, column, value)


def _heading(ws: Worksheet, title: str, subtitle: str) -> None:
    _put(ws, 1, 1, title).font = _TITLE
    _put(ws, 2, 1, subtitle).font = _GREY


def _frame_rows(ws: Worksheet, top: int, frame: pd.DataFrame, labels: dict[str, str]) -> int:
    for j, col in enumerate(frame.columns, start=1):
        cell = _put(ws, top, j, labels[col])
        cell.font, cell.fill, cell.border = _BOLD, _HEAD_FILL, _BOX
    for i, rec in enumerate(frame.to_dict("records"), start=top + 1):
        for j, value in enumerate(rec.values(), start=1):
            _put(ws, i, j, value.item() if hasattr(value, "item") else value).border = _BOX
    return top + len(frame) + 2


def _summary_sheet(ws: Worksheet, solved: Solved, title: str, term: str) -> None:
    _heading(ws, title, " · ".join(x for x in (term, solved.result.status) if x))
    row = 4
    for k in kpis(solved):
        _put(ws, row, 1, k.label).font = _BOLD
        cell = _put(ws, row, 2, k.value)
        if k.kind in _FORMATS:
            cell.number_format = _FORMATS[k.kind]
        cell.alignment = Alignment(horizontal="left")
        row += 1
    if solved.violations:
        _put(ws, row, 1, "broken rules").font = _BOLD
        _put(ws, row, 2, "; ".join(str(v) for v in solved.violations[:VIOLATIONS_SHOWN]))
        row += 1
    _put(ws, row + 1, 1, "ALTs").font = _BOLD
    row = _frame_rows(ws, row + 2, alt_table(solved), ALT_COLUMNS)
    _put(ws, row, 1, "Schools").font = _BOLD
    _frame_rows(ws, row + 1, school_table(solved), SCHOOL_COLUMNS)
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 22
    for letter in "CDEFGHIJKLMNOP":
        ws.column_dimensions[letter].width = 11


def _grid_sheet(ws: Worksheet, grid: Grid) -> None:
    _heading(ws, grid.title, grid.subtitle)
    head = [*grid.label_columns, *DAYS]
    for j, text in enumerate(head, start=1):
        cell = _put(ws, 3, j, text)
        cell.font, cell.fill, cell.border = _BOLD, _HEAD_FILL, _BOX
    n = len(grid.label_columns)
    for i, (labels, row) in enumerate(zip(grid.labels, grid.cells, strict=True)):
        for j, label in enumerate(labels, start=1):
            cell = _put(ws, 4 + i, j, label)
            cell.font, cell.border, cell.alignment = _BOLD, _BOX, _WRAP
        for d, entries in enumerate(row):
            closed = grid.closed.get((i, d), "") if not entries else ""
            cell = _put(ws, 4 + i, n + 1 + d, "\n".join(e.text for e in entries) or closed)
            cell.border, cell.alignment = _BOX, _WRAP
            if entries:
                cell.fill = _LESSON_FILL
            elif closed:
                cell.fill, cell.font = _CLOSED_FILL, _GREY
        most = max((len(c) for c in row), default=1)
        ws.row_dimensions[4 + i].height = 16 * max(most, 1) + 6
    if not grid.labels:
        _put(ws, 4, 1, grid.empty_note).font = _GREY
    for j in range(1, n + 1):
        ws.column_dimensions[chr(64 + j)].width = 8 if head[j - 1] == "period" else 14
    for d in range(len(DAYS)):
        ws.column_dimensions[chr(64 + n + 1 + d)].width = 26
    ws.freeze_panes = ws.cell(row=4, column=n + 1)


def _print_setup(ws: Worksheet, branch: str, term: str, title_rows: str) -> None:
    # Landscape A4, the whole sheet on one page (fit to one page wide and one tall), the
    # heading rows on every page should a sheet ever need two, branch and term at the top.
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.print_title_rows = title_rows
    ws.oddHeader.left.text = header_text(branch)
    ws.oddHeader.right.text = header_text(term)
    ws.oddFooter.center.text = "Page &P of &N"
    ws.page_margins.top = ws.page_margins.bottom = 0.6


def report_workbook(solved: Solved) -> Workbook:
    """The report as a workbook: a ``Summary`` sheet (KPIs, ALTs, schools), then a sheet per
    ALT and per school (their grids), every sheet set up to print on one landscape A4 page
    with the branch and the term in its header. Text is always stored as text."""
    title, term = title_and_term(solved.instance)
    branch = solved.instance.settings.branch or title
    alt_grids, school_grids = grids(solved)
    wb = Workbook()
    wb.properties.creator = GENERATOR
    summary = wb.active
    assert summary is not None
    wanted = ["Summary"]
    wanted += [f"{a} {solved.instance.alt_by_id[a].name}" for a, _ in alt_grids]
    wanted += [f"{s} {solved.instance.school_by_id[s].name}" for s, _ in school_grids]
    names = sheet_names(wanted)
    summary.title = names[0]
    _summary_sheet(summary, solved, title, term)
    _print_setup(summary, branch, term, "1:2")
    for name, (_id, grid) in zip(names[1:], [*alt_grids, *school_grids], strict=True):
        ws = wb.create_sheet(name)
        _grid_sheet(ws, grid)
        _print_setup(ws, branch, term, "1:3")
    return wb


# ---- writing -----------------------------------------------------------------------------------


def is_ours(path: Path) -> bool:
    """True when ``path`` is a report this module wrote (it may be replaced)."""
    try:
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as z:
                core = z.read("docProps/core.xml").decode("utf-8", "replace")
            return f"<dc:creator>{GENERATOR}</dc:creator>" in core
        with path.open("rb") as f:
            return _HTML_MARK.encode() in f.read(4096)
    except (OSError, zipfile.BadZipFile, KeyError):
        return False


def write_report(directory: Path, instance: Instance) -> list[Path]:
    """Write ``directory/report.html`` and ``directory/report.xlsx`` from the solve there.

    Both are made in memory first, then each written to a temporary file and renamed into
    place, so a failure leaves the earlier files as they were.

    Returns
    -------
    list[Path]
        The two files written.

    Raises
    ------
    InstanceError
        When the folder cannot be read back (:func:`read_solved`), or a ``report.html`` or
        ``report.xlsx`` there was not written by ``altsched report`` (it is the user's and
        is left alone).
    """
    directory = Path(directory)
    if not directory.is_dir():
        issue = InputIssue(directory.as_posix(), None, None, None, "is not a folder")
        raise InstanceError([issue])
    tidy_folder(directory)  # the temporary files of a report or calendar that was killed
    targets = [directory / REPORT_HTML, directory / REPORT_XLSX]
    theirs = [p for p in targets if (p.exists() or p.is_symlink()) and not is_ours(p)]
    if theirs:
        msg = "is not a report altsched wrote; move it away, nothing was written"
        raise InstanceError([InputIssue(p.as_posix(), None, None, None, msg) for p in theirs])
    solved = read_solved(directory, instance)
    html = report_html(solved).encode("utf-8")
    xlsx = io.BytesIO()
    report_workbook(solved).save(xlsx)
    for path, data in zip(targets, (html, xlsx.getvalue()), strict=True):
        write_bytes_atomic(path, data)
    return targets
