"""Pydantic models of a branch: settings, schools, bells, classes, ALTs, blocked periods, travel.

The models check single values (a field validator per value); :func:`reference_issues` checks
how tables refer to each other (class -> school -> bells) and reports every problem with its
table, record and column. Derived facts that both the CP-SAT model and the independent
validator need (travel minutes, usable periods) are computed here, once, from the data alone.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, time
from functools import cached_property
from itertools import pairwise
from typing import Annotated, Any, ClassVar, Literal, Self

import jpholiday
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    field_validator,
    model_validator,
)

from scheduler.errors import InputIssue
from scheduler.text import clean_name, code_points, id_problem

Day = Literal["Mon", "Tue", "Wed", "Thu", "Fri"]
Level = Literal["elementary", "junior_high"]
DAYS: tuple[Day, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri")
LEVELS: tuple[Level, ...] = ("elementary", "junior_high")
MAX_GRADE: dict[Level, int] = {"elementary": 6, "junior_high": 3}
TYPICAL_PERIOD_MINUTES: dict[Level, int] = {"elementary": 45, "junior_high": 50}
CLASS_PATTERN = re.compile(r"^([1-9][0-9]*)-([1-9][0-9]*)$")
EARTH_RADIUS_KM = 6371.0088
# Upper limits far above any real branch (a week is 5 days of at most 12 periods between 8:00
# and 17:00), so that a slip like 99999999999999999999 is an error naming its cell instead of
# an overflow, or an allocation of gigabytes, deep inside the solver.
MAX_WEEK_LESSONS = 100
MAX_DAY_LESSONS = 20
MAX_PERIOD = 30
MAX_ALTS_PER_SCHOOL_DAY = 50
MAX_MINUTES = 24 * 60
MAX_SPEED_KMH = 1000.0
# A term is at most a school year.
MAX_TERM_DAYS = 366

# Names of the input tables, as files of a CSV folder and sheets of a workbook.
TABLES: dict[str, str] = {
    "settings": "settings.csv",
    "schools": "schools.csv",
    "bells": "bells.csv",
    "classes": "classes.csv",
    "alts": "alts.csv",
    "blocked": "blocked.csv",
    "travel": "travel.csv",
    "pins": "pins.csv",
}


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid")


def _checked_id(value: str) -> str:
    why = id_problem(value)
    if why is not None:
        raise ValueError(why)
    return value


# An id names files, is compared as a key and goes back unchanged into assignments.csv, which
# other tools read: one that is unsafe anywhere is refused (scheduler.text.id_problem), never
# rewritten. Ids of other tables (a class's school_id, travel's from) follow the same rule.
Id = Annotated[str, Field(min_length=1), AfterValidator(_checked_id)]


class _Named(_Record):
    """A record with free-text name fields, cleaned of control characters on loading.

    The characters removed are kept per field (:attr:`removed_controls`), so that
    :func:`warnings_for` can name the row they were on.
    """

    _NAMES: ClassVar[tuple[str, ...]] = ("name",)
    _removed: dict[str, str] = PrivateAttr(default_factory=dict)

    @model_validator(mode="wrap")
    @classmethod
    def _clean_names(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        # Before the fields are checked, so a name of nothing but control characters is
        # reported as empty. Records already built (an Instance of School objects) pass.
        if not isinstance(data, dict):
            return handler(data)
        data = dict(data)
        removed: dict[str, str] = {}
        for key in cls._NAMES:
            if isinstance(data.get(key), str):
                data[key], gone = clean_name(data[key])
                if gone:
                    removed[key] = gone
        model = handler(data)
        if removed:
            model._removed = removed
        return model

    @property
    def removed_controls(self) -> dict[str, str]:
        """The name fields that held control characters, and the characters removed."""
        return dict(self._removed)


def minutes_of(t: time) -> int:
    """Minutes since midnight of a clock time."""
    return t.hour * 60 + t.minute


class Settings(_Named):
    """Branch-wide settings; every key is optional and defaults as the contract says."""

    _NAMES: ClassVar[tuple[str, ...]] = ("branch",)

    branch: str = ""
    timezone: str = "Asia/Tokyo"
    term_start: date | None = None
    term_end: date | None = None
    day_start: time = time(8, 0)
    day_end: time = time(17, 0)
    min_lessons_per_week: int = Field(20, ge=0, le=MAX_WEEK_LESSONS)
    max_lessons_per_week: int = Field(25, ge=0, le=MAX_WEEK_LESSONS)
    max_lessons_per_day: int = Field(6, ge=0, le=MAX_DAY_LESSONS)
    max_schools_per_day: int = Field(1, ge=1, le=MAX_DAY_LESSONS)
    max_commute_minutes: int = Field(60, ge=0, le=MAX_MINUTES)
    # Walking pace at the least: slower gives journeys of days (and overflows below ~1e-300).
    travel_speed_kmh: float = Field(20.0, ge=1, le=MAX_SPEED_KMH)
    max_class_lessons_per_day: int = Field(1, ge=1, le=MAX_DAY_LESSONS)


class School(_Named):
    """A school an ALT may be sent to."""

    school_id: Id
    name: str = Field(min_length=1)
    level: Level
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    max_alts_per_day: int = Field(1, ge=1, le=MAX_ALTS_PER_SCHOOL_DAY)


class Bell(_Record):
    """One period of a school's bell schedule, on the days it exists."""

    school_id: Id
    period: int = Field(ge=1, le=MAX_PERIOD)
    start: time
    end: time
    days: tuple[Day, ...] = DAYS

    @model_validator(mode="after")
    def _end_after_start(self) -> Bell:
        if self.end <= self.start:
            raise ValueError(f"end {self.end:%H:%M} is not after start {self.start:%H:%M}")
        return self

    @property
    def minutes(self) -> int:
        """Length of the period in minutes."""
        return minutes_of(self.end) - minutes_of(self.start)


