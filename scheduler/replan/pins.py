"""``pins.csv``: assignments every solve keeps, checked at the door and built into a start.

A pin says an ALT keeps teaching at a school (``alt_id, school_id``), on a weekday (``day``),
or gives one exact lesson (``class`` and ``period`` with the day). :func:`pin_issues` checks
the table against the branch: first each pin on its own against every hard rule it can break
(an error naming the row, the column and the rule), then the pins together (two exact pins
at one time, more pinned lessons than an ALT's maximum), and last whether one timetable can
hold them all (:func:`pinned_lessons` builds one). Only pins that pass reach a solve, where
the models keep them (:mod:`scheduler.model.pins`) and the greedy start places them first
(:func:`replan_start`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace

import pandas as pd

from scheduler.errors import InputIssue
from scheduler.instance import DAYS, TABLES, Day, Instance, Pin, minutes_of
from scheduler.model.data import Prepared, lesson_at, prepare
from scheduler.model.pins import broken_pins, lesson_key, pin_matches
from scheduler.result import Lesson, lessons_frame
from scheduler.validate import ASSIGNMENT_COLUMNS, Violation, check

FILE = TABLES["pins"]
Rows = Callable[[int], int]


class PinConflict(Exception):
    """No lesson can be added that keeps pin ``index`` beside the lessons already placed."""

    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


def pin_issues(inst: Instance, rows: dict[str, list[int]] | None = None) -> list[InputIssue]:
    """Every pin that cannot be kept, on its own or with the others, as input errors.

    ``rows["pins"][i]`` is the spreadsheet row of pin i (default: i + 2). The branch's own
    tables must be sound (:func:`scheduler.instance.reference_issues` found nothing).
    """
    numbers = rows.get("pins") if rows else None

    def row(i: int) -> int:
        return numbers[i] if numbers else i + 2

    out = [issue for i, pin in enumerate(inst.pins) for issue in _alone(inst, pin, row(i))]
    if out:
        return out
    # The exact pins' own clashes first: the counts would repeat them less precisely.
    out = _exact_together(inst, row) or _counts_together(inst, row)
    if out:
        return out
    try:
        pinned_lessons(prepare(inst))
    except PinConflict as e:
        pin = inst.pins[e.index]
        where = f"on {pin.day}" if pin.day else "in the week"
        others = sorted(
            row(j)
            for j, p in enumerate(inst.pins)
            if j != e.index and (p.alt_id == pin.alt_id or p.school_id == pin.school_id)
        )
        beside = f" beside the pins on rows {', '.join(map(str, others))}" if others else ""
        why = (
            f"cannot be kept{beside}: no class and period of {pin.school_id} {where} is left "
            f"that {pin.alt_id} may teach under the hard rules"
        )
        out.append(InputIssue(FILE, row(e.index), "school_id", pin.school_id, why))
    return out


# ---- one pin on its own ----------------------------------------------------------------------


def _alone(inst: Instance, pin: Pin, row: int) -> list[InputIssue]:
    """The hard rules one pin breaks by itself (unknown ids first: nothing else is known)."""

    def issue(column: str, value: object, why: str) -> InputIssue:
        return InputIssue(FILE, row, column, None if value is None else str(value), why)

    out = []
    alt = inst.alt_by_id.get(pin.alt_id)
    school = inst.school_by_id.get(pin.school_id)
    if alt is None:
        out.append(issue("alt_id", pin.alt_id, "is not an alt_id in alts.csv"))
    if school is None:
        out.append(issue("school_id", pin.school_id, "is not a school_id in schools.csv"))
    if (
        pin.class_ is not None
        and school is not None
        and (pin.school_id, pin.class_) not in inst.class_by_key
    ):
        out.append(issue("class", pin.class_, f"is not a class of {pin.school_id} in classes.csv"))
    if (pin.class_ is None) != (pin.period is None):
        given, missing = ("class", "period") if pin.period is None else ("period", "class")
        out.append(
            issue(missing, None, f"is empty, but {given} is given: an exact lesson needs both")
        )
    elif pin.class_ is not None and pin.day is None:
        out.append(
            issue("day", None, "is empty, but an exact lesson (class and period) needs its day")
        )
    if out or alt is None or school is None:
        return out
    if school.level not in alt.levels:
        why = f"breaks rule level: {alt.alt_id} is not qualified for {school.level} schools"
        out.append(issue("school_id", pin.school_id, why))
    minutes, limit = inst.commute_minutes(alt, school), inst.settings.max_commute_minutes
    if minutes > limit:
        why = f"breaks rule commute: {minutes} minutes from {alt.alt_id}'s home (max {limit})"
        out.append(issue("school_id", pin.school_id, why))
    if pin.day is not None and pin.day in alt.unavailable:
        out.append(
            issue("day", pin.day, f"breaks rule day_off: {alt.alt_id} is unavailable on {pin.day}")
        )
    if inst.max_lessons(alt) == 0 or inst.max_lessons_per_day(alt) == 0:
        why = f"breaks rule alt_week_max: {alt.alt_id} may teach no lesson (maximum 0)"
        out.append(issue("alt_id", pin.alt_id, why))
    if out:
        return out
    return _when(inst, pin, issue)


def _when(
    inst: Instance, pin: Pin, issue: Callable[[str, object, str], InputIssue]
) -> list[InputIssue]:
    """The pin's class, day and period exist and may hold an ALT lesson."""
    classes = (
        [pin.class_]
        if pin.class_ is not None
        else [c.class_ for c in inst.classes_of[pin.school_id]]
    )
    needy = [c for c in classes if inst.class_by_key[(pin.school_id, c)].alt_lessons > 0]
    if not needy:
        what = f"class {pin.class_} needs" if pin.class_ else f"no class of {pin.school_id} needs"
        column, value = ("class", pin.class_) if pin.class_ else ("school_id", pin.school_id)
        return [
            issue(column, value, f"breaks rule class_need: {what} ALT lessons (alt_lessons 0)")
        ]
    days: Sequence[Day] = (
        [pin.day] if pin.day is not None else inst.available_days(inst.alt_by_id[pin.alt_id])
    )
    if pin.period is not None and pin.day is not None:
        bells = [p for p in inst.periods(pin.school_id, pin.day) if p.period == pin.period]
        if not bells:
            why = (
                f"breaks rule bell_mismatch: {pin.school_id} has no period {pin.period} "
                f"on {pin.day}"
            )
            return [issue("period", pin.period, why)]
        if not any(
            p.period == pin.period for p in inst.usable_periods(pin.school_id, needy[0], pin.day)
        ):
            st = inst.settings
            p = bells[0]
            if p.start_min < minutes_of(st.day_start) or p.end_min > minutes_of(st.day_end):
                why = (
                    f"breaks rule day_window: period {pin.period} runs outside "
                    f"{st.day_start:%H:%M}-{st.day_end:%H:%M}"
                )
            else:
                why = (
                    f"breaks rule blocked: blocked.csv blocks period {pin.period} of "
                    f"{pin.school_id} {needy[0]} on {pin.day}"
                )
            return [issue("period", pin.period, why)]
        return []
    if not any(inst.usable_periods(pin.school_id, c, d) for c in needy for d in days):
        column, value = ("day", pin.day) if pin.day else ("school_id", pin.school_id)
        when = f"on {pin.day}" if pin.day else f"on any day {pin.alt_id} works"
        why = f"breaks rule blocked: no period of {pin.school_id} may hold an ALT lesson {when}"
        return [issue(column, value, why)]
    return []


