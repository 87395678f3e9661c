"""Write a solve's outputs: assignments, unmet needs, the report and the weekly grids.

Everything here is a pure function of (instance, result, KPIs): the same inputs always give
the same bytes. :func:`write_outputs` writes into a fresh sibling folder and swaps it into
place, so an output folder is always either the complete old one or the complete new one.
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
import shutil
import socket
import tempfile
import time as clock
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date, time
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pandas as pd

from scheduler import signals
from scheduler.bounds.words import unmet_report
from scheduler.config import MAX_ASSIGNMENT_ROWS, Weights
from scheduler.errors import InputIssue, InstanceError
from scheduler.instance import DAYS, Instance
from scheduler.io.cells import frame_csv
from scheduler.io.html import Entry, Grid, Link, grid_csv, grid_html, index_html
from scheduler.io.names import FEEDS_FOLDER, FEEDS_SOURCE, feed_files, file_stems
from scheduler.io.textfile import read_csv, read_json
from scheduler.result import Lesson, Result

UNMET_COLUMNS = ["school_id", "class", "missing"]
UNMET_REASON = "reason"
TIMETABLES = "timetables"
# What a previous run leaves in an output folder: these files at the top, and in these folders
# only files of these kinds (grids; calendar feeds and the instance they were made from).
# Anything else is the user's, and a folder holding it is never replaced.
OUTPUT_FILES = frozenset({"assignments.csv", "unmet.csv", "report.json", "index.html"})
# What `altsched calendar DIR` adds to an output folder (they describe its timetable).
CALENDAR_FILES = frozenset({"lessons.csv", "lost.csv"})
# What `altsched report DIR` adds: a printable view of the same timetable, made again on
# demand, so a new solve into DIR replaces it with the rest (scheduler/io/report.py).
REPORT_FILES = frozenset({"report.html", "report.xlsx"})
LEVEL_NAMES = {"elementary": "elementary school", "junior_high": "junior high school"}


# ---- grids ---------------------------------------------------------------------------------


def _hhmm(t: time) -> str:
    return f"{t:%H:%M}"


def _span(start: time, end: time) -> str:
    return f"{_hhmm(start)}-{_hhmm(end)}"


def _class_order(class_: str) -> tuple[int, ...] | tuple[float, str]:
    # Natural order, so 10-1 sorts after 2-1; odd names go last, alphabetically.
    m = re.fullmatch(r"(\d+)-(\d+)", class_)
    return (int(m.group(1)), int(m.group(2))) if m else (math.inf, class_)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def alt_grid(instance: Instance, lessons: Sequence[Lesson], alt_id: str) -> Grid:
    """The weekly grid of one ALT.

    Bells differ between schools, so rows are the distinct (start, end) slots the ALT
    teaches in, sorted by time and labelled ``08:45-09:30``; a cell reads ``1-1 Sakura ES``.
    An ALT without lessons gets a grid without rows.
    """
    alt = instance.alt_by_id.get(alt_id)
    mine = [ls for ls in lessons if ls.alt_id == alt_id]
    slots = sorted({(ls.start, ls.end) for ls in mine})
    cells: list[list[list[Entry]]] = [[[] for _ in DAYS] for _ in slots]
    for ls in sorted(mine, key=lambda x: (x.school_id, _class_order(x.class_))):
        school = instance.school_by_id.get(ls.school_id)
        name = school.name if school else ls.school_id
        entry = Entry(f"{ls.class_} {name}", f"period {ls.period}, {_span(ls.start, ls.end)}")
        cells[slots.index((ls.start, ls.end))][DAYS.index(ls.day)].append(entry)
    off = alt.unavailable if alt else ()
    closed = {(i, DAYS.index(d)): "day off" for i in range(len(slots)) for d in off}
    schools = {ls.school_id for ls in mine}
    subtitle = f"{_plural(len(mine), 'lesson')} a week at {_plural(len(schools), 'school')}"
    if off:
        subtitle += f"; day off: {', '.join(off)}"
    return Grid(
        title=f"{alt.name} ({alt_id})" if alt else alt_id,
        subtitle=subtitle,
        label_columns=("time",),
        labels=tuple((_span(s, e),) for s, e in slots),
        cells=_freeze(cells),
        closed=closed,
    )


def school_grid(instance: Instance, lessons: Sequence[Lesson], school_id: str) -> Grid:
    """The weekly grid of one school: a row per period, a cell reads ``1-1 Anna Smith``.

    Cells where the period does not exist that day, or a weekly blocked row closes it for the
    whole school, are marked closed.
    """
    school = instance.school_by_id.get(school_id)
    here = [ls for ls in lessons if ls.school_id == school_id]
    times, exists = _school_periods(instance, school_id) if school else ({}, set())
    for ls in here:
        times.setdefault(ls.period, [_span(ls.start, ls.end)])
    periods = sorted(times)
    need = sum(c.alt_lessons for c in instance.classes_of.get(school_id, []))
    level = LEVEL_NAMES.get(school.level, school.level) if school else "school"
    return Grid(
        title=f"{school.name} ({school_id})" if school else school_id,
        subtitle=f"{level.capitalize()}; {len(here)} of {need} ALT lessons a week",
        label_columns=("period", "time"),
        labels=tuple((str(p), " / ".join(times[p])) for p in periods),
        cells=_freeze(_school_cells(instance, here, periods)),
        closed=_school_closed(instance, school_id, periods, exists),
        empty_note="No periods and no lessons.",
    )


def _school_periods(
    instance: Instance, school_id: str
) -> tuple[dict[int, list[str]], set[tuple[int, int]]]:
    """The bell times of each period number (one per distinct time, in weekday order) and
    the (period number, day index) pairs that exist at the school."""
    times: dict[int, list[str]] = {}
    exists: set[tuple[int, int]] = set()
    for j, day in enumerate(DAYS):
        for p in instance.periods(school_id, day):
            span = _span(p.start, p.end)
            if span not in times.setdefault(p.period, []):
                times[p.period].append(span)
            exists.add((p.period, j))
    return times, exists


def _school_cells(
    instance: Instance, here: Sequence[Lesson], periods: Sequence[int]
) -> list[list[list[Entry]]]:
    """The school's lessons by period row and day, by class then ALT within a cell."""
    cells: list[list[list[Entry]]] = [[[] for _ in DAYS] for _ in periods]
    for ls in sorted(here, key=lambda x: (_class_order(x.class_), x.alt_id)):
        alt = instance.alt_by_id.get(ls.alt_id)
        entry = Entry(f"{ls.class_} {alt.name if alt else ls.alt_id}")
        cells[periods.index(ls.period)][DAYS.index(ls.day)].append(entry)
    return cells