class SchoolClass(_Record):
    """A homeroom class in grade-class notation (``1-1`` = grade 1, class 1)."""

    school_id: Id
    class_: Id = Field(alias="class")
    alt_lessons: int = Field(ge=0, le=MAX_WEEK_LESSONS)
    # A key (two classes of one co-teacher never meet at once), so an id: see docs/input.md.
    co_teacher: Id | None = None

    @field_validator("class_")
    @classmethod
    def _grade_class(cls, v: str) -> str:
        if not CLASS_PATTERN.match(v):
            raise ValueError("is not grade-class like 1-1")
        return v

    @property
    def grade(self) -> int:
        """The grade (the number before the dash)."""
        return int(self.class_.split("-")[0])

    @property
    def key(self) -> tuple[str, str]:
        """(school_id, class), unique in an instance."""
        return (self.school_id, self.class_)


class Alt(_Named):
    """An Assistant Language Teacher and their contract."""

    alt_id: Id
    name: str = Field(min_length=1)
    home_lat: float = Field(ge=-90, le=90)
    home_lon: float = Field(ge=-180, le=180)
    levels: tuple[Level, ...] = LEVELS
    min_lessons: int | None = Field(None, ge=0, le=MAX_WEEK_LESSONS)
    max_lessons: int | None = Field(None, ge=0, le=MAX_WEEK_LESSONS)
    max_lessons_per_day: int | None = Field(None, ge=0, le=MAX_DAY_LESSONS)
    unavailable: tuple[Day, ...] = ()

    @model_validator(mode="after")
    def _min_not_above_max(self) -> Alt:
        if (
            self.min_lessons is not None
            and self.max_lessons is not None
            and self.min_lessons > self.max_lessons
        ):
            raise ValueError(
                f"min_lessons {self.min_lessons} is above max_lessons {self.max_lessons}"
            )
        return self


class Blocked(_Record):
    """Periods when no ALT lesson may happen: every week on a weekday, or on one date."""

    school_id: Id
    class_: Id | None = Field(None, alias="class")
    day: Annotated[Day | date, Field(union_mode="left_to_right")]
    periods: tuple[int, ...] | None = None

    @property
    def weekly(self) -> bool:
        """True for a weekday row (every week), False for a dated event."""
        return isinstance(self.day, str)


