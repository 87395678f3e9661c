"""Terminal summaries of a solve: a one-line headline and a table of every ALT's week."""

from __future__ import annotations

from typing import Any

import pandas as pd
from rich import box
from rich.table import Table
from rich.text import Text

from scheduler.instance import DAYS, Instance
from scheduler.result import Result

PER_ALT_COLUMNS = ["alt_id", "load", "floor", "max", "schools", "visit_days", "commute_minutes"]


def _number(x: float | None) -> str:
    if x is None:
        return "n/a"
    return str(int(x)) if float(x).is_integer() else f"{x:.1f}"


def coverage_text(given: int, need: int) -> str:
    """``218/225 lessons (96.9%)``; never shows 100.0% while something is missing."""
    pct = 100.0 if need == 0 else 100.0 * given / need
    if given < need:
        pct = min(pct, 99.9)
    return f"{given}/{need} lessons ({pct:.1f}%)"


def headline(result: Result, coverage: dict[str, Any]) -> str:
    """One line on a solve: status, objective, bound, gap, seconds and coverage.

    Parameters
    ----------
    result
        The solve's result.
    coverage
        ``{"given": lessons given, "need": lessons needed}`` over all classes.

    Returns
    -------
    str
        e.g. ``FEASIBLE · objective 70412 · bound 70180 · gap 0.3% · 30.0 s ·
        218/225 lessons (96.9%)``.
    """
    gap = result.gap
    parts = [
        result.status,
        f"objective {_number(result.objective)}",
        f"bound {_number(result.bound)}",
        f"gap {'n/a' if gap is None else f'{100 * gap:.1f}%'}",
        f"{result.seconds:.1f} s",
        coverage_text(int(coverage["given"]), int(coverage["need"])),
    ]
    return " · ".join(parts)


def summary_table(instance: Instance, result: Result, per_alt: pd.DataFrame) -> Table:
    """A rich table with one row per ALT: load against floor and maximum, schools, visit
    days, commute minutes and lessons per weekday.

    Parameters
    ----------
    instance
        The branch, for names and days off.
    result
        The solve's result (its lesson count goes in the caption).
    per_alt
        The validator's per-ALT frame with columns ``alt_id, load, floor, max, schools,
        visit_days, commute_minutes, Mon, ..., Fri``, one row per ALT, in display order.

    Returns
    -------
    rich.table.Table
        Loads under the floor are red, days off show ``off``.
    """
    absent = [c for c in [*PER_ALT_COLUMNS, *DAYS] if c not in per_alt.columns]
    if absent:
        raise ValueError(f"per_alt frame lacks columns {absent}")
    branch = instance.settings.branch
    # Light borders and short headers keep one line per ALT on an 80-column terminal.
    table = Table(
        # Text, never markup: a branch or ALT called "[/North]" is shown as it is.
        title=Text(f"{branch}: ALT weeks" if branch else "ALT weeks"),
        caption=f"{len(result.lessons)} lessons in {len(per_alt)} ALT weeks; load/floor-max, "
        "schools, visit days, commute minutes, lessons a day",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    table.add_column("ALT", no_wrap=True, overflow="ellipsis", max_width=22)
    table.add_column("load", justify="right", no_wrap=True)
    for header in ("sch", "days", "min", *DAYS):
        table.add_column(header, justify="right", no_wrap=True, min_width=3)
    for r in per_alt.to_dict("records"):
        alt_id = str(r["alt_id"])
        alt = instance.alt_by_id.get(alt_id)
        load, floor, top = int(r["load"]), int(r["floor"]), int(r["max"])
        out_of_range = load < floor or load > top
        load_text = Text(f"{load}/{floor}-{top}", style="red" if out_of_range else "")
        off = alt.unavailable if alt is not None else ()
        days = [Text("off", style="dim") if d in off else str(int(r[d])) for d in DAYS]
        table.add_row(
            Text(f"{alt.name} ({alt_id})" if alt else alt_id),
            load_text,
            str(int(r["schools"])),
            str(int(r["visit_days"])),
            str(int(r["commute_minutes"])),
            *days,
        )
    return table
