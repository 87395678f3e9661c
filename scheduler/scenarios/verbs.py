"""Scenario verbs: each takes a branch and returns a new, validated branch; none mutates it.

Every verb ends in :func:`checked`, the reference check a branch read from files gets, so a
scenario is exactly as valid as input (no duplicate ids, no class without bells). Records a
verb changes are validated again field by field; a bad value raises
:class:`~scheduler.errors.InstanceError` naming the table, the record's row in the scenario's
tables and the column. Ids the branch does not have raise ``KeyError``. The rules each verb
decides by (where new ALTs live, which ALTs go, how classes are renamed in a merge, how a
scaled need is rounded) are written in ``docs/scenarios.md``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from scheduler.errors import InputIssue, InstanceError
from scheduler.instance import (
    LEVELS,
    MAX_ALTS_PER_SCHOOL_DAY,
    TABLES,
    Alt,
    Bell,
    Blocked,
    Day,
    Instance,
    Level,
    School,
    SchoolClass,
    reference_issues,
)

M = TypeVar("M", bound=BaseModel)
Home = str | tuple[float, float]  # a school id (live at that school) or (lat, lon)


# ---- validation ----------------------------------------------------------------------------


def checked(instance: Instance) -> Instance:
    """The instance, once it passes the checks a branch read from files gets.

    Raises
    ------
    InstanceError
        Every broken reference, e.g. a duplicate ``alt_id``, with table, row and column.
    """
    issues = reference_issues(instance)
    if issues:
        raise InstanceError(issues)
    return instance


def record(model: type[M], value: M | Mapping[str, Any], table: str, row: int | None = None) -> M:
    """``value`` as a validated record of ``model``; a mapping may use the CSV column names.

    ``row`` is the record's spreadsheet row in the scenario's table (header = row 1), None
    for settings (a key per row).
    """
    data = value.model_dump() if isinstance(value, BaseModel) else dict(value)
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise InstanceError(
            [
                InputIssue(
                    TABLES[table],
                    row,
                    ".".join(str(p) for p in err["loc"]) or None,
                    None if err.get("input") is None else str(err.get("input")),
                    err["msg"].lower(),
                )
                for err in e.errors()
            ]
        ) from e


def _changed(old: M, table: str, index: int, **changes: Any) -> M:
    return record(type(old), {**old.model_dump(), **changes}, table, index + 2)


def _known(ids: Iterable[str], known: Mapping[str, object], what: str) -> list[str]:
    out = list(ids)
    for id_ in out:
        if id_ not in known:
            raise KeyError(f"no {what} {id_!r} in the branch")
    return out


# ---- ALTs ----------------------------------------------------------------------------------


def with_alt(instance: Instance, alt: Alt) -> Instance:
    """The branch with one more ALT."""
    return add_alts(instance, [alt])


def add_alts(
    instance: Instance,
    alts: Sequence[Alt | Mapping[str, Any]] = (),
    *,
    n: int = 0,
    homes: Sequence[Home] | None = None,
    levels: Sequence[Level] = LEVELS,
    prefix: str = "NEW",
) -> Instance:
    """The branch with more ALTs: the given ones, and ``n`` new hires.

    Parameters
    ----------
    alts
        ALTs to add as they are (records or mappings with the ``alts.csv`` columns).
    n
        New hires to add on the branch's standard contract, with ids ``NEW01``, ``NEW02``, ...
        (the first free ones) and names ``New ALT 1``, ...; with ``homes`` alone, one per
        home.
    homes
        Where the new hires live, one per hire: a school id (they live at that school) or a
        ``(lat, lon)`` pair. Without it each lives at the school where coverage is weakest:
        the largest need per ALT who can reach it (qualified and within the commute limit),
        counting the hires placed before; ties go to the larger need, then to the school
        listed first.
    levels
        The levels the new hires may teach.
    prefix
        The start of the new hires' ids.
    """
    if n < 0:
        raise ValueError(f"n must be 0 or more, not {n}")
    if homes is not None:
        n = n or len(homes)  # homes alone say how many
        if len(homes) != n:
            raise ValueError(f"{len(homes)} homes given for {n} new ALTs")
    out = instance.model_copy(update={"alts": (*instance.alts, *_records(instance, alts))})
    used = set(out.alt_by_id) | set(out.school_by_id)
    for k in range(n):
        alt_id, number = _free_id(prefix, used)
        used.add(alt_id)
        home = homes[k] if homes is not None else _weakest_school(out, levels)
        lat, lon = _coordinates(out, home)
        hire = {"alt_id": alt_id, "name": f"New ALT {number}", "home_lat": lat, "home_lon": lon}
        hire["levels"] = tuple(levels)
        row = len(out.alts) + 2
        out = out.model_copy(update={"alts": (*out.alts, record(Alt, hire, "alts", row))})
    return checked(out)


def _records(instance: Instance, alts: Sequence[Alt | Mapping[str, Any]]) -> list[Alt]:
    start = len(instance.alts) + 2
    return [record(Alt, a, "alts", start + i) for i, a in enumerate(alts)]


def _free_id(prefix: str, used: set[str]) -> tuple[str, int]:
    number = 1
    while f"{prefix}{number:02d}" in used:
        number += 1
    return f"{prefix}{number:02d}", number


def _coordinates(instance: Instance, home: Home) -> tuple[float, float]:
    if isinstance(home, str):
        school = instance.school_by_id.get(home)
        if school is None:
            raise KeyError(f"no school {home!r} in the branch")
        return (school.lat, school.lon)
    lat, lon = home
    return (float(lat), float(lon))


def school_need(instance: Instance) -> dict[str, int]:
    """ALT lessons a week each school asks for, in the order of ``schools``."""
    need = dict.fromkeys(instance.school_by_id, 0)
    for c in instance.classes:
        need[c.school_id] = need.get(c.school_id, 0) + c.alt_lessons
    return need


def school_reach(instance: Instance) -> dict[str, int]:
    """How many ALTs can reach each school (qualified and within the commute limit)."""
    return {
        s.school_id: sum(instance.reachable(a, s) for a in instance.alts) for s in instance.schools
    }


def _weakest_school(instance: Instance, levels: Sequence[Level]) -> str:
    need, reach = school_need(instance), school_reach(instance)
    # A school nobody reaches is the weakest of all; ties by need, then the order of schools.
    candidates = [s for s in instance.schools if need[s.school_id] > 0 and s.level in levels]
    if not candidates:
        raise ValueError("no school with ALT lessons to place a new ALT at")
    order = {s.school_id: i for i, s in enumerate(instance.schools)}

    def pressure(s: School) -> tuple[float, int, int]:
        n, r = need[s.school_id], reach[s.school_id]
        return (n / r if r else math.inf, n, -order[s.school_id])

    return max(candidates, key=pressure).school_id


def remove_alts(instance: Instance, ids: Iterable[str] = (), *, n: int = 0) -> Instance:
    """The branch without some ALTs: those named, then ``n`` more chosen by need.

    The ``n`` who go are the least needed, one at a time: an ALT's share of the need is the
    sum, over the schools they can reach, of each school's need divided by the ALTs who can
    reach it; the smallest share goes first (recounted after each), ties the ALT listed last.
    Travel rows from their homes go with them.
    """
    gone = set(_known(ids, instance.alt_by_id, "ALT"))
    if n < 0 or n > len(instance.alts) - len(gone):
        raise ValueError(f"cannot remove {n} more of {len(instance.alts) - len(gone)} ALTs")
    out = _without_alts(instance, gone)
    for _ in range(n):
        out = _without_alts(out, {_least_needed(out)})
    return checked(out)


def _without_alts(instance: Instance, gone: set[str]) -> Instance:
    return instance.model_copy(
        update={
            "alts": tuple(a for a in instance.alts if a.alt_id not in gone),
            "travel": tuple(t for t in instance.travel if not {t.from_, t.to} & gone),
        }
    )


def _least_needed(instance: Instance) -> str:
    need, reach = school_need(instance), school_reach(instance)

    def share(i: int) -> tuple[float, int]:
        a = instance.alts[i]
        own = sum(
            need[s.school_id] / reach[s.school_id]
            for s in instance.schools
            if instance.reachable(a, s)
        )
        return (own, -i)

    return instance.alts[min(range(len(instance.alts)), key=share)].alt_id


def with_contracts(
    instance: Instance,
    *,
    min_lessons: int | None = None,
    max_lessons: int | None = None,
    max_lessons_per_day: int | None = None,
    alts: Iterable[str] | Literal["all"] | None = None,
) -> Instance:
    """The branch with other weekly ranges or daily maxima.

    ``alts=None`` changes the branch's standard contract (``settings``): every ALT without a
    contract of their own follows it, ALTs with their own keep theirs. A list of ids, or
    ``"all"``, gives those ALTs these values as their own.
    """
    changes = {
        k: v
        for k, v in (
            ("min_lessons", min_lessons),
            ("max_lessons", max_lessons),
            ("max_lessons_per_day", max_lessons_per_day),
        )
        if v is not None
    }
    if not changes:
        return instance
    if alts is None:
        keys = {"min_lessons": "min_lessons_per_week", "max_lessons": "max_lessons_per_week"}
        return with_settings(instance, **{keys.get(k, k): v for k, v in changes.items()})
    chosen = set(instance.alt_by_id if alts == "all" else _known(alts, instance.alt_by_id, "ALT"))
    updated = tuple(
        _changed(a, "alts", i, **changes) if a.alt_id in chosen else a
        for i, a in enumerate(instance.alts)
    )
    return checked(instance.model_copy(update={"alts": updated}))


def with_settings(instance: Instance, **changes: object) -> Instance:
    """The branch with some settings changed, e.g. ``min_lessons_per_week=22``."""
    settings = record(
        type(instance.settings), {**instance.settings.model_dump(), **changes}, "settings"
    )
    return checked(instance.model_copy(update={"settings": settings}))


# ---- schools -------------------------------------------------------------------------------


def without_school(instance: Instance, school_id: str) -> Instance:
    """The branch with a school closed: its classes, bells and blocked rows go with it."""
    return close_schools(instance, school_id)


def close_schools(instance: Instance, *school_ids: str) -> Instance:
    """The branch with schools closed: their classes, bells, blocked and travel rows go."""
    gone = set(_known(school_ids, instance.school_by_id, "school"))
    return checked(_without_schools(instance, gone))


def _without_schools(instance: Instance, gone: set[str]) -> Instance:
    return instance.model_copy(
        update={
            "schools": tuple(s for s in instance.schools if s.school_id not in gone),
            "bells": tuple(b for b in instance.bells if b.school_id not in gone),
            "classes": tuple(c for c in instance.classes if c.school_id not in gone),
            "blocked": tuple(b for b in instance.blocked if b.school_id not in gone),
            "travel": tuple(t for t in instance.travel if not {t.from_, t.to} & gone),
        }
    )


def merge_schools(
    instance: Instance, into: str, *others: str, max_alts_per_day: int | None = None
) -> Instance:
    """The branch with the classes of ``others`` moved into school ``into``.

    The merged school keeps its own bells and blocked rows; the others close (their bells,
    blocked and travel rows go). A moved class whose name is taken gets the next free class
    number of its grade (``1-1`` joining a school with ``1-1`` and ``1-2`` becomes ``1-3``);
    co-teachers move with their classes. ALTs a day: ``max_alts_per_day``, by default the
    sum of the schools' (their classes keep the visits they had). Schools of different
    levels cannot merge.
    """
    _known([into, *others], instance.school_by_id, "school")
    target = instance.school_by_id[into]
    if into in others or len(set(others)) != len(others):
        raise ValueError("each school to merge must be named once, and not the target")
    for sid in others:
        if instance.school_by_id[sid].level != target.level:
            raise ValueError(
                f"cannot merge {sid} ({instance.school_by_id[sid].level}) into "
                f"{into} ({target.level}): classes keep their grades, levels must match"
            )
    taken = {c.class_ for c in instance.classes if c.school_id == into}
    moved = []
    for c in instance.classes:
        if c.school_id in others:
            name = c.class_ if c.class_ not in taken else _next_class(c.grade, taken)
            taken.add(name)
            moved.append(c.model_copy(update={"school_id": into, "class_": name}))
    visits = sum(instance.school_by_id[s].max_alts_per_day for s in (into, *others))
    schools = tuple(
        _changed(
            s,
            "schools",
            i,
            max_alts_per_day=max_alts_per_day or min(visits, MAX_ALTS_PER_SCHOOL_DAY),
        )
        if s.school_id == into
        else s
        for i, s in enumerate(instance.schools)
    )
    kept = instance.model_copy(
        update={
            "schools": schools,
            "classes": tuple(c for c in instance.classes if c.school_id not in others)
            + tuple(moved),
        }
    )
    return checked(_without_schools(kept, set(others)))


def _next_class(grade: int, taken: set[str]) -> str:
    numbers = [int(m.group(1)) for t in taken if (m := re.fullmatch(rf"{grade}-(\d+)", t))]
    return f"{grade}-{max(numbers, default=0) + 1}"


def add_schools(
    instance: Instance,
    schools: Sequence[School | Mapping[str, Any]],
    classes: Sequence[SchoolClass | Mapping[str, Any]] = (),
    bells: Sequence[Bell | Mapping[str, Any]] = (),
    blocked: Sequence[Blocked | Mapping[str, Any]] = (),
    *,
    bells_like: str | None = None,
) -> Instance:
    """The branch with new schools, their classes, bells and blocked rows.

    Records may be models or mappings with the CSV columns (``{"school_id": "N1", "class":
    "1-1", "alt_lessons": 1}``). ``bells_like`` gives every new school without bells of its
    own a copy of that school's bell schedule.
    """
    new = [
        record(School, s, "schools", len(instance.schools) + 2 + i) for i, s in enumerate(schools)
    ]
    added_bells = [
        record(Bell, b, "bells", len(instance.bells) + 2 + i) for i, b in enumerate(bells)
    ]
    if bells_like is not None:
        _known([bells_like], instance.school_by_id, "school")
        own = {b.school_id for b in added_bells}
        pattern = [b for b in instance.bells if b.school_id == bells_like]
        added_bells += [
            b.model_copy(update={"school_id": s.school_id})
            for s in new
            if s.school_id not in own
            for b in pattern
        ]
    return checked(
        instance.model_copy(
            update={
                "schools": (*instance.schools, *new),
                "bells": (*instance.bells, *added_bells),
                "classes": (
                    *instance.classes,
                    *(
                        record(SchoolClass, c, "classes", len(instance.classes) + 2 + i)
                        for i, c in enumerate(classes)
                    ),
                ),
                "blocked": (
                    *instance.blocked,
                    *(
                        record(Blocked, b, "blocked", len(instance.blocked) + 2 + i)
                        for i, b in enumerate(blocked)
                    ),
                ),
            }
        )
    )


def block_weekday(
    instance: Instance,
    day: Day,
    schools: Iterable[str] | None = None,
    periods: Sequence[int] | None = None,
) -> Instance:
    """The branch with a weekday blocked every week at some schools (all when ``None``):
    the whole day, or only ``periods``. A school that already has the same row gets no
    second one."""
    ids = (
        list(instance.school_by_id)
        if schools is None
        else _known(schools, instance.school_by_id, "school")
    )
    rows = list(instance.blocked)
    for sid in ids:
        row = record(
            Blocked,
            {"school_id": sid, "class_": None, "day": day, "periods": periods},
            "blocked",
            len(rows) + 2,
        )
        if row not in rows:
            rows.append(row)
    return checked(instance.model_copy(update={"blocked": tuple(rows)}))


# ---- need ----------------------------------------------------------------------------------


def scale_need(
    instance: Instance,
    factor: float,
    *,
    level: Level | None = None,
    grades: int | Iterable[int] | None = None,
    schools: Iterable[str] | None = None,
) -> Instance:
    """The branch with the ALT lessons of some classes multiplied by ``factor``.

    Each class's new need is its need times ``factor`` rounded half up (1.5 -> 2, 2.5 -> 3;
    computed exactly, so 3 x 0.5 is 2, never 1 from float noise). The classes are those of
    ``level``, ``grades`` and ``schools`` (all when not given).
    """
    if factor < 0:
        raise ValueError(f"factor must be 0 or more, not {factor}")
    exact = Fraction(factor).limit_denominator(10**6)
    return _with_need(
        instance, lambda n: math.floor(n * exact + Fraction(1, 2)), level, grades, schools
    )


def set_need(
    instance: Instance,
    lessons: int,
    *,
    level: Level | None = None,
    grades: int | Iterable[int] | None = None,
    schools: Iterable[str] | None = None,
) -> Instance:
    """The branch with ``lessons`` ALT lessons a week for each class of ``level``,
    ``grades`` and ``schools`` (all when not given), e.g. grades 5-6 needing three."""
    return _with_need(instance, lambda _n: lessons, level, grades, schools)


def _with_need(
    instance: Instance,
    new_need: Callable[[int], int],
    level: Level | None,
    grades: int | Iterable[int] | None,
    schools: Iterable[str] | None,
) -> Instance:
    wanted_grades = (
        None if grades is None else {grades} if isinstance(grades, int) else set(grades)
    )
    wanted_schools = (
        None if schools is None else set(_known(schools, instance.school_by_id, "school"))
    )
    if level is not None and level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")

    def matches(c: SchoolClass) -> bool:
        school = instance.school_by_id[c.school_id]
        return (
            (level is None or school.level == level)
            and (wanted_grades is None or c.grade in wanted_grades)
            and (wanted_schools is None or c.school_id in wanted_schools)
        )

    hits = [matches(c) for c in instance.classes]
    if not any(hits):
        raise ValueError("no class of the branch matches the level, grades and schools given")
    classes = tuple(
        _changed(c, "classes", i, alt_lessons=int(new_need(c.alt_lessons))) if hit else c
        for i, (c, hit) in enumerate(zip(instance.classes, hits, strict=True))
    )
    return checked(instance.model_copy(update={"classes": classes}))