class Travel(_Record):
    """Door-to-door minutes between two places (school or ALT home)."""

    from_: Id = Field(alias="from")
    to: Id
    minutes: int = Field(ge=0, le=MAX_MINUTES)


class Period(BaseModel):
    """A period as it happens at a school on one day."""

    model_config = ConfigDict(frozen=True)

    period: int
    start: time
    end: time

    @property
    def start_min(self) -> int:
        """Start, minutes since midnight."""
        return minutes_of(self.start)

    @property
    def end_min(self) -> int:
        """End, minutes since midnight."""
        return minutes_of(self.end)


class Pin(_Record):
    """An assignment every solve keeps: the ALT teaches at the school (on ``day``; the exact
    lesson when ``class`` and ``period`` are given). Checked by :mod:`scheduler.replan.pins`."""

    alt_id: Id
    school_id: Id
    day: Day | None = None
    class_: Id | None = Field(None, alias="class")
    period: int | None = Field(None, ge=1, le=MAX_PERIOD)

    @property
    def exact(self) -> bool:
        """True when the pin names one lesson (class, day and period)."""
        return self.period is not None and self.class_ is not None and self.day is not None


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


class Instance(BaseModel):
    """A whole branch: everything a solve needs."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    settings: Settings = Settings()
    schools: tuple[School, ...] = ()
    bells: tuple[Bell, ...] = ()
    classes: tuple[SchoolClass, ...] = ()
    alts: tuple[Alt, ...] = ()
    blocked: tuple[Blocked, ...] = ()
    travel: tuple[Travel, ...] = ()
    # Optional (pins.csv): assignments every solve keeps, checked by scheduler.replan.pins.
    pins: tuple[Pin, ...] = ()

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy with ``update`` applied; lookups are recomputed, never copied stale."""
        copy = super().model_copy(update=update, deep=deep)
        for name, attr in vars(Instance).items():
            if isinstance(attr, cached_property):
                copy.__dict__.pop(name, None)
        return copy

    # ---- lookups -------------------------------------------------------------------------
    @cached_property
    def school_by_id(self) -> dict[str, School]:
        """Schools by id."""
        return {s.school_id: s for s in self.schools}

    @cached_property
    def alt_by_id(self) -> dict[str, Alt]:
        """ALTs by id."""
        return {a.alt_id: a for a in self.alts}

    @cached_property
    def class_by_key(self) -> dict[tuple[str, str], SchoolClass]:
        """Classes by (school_id, class)."""
        return {c.key: c for c in self.classes}

    @cached_property
    def classes_of(self) -> dict[str, list[SchoolClass]]:
        """Classes of each school, in input order."""
        out: dict[str, list[SchoolClass]] = {s.school_id: [] for s in self.schools}
        for c in self.classes:
            out.setdefault(c.school_id, []).append(c)
        return out

    def periods(self, school_id: str, day: Day) -> list[Period]:
        """The periods a school has on a weekday, sorted by start time."""
        return self._periods[(school_id, day)]

    @cached_property
    def _periods(self) -> dict[tuple[str, Day], list[Period]]:
        out: dict[tuple[str, Day], list[Period]] = {
            (s.school_id, d): [] for s in self.schools for d in DAYS
        }
        for b in self.bells:
            for d in b.days:
                out.setdefault((b.school_id, d), []).append(
                    Period(period=b.period, start=b.start, end=b.end)
                )
        for ps in out.values():
            ps.sort(key=lambda p: (p.start, p.period))
        return out

    def usable_periods(self, school_id: str, class_: str, day: Day) -> list[Period]:
        """Periods when this class may have an ALT lesson on this weekday.

        A period is usable when the bell schedule has it that day, it lies inside the
        branch's day window and no weekly blocked row covers it for the school or class.
        """
        lo, hi = minutes_of(self.settings.day_start), minutes_of(self.settings.day_end)
        blocked = self._weekly_blocked.get((school_id, day), {})
        whole = blocked.get(None, set())
        own = blocked.get(class_, set())
        out = []
        for p in self.periods(school_id, day):
            if p.start_min < lo or p.end_min > hi:
                continue
            if _covers(whole, p.period) or _covers(own, p.period):
                continue
            out.append(p)
        return out

    @cached_property
    def _weekly_blocked(self) -> dict[tuple[str, Day], dict[str | None, set[int | None]]]:
        # None in the period set stands for "the whole day".
        out: dict[tuple[str, Day], dict[str | None, set[int | None]]] = {}
        for b in self.blocked:
            if isinstance(b.day, str):
                slot = out.setdefault((b.school_id, b.day), {}).setdefault(b.class_, set())
                slot.update(b.periods if b.periods is not None else [None])
        return out

    # ---- contract values per ALT ---------------------------------------------------------
    def min_lessons(self, alt: Alt) -> int:
        """The ALT's weekly floor (own override or the branch default)."""
        return self.settings.min_lessons_per_week if alt.min_lessons is None else alt.min_lessons

    def max_lessons(self, alt: Alt) -> int:
        """The ALT's weekly ceiling (own override or the branch default)."""
        return self.settings.max_lessons_per_week if alt.max_lessons is None else alt.max_lessons

    def max_lessons_per_day(self, alt: Alt) -> int:
        """The ALT's daily ceiling (own override or the branch default)."""
        s = self.settings.max_lessons_per_day
        return s if alt.max_lessons_per_day is None else alt.max_lessons_per_day

    def available_days(self, alt: Alt) -> list[Day]:
        """Weekdays the ALT works."""
        return [d for d in DAYS if d not in alt.unavailable]

    # ---- travel --------------------------------------------------------------------------
    @cached_property
    def _travel_override(self) -> dict[tuple[str, str], int]:
        out: dict[tuple[str, str], int] = {}
        # Symmetric unless both directions are given: explicit rows win over mirrored ones.
        for t in self.travel:
            out.setdefault((t.to, t.from_), t.minutes)
        for t in self.travel:
            out[(t.from_, t.to)] = t.minutes
        return out

    def _place(self, place_id: str) -> tuple[float, float]:
        if place_id in self.school_by_id:
            s = self.school_by_id[place_id]
            return (s.lat, s.lon)
        a = self.alt_by_id[place_id]
        return (a.home_lat, a.home_lon)

    def travel_minutes(self, origin: str, destination: str) -> int:
        """Door-to-door whole minutes between two places (school ids or ALT ids for homes).

        travel.csv wins; otherwise straight-line distance at ``travel_speed_kmh``, rounded up.
        """
        if origin == destination:
            return 0
        override = self._travel_override.get((origin, destination))
        if override is not None:
            return override
        km = haversine_km(*self._place(origin), *self._place(destination))
        # Round before ceil so float noise never adds a minute.
        return math.ceil(round(km / self.settings.travel_speed_kmh * 60, 6))

    def commute_minutes(self, alt: Alt, school: School) -> int:
        """One-way minutes from the ALT's home to the school."""
        return self.travel_minutes(alt.alt_id, school.school_id)

    def qualified(self, alt: Alt, school: School) -> bool:
        """The ALT may teach at the school's level."""
        return school.level in alt.levels

    def reachable(self, alt: Alt, school: School) -> bool:
        """Qualified and within the branch's maximum commute."""
        return self.qualified(alt, school) and (
            self.commute_minutes(alt, school) <= self.settings.max_commute_minutes
        )

    def need(self) -> int:
        """Total ALT lessons the classes ask for each week."""
        return sum(c.alt_lessons for c in self.classes)

    def _repr_html_(self) -> str:
        """A summary for Jupyter: branch, ALTs, schools by level, classes, need and term."""
        from scheduler.notebook import facts_html

        st = self.settings
        levels = [(lv, sum(s.level == lv for s in self.schools)) for lv in LEVELS]
        by_level = ", ".join(f"{n} {lv.replace('_', ' ')}" for lv, n in levels if n)
        term = f"{st.term_start} to {st.term_end}" if st.term_start and st.term_end else "no dates"
        floors = f"{st.min_lessons_per_week}-{st.max_lessons_per_week} lessons a week"
        return facts_html(
            f"Branch {st.branch}" if st.branch else "Branch",
            [
                ("ALTs", f"{len(self.alts)} (contracts {floors} unless their own)"),
                ("schools", f"{len(self.schools)}" + (f" ({by_level})" if by_level else "")),
                ("classes", len(self.classes)),
                ("need", f"{self.need():,} ALT lessons a week"),
                ("term", term),
            ],
        )


