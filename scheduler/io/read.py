"""Read a branch instance from a CSV folder, an xlsx workbook, or a YAML/JSON file.

Every form is first turned into the same raw tables: for each table, the header and the
records as ``{column: text}`` with their spreadsheet row numbers. One code path then parses
cells (lists, period ranges, times, dates), validates each row with the pydantic models of
:mod:`scheduler.instance` and turns every pydantic error into an :class:`InputIssue` that names
the file, row, column and value. All problems of all tables are raised together; only a clean
instance goes on to the cross-table checks and the warnings.

Files are read through :mod:`scheduler.io.textfile` and within the limits of
:mod:`scheduler.config` (docs/input.md, "Limits"), each checked before the file is parsed
whole: a CSV file's size, rows and cells; a workbook's size packed and unpacked, its sheets'
rows and its cells; a YAML or JSON file's size, records and cells, and no YAML aliases.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ValidationError

from scheduler.config import MAX_COLUMNS, MAX_ROWS, MAX_UNZIPPED_BYTES
from scheduler.errors import InputIssue, InstanceError
from scheduler.instance import (
    DAYS,
    LEVELS,
    TABLES,
    Alt,
    Bell,
    Blocked,
    Instance,
    Pin,
    School,
    SchoolClass,
    Settings,
    Travel,
    parse_periods,
    reference_issues,
    warnings_for,
)
from scheduler.io.tables import COLUMNS, REQUIRED_COLUMNS, REQUIRED_TABLES
from scheduler.io.textfile import (
    LIMITS_DOC,
    cell_issue,
    check_size,
    read_csv,
    read_json,
    read_text,
)

# ---- raw tables: the common shape of every input form ----------------------------------------


@dataclass
class RawTable:
    """One table as read: its header and its non-blank records with spreadsheet row numbers."""

    label: str
    header: list[str]
    records: list[tuple[int | None, dict[str, str]]] = field(default_factory=list)
    # Values in a column with no header: (row, column number from 1, value).
    stray: list[tuple[int, int, str]] = field(default_factory=list)


@dataclass
class _Source:
    """Raw tables of one input, how its issues name each table, and problems met reading it."""

    branch: str
    tables: dict[str, RawTable]
    labels: dict[str, str]
    errors: list[InputIssue] = field(default_factory=list)
    warnings: list[InputIssue] = field(default_factory=list)


# libyaml's parser where PyYAML has it (every wheel does): several times faster than PyYAML's
# own, and it caps nesting at 1,000 levels.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _TextYamlLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """SafeLoader that leaves scalars as written, except null.

    YAML 1.1 reads an unquoted ``10:15`` as the base-60 number 615 and ``no`` as False; the
    reader wants the text a spreadsheet cell would hold and parses it itself.
    """


_TextYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag.endswith((":null", ":merge"))]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _load_yaml(text: str, label: str) -> Any:
    """A YAML document, refused when an alias reuses a value (docs/input.md, "Limits")."""
    loader = _TextYamlLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _refuse_aliases(node, label)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _refuse_aliases(root: yaml.Node, label: str) -> None:
    # An alias is the very node of its anchor met a second time: nine aliases of nine
    # aliases ... of one string are 2 KB of YAML and gigabytes once the cells are joined.
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            why = (
                f"reuses the value on line {node.start_mark.line + 1} through an alias "
                "(*name); YAML anchors and aliases are not accepted: write the value out"
            )
            raise InstanceError([InputIssue(label, None, None, None, why)])
        seen.add(id(node))
        # Pushed last first, so the first value met twice is the first in the file.
        if isinstance(node, yaml.SequenceNode):
            stack += reversed(node.value)
        elif isinstance(node, yaml.MappingNode):
            stack += [part for pair in reversed(node.value) for part in reversed(pair)]


_EXCEL_DATE_COLUMNS = ("class", "periods")  # cells Excel likes to turn into dates (1-2 -> 2 Jan)


def cell_text(value: object) -> str:
    """Normalise a cell from any reader to the text a CSV file would hold.

    openpyxl and JSON give numbers, times and dates as objects: ``3.0`` becomes ``"3"``,
    ``time(8, 40)`` ``"08:40"``, a midnight datetime its date. Text is stripped.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # repr keeps every digit given, so a workbook and a CSV file give the very same float.
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        if value.date() in (date(1899, 12, 30), date(1899, 12, 31), date(1900, 1, 1)):
            return _clock_text(value.time())  # a bare time stored on Excel's zero day
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return _clock_text(value)
    if isinstance(value, timedelta) and timedelta(0) <= value < timedelta(days=1):
        return _clock_text((datetime.min + value).time())
    if isinstance(value, list | tuple):
        return ";".join(cell_text(v) for v in value)
    return str(value).strip()