# ---- pins together ---------------------------------------------------------------------------


def _exact_together(inst: Instance, row: Rows) -> list[InputIssue]:
    """Exact pins as a timetable, checked by the validator: a clash names its pins' rows."""
    first: dict[tuple[str, str, str | None, Day | None, int | None], int] = {}
    out = []
    records, numbers = [], []
    for i, pin in enumerate(inst.pins):
        if not pin.exact or pin.day is None:
            continue
        key = (pin.alt_id, pin.school_id, pin.class_, pin.day, pin.period)
        if key in first:
            why = f"is the same lesson as the pin on row {row(first[key])}"
            out.append(InputIssue(FILE, row(i), "period", str(pin.period), why))
            continue
        first[key] = i
        p = next(q for q in inst.periods(pin.school_id, pin.day) if q.period == pin.period)
        records.append(
            [
                pin.alt_id,
                pin.school_id,
                pin.class_,
                pin.day,
                pin.period,
                f"{p.start:%H:%M}",
                f"{p.end:%H:%M}",
            ]
        )
        numbers.append(row(i))
    if out or not records:
        return out
    # Indexed by spreadsheet row - 2, so the validator's messages name pins.csv's rows.
    frame = pd.DataFrame(records, columns=list(ASSIGNMENT_COLUMNS), index=[n - 2 for n in numbers])
    for v in check(inst.model_copy(update={"pins": ()}), frame):
        out.append(_clash(inst, v, row))
    return out


