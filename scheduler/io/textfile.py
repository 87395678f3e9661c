"""Reading the files a user gives or edits: bounded in size, and strict about CSV quoting.

Every reader of such a file goes through here: the instance's tables (:mod:`scheduler.io.read`),
``assignments.csv`` (:func:`scheduler.validate.read_assignments`, which the calendar commands
use too), ``report.json``, the weights TOML. So they share one set of limits
(:mod:`scheduler.config`, ``MAX_*``) and one set of messages, and each limit is checked before
the file is parsed whole: a 50 MB table or a 2 KB YAML alias bomb fails in well under a second.

CSV is read strictly (docs/input.md, "CSV quoting"): a quote may hold a comma but never a line
break, so a stray ``"`` that would swallow the rows after it, an unclosed quote and an oversized
cell are errors naming the row where the quote opened, never rows silently lost.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import Any, NoReturn

from scheduler.config import MAX_CELL_CHARS, MAX_COLUMNS, MAX_FILE_BYTES, MAX_ROWS
from scheduler.errors import InputIssue, InstanceError

LIMITS_DOC = 'docs/input.md, "Limits"'
# Separators of spreadsheets saved in other locales ("CSV" in a German Excel uses ;) or as
# Excel's "Text (Tab delimited)" and "Unicode Text".
_OTHER_SEPARATORS = ((";", "';'"), ("\t", "TAB"))
# Characters of a bad value quoted in a message: enough to find it, never a screenful.
_SHOWN_CHARS = 40

Grid = list[tuple[int, list[str]]]
# A physical line with its end: \r\n, \n or a lone \r (old Mac files), as editors count them.
_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+")
# Anything that makes a row non-blank (spaces and empty cells do not).
_VALUE = re.compile(r"[^\s,]")


def _fail(
    label: str, row: int | None, column: str | None, value: str | None, why: str
) -> NoReturn:
    raise InstanceError([InputIssue(label, row, column, value, why)])


def shown(value: str) -> str:
    """A value as a message quotes it: cut after 40 characters, with the length it had."""
    if len(value) <= _SHOWN_CHARS:
        return value
    return f"{value[:_SHOWN_CHARS]}... ({len(value):,} characters)"


def cell_issue(label: str, row: int | None, column: str, value: str) -> InputIssue | None:
    """An issue when a cell is longer than :data:`~scheduler.config.MAX_CELL_CHARS`."""
    if len(value) <= MAX_CELL_CHARS:
        return None
    why = f"is longer than {MAX_CELL_CHARS:,} characters, the limit for a cell ({LIMITS_DOC})"
    return InputIssue(label, row, column, shown(value), why)


def _megabytes(n: int) -> str:
    return f"{n / 1_000_000:,.1f} MB" if n < 10_000_000 else f"{n / 1_000_000:,.0f} MB"


def check_size(path: Path, label: str | None = None, limit: int = MAX_FILE_BYTES) -> None:
    """Refuse a file over ``limit`` bytes, or one that does not exist, before reading it.

    Raises
    ------
    InstanceError
        Naming the file (exit 2 at the command line).
    """
    label = label or path.name
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        _fail(label, None, None, None, "does not exist")
    if size > limit:
        why = (
            f"is {_megabytes(size)}, over the {_megabytes(limit)} limit for a file ({LIMITS_DOC})"
        )
        _fail(label, None, None, None, why)


def read_bytes(path: Path, label: str | None = None, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a file, refused before reading when it is over ``limit``
    (:func:`check_size`)."""
    label = label or path.name
    check_size(path, label, limit)
    with path.open("rb") as f:
        # Read one byte past the limit: a file that grows meanwhile (or a device) is caught.
        data = f.read(limit + 1)
    if len(data) > limit:
        _fail(label, None, None, None, f"is over the {_megabytes(limit)} limit for a file")
    return data