def _clock_text(t: time) -> str:
    # Seconds are kept when present so that 08:40:30 is refused rather than silently cut.
    return f"{t:%H:%M}" if t.second == 0 and t.microsecond == 0 else f"{t:%H:%M:%S}"


def _blank(cells: Iterable[str]) -> bool:
    return all(c == "" for c in cells)


def _grid_table(label: str, grid: Iterable[tuple[int, list[str]]]) -> RawTable | InputIssue:
    """A table from numbered rows of text cells; the first non-blank row is the header."""
    rows = iter(grid)
    for _, cells in rows:
        if not _blank(cells):
            header = [c.strip().lower() for c in cells]
            break
    else:
        return InputIssue(label, None, None, None, "is empty; it needs a header row")
    table = RawTable(label, header)
    for number, cells in rows:
        if _blank(cells):
            continue
        record = {
            col: cells[k] if k < len(cells) else ""
            for k, col in reversed(list(enumerate(header)))  # the first of a repeated column wins
            if col != ""
        }
        table.stray += [
            (number, k + 1, cell)
            for k, cell in enumerate(cells)
            if cell != "" and (k >= len(header) or header[k] == "")
        ]
        if not _blank(record.values()):  # a row holding only a note beside the table
            table.records.append((number, record))
    return table


# ---- the three input forms --------------------------------------------------------------------


# Columns whose cells may hold a comma inside quotes, as CSV allows: names ("Yamamoto, Aya"),
# settings values and ids (an id may hold one, and must load back as written). In every other
# column (numbers, times, days, lists, classes) a comma is a stray quote that joined two cells.
_COMMA_TEXT = frozenset({"name", "co_teacher", "value", "school_id", "alt_id", "from", "to"})
_COMMA_FREE = {name: frozenset(cols) - _COMMA_TEXT for name, cols in COLUMNS.items()}


def _read_csv_folder(folder: Path) -> _Source:
    source = _Source(folder.resolve().name, {}, dict(TABLES))
    # Names are matched without case, as Windows and macOS do: Classes.csv is classes.csv.
    by_lower = {p.name.lower(): p for p in sorted(folder.iterdir()) if p.is_file()}
    for name, filename in TABLES.items():
        path = folder / filename
        if not path.is_file():
            path = by_lower.get(filename, path)
        if not path.is_file():
            continue
        filename = source.labels[name] = path.name
        try:
            grid = read_csv(path, filename, comma_free=_COMMA_FREE[name])
        except InstanceError as e:  # the file as a whole: its other rows cannot be trusted
            source.errors += e.issues
            continue
        table = _grid_table(filename, grid)
        if isinstance(table, RawTable):
            # In a CSV file a value past the header is nearly always a comma inside a value
            # ("Wed,Fri" for "Wed;Fri"): the row's values have shifted, so it is an error.
            source.errors += [
                InputIssue(
                    filename,
                    row,
                    f"{column} (no header)",
                    value,
                    "is past the last named column; a comma inside a value? "
                    "Put the value in quotes, or separate list items with ;",
                )
                for row, column, value in table.stray
            ]
        _add(source, name, table)
    return source


