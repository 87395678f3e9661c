"""``altsched cover`` as library calls: read the inputs, check them, plan, show, record.

The command line (``scheduler.cli``) only parses options and calls these; each input problem
is an :class:`~scheduler.errors.InstanceError` naming the option or file and the value.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table
from rich.text import Text

from scheduler.calendar.changes import changes_text, diff
from scheduler.calendar.covers import Cover, Covered, apply_covers
from scheduler.calendar.store import PublishOutcome, Store, Version, publish
from scheduler.calendar.term import expand, read_assignments, weekly_lessons
from scheduler.errors import InputIssue, InstanceError
from scheduler.instance import DAYS, Instance
from scheduler.replan.cover import CoverPlan, CoverWeights, plan, week_span
from scheduler.result import Lesson

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_date(option: str, text: str) -> date:
    """A ``YYYY-MM-DD`` option value; an input error naming the option otherwise."""
    try:
        if _DATE.match(text.strip()):
            return date.fromisoformat(text.strip())
    except ValueError:
        pass
    raise InstanceError([InputIssue(option, None, None, text, "is not a date YYYY-MM-DD")])


def check_request(instance: Instance, absent: str, first: date, last: date) -> None:
    """Refuse an unknown ALT, a range that ends before it starts or leaves the term."""
    issues = []
    if absent not in instance.alt_by_id:
        issues.append(InputIssue("--absent", None, None, absent, "is not an alt_id in alts.csv"))
    st = instance.settings
    assert st.term_start is not None and st.term_end is not None  # calendar instance
    term = f"the term is {st.term_start} to {st.term_end}"
    for option, d in (("--date", first), ("--to", last)):
        # One day (--to left out, or the same date): said once, of --date.
        if option == "--to" and d == first:
            continue
        if not st.term_start <= d <= st.term_end:
            issues.append(
                InputIssue(option, None, None, d.isoformat(), f"is outside the term: {term}")
            )
    if last < first:
        issues.append(
            InputIssue("--to", None, None, last.isoformat(), f"is before --date {first}")
        )
    if issues:
        raise InstanceError(issues)


def parse_choices(given: Sequence[str]) -> list[tuple[str, str]]:
    """``LESSON=ALT`` pairs (LESSON a number of the listing or a key like
    ``2026-12-08/3/S01/1-2``); an input error naming ``--choose`` otherwise."""
    out = []
    for text in given:
        lesson, sep, alt = text.rpartition("=")
        if not sep or not lesson.strip() or not alt.strip():
            why = "is not LESSON=ALT, e.g. 2=A007 or 2026-12-08/3/S01/1-2=A007"
            raise InstanceError([InputIssue("--choose", None, None, text, why)])
        out.append((lesson.strip(), alt.strip()))
    return out


@dataclass(frozen=True)
class Inputs:
    """What the cover of one request is computed from."""

    instance: Instance
    assignments: pd.DataFrame
    weekly: list[Lesson]
    covered: Covered
    history: list[Cover]  # covers in force in the store's latest version
    latest: Version | None
    mismatch: str | None  # why the store's latest version is not DIR's timetable, if it is not


def gather(
    instance: Instance, directory: Path, store: Store | None, first: date, last: date
) -> Inputs:
    """Read DIR's timetable, expand the weeks of the range, apply the store's covers."""
    table = read_assignments(directory / "assignments.csv")
    weekly = weekly_lessons(instance, table)
    lo, hi = week_span(first, last)
    cal = expand(instance, table, lo, hi, weekly)
    recorded: list[Cover] = []
    history: list[Cover] = []
    latest, mismatch = None, None
    if store is not None:
        with store.snapshot():
            latest = store.latest()
            if latest is not None:
                mismatch = _mismatch(store, latest, instance, table)
                recorded = store.covers()
                history = store.covers_in_force(latest.version)
    covered = apply_covers(instance, cal, recorded, lo, hi)
    # A lesson given back to its own ALT is no cover of theirs (for the fairness count).
    owner = {(x.school_id, x.class_, x.day, x.period): x.alt_id for x in weekly}
    history = [
        c for c in history
        if owner.get((c.school_id, c.class_, DAYS[c.date.weekday()], c.period)) != c.to_alt
    ]  # fmt: skip
    return Inputs(instance, table, weekly, covered, history, latest, mismatch)


def _mismatch(
    store: Store, latest: Version, instance: Instance, table: pd.DataFrame
) -> str | None:
    inst_json, csv = store.source_text(latest.version)
    if csv != table.to_csv(index=False):
        return f"the store's latest version {latest.version} holds another timetable than DIR's"
    if inst_json != instance.model_dump_json(by_alias=True):
        return f"the store's latest version {latest.version} was published with another branch"
    return None


def make_plan(
    inputs: Inputs,
    absent: str,
    first: date,
    last: date,
    weights: CoverWeights,
    choices: Sequence[tuple[str, str]] = (),
    take_top: bool = True,
) -> CoverPlan:
    """Plan the cover; ``--choose`` numbers are turned into lesson keys first (a dry plan
    numbers the lessons), and an unknown lesson is an input error."""
    dry = plan(inputs.instance, inputs.weekly, inputs.covered, absent, first, last, weights,
               inputs.history, take_top=False)  # fmt: skip
    keys = {str(o.need.number): o.need.key for o in dry.options}
    known = set(keys.values())
    chosen: dict[str, str] = {}
    for lesson, alt in choices:
        key = keys.get(lesson, lesson)
        if key not in known:
            shown = f"1-{len(keys)}" if keys else "none"
            why = f"is not a lesson of the listing (numbers {shown}, or keys like {_example(dry)})"
            raise InstanceError([InputIssue("--choose", None, None, f"{lesson}={alt}", why)])
        chosen[key] = alt
    return plan(inputs.instance, inputs.weekly, inputs.covered, absent, first, last, weights,
                inputs.history, chosen, take_top)  # fmt: skip


def _example(p: CoverPlan) -> str:
    return p.options[0].need.key if p.options else "2026-12-08/3/S01/1-2"


def check_recordable(store: Store, inputs: Inputs) -> None:
    """Refuse to record into a store without a version or whose latest is not DIR's."""
    if inputs.latest is None:
        why = "holds no version: publish DIR first (altsched publish DIR --store FILE)"
        raise InstanceError([InputIssue(str(store.path), None, None, None, why)])
    if inputs.mismatch is not None:
        why = f"{inputs.mismatch}; publish DIR first, or cover from the folder that was published"
        raise InstanceError([InputIssue(str(store.path), None, None, None, why)])