# What a violation of each kind of rule is about: the ALT, the class, or the school's day.
_ALT_RULES = {"alt_overlap", "travel", "alt_week_max", "alt_day_max", "schools_per_day"}
_CLASS_RULES = {"class_need", "class_day_limit", "class_overlap"}


def _clash(inst: Instance, v: Violation, row: Rows) -> InputIssue:
    """The exact pins a violation of their timetable is about, named by their rows."""
    fields: tuple[str, ...]
    if v.rule in _ALT_RULES:
        column, fields = "alt_id", ("alt_id", "day")
    elif v.rule in _CLASS_RULES:
        column, fields = "class", ("school_id", "class_", "day")
    else:
        column, fields = "school_id", ("school_id", "day")
    rows = [
        row(i)
        for i, p in enumerate(inst.pins)
        if p.exact and all(getattr(v, f) is None or getattr(p, f) == getattr(v, f) for f in fields)
    ]
    listed = ", ".join(map(str, rows))
    why = f"pins on rows {listed} cannot all be kept, rule {v.rule}: {v.message}"
    return InputIssue(FILE, rows[0] if rows else None, column, None, why)


def _counts_together(inst: Instance, row: Rows) -> list[InputIssue]:
    """Lessons the pins ask of an ALT (a week, a day), schools an ALT is pinned to in a day
    and ALTs a school is pinned to in a day, against the branch's maxima."""
    least_day: dict[tuple[str, Day], set[tuple[str, str | None, int | None]]] = defaultdict(set)
    least_week: dict[str, set[tuple[str, Day | None, str | None, int | None]]] = defaultdict(set)
    of_alt: dict[str, list[int]] = defaultdict(list)
    of_alt_day: dict[tuple[str, Day], list[int]] = defaultdict(list)
    of_school_day: dict[tuple[str, Day], list[int]] = defaultdict(list)
    dated = {(p.alt_id, p.school_id, p.day) for p in inst.pins if p.day is not None}
    pairs_with_day = {(a, s) for a, s, _d in dated}
    for i, pin in enumerate(inst.pins):
        of_alt[pin.alt_id].append(i)
        if pin.day is None:
            # A pin to a school alone asks one lesson, unless a pin there on a day gives it.
            if (pin.alt_id, pin.school_id) not in pairs_with_day:
                least_week[pin.alt_id].add((pin.school_id, None, None, None))
            continue
        of_alt_day[(pin.alt_id, pin.day)].append(i)
        of_school_day[(pin.school_id, pin.day)].append(i)
        exact_here = any(
            p.exact and (p.alt_id, p.school_id, p.day) == (pin.alt_id, pin.school_id, pin.day)
            for p in inst.pins
        )
        if pin.exact or not exact_here:
            lesson = (pin.school_id, pin.class_, pin.period)
            least_day[(pin.alt_id, pin.day)].add(lesson)
            least_week[pin.alt_id].add((pin.school_id, pin.day, pin.class_, pin.period))
    out = []

    def too_many(indices: list[int], why: str, column: str = "alt_id") -> None:
        listed = ", ".join(str(row(i)) for i in indices)
        out.append(InputIssue(FILE, row(indices[0]), column, None, f"pins on rows {listed} {why}"))

    st = inst.settings
    for a, asked in least_week.items():
        alt = inst.alt_by_id[a]
        if len(asked) > inst.max_lessons(alt):
            too_many(
                of_alt[a],
                f"ask {a} for at least {len(asked)} lessons a week, above the weekly maximum "
                f"{inst.max_lessons(alt)} (rule alt_week_max)",
            )
    for (a, d), asked_day in least_day.items():
        most = inst.max_lessons_per_day(inst.alt_by_id[a])
        if len(asked_day) > most:
            too_many(
                of_alt_day[(a, d)],
                f"ask {a} for at least {len(asked_day)} lessons on {d}, above the daily "
                f"maximum {most} (rule alt_day_max)",
            )
    for (a, d), indices in of_alt_day.items():
        schools = sorted({inst.pins[i].school_id for i in indices})
        if len(schools) > st.max_schools_per_day:
            too_many(
                indices,
                f"send {a} to {len(schools)} schools on {d} ({', '.join(schools)}), above "
                f"max_schools_per_day {st.max_schools_per_day} (rule schools_per_day)",
            )
    # Over the week: every school pinned to an ALT takes one of their days (a day holds at
    # most max_schools_per_day schools), every ALT pinned to a school one of its days. These
    # counts refuse pins on everything at once before the placement below tries them one by
    # one (each try a validator run).
    of_school: dict[str, list[int]] = defaultdict(list)
    for i, pin in enumerate(inst.pins):
        of_school[pin.school_id].append(i)
    for a, indices in of_alt.items():
        schools = sorted({inst.pins[i].school_id for i in indices})
        days = len(inst.available_days(inst.alt_by_id[a]))
        if len(schools) > days * st.max_schools_per_day:
            too_many(
                indices,
                f"send {a} to {len(schools)} schools, more than {days} working days of at "
                f"most {st.max_schools_per_day} school(s) hold (rule schools_per_day)",
            )
    for s, indices in of_school.items():
        alts = sorted({inst.pins[i].alt_id for i in indices})
        most = inst.school_by_id[s].max_alts_per_day
        if len(alts) > len(DAYS) * most:
            too_many(
                indices,
                f"send {len(alts)} ALTs to {s}, more than {len(DAYS)} days of at most {most} "
                f"ALT(s) hold (rule alts_per_day)",
                "school_id",
            )
    for (s, d), indices in of_school_day.items():
        alts = sorted({inst.pins[i].alt_id for i in indices})
        most = inst.school_by_id[s].max_alts_per_day
        if len(alts) > most:
            too_many(
                indices,
                f"send {len(alts)} ALTs to {s} on {d} ({', '.join(alts)}), above its "
                f"max_alts_per_day {most} (rule alts_per_day)",
            )
    return out