def _check_workbook(path: Path) -> None:
    """Refuse a workbook too large packed or unpacked (a zip bomb) before openpyxl opens it."""
    check_size(path)
    try:
        with zipfile.ZipFile(path) as z:
            # The sizes a zip declares bound what it unpacks to: zipfile stops at them.
            unpacked = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, OSError) as e:
        why = f"cannot be read as an xlsx workbook ({e})"
        raise InstanceError([InputIssue(path.name, None, None, None, why)]) from None
    if unpacked > MAX_UNZIPPED_BYTES:
        why = (
            f"unpacks to {unpacked / 1e6:,.0f} MB, over the {MAX_UNZIPPED_BYTES / 1e6:,.0f} MB "
            f"limit for a workbook ({LIMITS_DOC})"
        )
        raise InstanceError([InputIssue(path.name, None, None, None, why)])


def _read_workbook(path: Path) -> _Source:
    from openpyxl import load_workbook

    _check_workbook(path)
    try:
        # Read-only: rows are streamed from the file, never all held as cell objects.
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a file that is not a workbook
        raise InstanceError(
            [InputIssue(path.name, None, None, None, f"cannot be read as an xlsx workbook ({e})")]
        ) from e
    labels = {name: f"{path.name} sheet {name}" for name in TABLES}
    source = _Source(path.stem, {}, labels)
    try:
        sheets = {ws.title.strip().lower(): ws for ws in wb.worksheets}
        for name in TABLES:
            ws = sheets.get(name)
            if ws is not None:
                _read_sheet(source, name, ws)
    except InstanceError:
        raise
    except Exception as e:  # a sheet is parsed only as it is read in read-only mode
        why = f"cannot be read as an xlsx workbook ({e})"
        raise InstanceError([InputIssue(path.name, None, None, None, why)]) from e
    finally:
        wb.close()
    return source


# The last row of an Excel sheet: a workbook naming a row below it is not one Excel made.
_EXCEL_ROWS = 1_048_576


def _read_sheet(source: _Source, name: str, ws: Any) -> None:
    label = source.labels[name]
    past = f"the limit for a table ({LIMITS_DOC})"
    # The size a sheet states (Excel's used range, formatted empty rows included) refuses
    # a huge sheet before a row is read.
    if ws.max_row is not None and ws.max_row > MAX_ROWS:
        why = (
            f"reaches row {ws.max_row:,}, past row {MAX_ROWS:,}, {past}; delete the rows below "
            "the table, empty formatted ones too"
        )
        source.errors.append(InputIssue(label, None, None, None, why))
        return
    # A stated size may also be wrong: read the rows the sheet has, whatever it states.
    ws.reset_dimensions()
    header: list[str] = []
    grid: list[tuple[int, list[str]]] = []
    for number, row in enumerate(ws.iter_rows(values_only=True), 1):
        values = tuple(row[:MAX_COLUMNS])
        if any(cell_text(v).strip() for v in row[MAX_COLUMNS:]):  # never dropped unsaid
            why = f"has more than {MAX_COLUMNS} cells, the limit for a row ({LIMITS_DOC})"
            source.errors.append(InputIssue(label, number, None, None, why))
            return
        cells = [cell_text(v) for v in values]
        if number > MAX_ROWS and (not _blank(cells) or number > _EXCEL_ROWS):
            why = f"goes on past row {MAX_ROWS:,}, {past}"
            source.errors.append(InputIssue(label, number, None, None, why))
            return
        if _blank(cells):
            continue
        if not header:
            header = [c.lower() for c in cells]
        else:
            _undo_excel_dates(source, label, number, header, values, cells)
        grid.append((number, cells))
    table = _grid_table(label, grid)
    if isinstance(table, RawTable):
        # In a workbook, notes beside the table are common and shift nothing.
        source.warnings += [
            InputIssue(label, row, f"{column} (no header)", value, "has no header; ignored")
            for row, column, value in table.stray
        ]
    _add(source, name, table)