def _covers(periods: set[int | None], period: int) -> bool:
    return None in periods or period in periods


def parse_periods(text: str) -> tuple[int, ...]:
    """Parse ``1``, ``5-6`` or ``1;3;5-6`` into a sorted tuple of period numbers."""
    out: set[int] = set()
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        m = re.fullmatch(r"(\d+)\s*-\s*(\d+)", part)
        if m:
            lo, hi = int(m.group(1)), int(m.group(2))
            if lo < 1 or hi < lo:
                raise ValueError("is not a period range like 5-6")
            if hi > MAX_PERIOD:
                raise ValueError(f"names period {hi}; periods go up to {MAX_PERIOD}")
            out.update(range(lo, hi + 1))
        elif part.isdigit() and int(part) >= 1:
            if int(part) > MAX_PERIOD:
                raise ValueError(f"names period {part}; periods go up to {MAX_PERIOD}")
            out.add(int(part))
        else:
            raise ValueError("is not a period number or range like 5-6")
    if not out:
        raise ValueError("names no period")
    return tuple(sorted(out))


# What a branch needs at least one of, in the words of the message.
_NEEDED: dict[str, str] = {
    "schools": "school",
    "bells": "period",
    "classes": "class",
    "alts": "ALT",
}


def _empty_tables(inst: Instance) -> list[InputIssue]:
    # A header-only alts.csv once solved "FEASIBLE 0/217" and exited 0: a branch without
    # schools, periods, classes or ALTs has no timetable to make, so it is an input error.
    return [
        InputIssue(
            TABLES[table], None, None, None, f"has no rows; a branch needs at least one {what}"
        )
        for table, what in _NEEDED.items()
        if not getattr(inst, table)
    ]


