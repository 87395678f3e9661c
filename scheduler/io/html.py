"""Weekly grids as plain data, and their rendering as CSV text and self-contained HTML pages.

A :class:`Grid` is what a timetable view shows: rows (periods or time slots), one column per
weekday, and in each cell the lessons held there. :mod:`scheduler.io.write` builds grids from
a result; this module only renders them, so every view of a grid (CSV, HTML, a future xlsx)
shows the same cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from scheduler.instance import DAYS
from scheduler.io.cells import rows_csv


@dataclass(frozen=True)
class Entry:
    """One lesson in a grid cell: ``text`` is what the CSV cell says, ``detail`` is shown
    under it in HTML only (times, period)."""

    text: str
    detail: str = ""


@dataclass(frozen=True)
class Grid:
    """A weekly timetable grid.

    ``labels[i]`` holds the row label cells (one per name in ``label_columns``);
    ``cells[i][j]`` the entries of row ``i`` on weekday ``DAYS[j]``. ``closed`` marks
    (row, day) cells that cannot hold a lesson (no such period that day, the ALT's day off,
    a weekly blocked period); they are shaded in HTML and empty in CSV.
    """

    title: str
    subtitle: str
    label_columns: tuple[str, ...]
    labels: tuple[tuple[str, ...], ...]
    cells: tuple[tuple[tuple[Entry, ...], ...], ...]
    closed: dict[tuple[int, int], str] = field(default_factory=dict)
    empty_note: str = "No lessons this week."


def grid_csv(grid: Grid) -> str:
    """The grid as CSV text: the label columns, then ``Mon``..``Fri``; several lessons in one
    cell are joined with ``"; "``; a cell a spreadsheet would run as a formula starts with
    ``'`` (:func:`scheduler.io.cells.rows_csv`)."""
    rows = (
        [*labels, *("; ".join(e.text for e in cell) for cell in row)]
        for labels, row in zip(grid.labels, grid.cells, strict=True)
    )
    return rows_csv([*grid.label_columns, *DAYS], rows)


# The pages' style sheet; the printable report (scheduler/io/report.py) embeds it too.
CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", "Hiragino Sans", "Noto Sans JP",
       "Yu Gothic", sans-serif; margin: 2rem; color: #1d232a; background: #fff; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
p.sub { margin: 0 0 1.25rem; color: #55606b; }
nav { margin-bottom: 1rem; font-size: .9rem; }
a { color: #1a5fb4; }
table.grid { border-collapse: collapse; width: 100%; max-width: 64rem; table-layout: fixed; }
table.grid th, table.grid td { border: 1px solid #c4ccd4; padding: .45rem .5rem;
  vertical-align: top; text-align: left; }
table.grid thead th { background: #eef2f6; }
table.grid th.label { width: 7.5rem; background: #f6f8fa; font-weight: 600; white-space: nowrap; }
td .lesson { background: #e3effd; border-left: 4px solid #1a5fb4; padding: .2rem .35rem;
  margin-bottom: .25rem; border-radius: 3px; }
td .lesson .d { display: block; font-size: .8rem; color: #55606b; }
td.closed { background: repeating-linear-gradient(45deg, #f3f4f6, #f3f4f6 6px,
  #e7e9ec 6px, #e7e9ec 12px); color: #6b7480; font-size: .8rem; }
p.empty { color: #55606b; font-style: italic; }
ul.links { columns: 2; max-width: 64rem; padding-left: 1.2rem; }
ul.links li { margin: .15rem 0; }
span.n { color: #55606b; font-size: .9rem; }
@media print { body { margin: 0; } nav { display: none; } }
""".strip()


def _page(title: str, body: list[str]) -> str:
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(title)}</title>",
            f"<style>\n{CSS}\n</style>",
            "</head>",
            "<body>",
            *body,
            "</body>",
            "</html>",
            "",
        ]
    )


def grid_html(grid: Grid, index_href: str | None = None) -> str:
    """A self-contained UTF-8 HTML page of the grid (inline CSS, every text escaped).

    ``index_href`` adds a link back to the index page.
    """
    body: list[str] = []
    if index_href is not None:
        body.append(f'<nav><a href="{escape(index_href)}">All timetables</a></nav>')
    body.append(f"<h1>{escape(grid.title)}</h1>")
    if grid.subtitle:
        body.append(f'<p class="sub">{escape(grid.subtitle)}</p>')
    body += grid_table(grid)
    return _page(grid.title, body)


def grid_table(grid: Grid) -> list[str]:
    """The grid's table as HTML lines (every text escaped), and its empty note when it has
    no rows: the part of :func:`grid_html` that other pages (the printable report) embed."""
    head = "".join(f"<th>{escape(c)}</th>" for c in (*grid.label_columns, *DAYS))
    body = ['<table class="grid">', f"<thead><tr>{head}</tr></thead>", "<tbody>"]
    for i, (labels, row) in enumerate(zip(grid.labels, grid.cells, strict=True)):
        tds = "".join(f'<th class="label">{escape(x)}</th>' for x in labels)
        for j, cell in enumerate(row):
            if not cell and (i, j) in grid.closed:
                tds += f'<td class="closed">{escape(grid.closed[(i, j)])}</td>'
                continue
            lessons = "".join(
                f'<div class="lesson">{escape(e.text)}'
                + (f'<span class="d">{escape(e.detail)}</span>' if e.detail else "")
                + "</div>"
                for e in cell
            )
            tds += f"<td>{lessons}</td>"
        body.append(f"<tr>{tds}</tr>")
    body += ["</tbody>", "</table>"]
    if not grid.labels:
        body.append(f'<p class="empty">{escape(grid.empty_note)}</p>')
    return body


@dataclass(frozen=True)
class Link:
    """One line of the index page."""

    href: str
    text: str
    note: str = ""


def index_html(title: str, subtitle: str, sections: list[tuple[str, list[Link]]]) -> str:
    """The index page: a heading per section and a list of links to grid pages."""
    body = [f"<h1>{escape(title)}</h1>"]
    if subtitle:
        body.append(f'<p class="sub">{escape(subtitle)}</p>')
    for heading, links in sections:
        body.append(f"<h2>{escape(heading)}</h2>")
        body.append('<ul class="links">')
        for link in links:
            note = f' <span class="n">{escape(link.note)}</span>' if link.note else ""
            body.append(f'<li><a href="{escape(link.href)}">{escape(link.text)}</a>{note}</li>')
        body.append("</ul>")
    return _page(title, body)