def _undo_excel_dates(
    source: _Source,
    label: str,
    number: int,
    header: list[str],
    values: tuple[object, ...],
    cells: list[str],
) -> None:
    # Excel reads a typed 1-2 as 2 January; the month and day give the class or range back.
    for k, col in enumerate(header):
        if col in _EXCEL_DATE_COLUMNS and k < len(values) and isinstance(values[k], date):
            d = values[k]
            assert isinstance(d, date)
            cells[k] = f"{d.month}-{d.day}"
            source.warnings.append(
                InputIssue(
                    label,
                    number,
                    col,
                    cells[k],
                    "was stored by Excel as a date; read back as month-day (an Excel that"
                    " reads dates day-month swapped the two: check it). Format the column"
                    " as Text",
                )
            )


def _read_mapping_file(path: Path) -> _Source:
    try:
        return _mapping_source(path)
    except RecursionError:  # PyYAML's own parser recurses per level of nesting
        why = "is nested too deeply to be read"
        raise InstanceError([InputIssue(path.name, None, None, None, why)]) from None


def _mapping_source(path: Path) -> _Source:
    data: Any
    if path.suffix.lower() == ".json":
        data = read_json(path)  # bounded, with the same messages as every JSON file
    else:
        try:
            data = _load_yaml(read_text(path), path.name)
        except InstanceError:
            raise
        except (ValueError, yaml.YAMLError) as e:
            issue = InputIssue(path.name, None, None, None, f"cannot be parsed: {e}")
            raise InstanceError([issue]) from None
    labels = {name: f"{path.name} {name}" for name in TABLES}
    source = _Source(path.stem, {}, labels)
    if not isinstance(data, dict):
        source.errors.append(
            InputIssue(path.name, None, None, None, "must hold a mapping of table names")
        )
        return source

    for key in data:
        if str(key) not in TABLES:
            source.warnings.append(
                InputIssue(path.name, None, str(key), None, "is not a table name; ignored")
            )
    for name in TABLES:
        if name not in data or data[name] is None or data[name] == "":
            continue
        body = data[name]
        label = labels[name]
        if isinstance(body, dict | list) and len(body) > MAX_ROWS:
            why = f"has more than {MAX_ROWS:,} records, the limit for a table ({LIMITS_DOC})"
            source.errors.append(InputIssue(label, None, None, None, why))
        elif name == "settings" and isinstance(body, dict):
            table = RawTable(label, ["key", "value"])
            table.records = [
                (None, {"key": str(k), "value": cell_text(v)}) for k, v in body.items()
            ]
            _add(source, name, table)
        elif name != "settings" and isinstance(body, list):
            _add(source, name, _records_table(source, name, body))
        else:
            kind = "a mapping of key: value" if name == "settings" else "a list of records"
            source.errors.append(InputIssue(label, None, None, None, f"must be {kind}"))
    return source


def _records_table(source: _Source, name: str, body: list[Any]) -> RawTable | InputIssue:
    # Each record names its own keys: a key left out is an empty cell, not a lost column.
    label = source.labels[name]
    header = list(COLUMNS[name])
    known = set(header)
    table = RawTable(label, header)
    for number, item in enumerate(body, start=1):
        if not isinstance(item, dict):
            source.errors.append(
                InputIssue(label, number, None, None, "is not a mapping of column: value")
            )
            continue
        record = {str(k).strip().lower(): cell_text(v) for k, v in item.items()}
        header.extend(k for k in record if k not in known)
        known.update(record)
        if len(header) > MAX_COLUMNS:
            why = f"has more than {MAX_COLUMNS} columns, the limit for a table ({LIMITS_DOC})"
            return InputIssue(label, number, None, None, why)
        table.records.append((number, record))
    return table