def decode(data: bytes, label: str, save_as: str = "UTF-8") -> str:
    """UTF-8 text (a BOM is dropped); any other encoding is an error saying how to save it.

    Parameters
    ----------
    data, label
        The file's bytes and its name in messages.
    save_as
        How the message tells the user to save the file, e.g. ``'CSV UTF-8'`` (Excel's name).
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        _fail(
            label,
            None,
            None,
            None,
            f"is UTF-16 text (Excel's 'Unicode Text'); save it as {save_as}",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        why = f"is not UTF-8 text (byte {e.start})"
        try:
            data.decode("cp932")
            why += ", it looks like Shift-JIS (Excel's plain 'CSV' on a Japanese machine)"
        except UnicodeDecodeError:
            pass
        _fail(label, None, None, None, f"{why}; save it as {save_as}")
    nul = text.find("\0")
    if nul >= 0:
        # UTF-16 without a BOM, or a workbook renamed: no text file holds NUL.
        row = sum(1 for _ in _LINE.finditer(text, 0, nul + 1))
        why = "holds a NUL character: it is not a text file (UTF-16, or a workbook renamed?)"
        _fail(label, row, None, None, f"{why}; save it as {save_as}")
    return text


def read_text(path: Path, label: str | None = None, save_as: str = "UTF-8") -> str:
    """A text file: :func:`read_bytes` then :func:`decode`."""
    label = label or path.name
    return decode(read_bytes(path, label), label, save_as)


def read_json(path: Path, label: str | None = None) -> Any:
    """A JSON file, bounded: too large, not UTF-8, malformed or nested too deep is an error."""
    label = label or path.name
    text = read_text(path, label)
    try:
        return json.loads(text)
    except RecursionError:
        _fail(label, None, None, None, "is nested too deeply to be read")
    except ValueError as e:  # JSONDecodeError, and a number of over 4,300 digits
        _fail(label, None, None, None, f"cannot be parsed: {e}")


def read_csv(
    path: Path,
    label: str | None = None,
    *,
    max_rows: int = MAX_ROWS,
    comma_free: Collection[str] = (),
) -> Grid:
    """The non-blank rows of a CSV file, each with its row number: :func:`parse_csv` of the
    file read with :func:`read_text`."""
    label = label or path.name
    text = read_text(path, label, save_as="'CSV UTF-8'")
    return parse_csv(text, label, max_rows=max_rows, comma_free=comma_free)


class _Lines:
    """The physical lines of a text for :func:`csv.reader`, counted as an editor counts them
    (``\\n``, ``\\r\\n`` and a lone ``\\r`` each end one), with the first line of the
    record being read kept for messages. Past ``max_rows`` the rest of the text is searched
    at once: blank lines end the table, a value is an error."""

    def __init__(self, text: str, label: str, max_rows: int) -> None:
        self._text = text
        # A regex, not io.StringIO: that would hold a copy of the text at 4 bytes a character.
        self._matches = _LINE.finditer(text)
        self._label = label
        self._max_rows = max_rows
        self.count = 0
        self.first = ""
        self._starts_record = True

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        match = next(self._matches)
        self.count += 1
        if self.count > self._max_rows:
            self._past_limit(match.start())
        line = match.group()
        if self._starts_record:
            self.first, self._starts_record = line, False
        # Counted before csv splits it: a row of twenty million commas is refused unsplit.
        if line.count(",") >= MAX_COLUMNS:
            why = f"has more than {MAX_COLUMNS} cells, the limit for a row ({LIMITS_DOC})"
            _fail(self._label, self.count, None, None, why)
        return line

    def _past_limit(self, at: int) -> None:
        # Twenty million blank lines are one search, not twenty million rows read.
        found = _VALUE.search(self._text, at)
        if found is None:
            raise StopIteration
        text, end = self._text, found.start()
        row = self.count + text.count("\n", at, end) + text.count("\r", at, end)
        row -= text.count("\r\n", at, end)
        why = f"goes on past row {self._max_rows:,}, the limit for a table ({LIMITS_DOC})"
        _fail(self._label, row, None, None, why)

    def next_record(self) -> None:
        self._starts_record = True


def _column(header: list[str] | None, k: int) -> str | None:
    if header is None:
        return None
    return header[k] if k < len(header) and header[k] else f"{k + 1} (no header)"


def _open_cell(line: str) -> tuple[int, int | None]:
    """Where a record's first line leaves the csv module: the index of the cell it ends in
    (a quote that runs on opened there), and the index of the first cell longer than
    :func:`csv.field_size_limit`, if any. Scanned by hand: csv would stop at that cell again."""
    k, length, quoted, at_start, i = 0, 0, False, True, 0
    limit = csv.field_size_limit()
    while i < len(line):
        ch = line[i]
        if quoted and ch == '"' and line[i + 1 : i + 2] == '"':
            i += 1  # "" inside quotes is one quote
        elif ch == '"' and (quoted or at_start):
            quoted = not quoted
        elif ch == "," and not quoted:
            k, length, at_start = k + 1, -1, True
        elif ch not in "\r\n" or quoted:
            at_start = False
        length += 1
        if length > limit:
            return k, k
        i += 1
    return k, None


def _separator_issue(label: str, cells: list[str]) -> None:
    named = [c for c in cells if c.strip()]
    if len(named) != 1:
        return
    for sep, name in _OTHER_SEPARATORS:
        if len(named[0].strip().split(sep)) > 1:
            _fail(label, None, None, None, f"looks like {name}-separated; save as CSV with commas")


def _runaway(label: str, start: int, lines: _Lines, header: list[str] | None, err: str) -> None:
    """A quoted cell ran past its row, or the csv module stopped at a quote: name the row and
    column where the quote opened, and how far it ran."""
    opened, too_long = _open_cell(lines.first)
    column = _column(header, opened)
    end = lines.count
    if err.startswith("unexpected end of data"):
        why = 'has a quote (") that is never closed'
        if end > start:
            why += f"; it runs to the end of the file (row {end})"
    elif end > start:
        ran = "over a line break to" if err == "line break" else "on to"
        why = (
            f'has a quote (") that runs {ran} row {end}: a stray quote? A cell may not hold '
            'a line break (docs/input.md, "CSV quoting")'
        )
    elif "field limit" in err:
        column = _column(header, opened if too_long is None else too_long)
        why = f"has a cell longer than {MAX_CELL_CHARS:,} characters, the limit ({LIMITS_DOC})"
    else:
        column = None
        why = (
            'has text after the closing quote of a cell; write a quote inside a cell as "" '
            "or remove the stray quote"
        )
    _fail(label, start, column, None, why)


def parse_csv(
    text: str, label: str, *, max_rows: int = MAX_ROWS, comma_free: Collection[str] = ()
) -> Grid:
    """The non-blank rows of CSV text, cells stripped, each with its row number.

    A row number is the line an editor shows (blank lines count, the header is usually 1).
    The first non-blank row is the header; its names are matched without case.

    Parameters
    ----------
    text, label
        The text and the file's name in messages.
    max_rows
        The last row number that may hold a value.
    comma_free
        Columns (lower case) whose cells may not hold a comma: there a comma inside quotes
        means a stray quote joined two cells. Other columns (names) may hold one.

    Raises
    ------
    InstanceError
        At the first quote that runs over a line break or is never closed, a row of more
        than :data:`~scheduler.config.MAX_COLUMNS` cells, a row past ``max_rows`` or a header
        separated by ``;`` or TAB; after the whole file, every cell longer than
        :data:`~scheduler.config.MAX_CELL_CHARS`, holding a comma in a ``comma_free`` column
        or repeating the header.
    """
    lines = _Lines(text, label, max_rows)
    reader = csv.reader(lines, strict=True)
    grid: Grid = []
    issues: list[InputIssue] = []
    header: list[str] | None = None
    start = 1
    try:
        for raw in reader:
            if lines.count > start:
                _runaway(label, start, lines, header, "line break")
            cells = [c.strip() for c in raw]
            if any(cells):
                if header is None:
                    _separator_issue(label, raw)
                    header = [c.lower() for c in cells]
                    issues += _long_header_cells(label, start, header)
                else:
                    issues += _row_issues(label, start, header, cells, comma_free)
                grid.append((start, cells))
            lines.next_record()
            start = lines.count + 1
    except csv.Error as e:
        _runaway(label, start, lines, header, str(e))
    if issues:
        raise InstanceError(issues)
    return grid


def _named(cells: Iterable[str]) -> list[str]:
    # A row without its empty cells at the right: Excel pads rows to the widest one.
    out = list(cells)
    while out and out[-1] == "":
        out.pop()
    return out


def _long_header_cells(label: str, row: int, header: list[str]) -> list[InputIssue]:
    issues = (cell_issue(label, row, f"{k + 1}", name) for k, name in enumerate(header))
    return [i for i in issues if i is not None]


def _row_issues(
    label: str, row: int, header: list[str], cells: list[str], comma_free: Collection[str]
) -> list[InputIssue]:
    out: list[InputIssue] = []
    if _named(c.lower() for c in cells) == _named(header):
        out.append(
            InputIssue(
                label,
                row,
                None,
                None,
                "repeats the header row (two files pasted together?); delete it",
            )
        )
        return out
    for k, cell in enumerate(cells):
        column = _column(header, k) or ""
        too_long = cell_issue(label, row, column, cell)
        if too_long is not None:
            out.append(too_long)
        elif "," in cell and column in comma_free:
            # A comma can only be inside quotes: a quote that joined this cell and the next.
            why = (
                "holds a comma inside quotes: a stray quote that joined two cells? Lists are "
                "separated by ;"
            )
            out.append(InputIssue(label, row, column, shown(cell), why))
    return out