def reference_issues(inst: Instance, rows: dict[str, list[int]] | None = None) -> list[InputIssue]:
    """Every problem in how the tables refer to each other, each with file, row and column.

    ``rows[table][i]`` is the spreadsheet row of the table's i-th record; without it, record
    i is taken to be on row i + 2 (one header row). One function per table, in this order.
    """
    at = _Rows(rows)
    return [
        *_empty_tables(inst),
        *_settings_issues(inst.settings),
        *_id_issues(inst, at),
        *_alt_issues(inst, at),
        *_bell_issues(inst, at),
        *_class_issues(inst, at),
        *_blocked_issues(inst, at),
        *_travel_issues(inst, at),
    ]


class _Rows:
    """Where each table's records sit in their files, to name them in an issue."""

    def __init__(self, rows: dict[str, list[int]] | None) -> None:
        self.rows = rows

    def row(self, table: str, i: int) -> int:
        """The spreadsheet row of the table's i-th record."""
        return self.rows[table][i] if self.rows and table in self.rows else i + 2

    def issue(self, table: str, i: int, column: str | None, value: object, msg: str) -> InputIssue:
        """An issue about the table's i-th record."""
        shown = None if value is None else str(value)
        return InputIssue(TABLES[table], self.row(table, i), column, shown, msg)


def _settings_issues(st: Settings) -> list[InputIssue]:
    # Settings that contradict each other (each value alone was checked on reading).
    def bad(column: str, value: str | None, why: str) -> InputIssue:
        return InputIssue("settings.csv", None, column, value, why)

    out = []
    if st.min_lessons_per_week > st.max_lessons_per_week:
        why = f"is above max_lessons_per_week {st.max_lessons_per_week}"
        out.append(bad("min_lessons_per_week", str(st.min_lessons_per_week), why))
    if st.day_end <= st.day_start:
        why = f"is not after day_start {st.day_start:%H:%M}"
        out.append(bad("day_end", f"{st.day_end:%H:%M}", why))
    if st.term_start and st.term_end and st.term_end < st.term_start:
        out.append(bad("term_end", str(st.term_end), f"is before term_start {st.term_start}"))
    # Term dates are optional (no feeds without them), but one without the other, or a term
    # of years, is a slip found now rather than when the feeds are written after the search.
    if st.term_start and st.term_end and (st.term_end - st.term_start).days >= MAX_TERM_DAYS:
        why = f"is more than a year after term_start {st.term_start}"
        out.append(bad("term_end", str(st.term_end), why))
    for name, given, other, other_name in (
        ("term_start", st.term_start, st.term_end, "term_end"),
        ("term_end", st.term_end, st.term_start, "term_start"),
    ):
        if given is None and other is not None:
            out.append(bad(name, None, f"is needed with {other_name} (YYYY-MM-DD)"))
    return out