def _add(source: _Source, name: str, table: RawTable | InputIssue) -> None:
    if isinstance(table, InputIssue):
        source.errors.append(table)
        return
    # Cells of every form are bounded alike (a CSV file's were checked as it was read).
    too_long = [
        issue
        for number, record in table.records
        for column, value in record.items()
        if (issue := cell_issue(table.label, number, column, value)) is not None
    ]
    if too_long:
        source.errors += too_long
    else:
        source.tables[name] = table


# ---- cells --------------------------------------------------------------------------------------

_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::00)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class _CellError(ValueError):
    """A cell that cannot be parsed; the message completes the sentence 'value ...'."""


def _parse_time(text: str) -> time:
    m = _TIME.fullmatch(text)
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise _CellError("is not a time HH:MM (24-hour, e.g. 08:40)")
    return time(int(m.group(1)), int(m.group(2)))


def _parse_date(text: str) -> date:
    try:
        if not _DATE.fullmatch(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise _CellError("is not a date YYYY-MM-DD") from None


def _items(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split(";") if p.strip())


def _parse_days(text: str) -> tuple[str, ...]:
    # Day names are matched without case (mon, MON); pydantic reports anything else.
    by_lower = {d.lower(): d for d in DAYS}
    return tuple(by_lower.get(p.lower(), p) for p in _items(text))


def _parse_day(text: str) -> str:
    return {d.lower(): d for d in DAYS}.get(text.lower(), text)


def _parse_levels(text: str) -> tuple[str, ...]:
    by_lower = {lv.lower(): lv for lv in LEVELS}
    return tuple(by_lower.get(p.lower(), p) for p in _items(text))


def _parse_level(text: str) -> str:
    return {lv.lower(): lv for lv in LEVELS}.get(text.lower(), text)


def _parse_periods(text: str) -> tuple[int, ...]:
    try:
        return parse_periods(text)
    except ValueError as e:
        raise _CellError(str(e)) from None


def _parse_day_or_date(text: str) -> str | date:
    if text[:1].isdigit():
        return _parse_date(text)
    day = {d.lower(): d for d in DAYS}.get(text.lower())
    if day is None:
        raise _CellError("is not a weekday (Mon..Fri) or a date YYYY-MM-DD")
    return day


def _parse_timezone(text: str) -> str:
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise _CellError("is not an IANA time zone like Asia/Tokyo") from None
    return text


Parser = Callable[[str], object]

# Cells that need more than pydantic's own parsing of a string; the rest go to pydantic as text.
_PARSERS: dict[str, dict[str, Parser]] = {
    "settings": {
        "term_start": _parse_date,
        "term_end": _parse_date,
        "day_start": _parse_time,
        "day_end": _parse_time,
        "timezone": _parse_timezone,
    },
    "schools": {"level": _parse_level},
    "bells": {"start": _parse_time, "end": _parse_time, "days": _parse_days},
    "classes": {},
    "alts": {"levels": _parse_levels, "unavailable": _parse_days},
    "blocked": {"day": _parse_day_or_date, "periods": _parse_periods},
    "travel": {},
    "pins": {"day": _parse_day},
}
_MODELS: dict[str, type[BaseModel]] = {
    "schools": School,
    "bells": Bell,
    "classes": SchoolClass,
    "alts": Alt,
    "blocked": Blocked,
    "travel": Travel,
    "pins": Pin,
}
# Which column a whole-row (model validator) error is about.
_ROW_RULE_COLUMN: dict[str, str] = {"bells": "end", "alts": "min_lessons"}


def _num(x: object) -> str:
    return str(int(x)) if isinstance(x, float) and x.is_integer() else str(x)


def _plain_message(err: Mapping[str, Any]) -> str:
    """Plain English for one pydantic error; completes the sentence 'value ...'."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return "is not a whole number"
    if kind in ("float_parsing", "float_type", "finite_number"):
        return "is not a number"
    if kind == "greater_than_equal":
        return f"must be at least {_num(ctx['ge'])}"
    if kind == "greater_than":
        return f"must be more than {_num(ctx['gt'])}"
    if kind == "less_than_equal":
        return f"must be at most {_num(ctx['le'])}"
    if kind == "less_than":
        return f"must be less than {_num(ctx['lt'])}"
    if kind == "literal_error":
        options = str(ctx.get("expected", "")).replace("'", "")
        return f"is not one of {options}"
    if kind in ("missing", "string_too_short"):
        return "is empty, but a value is required"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    return str(err["msg"])


def _validate_rows(
    name: str, table: RawTable, errors: list[InputIssue]
) -> tuple[list[BaseModel], list[int]]:
    """Validate every record of a table; returns the models and their row numbers."""
    model = _MODELS[name]
    missing = {c for c in REQUIRED_COLUMNS[name] if c not in table.header}
    parsers = _PARSERS[name]
    out: list[BaseModel] = []
    rows: list[int] = []
    for number, record in table.records:
        data: dict[str, object] = {}
        row_errors: dict[str, InputIssue] = {}
        for col in COLUMNS[name]:
            text = record.get(col, "")
            if text == "":
                continue
            try:
                data[col] = parsers[col](text) if col in parsers else text
            except _CellError as e:
                row_errors[col] = InputIssue(table.label, number, col, text, str(e))
        try:
            out.append(model.model_validate(data))
            rows.append(number or 0)
        except ValidationError as e:
            for err in e.errors():
                loc = err["loc"]
                col = str(loc[0]) if loc else _ROW_RULE_COLUMN[name]
                if col in row_errors or col in missing:
                    continue  # one issue per cell; a missing column is reported once
                value = str(err["input"]) if len(loc) > 1 else record.get(col) or None
                row_errors[col] = InputIssue(table.label, number, col, value, _plain_message(err))
        errors.extend(row_errors.values())
    return out, rows


def _read_settings(
    table: RawTable, errors: list[InputIssue], warnings: list[InputIssue]
) -> Settings:
    """Settings from key,value rows."""
    parsers = _PARSERS["settings"]
    data: dict[str, object] = {}
    raw: dict[str, str] = {}
    key_rows: dict[str, int | None] = {}
    for number, record in table.records:
        key, text = record.get("key", "").strip().lower(), record.get("value", "")
        if key == "":
            errors.append(InputIssue(table.label, number, "key", None, "is empty"))
            continue
        if key not in Settings.model_fields:
            warnings.append(
                InputIssue(table.label, number, "key", key, "is not a known setting; ignored")
            )
            continue
        if key in key_rows:
            errors.append(InputIssue(table.label, number, "key", key, "is given twice"))
            continue
        key_rows[key] = number
        if text == "":
            continue  # an empty value keeps the default
        raw[key] = text
        try:
            data[key] = parsers[key](text) if key in parsers else text
        except _CellError as e:
            errors.append(InputIssue(table.label, number, key, text, str(e)))
    try:
        return Settings.model_validate(data)
    except ValidationError as e:
        for err in e.errors():
            key = str(err["loc"][0])
            errors.append(
                InputIssue(table.label, key_rows.get(key), key, raw.get(key), _plain_message(err))
            )
        return Settings()


def _check_header(name: str, table: RawTable, errors: list[InputIssue]) -> list[InputIssue]:
    """Missing and repeated columns are errors; extra columns come back as warnings."""
    known = COLUMNS[name]
    seen: set[str] = set()
    extra: list[InputIssue] = []
    for col in table.header:
        if col == "":
            continue
        if col in seen:
            errors.append(InputIssue(table.label, None, col, None, "appears twice in the header"))
        seen.add(col)
        if col not in known:
            extra.append(
                InputIssue(table.label, None, col, None, "is not a known column; ignored")
            )
    for col in REQUIRED_COLUMNS[name]:
        if col not in seen:
            errors.append(
                InputIssue(table.label, None, col, None, "is a required column, missing")
            )
    return extra


def _build(source: _Source) -> tuple[Instance, dict[str, list[int]], list[InputIssue]]:
    """Validate the raw tables into an instance; raise every row-level error at once."""
    errors = list(source.errors)
    warnings = list(source.warnings)
    for name in REQUIRED_TABLES:
        if name not in source.tables and not any(i.file == source.labels[name] for i in errors):
            errors.append(
                InputIssue(source.labels[name], None, None, None, "is missing; it is required")
            )
    settings = Settings()
    if "settings" in source.tables:
        table = source.tables["settings"]
        warnings += _check_header("settings", table, errors)
        if not any(i.file == table.label and i.row is None for i in errors):
            settings = _read_settings(table, errors, warnings)
    parts: dict[str, list[BaseModel]] = {}
    rows: dict[str, list[int]] = {}
    for name in _MODELS:
        table_or_none = source.tables.get(name)
        if table_or_none is None:
            continue
        warnings += _check_header(name, table_or_none, errors)
        parts[name], rows[name] = _validate_rows(name, table_or_none, errors)
    if errors:
        raise InstanceError(errors)
    if not settings.branch:
        settings = settings.model_copy(update={"branch": source.branch})
    inst = Instance(settings=settings, **{k: tuple(v) for k, v in parts.items()})
    return inst, rows, warnings


def _relabel(
    issues: list[InputIssue], source: _Source, key_rows: dict[str, int]
) -> list[InputIssue]:
    """Name each issue's table as this form does, and give settings issues their key's row."""
    files = {TABLES[name]: label for name, label in source.labels.items()}
    out = []
    for issue in issues:
        if issue.file == TABLES["settings"] and issue.row is None and issue.column in key_rows:
            issue = replace(issue, row=key_rows[issue.column])
        out.append(replace(issue, file=files.get(issue.file, issue.file)))
    return out


def load_instance(path: Path) -> tuple[Instance, list[InputIssue]]:
    """Load a branch instance and the warnings about it.

    Parameters
    ----------
    path
        A folder of CSV files, an ``.xlsx`` workbook (sheet names = table names), or a
        ``.yaml``/``.yml``/``.json`` file holding the pydantic dump of an instance.

    Returns
    -------
    tuple[Instance, list[InputIssue]]
        The validated instance and the warnings (suspicious but legal data, extra columns,
        unknown settings), sorted by file and row.

    Raises
    ------
    InstanceError
        With every error found: unreadable or missing files, bad cells, broken references.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if path.is_dir():
        source = _read_csv_folder(path)
    elif path.is_file() and suffix == ".xlsx":
        source = _read_workbook(path)
    elif path.is_file() and suffix in (".yaml", ".yml", ".json"):
        source = _read_mapping_file(path)
    elif not path.exists():
        raise InstanceError([InputIssue(str(path), None, None, None, "does not exist")])
    else:
        raise InstanceError(
            [
                InputIssue(
                    str(path),
                    None,
                    None,
                    None,
                    "is neither a folder of CSV files nor an .xlsx, .yaml, .yml or .json file",
                )
            ]
        )
    inst, rows, own_warnings = _build(source)
    key_rows = _settings_key_rows(source)
    problems = reference_issues(inst, rows)
    if not problems and inst.pins:
        from scheduler.replan.pins import pin_issues  # the pins' rules need a sound branch

        problems = pin_issues(inst, rows)
    if problems:
        raise InstanceError(_relabel(problems, source, key_rows))
    warnings = own_warnings + _relabel(warnings_for(inst, rows), source, key_rows)
    return inst, sorted(warnings, key=lambda i: (i.file, i.row or 0, i.column or ""))


def _settings_key_rows(source: _Source) -> dict[str, int]:
    table = source.tables.get("settings")
    if table is None:
        return {}
    out: dict[str, int] = {}
    for number, record in table.records:
        key = record.get("key", "").strip().lower()
        if number is not None and key and key not in out:
            out[key] = number
    return out
