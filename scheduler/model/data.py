"""Index of what can happen at all: candidate visits, usable periods, caps.

Everything the master and the placement need is precomputed once here, so the model
functions read like the rules they state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scheduler.instance import DAYS, Day, Instance, Period, SchoolClass, Settings
from scheduler.result import Lesson

if TYPE_CHECKING:
    from scheduler.model.pins import Replan

ClassKey = tuple[str, str]  # (school_id, class)
# One ALT at one school on one weekday: (alt_id, school_id, day). Every model and bound
# indexes its visit variables by it.
Visit = tuple[str, str, Day]


@dataclass
class Prepared:
    """Precomputed candidates of one instance."""

    instance: Instance
    # Usable periods per (class, day); only classes with need and a usable period appear.
    periods: dict[tuple[ClassKey, Day], list[Period]] = field(default_factory=dict)
    # cap[(class, day)] = most ALT lessons the class can take that day.
    cap: dict[tuple[ClassKey, Day], int] = field(default_factory=dict)
    # Candidate visits (alt_id, school_id, day).
    visits: list[Visit] = field(default_factory=list)
    # Reachable (alt_id, school_id) pairs and their one-way commute minutes.
    commute: dict[tuple[str, str], int] = field(default_factory=dict)
    # Classes with need at each school.
    needy: dict[str, list[SchoolClass]] = field(default_factory=dict)
    # Weekly lessons each ALT already gives outside this model's visits (set by the region
    # LNS for the ALTs it keeps fixed; empty for a whole-branch model).
    fixed_load: dict[str, int] = field(default_factory=dict)
    # The previous timetable a re-plan stays close to (scheduler.model.pins); None otherwise.
    replan: Replan | None = None
    # (usable periods of any needy class, lessons the classes can take) per school-day,
    # filled on first use by :meth:`room`.
    _room: dict[tuple[str, Day], tuple[int, int]] = field(default_factory=dict, repr=False)

    def room(self, school_id: str, day: Day) -> tuple[int, int]:
        """Periods some needy class of the school can use that day, and the lessons its
        classes can take that day (each at most its daily cap)."""
        key = (school_id, day)
        if key not in self._room:
            classes = self.needy.get(school_id, [])
            periods = {p.period for c in classes for p in self.periods.get((c.key, day), [])}
            absorb = sum(self.cap.get((c.key, day), 0) for c in classes)
            self._room[key] = (len(periods), absorb)
        return self._room[key]

    @property
    def settings(self) -> Settings:
        """The instance settings."""
        return self.instance.settings


def prepare(inst: Instance) -> Prepared:
    """Compute candidate visits and usable periods of an instance.

    The rules that only remove candidates are enforced here, by never creating what they
    forbid: bell_mismatch, day_window and blocked in :func:`usable_periods`; level, commute
    and day_off in :func:`candidate_visits`.
    """
    prep = Prepared(instance=inst)
    usable_periods(prep)
    candidate_visits(prep)
    return prep


def usable_periods(prep: Prepared) -> None:
    """Fill each needy class's usable periods and daily cap (class_day_limit, at most the
    usable periods): only periods of its school's bells (bell_mismatch), inside the day
    window (day_window) and not blocked (blocked)."""
    inst = prep.instance
    limit = inst.settings.max_class_lessons_per_day
    for c in inst.classes:
        if c.alt_lessons <= 0:
            continue
        for d in DAYS:
            ps = inst.usable_periods(c.school_id, c.class_, d)
            if ps:
                prep.periods[(c.key, d)] = ps
                prep.cap[(c.key, d)] = min(limit, len(ps))
        if any((c.key, d) in prep.cap for d in DAYS):
            prep.needy.setdefault(c.school_id, []).append(c)


def candidate_visits(prep: Prepared) -> None:
    """Fill the candidate visits: an ALT only at schools of their level within the maximum
    commute (level, commute), only on their available days (day_off), only on days the school
    has a usable period."""
    inst = prep.instance
    open_days = {
        sid: [d for d in DAYS if any((c.key, d) in prep.cap for c in cs)]
        for sid, cs in prep.needy.items()
    }
    for a in inst.alts:
        if inst.max_lessons(a) == 0 or inst.max_lessons_per_day(a) == 0:
            continue
        days = inst.available_days(a)
        for sid in prep.needy:
            s = inst.school_by_id[sid]
            if not inst.reachable(a, s):
                continue
            prep.commute[(a.alt_id, sid)] = inst.commute_minutes(a, s)
            prep.visits += [(a.alt_id, sid, d) for d in open_days[sid] if d in days]


def overlaps(p: Period, q: Period, gap: int = 0) -> bool:
    """True when p and q are closer than ``gap`` minutes (overlap for gap 0)."""
    return p.start_min < q.end_min + gap and q.start_min < p.end_min + gap


def too_close(inst: Instance, s1: str, p1: Period, s2: str, p2: Period) -> bool:
    """True when one ALT cannot teach period ``p1`` at school ``s1`` and ``p2`` at ``s2`` on
    one day: they overlap, or the gap is shorter than the travel from the earlier school to
    the later one (travel.csv may give each direction its own time)."""
    if overlaps(p1, p2):
        return True
    if s1 == s2:
        return False
    if p1.end_min <= p2.start_min:
        return p2.start_min - p1.end_min < inst.travel_minutes(s1, s2)
    return p1.start_min - p2.end_min < inst.travel_minutes(s2, s1)


def alt_week_capacity(prep: Prepared) -> dict[str, int]:
    """Most lessons each ALT can give in a week: their weekly maximum, or their daily maximum
    times the days on which they can reach some school with need, whichever is smaller."""
    inst = prep.instance
    days: dict[str, set[Day]] = {a.alt_id: set() for a in inst.alts}
    for a, _s, d in prep.visits:
        days[a].add(d)
    return {
        a.alt_id: min(inst.max_lessons(a), inst.max_lessons_per_day(a) * len(days[a.alt_id]))
        for a in inst.alts
    }


class Links:
    """Union-find over string keys: which things end up linked together."""

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        """The representative of x's group."""
        parent = self._parent
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def link(self, x: str, y: str) -> None:
        """Put x and y in one group."""
        self._parent[self.find(x)] = self.find(y)


def period_of(prep: Prepared, school_id: str, day: Day, pnum: int) -> Period:
    """The period numbered ``pnum`` of a school on a weekday."""
    return next(p for p in prep.instance.periods(school_id, day) if p.period == pnum)


def lesson_at(prep: Prepared, alt_id: str, ck: ClassKey, day: Day, pnum: int) -> Lesson:
    """The lesson an ALT gives class ``ck`` in period ``pnum`` of a weekday."""
    p = period_of(prep, ck[0], day, pnum)
    return Lesson(
        alt_id=alt_id,
        school_id=ck[0],
        class_=ck[1],
        day=day,
        period=pnum,
        start=p.start,
        end=p.end,
    )