def _school_closed(
    instance: Instance, school_id: str, periods: Sequence[int], exists: set[tuple[int, int]]
) -> dict[tuple[int, int], str]:
    """Cells with no such period that day, or blocked for the whole school every week."""
    blocked = _school_blocked(instance, school_id)
    closed: dict[tuple[int, int], str] = {}
    for i, number in enumerate(periods):
        for j, day in enumerate(DAYS):
            if (number, j) not in exists:
                closed[(i, j)] = "no period"
            elif (day, None) in blocked or (day, number) in blocked:
                closed[(i, j)] = "blocked"
    return closed


def _school_blocked(instance: Instance, school_id: str) -> set[tuple[str, int | None]]:
    # Weekly rows for the whole school only: a blocked class leaves the period open to others.
    out: set[tuple[str, int | None]] = set()
    for b in instance.blocked:
        if b.school_id == school_id and b.class_ is None and isinstance(b.day, str):
            out.update((b.day, p) for p in (b.periods if b.periods is not None else [None]))
    return out


def _freeze(cells: list[list[list[Entry]]]) -> tuple[tuple[tuple[Entry, ...], ...], ...]:
    return tuple(tuple(tuple(cell) for cell in row) for row in cells)


# ---- tables and report ---------------------------------------------------------------------


def _csv(df: pd.DataFrame) -> str:
    # assignments.csv only: a contract other tools read back, so its cells are written as
    # they are (ids cannot start a formula, scheduler.text.id_problem); files only people
    # open go through frame_csv.
    return df.to_csv(index=False, lineterminator="\n")