def _id_issues(inst: Instance, at: _Rows) -> list[InputIssue]:
    # Ids that name two records: schools, ALTs, then classes (unique per school; the cell
    # holds only the class, so that is the value shown).
    out = _duplicates(at, "schools", [s.school_id for s in inst.schools], "school_id")
    out += _duplicates(at, "alts", [a.alt_id for a in inst.alts], "alt_id")
    seen_classes: set[tuple[str, str]] = set()
    for i, c in enumerate(inst.classes):
        if c.key in seen_classes:
            out.append(
                at.issue("classes", i, "class", c.class_, f"is a duplicate at {c.school_id}")
            )
        seen_classes.add(c.key)
    return out


def _duplicates(at: _Rows, table: str, ids: Iterable[str], column: str) -> list[InputIssue]:
    seen: set[str] = set()
    out = []
    for i, v in enumerate(ids):
        if v in seen:
            out.append(at.issue(table, i, column, v, "is a duplicate"))
        seen.add(v)
    return out


def _alt_issues(inst: Instance, at: _Rows) -> list[InputIssue]:
    # An alt_id that is also a school_id, and one contract override against the branch's
    # other bound (both given are checked per row).
    st = inst.settings
    clash = set(inst.school_by_id) & set(inst.alt_by_id)
    out = []
    for i, a in enumerate(inst.alts):
        if a.alt_id in clash:
            why = "is also a school_id; travel.csv could not tell them apart"
            out.append(at.issue("alts", i, "alt_id", a.alt_id, why))
        one_given = (a.min_lessons is None) != (a.max_lessons is None)
        if not one_given or inst.min_lessons(a) <= inst.max_lessons(a):
            continue
        if a.max_lessons is not None:
            msg = (
                f"is below the branch's weekly floor min_lessons_per_week "
                f"{st.min_lessons_per_week}; give this ALT a min_lessons too"
            )
            out.append(at.issue("alts", i, "max_lessons", a.max_lessons, msg))
        else:
            msg = (
                f"is above the branch's weekly ceiling max_lessons_per_week "
                f"{st.max_lessons_per_week}; give this ALT a max_lessons too"
            )
            out.append(at.issue("alts", i, "min_lessons", a.min_lessons, msg))
    return out


def _bell_issues(inst: Instance, at: _Rows) -> list[InputIssue]:
    # Each bell row: a known school, inside the day, given once per school, period and day;
    # then periods of a school-day that overlap.
    st = inst.settings
    lo, hi = minutes_of(st.day_start), minutes_of(st.day_end)
    seen_bells: dict[tuple[str, int, Day], int] = {}
    out = []
    for i, b in enumerate(inst.bells):
        if b.school_id not in inst.school_by_id:
            why = "is not a school_id in schools.csv"
            out.append(at.issue("bells", i, "school_id", b.school_id, why))
            continue
        if minutes_of(b.start) < lo:
            why = f"is before day_start {st.day_start:%H:%M}"
            out.append(at.issue("bells", i, "start", f"{b.start:%H:%M}", why))
        if minutes_of(b.end) > hi:
            why = f"is after day_end {st.day_end:%H:%M}"
            out.append(at.issue("bells", i, "end", f"{b.end:%H:%M}", why))
        for d in b.days:
            key = (b.school_id, b.period, d)
            if key in seen_bells:
                why = f"is given twice for {b.school_id} on {d}"
                out.append(at.issue("bells", i, "period", b.period, why))
            seen_bells[key] = i
    return out + _bell_overlaps(inst, at)