# ---- a timetable holding every pin -------------------------------------------------------------


def pinned_lessons(prep: Prepared, base: Sequence[Lesson] = ()) -> list[Lesson]:
    """``base`` (a valid timetable) plus a lesson for every pin it does not keep: the exact
    pins as they say, then one lesson for each other pin, the pins with fewest places first.

    Raises :class:`PinConflict` when a pin finds no place; before giving up, the pins are
    tried again with the one that failed first (a greedy order can block a pin another
    order keeps).
    """
    inst = prep.instance
    have = {lesson_key(ls) for ls in base}
    lessons = [*base, *(ls for ls in exact_lessons(prep) if lesson_key(ls) not in have)]
    loose = [i for i, pin in enumerate(inst.pins) if not pin.exact]
    # Pins on a day first, then by how few candidate visits they have.
    visits = Counter((a, s) for a, s, _d in prep.visits)
    loose.sort(
        key=lambda i: (
            inst.pins[i].day is None,
            visits[(inst.pins[i].alt_id, inst.pins[i].school_id)],
            i,
        )
    )
    failed: list[int] = []
    for _attempt in range(len(loose) + 1):
        order = failed + [i for i in loose if i not in failed]
        try:
            return _place_loose(prep, lessons, order)
        except PinConflict as e:
            if e.index in failed:
                raise
            failed.insert(0, e.index)
    raise PinConflict(failed[0])


def exact_lessons(prep: Prepared) -> list[Lesson]:
    """The lessons the exact pins name, each once."""
    out: dict[tuple[str, str, str, Day, int], Lesson] = {}
    for pin in prep.instance.pins:
        if pin.exact and pin.day is not None and pin.class_ is not None and pin.period is not None:
            ls = lesson_at(prep, pin.alt_id, (pin.school_id, pin.class_), pin.day, pin.period)
            out.setdefault(lesson_key(ls), ls)
    return list(out.values())


def _place_loose(prep: Prepared, fixed: list[Lesson], order: list[int]) -> list[Lesson]:
    inst = prep.instance
    lessons = list(fixed)
    for i in order:
        pin = inst.pins[i]
        if any(pin_matches(pin, ls) for ls in lessons):
            continue
        found = _fit(prep, pin, lessons)
        if found is None:
            raise PinConflict(i)
        lessons.append(found)
    return lessons


