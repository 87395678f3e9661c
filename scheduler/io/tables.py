"""The contract tables of an instance, and writing them as CSV, xlsx, YAML or JSON.

:func:`instance_to_tables` is the one place that turns an :class:`~scheduler.instance.Instance`
back into the spreadsheet form of ``instance-format.md``; :func:`write_instance` only chooses
the container. Output is byte-deterministic: the same instance always gives the same bytes, so
a generator can promise "same seed, same files".
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from scheduler.instance import TABLES, Instance, Settings
from scheduler.io.cells import xlsx_cell
from scheduler.io.write import write_bytes_atomic

# Columns of each table, in contract order; the reader uses the same lists.
COLUMNS: dict[str, tuple[str, ...]] = {
    "settings": ("key", "value"),
    "schools": ("school_id", "name", "level", "lat", "lon", "max_alts_per_day"),
    "bells": ("school_id", "period", "start", "end", "days"),
    "classes": ("school_id", "class", "alt_lessons", "co_teacher"),
    "alts": (
        "alt_id",
        "name",
        "home_lat",
        "home_lon",
        "levels",
        "min_lessons",
        "max_lessons",
        "max_lessons_per_day",
        "unavailable",
    ),
    "blocked": ("school_id", "class", "day", "periods"),
    "travel": ("from", "to", "minutes"),
    "pins": ("alt_id", "school_id", "day", "class", "period"),
}
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "settings": ("key", "value"),
    "schools": ("school_id", "name", "level", "lat", "lon"),
    "bells": ("school_id", "period", "start", "end"),
    "classes": ("school_id", "class", "alt_lessons"),
    "alts": ("alt_id", "name", "home_lat", "home_lon"),
    "blocked": ("school_id", "day"),
    "travel": ("from", "to", "minutes"),
    "pins": ("alt_id", "school_id"),
}
REQUIRED_TABLES: tuple[str, ...] = ("schools", "bells", "classes", "alts")
OPTIONAL_TABLES: tuple[str, ...] = ("settings", "blocked", "travel", "pins")

# Fixed stamp for workbook metadata and zip entries, so two writes give the same bytes.
_EPOCH = datetime(2000, 1, 1)
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)

Cell = str | int | float | None


def hhmm(t: time) -> str:
    """A clock time as ``HH:MM``."""
    return f"{t:%H:%M}"


def format_periods(periods: Iterable[int]) -> str:
    """Period numbers as the contract writes them: ``1;3;5-6`` (consecutive runs as ranges)."""
    nums = sorted(set(periods))
    parts: list[str] = []
    i = 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        parts.append(str(nums[i]) if i == j else f"{nums[i]}-{nums[j]}")
        i = j + 1
    return ";".join(parts)


def _join(items: Iterable[str]) -> str:
    return ";".join(items)


def _setting_cell(value: object) -> Cell:
    if isinstance(value, time):
        return hhmm(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str | int | float) or value is None:
        return value
    return str(value)


def _settings_rows(s: Settings) -> list[list[Cell]]:
    # Branch always, so a renamed folder keeps its display name; other keys only when changed.
    rows: list[list[Cell]] = [["branch", s.branch]]
    defaults = Settings()
    for name in Settings.model_fields:
        value = getattr(s, name)
        if name != "branch" and value != getattr(defaults, name):
            rows.append([name, _setting_cell(value)])
    return rows


def instance_to_tables(inst: Instance) -> dict[str, pd.DataFrame]:
    """The contract tables of an instance, one DataFrame per table.

    Parameters
    ----------
    inst
        The instance to convert.

    Returns
    -------
    dict[str, pandas.DataFrame]
        Keyed by table name (``settings``, ``schools``, ... as in ``TABLES`` without
        ``.csv``), columns exactly as the contract, object dtype: numbers stay numbers, lists
        are joined with ``;``, periods are written as ranges (``5-6``), times as ``HH:MM``
        and empty optional cells are ``None``. ``settings`` holds ``key, value`` rows: the
        branch and every value that differs from its default.
    """
    rows: dict[str, list[list[Cell]]] = {
        "settings": _settings_rows(inst.settings),
        "schools": [
            [s.school_id, s.name, s.level, s.lat, s.lon, s.max_alts_per_day] for s in inst.schools
        ],
        "bells": [
            [b.school_id, b.period, hhmm(b.start), hhmm(b.end), _join(b.days)] for b in inst.bells
        ],
        "classes": [[c.school_id, c.class_, c.alt_lessons, c.co_teacher] for c in inst.classes],
        "alts": [
            [
                a.alt_id,
                a.name,
                a.home_lat,
                a.home_lon,
                _join(a.levels),
                a.min_lessons,
                a.max_lessons,
                a.max_lessons_per_day,
                _join(a.unavailable) or None,
            ]
            for a in inst.alts
        ],
        "blocked": [
            [
                b.school_id,
                b.class_,
                b.day.isoformat() if isinstance(b.day, date) else b.day,
                None if b.periods is None else format_periods(b.periods),
            ]
            for b in inst.blocked
        ],
        "travel": [[t.from_, t.to, t.minutes] for t in inst.travel],
        "pins": [[p.alt_id, p.school_id, p.day, p.class_, p.period] for p in inst.pins],
    }
    return {
        name: pd.DataFrame(rows[name], columns=list(COLUMNS[name]), dtype=object)
        for name in TABLES
    }


def _text(value: object) -> str:
    # repr keeps every digit of a float, so a reload gives the very same number.
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def table_to_csv(df: pd.DataFrame) -> str:
    """A table as CSV text: header row, ``\\n`` line ends, empty cells for ``None``."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(list(df.columns))
    for record in df.itertuples(index=False, name=None):
        writer.writerow([_text(v) for v in record])
    return buf.getvalue()