def _bell_overlaps(inst: Instance, at: _Rows) -> list[InputIssue]:
    out = []
    for (sid, d), ps in inst._periods.items():
        for p, q in pairwise(ps):
            if q.start_min < p.end_min:
                j = next(
                    i
                    for i, b in enumerate(inst.bells)
                    if b.school_id == sid and b.period == q.period and d in b.days
                )
                why = f"overlaps period {p.period} of {sid} on {d}"
                out.append(at.issue("bells", j, "start", f"{q.start:%H:%M}", why))
    return out


def _class_issues(inst: Instance, at: _Rows) -> list[InputIssue]:
    # Each class: a known school, a grade its level has, periods when it needs lessons.
    with_bells = {b.school_id for b in inst.bells}
    out = []
    for i, c in enumerate(inst.classes):
        school = inst.school_by_id.get(c.school_id)
        if school is None:
            why = "is not a school_id in schools.csv"
            out.append(at.issue("classes", i, "school_id", c.school_id, why))
            continue
        if c.grade > MAX_GRADE[school.level]:
            why = f"has grade {c.grade}, but {school.level} grades run 1-{MAX_GRADE[school.level]}"
            out.append(at.issue("classes", i, "class", c.class_, why))
        if c.alt_lessons > 0 and c.school_id not in with_bells:
            why = "has no periods in bells.csv"
            out.append(at.issue("classes", i, "school_id", c.school_id, why))
    return out


def _blocked_issues(inst: Instance, at: _Rows) -> list[InputIssue]:
    # Each blocked row: a known school and class, a date inside the term, known periods.
    st = inst.settings
    periods_of: dict[str, set[int]] = {}
    for b in inst.bells:
        periods_of.setdefault(b.school_id, set()).add(b.period)
    out = []
    for i, bl in enumerate(inst.blocked):
        if bl.school_id not in inst.school_by_id:
            why = "is not a school_id in schools.csv"
            out.append(at.issue("blocked", i, "school_id", bl.school_id, why))
            continue
        if bl.class_ is not None and (bl.school_id, bl.class_) not in inst.class_by_key:
            why = f"is not a class of {bl.school_id} in classes.csv"
            out.append(at.issue("blocked", i, "class", bl.class_, why))
        if isinstance(bl.day, date) and (
            (st.term_start and bl.day < st.term_start) or (st.term_end and bl.day > st.term_end)
        ):
            why = f"is outside the term {st.term_start} to {st.term_end}"
            out.append(at.issue("blocked", i, "day", bl.day, why))
        unknown = [p for p in bl.periods or () if p not in periods_of.get(bl.school_id, set())]
        if unknown:
            why = f"is not a period of {bl.school_id} in bells.csv"
            out.append(at.issue("blocked", i, "periods", ";".join(map(str, unknown)), why))
    return out


def _travel_issues(inst: Instance, at: _Rows) -> list[InputIssue]:
    # Each trip: between known places, given once (the reverse trip is its own row), and
    # between two different places.
    places = set(inst.school_by_id) | set(inst.alt_by_id)
    trips: dict[tuple[str, str], int] = {}
    out = []
    for i, t in enumerate(inst.travel):
        for col, v in (("from", t.from_), ("to", t.to)):
            if v not in places:
                out.append(at.issue("travel", i, col, v, "is neither a school_id nor an alt_id"))
        # Two rows for one trip leave its time ambiguous.
        if (t.from_, t.to) in trips:
            first = at.row("travel", trips[(t.from_, t.to)])
            msg = f"to {t.to} is given again (first on row {first})"
            out.append(at.issue("travel", i, "from", t.from_, msg))
        trips.setdefault((t.from_, t.to), i)
        if t.from_ == t.to:
            out.append(at.issue("travel", i, "to", t.to, "is the same place as from"))
    return out


_CONTROLS_REMOVED = (
    "is shown without the control characters it held ({}); they would have reached "
    "terminals, pages and calendar feeds as they are"
)


