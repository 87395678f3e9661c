"""The previous timetable of a re-plan: read, matched to the changed branch, compared.

``altsched solve BRANCH --previous OLD --out NEW`` reads ``OLD/assignments.csv`` with the
validator's bounded reader (:func:`scheduler.validate.read_assignments`), keeps the rows that
still make sense in the branch as it is now (:func:`previous_of`; the others are reported,
never an error), and hands them to the solve, whose search starts from them and pays
``changed_lesson`` for each one it does not keep exactly (:mod:`scheduler.model.pins`).

After the solve, :func:`compare` pairs the old and the new lessons of each class the way the
scenario diff does (:func:`scheduler.scenarios.moves.diff`, built on
:func:`scheduler.calendar.changes.classify`, the comparison behind ``altsched changes``):
``changes.csv`` gets a row per lesson moved, reassigned, added or removed, and
``report.json`` a ``changes`` key with the counts per ALT and per school.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from scheduler.config import Weights
from scheduler.errors import InputIssue, InstanceError
from scheduler.instance import DAYS, Instance
from scheduler.io.cells import frame_csv
from scheduler.model.pins import broken_pins, lesson_key
from scheduler.result import Lesson, Result, lessons_frame
from scheduler.validate import ASSIGNMENTS_FILE, file_rows, read_assignments, score

if TYPE_CHECKING:
    from rich.console import Group
    from rich.text import Text

    from scheduler.scenarios.moves import LessonDiff

CHANGES_FILE = "changes.csv"


@dataclass(frozen=True)
class Previous:
    """The previous timetable as the changed branch sees it.

    ``lessons`` are the rows that still make sense (their ALT, school, class and period
    exist), at today's bell times; ``dropped`` says why each other row was left out.
    """

    lessons: tuple[Lesson, ...]
    dropped: tuple[InputIssue, ...] = ()
    # The dropped rows as they were written (changes.csv lists them as removed or taken over).
    gone: tuple[Lesson, ...] = ()


def read_previous(folder: Path, instance: Instance) -> Previous:
    """The previous timetable in ``folder`` (an earlier ``--out``, or its assignments.csv).

    Raises
    ------
    InstanceError
        When there is no assignments.csv, or it is malformed (file, row, column, value).
    """
    path = Path(folder)
    if path.is_dir():
        path = path / ASSIGNMENTS_FILE
    if not path.is_file():
        why = "does not exist; --previous names an earlier --out folder"
        raise InstanceError([InputIssue(path.as_posix(), None, None, None, why)])
    return previous_of(instance, read_assignments(path), path.name)


def previous_of(
    instance: Instance,
    previous: pd.DataFrame | Result | Sequence[Lesson],
    label: str = ASSIGNMENTS_FILE,
) -> Previous:
    """Match a previous timetable (an assignments table, a result or lessons) to ``instance``.

    A row whose ALT, school or class is gone, or whose school no longer has that period that
    day, cannot be kept: it is left out and said so in :attr:`Previous.dropped`.
    """
    if isinstance(previous, Result):
        table = previous.assignments
    elif isinstance(previous, pd.DataFrame):
        table = previous
    else:
        table = lessons_frame(list(previous))
    kept: dict[tuple[str, str, str, str, int], Lesson] = {}
    dropped: list[InputIssue] = []
    gone: list[Lesson] = []
    for row, rec in zip(file_rows(table), table.to_dict("records"), strict=True):
        found = _match(instance, label, row, rec)
        if isinstance(found, InputIssue):
            dropped.append(found)
            gone += [ls] if (ls := _as_written(rec)) is not None else []
        elif lesson_key(found) in kept:
            why = "repeats an earlier row; counted once"
            dropped.append(InputIssue(label, row, "period", str(found.period), why))
        else:
            kept[lesson_key(found)] = found
    return Previous(tuple(kept.values()), tuple(dropped), tuple(gone))


def _match(instance: Instance, label: str, row: int, rec: dict[Any, Any]) -> Lesson | InputIssue:
    """The lesson a previous row is in the branch now, or why it is none."""
    alt, school, class_ = str(rec["alt_id"]), str(rec["school_id"]), str(rec["class"])
    day, period = str(rec["day"]), str(rec["period"])

    def gone(column: str, value: str, why: str) -> InputIssue:
        return InputIssue(label, row, column, value, f"{why}; the lesson is not kept")

    if alt not in instance.alt_by_id:
        return gone("alt_id", alt, "is no longer in alts.csv")
    if school not in instance.school_by_id:
        return gone("school_id", school, "is no longer in schools.csv")
    if (school, class_) not in instance.class_by_key:
        return gone("class", class_, f"is no longer a class of {school}")
    weekday = next((d for d in DAYS if d == day), None)
    if weekday is None:
        return gone("day", day, "is not a weekday Mon..Fri")
    bell = next((p for p in instance.periods(school, weekday) if str(p.period) == period), None)
    if bell is None:
        return gone("period", period, f"is no longer a period of {school} on {day}")
    return Lesson(
        alt_id=alt, school_id=school, class_=class_, day=weekday, period=bell.period,
        start=bell.start, end=bell.end,
    )  # fmt: skip


def dropped_summary(previous: Previous) -> list[InputIssue]:
    """:attr:`Previous.dropped` for the screen: rows dropped for one reason (an ALT who left
    takes twenty rows with them) said once, on the first row, with the others counted."""
    groups: dict[tuple[str, str | None, str | None, str], list[InputIssue]] = {}
    for issue in previous.dropped:
        groups.setdefault((issue.file, issue.column, issue.value, issue.message), []).append(issue)
    out = []
    for (file, column, value, message), issues in groups.items():
        more = f" (and {len(issues) - 1} more row(s) like it)" if len(issues) > 1 else ""
        out.append(InputIssue(file, issues[0].row, column, value, message + more))
    return out


def _as_written(rec: dict[Any, Any]) -> Lesson | None:
    try:
        return Lesson.model_validate(
            {k: rec[k] for k in ("alt_id", "school_id", "class", "day", "period", "start", "end")}
        )
    except ValueError:
        return None


# ---- after the solve ---------------------------------------------------------------------------


def compare(previous: Previous, lessons: Sequence[Lesson]) -> LessonDiff:
    """The previous lessons against the new ones, per lesson, per ALT and per school."""
    # Imported here: scheduler.scenarios runs solves, and a solve reads this module.
    from scheduler.scenarios.moves import diff

    return diff(
        Result(status="FEASIBLE", lessons=(*previous.lessons, *previous.gone)),
        Result(status="FEASIBLE", lessons=tuple(lessons)),
    )


def changed_lessons(previous: Previous, lessons: Sequence[Lesson]) -> int:
    """Previous lessons (that still make sense) the new timetable does not keep exactly:
    the count the ``changed_lesson`` weight multiplies."""
    now = {lesson_key(ls) for ls in lessons}
    return sum(1 for ls in previous.lessons if lesson_key(ls) not in now)


def summary(previous: Previous, lessons: Sequence[Lesson], weights: Weights) -> dict[str, Any]:
    """The ``changes`` key of report.json: what was kept, moved and added, per ALT and school."""
    found = compare(previous, lessons)
    changed = changed_lessons(previous, lessons)
    kinds = found.per_school()
    per_alt = found.per_alt()
    per_alt = per_alt[(per_alt["moved"] > 0) | (per_alt["gained"] > 0) | (per_alt["lost"] > 0)]
    per_school = kinds[kinds["before"] + kinds["after"] > 2 * kinds["kept"]]
    return {
        "previous_lessons": len(previous.lessons),
        "previous_rows_dropped": len(previous.dropped),
        "kept": int(kinds["kept"].sum()),
        "changed_lessons": changed,
        "penalty": weights.changed_lesson * changed,
        "moved": int(kinds["moved"].sum()),
        "reassigned": int(kinds["reassigned"].sum()),
        "added": int(kinds["added"].sum()),
        "removed": int(kinds["removed"].sum()),
        "per_alt": per_alt.to_dict("records"),
        "per_school": per_school.to_dict("records"),
        "dropped_rows": [str(issue) for issue in previous.dropped],
    }


def with_changes(
    instance: Instance, weights: Weights, result: Result, previous: Previous | None
) -> Result:
    """The result of a solve given pins or a previous timetable, as the user sees it.

    With a previous timetable the search minimised the score plus ``changed_lesson`` per
    change; the result keeps the score as its objective (``altsched check`` recomputes it
    from assignments.csv alone), gives no bound (the search's bounds count the changes) and
    carries the ``changes`` summary for report.json. A pin not kept (never expected) is said.
    """
    notes = list(result.notes)
    broken = broken_pins(instance, result.lessons)
    if broken and result.lessons:
        notes.append(
            f"Internal error, please report: {len(broken)} pin(s) of pins.csv not kept "
            f"(records {', '.join(str(i + 1) for i in broken[:5])})."
        )
    if previous is None:
        return result.model_copy(update={"notes": tuple(notes)}) if broken else result
    done = summary(previous, result.lessons, weights)
    notes.append(
        f"Re-plan: {done['kept']} of {done['previous_lessons']} previous lessons kept, "
        f"{done['changed_lessons']} changed, {done['added']} added."
    )
    status = "FEASIBLE" if result.status == "OPTIMAL" else result.status
    objective = None
    if result.objective is not None:
        objective = score(instance, result.assignments, weights).objective
    update = {"notes": tuple(notes), "bound": None, "status": status, "replan": done}
    return result.model_copy(update={**update, "objective": objective})


def changes_frame(previous: Previous, lessons: Sequence[Lesson]) -> pd.DataFrame:
    """``changes.csv``: one row per previous lesson moved, reassigned or removed and per new
    lesson added, with its ALT, day, period and start before and after."""
    return compare(previous, lessons).lessons


def write_changes(folder: Path, previous: Previous, lessons: Sequence[Lesson]) -> None:
    """Write ``changes.csv`` into ``folder`` (an output folder being written)."""
    text = frame_csv(changes_frame(previous, lessons))
    (Path(folder) / CHANGES_FILE).write_text(text, encoding="utf-8", newline="\n")


def changes_table(changes: dict[str, Any]) -> Group | Text:
    """The re-plan's counts for the screen: the totals, then each ALT and school concerned."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    title = (
        f"Changes from the previous timetable: {changes.get('kept', 0)} of "
        f"{changes.get('previous_lessons', 0)} lessons kept, {changes.get('changed_lessons', 0)}"
        f" changed, {changes.get('added', 0)} added"
    )
    if changes.get("previous_rows_dropped"):
        title += f"; {changes['previous_rows_dropped']} previous row(s) no longer make sense"
    if not changes.get("per_alt") and not changes.get("per_school"):
        return Text(title)
    table = Table()
    for column in ("who", "before", "after", "kept", "moved", "in", "out"):
        table.add_column(column, justify="left" if column == "who" else "right")
    for r in changes.get("per_alt", []):
        counts = (r["before"], r["after"], r["kept"], r["moved"], r["gained"], r["lost"])
        table.add_row(r["alt_id"], *map(str, counts))
    for r in changes.get("per_school", []):
        moved = r["moved"] + r["reassigned"]
        counts = (r["before"], r["after"], r["kept"], moved, r["added"], r["removed"])
        table.add_row(r["school_id"], *map(str, counts))
    return Group(Text(title), table)