def unmet_csv(unmet: pd.DataFrame) -> str:
    """``school_id, class, missing, reason`` for every row with something missing (header only
    if none); the reason is empty when the frame has none. Text that would start a
    spreadsheet formula starts with ``'``."""
    absent = [c for c in UNMET_COLUMNS if c not in unmet.columns]
    if absent:
        raise ValueError(f"unmet frame lacks columns {absent}")
    rows = unmet.loc[unmet["missing"] > 0, UNMET_COLUMNS].copy()
    rows["missing"] = rows["missing"].astype(int)
    # The reason comes last: a documented extension, the first columns stay as they were.
    reason = unmet["reason"] if "reason" in unmet.columns else pd.Series("", index=unmet.index)
    rows[UNMET_REASON] = reason.loc[rows.index].fillna("").astype(str)
    return frame_csv(rows)


def _with_reasons(
    instance: Instance, result: Result, unmet: pd.DataFrame, seconds: float | None
) -> tuple[pd.DataFrame, dict[str, str]]:
    # Every solve says why each class is short and each ALT under floor
    # (scheduler.explain; docs/explain.md), unless the caller gave the reasons; within
    # ``seconds`` (None: the explainer's own allowance).
    if UNMET_REASON in unmet.columns:
        return unmet, {}
    from scheduler.explain.timetable import WRITE_SECONDS, written_reasons

    short = unmet.loc[unmet["missing"] > 0]
    return written_reasons(
        instance, result.lessons, short, WRITE_SECONDS if seconds is None else seconds
    )


def _plain(value: Any) -> Any:
    # JSON has no NaN, numpy scalars or dates: turn them into what a reader expects.
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if hasattr(value, "item") and callable(value.item):  # numpy and pandas scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Path):
        return value.as_posix()
    return value