def _name_warnings(inst: Instance, row: Callable[[str, int], int]) -> list[InputIssue]:
    """A warning per name that held control characters (they were removed on loading)."""
    # Settings have no row here; the reader gives a settings issue the row of its key.
    named: list[tuple[str, int | None, _Named]] = [("settings", None, inst.settings)]
    for table, records in (("schools", inst.schools), ("alts", inst.alts)):
        named += [(table, row(table, i), record) for i, record in enumerate(records)]
    return [
        InputIssue(TABLES[table], number, key, getattr(record, key),
                   _CONTROLS_REMOVED.format(code_points(gone)))
        for table, number, record in named
        for key, gone in record.removed_controls.items()
    ]  # fmt: skip


def _no_need(inst: Instance) -> list[InputIssue]:
    # Legal (a branch checking its ALTs' contracts before the needs are in), but the
    # timetable will be empty: say so once rather than solve nothing in silence.
    if not inst.classes or inst.need() > 0:
        return []
    why = "is 0 for every class: nothing will be timetabled"
    return [InputIssue(TABLES["classes"], None, "alt_lessons", None, why)]


def warnings_for(inst: Instance, rows: dict[str, list[int]] | None = None) -> list[InputIssue]:
    """Suspicious but legal data: names that held control characters, odd period lengths,
    unreachable ALTs and classes. One function per table, in this order."""
    at = _Rows(rows)
    return [
        *_name_warnings(inst, at.row),
        *_no_need(inst),
        *_blocked_warnings(inst, at),
        *_bell_warnings(inst, at),
        *_alt_warnings(inst, at),
        *_class_warnings(inst, at),
    ]


def _blocked_warnings(inst: Instance, at: _Rows) -> list[InputIssue]:
    # Legal, but it blocks nothing: no lesson happens on a weekend or a holiday anyway.
    out = []
    for i, bl in enumerate(inst.blocked):
        if isinstance(bl.day, date) and (bl.day.weekday() >= 5 or jpholiday.is_holiday(bl.day)):
            what = "a weekend" if bl.day.weekday() >= 5 else jpholiday.is_holiday_name(bl.day)
            why = f"falls on {what}; no lesson happens then anyway"
            out.append(at.issue("blocked", i, "day", bl.day.isoformat(), why))
    return out


def _bell_warnings(inst: Instance, at: _Rows) -> list[InputIssue]:
    # A period of another length than the level's usual one is often a typing slip.
    out = []
    for i, b in enumerate(inst.bells):
        school = inst.school_by_id.get(b.school_id)
        if school is None:
            continue
        typical = TYPICAL_PERIOD_MINUTES[school.level]
        if b.minutes != typical:
            why = (
                f"makes period {b.period} last {b.minutes} minutes; "
                f"{school.level} periods usually last {typical}"
            )
            out.append(at.issue("bells", i, "end", f"{b.end:%H:%M}", why))
    return out


def _alt_warnings(inst: Instance, at: _Rows) -> list[InputIssue]:
    # An ALT who can reach no school will teach nothing.
    out = []
    for i, a in enumerate(inst.alts):
        if any(inst.reachable(a, s) for s in inst.schools):
            continue
        # Distance is the reason only when a school of their level exists at all.
        why = (
            "can reach no school they are qualified for within "
            f"{inst.settings.max_commute_minutes} minutes"
            if any(inst.qualified(a, s) for s in inst.schools)
            else f"is qualified for {' and '.join(a.levels)} and the branch has no such school"
        )
        out.append(at.issue("alts", i, "alt_id", a.alt_id, why))
    return out


def _class_warnings(inst: Instance, at: _Rows) -> list[InputIssue]:
    # A class with need that no qualified ALT can reach stays unmet whatever the search does.
    out = []
    for i, c in enumerate(inst.classes):
        school = inst.school_by_id.get(c.school_id)
        if school is None or c.alt_lessons == 0:
            continue
        if not any(inst.reachable(a, school) for a in inst.alts):
            why = (
                f"at {c.school_id} needs {c.alt_lessons} lessons but no qualified "
                f"ALT lives within {inst.settings.max_commute_minutes} minutes"
            )
            out.append(at.issue("classes", i, "class", c.class_, why))
    return out