def record(
    store: Store, inputs: Inputs, p: CoverPlan, covers: Sequence[Cover], source: str
) -> PublishOutcome:
    """Record covers (those of a plan: :meth:`CoverPlan.covers`) in a new store version.

    Raises
    ------
    InstanceError
        When the store's latest version is not the timetable the plan was made on.
    """
    check_recordable(store, inputs)
    label = f"cover for {p.absent} {p.first}" + (f" to {p.last}" if p.last != p.first else "")
    return publish(store, inputs.instance, inputs.assignments, label=label, source=source,
                   covers=covers)  # fmt: skip


def show(console: Console, instance: Instance, p: CoverPlan, top: int) -> None:
    """The plan on screen: a table per lesson, best first, and why nobody where nobody can."""
    absent = instance.alt_by_id[p.absent]
    for d, why in p.quiet:
        console.print(f"{p.absent} {absent.name} has no lesson on {d} ({why}).", soft_wrap=True)
    for o in p.options:
        ls = o.need.lesson
        school = instance.school_by_id[ls.school_id]
        title = (
            f"Lesson {o.need.number}  {o.need.key}  {ls.date:%a} P{ls.period} "
            f"{ls.start:%H:%M}-{ls.end:%H:%M}  {ls.class_} at {school.name}"
        )
        if not o.candidates:
            console.print(Text(title, "bold"), soft_wrap=True)
            console.print(Text(f"  {o.nobody}", "red"), soft_wrap=True)
            continue
        table = Table(title=title, title_justify="left", title_style="bold")
        for col in ("#", "ALT", "name", "points", "reasons"):
            table.add_column(col, justify="right" if col in ("#", "points") else "left")
        for rank, c in enumerate(o.candidates[:top], 1):
            mark = "*" if c.alt_id == o.chosen else ""
            table.add_row(f"{mark}{rank}", c.alt_id, instance.alt_by_id[c.alt_id].name,
                          f"{c.points:g}", "; ".join(c.reasons))  # fmt: skip
        more = len(o.candidates) - top
        if more > 0:
            table.caption = f"... and {more} more (--top, --csv)"
        console.print(table)
    decided = [o for o in p.options if o.chosen is not None]
    if p.options:
        nobody = sum(1 for o in p.options if not o.candidates)
        console.print(
            f"{len(p.options)} lesson{'s' if len(p.options) != 1 else ''} of {p.absent} "
            f"{absent.name}; {len(decided)} with a "
            f"substitute (* marks the pick), {nobody} nobody can take.",
            soft_wrap=True,
        )


def show_recorded(
    console: Console,
    store: Store,
    instance: Instance,
    outcome: PublishOutcome,
    new: Sequence[Cover],
) -> None:
    """What recording did: the new version, covers not in force, the changes per ALT."""
    if not outcome.created:
        console.print(f"Nothing changed since version {outcome.version.version}.")
        return
    v = outcome.version
    console.print(f"Recorded as version {v.version}: {v.label}.", soft_wrap=True)
    # Another writer may have taken the lesson or the substitute meanwhile.
    mine = set(map(id, new))
    for c, why in outcome.dropped:
        if id(c) in mine:
            console.print(f"Not in force: {c}: {why}.", soft_wrap=True)
    if outcome.previous is not None:
        changes = diff(store.events(outcome.previous.version), store.events(v.version))
        names = {a.alt_id: a.name for a in instance.alts}
        console.print(changes_text(changes, names), markup=False, end="", soft_wrap=True)