def report_dict(
    instance: Instance,
    result: Result,
    score_kpis: dict[str, Any],
    floor_reasons: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The content of ``report.json``: solver statistics, penalties, KPIs, instance counts and
    the penalty breakdown per ALT, school and class (``scheduler.explain.penalties``), an ALT
    under floor with its ``reason`` when ``floor_reasons`` gives one."""
    from scheduler.explain.penalties import breakdown

    gap = result.gap
    weights = Weights.model_validate({**Weights.default().model_dump(), **result.weights})
    costs = breakdown(instance, result.assignments, weights).as_dict()
    reasons = floor_reasons or {}
    for rec in costs["alts"]:
        if reasons.get(rec["alt_id"]):
            rec["reason"] = reasons[rec["alt_id"]]
    # A re-plan's counts (--previous): kept, moved and added lessons, per ALT and school.
    extension: dict[str, Any] = {} if result.replan is None else {"changes": result.replan}
    # The unmet lessons against the coverage bound, when the caller computed it.
    if result.most_lessons is not None:
        unmet = instance.need() - len(result.lessons)
        extension["coverage_bound"] = unmet_report(unmet, instance.need(), result.most_lessons)
    return _plain(
        {
            **extension,
            "status": result.status,
            "method": result.method,
            "objective": result.objective,
            "bound": result.bound,
            "gap": None if gap is None else round(gap, 6),
            "seconds": round(result.seconds, 3),
            "penalties": dict(sorted(result.penalties.items())),
            "weights": dict(sorted(result.weights.items())),
            "notes": list(result.notes),
            "kpis": score_kpis,
            "breakdown": costs,
            "instance": {
                "branch": instance.settings.branch,
                "schools": len(instance.schools),
                "classes": len(instance.classes),
                "alts": len(instance.alts),
                "lessons_needed": instance.need(),
                "lessons_assigned": len(result.lessons),
            },
        }
    )


def report_json(
    instance: Instance,
    result: Result,
    score_kpis: dict[str, Any],
    floor_reasons: dict[str, str] | None = None,
) -> str:
    """``report.json`` text: sorted keys, indent 2, UTF-8 characters kept as they are."""
    data = report_dict(instance, result, score_kpis, floor_reasons)
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# ---- the output folder ---------------------------------------------------------------------


def _ids(declared: Iterable[str], seen: Iterable[str]) -> list[str]:
    # Input order first; ids only the result knows (should not happen) still get a grid.
    first = list(declared)
    return first + sorted(set(seen) - set(first))


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8", newline="\n")


def _write_all(
    instance: Instance,
    result: Result,
    score_kpis: dict[str, Any],
    unmet: pd.DataFrame,
    folder: Path,
    reason_seconds: float | None = None,
) -> None:
    lessons = list(result.lessons)
    _write(folder / "assignments.csv", _csv(result.assignments))
    unmet, floor_reasons = _with_reasons(instance, result, unmet, reason_seconds)
    _write(folder / "unmet.csv", unmet_csv(unmet))
    _write(folder / "report.json", report_json(instance, result, score_kpis, floor_reasons))
    grids = folder / TIMETABLES
    grids.mkdir()
    used: set[str] = set()
    alt_ids = _ids((a.alt_id for a in instance.alts), (ls.alt_id for ls in lessons))
    school_ids = _ids((s.school_id for s in instance.schools), (ls.school_id for ls in lessons))
    alt_stems = file_stems(alt_ids, "", used)
    school_stems = file_stems(school_ids, "school-", used)
    alt_links: list[Link] = []
    school_links: list[Link] = []
    # Each grid gets its own lessons, grouped in one pass (in their order): a grid filters
    # what it is given, and scanning the whole timetable for each of 400 schools was slow.
    of_alt: dict[str, list[Lesson]] = defaultdict(list)
    of_school: dict[str, list[Lesson]] = defaultdict(list)
    for ls in lessons:
        of_alt[ls.alt_id].append(ls)
        of_school[ls.school_id].append(ls)
    for ids, stems, build, links, of in (
        (alt_ids, alt_stems, alt_grid, alt_links, of_alt),
        (school_ids, school_stems, school_grid, school_links, of_school),
    ):
        for id_ in ids:
            grid = build(instance, of.get(id_, []), id_)
            _write(grids / f"{stems[id_]}.csv", grid_csv(grid))
            _write(grids / f"{stems[id_]}.html", grid_html(grid, index_href="../index.html"))
            links.append(Link(f"{TIMETABLES}/{quote(stems[id_])}.html", grid.title, grid.subtitle))
    st = instance.settings
    title = f"{st.branch} timetables" if st.branch else "Timetables"
    subtitle = f"{result.status}; {len(lessons)} of {instance.need()} lessons a week"
    if st.term_start and st.term_end:
        subtitle += f"; term {st.term_start} to {st.term_end}"
    data = [Link(n, n) for n in ("assignments.csv", "unmet.csv", "report.json")]
    sections = [("ALTs", alt_links), ("Schools", school_links), ("Data", data)]
    _write(folder / "index.html", index_html(title, subtitle, sections))


def refusal(out_dir: Path) -> str | None:
    """Why ``out_dir`` may not be replaced, or None when it is absent or a previous output."""
    unwritable = _unwritable_parent(out_dir)
    if unwritable is not None:
        return unwritable
    if not out_dir.exists() and not out_dir.is_symlink():
        return None
    if out_dir.is_symlink() or not out_dir.is_dir():
        return "exists and is not a plain folder (a file or a link)"
    here = Path.cwd().resolve()
    target = out_dir.resolve()
    if target == here or target in here.parents:
        return "holds the current folder; choose another --out folder"
    strangers = _strangers(out_dir)
    if not strangers:
        return None
    more = f" and {len(strangers) - 3} more" if len(strangers) > 3 else ""
    return (
        f"holds files that are not altsched outputs ({', '.join(strangers[:3])}{more}); "
        "they would be lost: choose another --out folder or move them"
    )


def _unwritable_parent(out_dir: Path) -> str | None:
    """Why the outputs cannot be written beside ``out_dir`` (they are first written into a
    sibling folder), found before the search rather than after it."""
    place = out_dir.absolute().parent
    while not place.exists() and place != place.parent:
        place = place.parent
    if not place.is_dir():
        return f"cannot be made: {place} is a file, not a folder"
    try:
        os.rmdir(tempfile.mkdtemp(prefix=f"{_sibling_prefix(out_dir, 'probe')}-", dir=place))
    except OSError as e:
        return f"cannot be written: {e.strerror or e} ({place})"
    return None


def _strangers(out_dir: Path) -> list[str]:
    """Paths in ``out_dir`` (relative to it) that no altsched command wrote.

    Grids count as ours when the earlier ``index.html`` links to them, feeds when they bear
    the name of an ALT or school of the instance in ``ical/source.json``; a user's
    ``timetables/A01-notes.csv`` or ``ical/holidays.ics`` is theirs.
    """
    found = []
    for path in sorted(out_dir.iterdir()):
        plain = not path.is_symlink()
        if path.name in OUTPUT_FILES | CALENDAR_FILES | REPORT_FILES and plain and path.is_file():
            continue
        if path.name in (TIMETABLES, FEEDS_FOLDER) and plain and path.is_dir():
            ours = _grid_files(out_dir) if path.name == TIMETABLES else _feed_files(path)
            found += [
                f"{path.name}/{inner.name}"
                for inner in sorted(path.iterdir())
                if inner.is_symlink() or not inner.is_file() or inner.name not in ours
            ]
            continue
        found.append(path.name)
    return found


def _grid_files(out_dir: Path) -> set[str]:
    """The grid files an earlier solve wrote: those its index page links to (and each one's
    CSV twin)."""
    try:
        index = (out_dir / "index.html").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return set()
    stems = {unquote(m) for m in re.findall(rf'href="{TIMETABLES}/([^"/]+)\.html"', index)}
    return {f"{stem}{kind}" for stem in stems for kind in (".csv", ".html")}


def _feed_files(folder: Path) -> set[str]:
    """The feed files written for the instance kept in ``folder/source.json``."""
    try:
        data = read_json(folder / FEEDS_SOURCE)  # bounded: a runaway file is not read whole
        alts = [str(a["alt_id"]) for a in data.get("alts", [])]
        schools = [str(s["school_id"]) for s in data.get("schools", [])]
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return set()
    return {FEEDS_SOURCE, *feed_files(alts, schools).values()}


# ---- replace or keep ------------------------------------------------------------------------

# Where a run writes when it may not replace --out: a visible sibling, DIR.new.
NEW_SUFFIX = ".new"
# A timetable: the statuses with lessons to give (INFEASIBLE and UNKNOWN have none).
TIMETABLE_STATUSES = frozenset({"OPTIMAL", "FEASIBLE"})


def new_sibling(out_dir: Path) -> Path:
    """``DIR.new``: where a run that may not replace ``DIR`` writes its outputs."""
    return out_dir.with_name(out_dir.name + NEW_SUFFIX)


def held_lessons(out_dir: Path) -> int | None:
    """How many lessons the timetable in ``out_dir`` gives (rows of its ``assignments.csv``):
    0 when there is none (no folder, no file), None when the file cannot be read."""
    path = out_dir / "assignments.csv"
    if not path.is_file():
        return 0
    try:  # the bounded reader every assignments.csv goes through (read_assignments too)
        rows = read_csv(path, max_rows=MAX_ASSIGNMENT_ROWS)
    except (OSError, InstanceError):
        return None
    return max(0, len(rows) - 1)  # the header


def keep_reason(out_dir: Path, status: str, lessons: int) -> str | None:
    """Why ``out_dir`` is kept rather than replaced by a run of ``status`` giving ``lessons``.

    None when replacing loses nothing: the folder holds no timetable, or the run produced a
    timetable (OPTIMAL or FEASIBLE) giving at least as many lessons. A run without a
    timetable never replaces one, nor does a run when the old timetable cannot be read.
    """
    held = held_lessons(out_dir)
    if held == 0:
        return None
    if held is None:
        return "its assignments.csv cannot be read to compare it with this run"
    if status not in TIMETABLE_STATUSES:
        return f"it gives {held} lessons, this run found no timetable ({status})"
    if lessons < held:
        return f"it gives {held} lessons, this run {lessons}"
    return None


# ---- temporary folders ---------------------------------------------------------------------

# Temporary (tmp), backup (old) and probe folders beside an output folder are named
# ``.DIR.tmp-<host>-<pid>-<random>``: a later write can tell one left by a killed process
# (same host, the pid no longer running) from one of a write still in progress.
HOST_TAG = re.sub(r"[^A-Za-z0-9]", "_", socket.gethostname())[:32] or "host"
_SIBLING = re.compile(
    r"\.(?P<name>.+)\.(?P<tag>tmp|old|probe)-(?P<host>[A-Za-z0-9_]+)-(?P<pid>\d+)-[A-Za-z0-9_]+"
)
# Names before the pid was part of them; only temporary folders a day old are removed (a
# backup may be the only copy of an output whose swap was killed).
_LEGACY_TMP = re.compile(r"\.(?P<name>.+)\.tmp-[0-9a-f]{8}")
LEGACY_AGE = 24 * 3600.0


def _sibling_prefix(out_dir: Path, tag: str) -> str:
    return f".{out_dir.name}.{tag}-{HOST_TAG}-{os.getpid()}"


def _sibling(out_dir: Path, tag: str) -> Path:
    return out_dir.with_name(f"{_sibling_prefix(out_dir, tag)}-{secrets.token_hex(4)}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError, ValueError):  # another user's process, or no such number
        return True
    return True


def tidy_siblings(out_dir: Path) -> list[str]:
    """Clear what killed writes left in ``out_dir``'s parent folder; say what was done.

    A temporary folder of a process that no longer runs on this host is removed (never one
    of a live process, nor one written from another host). A backup whose output folder is
    missing (the write was killed between its two renames) is put back in its place, the
    newest if there are several; other stale backups are removed.
    """
    return tidy_folder(out_dir.absolute().parent)


def tidy_folder(parent: Path) -> list[str]:
    """Clear what killed writes left in ``parent`` (:func:`tidy_siblings`): the temporary
    files of :func:`write_bytes_atomic` inside an output folder too, which would otherwise
    make the folder look like the user's to the next solve."""
    try:
        entries = [p for p in parent.iterdir() if p.name.startswith(".")]
    except OSError:
        return []
    said: list[str] = []
    backups: dict[str, list[Path]] = {}
    for path in sorted(entries):
        m = _SIBLING.fullmatch(path.name)
        temp_file = path.is_file() and m is not None and m["tag"] == "tmp"  # write_text_atomic
        if path.is_symlink() or not (path.is_dir() or temp_file):
            continue
        if m is not None:
            if m["host"] != HOST_TAG or _alive(int(m["pid"])):
                continue
            if m["tag"] == "old":
                backups.setdefault(m["name"], []).append(path)
                continue
        elif not _stale_legacy(path):
            continue
        said.append(_remove(path))
    for name, found in backups.items():
        home = parent / name
        try:  # another command tidying the same folder may have moved one already
            found.sort(key=lambda p: p.stat().st_mtime)
            if not home.exists() and not home.is_symlink():
                os.replace(found.pop(), home)
                said.append(f"put back {name}, moved aside by a write that was killed")
        except FileNotFoundError:
            continue
        said += [_remove(path) for path in found]
    return said


def _remove(path: Path) -> str:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
    return f"removed {path.name}, left by a write that was killed"


def _stale_legacy(path: Path) -> bool:
    if _LEGACY_TMP.fullmatch(path.name) is None:
        return False
    try:
        return clock.time() - path.stat().st_mtime > LEGACY_AGE
    except OSError:
        return False


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one step: a reader, a crash or a Ctrl-C sees the old
    file or the new one, never half of it. A link planted at ``path`` is replaced, never
    followed, so nothing is written outside the folder the user named."""
    tmp = _sibling(path, "tmp")
    try:
        tmp.write_bytes(data)
        # No signals.committing() here: a file may be one of many in a guarded folder write
        # (the feeds inside a solve's), whose commit point is the folder's swap.
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        # The error names the file the user asked for, never the hidden temporary one.
        raise OSError(e.errno, _target_trouble(path) or e.strerror, str(path)) from e
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _target_trouble(path: Path) -> str | None:
    """Why ``path`` cannot be written as a file, when it is plain to see; else None."""
    if path.is_dir():
        return "is a folder; name the file to write"
    if not path.parent.is_dir():
        return f"cannot be written: the folder {path.parent} does not exist"
    return None


def check_file_target(option: str, path: Path, *others: tuple[str, Path | None]) -> None:
    """Refuse a file option's path before a command does anything: a folder, a missing
    folder, or the same file as another output option of the command (``others``).

    An existing file is replaced (atomically, a link in its place too, never followed):
    naming a file for an output is asking for it.

    Raises
    ------
    InstanceError
        Naming the option and the path.
    """
    why = _target_trouble(path)
    for other, other_path in others:
        if why is None and other_path is not None and _same_file(path, other_path):
            why = f"is also the file of {other}; name two files"
    if why is not None:
        raise InstanceError([InputIssue(option, None, None, str(path), why)])


def _same_file(a: Path, b: Path) -> bool:
    return os.path.abspath(a) == os.path.abspath(b)


def write_text_atomic(path: Path, text: str) -> None:
    """:func:`write_bytes_atomic` of ``text`` as UTF-8 with ``\\n`` line ends."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_outputs(
    instance: Instance,
    result: Result,
    score_kpis: dict[str, Any],
    unmet: pd.DataFrame,
    out_dir: Path,
    extra: Callable[[Path], None] | None = None,
    reason_seconds: float | None = None,
) -> None:
    """Write every output of a solve into ``out_dir``, atomically.

    Files: ``assignments.csv``, ``unmet.csv``, ``report.json``, ``index.html`` and
    ``timetables/<alt_id>.csv|.html`` plus ``timetables/school-<school_id>.csv|.html``.
    Everything is first written to a fresh sibling folder (``extra(folder)`` may add more
    files there, e.g. calendar feeds), which then replaces ``out_dir``. On any error the
    sibling is removed and an existing ``out_dir`` is left exactly as it was. What killed
    writes left beside ``out_dir`` is cleared first (:func:`tidy_siblings`). Inside a
    command's :func:`scheduler.signals.guarded` block a second signal abandons the write
    up to the swap, never during it.

    This replaces an earlier output whatever it held; whether a run may replace it is the
    caller's decision (:func:`keep_reason`, as ``altsched solve`` does).

    Parameters
    ----------
    instance, result
        The branch and the solve's result.
    score_kpis
        KPIs of the validator's score, stored under ``kpis`` in ``report.json``.
    unmet
        ``school_id, class, missing`` rows; rows with ``missing`` 0 are left out. Without a
        ``reason`` column, the reasons are found here (:mod:`scheduler.explain`), and so are
        those of the ALTs under floor, written into ``report.json``.
    out_dir
        The output folder. If it exists it must be empty or hold only altsched outputs
        (:func:`refusal`).
    extra
        Called with the temporary folder after the standard files are written.
    reason_seconds
        Time the CP-SAT cores behind the reasons may take in all (None: the explainer's
        own allowance, ``scheduler.explain.timetable.WRITE_SECONDS``); zero or less: no
        reason is examined, each says so (docs/outputs.md).

    Raises
    ------
    InstanceError
        ``out_dir`` exists and holds files that are not outputs of a previous run.
    scheduler.signals.Abandoned
        A second SIGINT or SIGTERM came while writing (the sibling is removed).
    """
    out_dir = Path(out_dir)
    tidy_siblings(out_dir)
    why = refusal(out_dir)
    if why is not None:
        raise InstanceError([InputIssue(out_dir.as_posix(), None, None, None, why)])
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = _sibling(out_dir, "tmp")
    tmp.mkdir()
    try:
        _write_all(instance, result, score_kpis, unmet, tmp, reason_seconds)
        if extra is not None:
            extra(tmp)
        # From here the write is finished, whatever signal comes (scheduler.signals).
        signals.committing()
        _swap_in(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _swap_in(tmp: Path, out_dir: Path) -> None:
    if not out_dir.exists():
        os.replace(tmp, out_dir)
        return
    backup = _sibling(out_dir, "old")
    os.replace(out_dir, backup)
    try:
        os.replace(tmp, out_dir)
    except BaseException:
        os.replace(backup, out_dir)
        raise
    # The new outputs are in place; a backup we cannot delete is only clutter.
    shutil.rmtree(backup, ignore_errors=True)