def _tables_to_write(inst: Instance) -> dict[str, pd.DataFrame]:
    tables = instance_to_tables(inst)
    return {name: df for name, df in tables.items() if name not in OPTIONAL_TABLES or len(df) > 0}


def _write_csv_folder(inst: Instance, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tables = _tables_to_write(inst)
    for name, filename in TABLES.items():
        target = folder / filename
        if name in tables:
            write_bytes_atomic(target, table_to_csv(tables[name]).encode("utf-8"))
        elif target.exists():
            # A stale optional table from an earlier write would change what loads back.
            target.unlink()


def _workbook_bytes(inst: Instance) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, df in _tables_to_write(inst).items():
        ws = wb.create_sheet(name)
        ws.append(list(df.columns))
        for r, record in enumerate(df.itertuples(index=False, name=None), start=2):
            for c, v in enumerate(record, start=1):
                if _text(v) == "":
                    continue
                xlsx_cell(ws, r, c, v)  # a name like "=0" is text, never a formula
        ws.freeze_panes = "A2"
    wb.properties.created = _EPOCH
    wb.properties.creator = "altsched"
    raw = io.BytesIO()
    wb.save(raw)
    return _normalise_zip(raw.getvalue())


def _normalise_zip(data: bytes) -> bytes:
    # openpyxl stamps the save time into docProps/core.xml and every zip entry.
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>2000-01-01T00:00:00Z\g<2>",
                    body,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, body)
    return out.getvalue()


def instance_to_dict(inst: Instance) -> dict[str, Any]:
    """The pydantic dump used for YAML and JSON (aliases such as ``class`` and ``from``)."""
    return inst.model_dump(mode="json", by_alias=True)


def write_instance(inst: Instance, path: Path) -> None:
    """Write an instance in the form its path asks for.

    Parameters
    ----------
    inst
        The instance to write.
    path
        ``*.xlsx``: one workbook, a sheet per table; ``*.yaml``/``*.yml``/``*.json``: the
        pydantic dump; an existing folder or a path without suffix: a folder of CSV files.
        Optional tables (``blocked``, ``travel``) are left out when empty.

    Raises
    ------
    ValueError
        If the suffix names none of these forms.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if path.is_dir() or suffix == "":
        _write_csv_folder(inst, path)
    elif suffix == ".xlsx":
        write_bytes_atomic(path, _workbook_bytes(inst))
    elif suffix in (".yaml", ".yml"):
        text = yaml.safe_dump(
            instance_to_dict(inst), allow_unicode=True, sort_keys=False, default_flow_style=None
        )
        write_bytes_atomic(path, text.encode("utf-8"))
    elif suffix == ".json":
        text = json.dumps(instance_to_dict(inst), ensure_ascii=False, indent=2) + "\n"
        write_bytes_atomic(path, text.encode("utf-8"))
    else:
        raise ValueError(
            f"{path.name}: cannot write an instance as {suffix!r}; "
            "use a folder, .xlsx, .yaml, .yml or .json"
        )


__all__ = [
    "COLUMNS",
    "OPTIONAL_TABLES",
    "REQUIRED_COLUMNS",
    "REQUIRED_TABLES",
    "format_periods",
    "hhmm",
    "instance_to_dict",
    "instance_to_tables",
    "table_to_csv",
    "write_instance",
]
