"""Cells of the CSV and xlsx files people open in a spreadsheet: never a formula.

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or TAB or CR) is run as a formula when
the file is opened in Excel, LibreOffice or Google Sheets; ``=HYPERLINK(...)`` or ``=cmd|...``
in a name would act for whoever opens the file ("CSV injection", OWASP). Every CSV written
for people (grids, ``unmet.csv``, ``lessons.csv``, ``lost.csv``, ``changes --csv``,
``tokens --export``) goes through :func:`frame_csv` or :func:`rows_csv`, which put a ``'``
before such a text cell, as OWASP advises; numbers stay numbers. ``assignments.csv`` is a
contract other tools read back, holds only ids (which may not start so, see
:func:`scheduler.text.id_problem`) and times, and is written as it is.

In an xlsx workbook written by openpyxl only a text starting with ``=`` turns into a formula;
:func:`xlsx_cell` stores every text as text instead, unchanged.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import pandas as pd

from scheduler.text import FORMULA_STARTS

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet.worksheet import Worksheet

# OWASP's list: the formula signs, and TAB and CR, which some programs skip before one.
CELL_FORMULA_STARTS = (*FORMULA_STARTS, "\t", "\r")


def safe_cell(value: object) -> object:
    """``value``, with a ``'`` in front if it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(CELL_FORMULA_STARTS):
        return "'" + value
    return value


def rows_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """CSV text of a header and rows: ``\\n`` line ends, every text cell made safe."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return buf.getvalue()


def frame_csv(frame: pd.DataFrame) -> str:
    """A DataFrame as CSV text (no index, ``\\n`` line ends), every text cell made safe.

    Numbers are written as pandas writes them, so a frame without risky text gives the
    same bytes as ``frame.to_csv(index=False, lineterminator="\\n")``.
    """
    safe = frame.rename(columns=lambda c: safe_cell(str(c)))
    for k in range(safe.shape[1]):
        # Text columns (object or pandas' str dtype); numeric columns cannot hold a formula.
        # Only the distinct values are looked at, and a column is rewritten only when one is
        # risky: lessons.csv has ~80,000 rows of a few hundred ids, dates and times.
        if pd.api.types.is_numeric_dtype(safe.dtypes.iloc[k]):
            continue
        values = safe.iloc[:, k].to_numpy(dtype=object)
        if any(
            isinstance(v, str) and v.startswith(CELL_FORMULA_STARTS) for v in pd.unique(values)
        ):
            safe.isetitem(k, [safe_cell(v) for v in values])
    return safe.to_csv(index=False, lineterminator="\n")


def xlsx_cell(ws: Worksheet, row: int, column: int, value: object) -> Cell:
    """Put ``value`` into a worksheet cell; text is always stored as text, never a formula."""
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl made "=0" a formula; the name is "=0"
    return cell