def _fit(prep: Prepared, pin: Pin, lessons: list[Lesson]) -> Lesson | None:
    """A lesson keeping ``pin`` that breaks no hard rule beside ``lessons``: days the ALT is
    already at the school first, then early periods."""
    inst = prep.instance
    near = [ls for ls in lessons if ls.alt_id == pin.alt_id or ls.school_id == pin.school_id]
    busy = {(ls.alt_id, ls.day, ls.period) for ls in near if ls.school_id == pin.school_id}
    taken = {(ls.class_, ls.day, ls.period) for ls in near if ls.school_id == pin.school_id}
    there = {ls.day for ls in near if ls.alt_id == pin.alt_id and ls.school_id == pin.school_id}
    days = [d for d in DAYS if (pin.alt_id, pin.school_id, d) in set(prep.visits)]
    if pin.day is not None:
        days = [d for d in days if d == pin.day]
    days.sort(key=lambda d: (d not in there, DAYS.index(d)))
    alt = inst.alt_by_id[pin.alt_id]
    own = [ls for ls in near if ls.alt_id == pin.alt_id]
    if len(own) >= inst.max_lessons(alt):
        return None
    for d in days:
        if _day_full(inst, pin, [ls for ls in near if ls.day == d]):
            continue
        for c in prep.needy.get(pin.school_id, []):
            for p in prep.periods.get((c.key, d), []):
                if (c.class_, d, p.period) in taken or (pin.alt_id, d, p.period) in busy:
                    continue
                ls = lesson_at(prep, pin.alt_id, c.key, d, p.period)
                if any(o.day == d and o.start < ls.end and ls.start < o.end for o in own):
                    continue  # the ALT teaches elsewhere then (rule alt_overlap)
                # The validator has the last word; the filters above only spare it the
                # candidates it would surely refuse (each run builds a table).
                if not _hard_violations(inst, [*near, ls]):
                    return ls
    return None


def _day_full(inst: Instance, pin: Pin, that_day: list[Lesson]) -> bool:
    """Whether a day's lessons already leave no room for one more of ``pin``'s ALT at its
    school, by a count a hard rule caps: lessons of the ALT, schools of the ALT, ALTs of
    the school."""
    alt = inst.alt_by_id[pin.alt_id]
    own = [ls for ls in that_day if ls.alt_id == pin.alt_id]
    if len(own) >= inst.max_lessons_per_day(alt):
        return True
    schools = {ls.school_id for ls in own} - {pin.school_id}
    if len(schools) >= inst.settings.max_schools_per_day:
        return True
    alts = {ls.alt_id for ls in that_day if ls.school_id == pin.school_id} - {pin.alt_id}
    return len(alts) >= inst.school_by_id[pin.school_id].max_alts_per_day


def _hard_violations(inst: Instance, lessons: list[Lesson]) -> list[Violation]:
    """The hard rules ``lessons`` break; a pin not kept yet is not one of them here."""
    return [v for v in check(inst, lessons_frame(lessons)) if v.rule != "pin"]


# ---- the start of a solve --------------------------------------------------------------------


def replan_start(prep: Prepared, start: Sequence[Lesson]) -> list[Lesson]:
    """Where the greedy starts: ``start`` with every pin kept, or without a start, the pins
    and the previous timetable's lessons that still fit (a re-plan, :attr:`Prepared.replan`)."""
    inst = prep.instance
    if not inst.pins and prep.replan is None:
        return list(start)
    if start and not broken_pins(inst, start):
        return list(start)
    exact = exact_lessons(prep)
    # A timetable made without the pins (a caller's) keeps what fits beside them.
    base = start or _previous_lessons(prep)
    try:
        return pinned_lessons(prep, still_valid(prep, exact, base))
    except PinConflict:
        if start:
            return list(start)
    try:
        return pinned_lessons(prep)
    except PinConflict:
        # Only under a stricter rule than the branch's (the large path searches with one
        # school a day): the exact pins, and the search's comparisons count what is broken.
        return still_valid(prep, [], exact)


def _previous_lessons(prep: Prepared) -> list[Lesson]:
    replan = prep.replan
    if replan is None:
        return []
    return [lesson_at(prep, a, (s, c), d, p) for a, s, c, d, p in sorted(replan.keys, key=_order)]


def _order(key: tuple[str, str, str, Day, int]) -> tuple[str, int, int, str, str]:
    a, s, c, d, p = key
    return (a, DAYS.index(d), p, s, c)


def still_valid(prep: Prepared, fixed: list[Lesson], more: Sequence[Lesson]) -> list[Lesson]:
    """``fixed`` plus the lessons of ``more`` that fit beside them: each hard rule broken
    drops one lesson of ``more`` it names, the latest, until none is broken."""
    inst = prep.instance
    have = {lesson_key(ls) for ls in fixed}
    extra = [ls for ls in more if lesson_key(ls) not in have]
    while True:
        violations = _hard_violations(inst, [*fixed, *extra])
        dropped = False
        for v in violations:
            named = [i for i, ls in enumerate(extra) if v.names(ls)]
            if not named:  # the lesson named is a fixed one: one of its day's others goes
                named = [i for i, ls in enumerate(extra) if replace(v, period=None).names(ls)]
            if named:
                del extra[named[-1]]
                dropped = True
        if not dropped:
            return [*fixed, *extra]
