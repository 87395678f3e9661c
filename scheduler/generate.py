"""Realistic random branches for tests, benchmarks and demos.

:func:`generate` draws a whole branch (schools, bells, classes, ALTs, blocked periods) from the
facts in ``domain.md``, sized so the classes ask for about 22.5 lessons a week per ALT, the
middle of the 20-25 contract range. It is a pure function of its arguments: one
``random.Random(seed)`` drives every draw, so the same seed gives the same instance (and the
same bytes once written). ``docs/generator.md`` lists each distribution and its source.

With ``shortage`` > 0 the same branch is drawn and then the limits of a mix the seed picks
(weekly ceilings, days off, the junior-high level, a region, visit days, ALTs per school-day)
are tightened until the lessons they can give fall that share short of demand;
:class:`Shortage` says which bind.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import TypeVar

import jpholiday

from scheduler.instance import (
    DAYS,
    Alt,
    Bell,
    Blocked,
    Day,
    Instance,
    Level,
    School,
    SchoolClass,
    Settings,
    Travel,
    haversine_km,
)

T = TypeVar("T")
LEVELS_BOTH: tuple[Level, ...] = ("elementary", "junior_high")

#: Utsunomiya station: a real mid-sized city centre with the school density modelled here.
CITY_CENTRE: tuple[float, float] = (36.555, 139.883)
LESSONS_PER_ALT = 22.5  # the middle of the 20-25 lessons a week of the contract
NEED_TOLERANCE = 0.01  # the tuned total lands within 1% of the target (tests allow 3%)
KM_PER_DEG_LAT = 111.2
DEFAULT_TERM = (date(2027, 1, 8), date(2027, 3, 19))  # the third term of school year 2026
# Short-handed branches (docs/generator.md, "Short-handed branches"): the limits that can bind,
# and the mixes a seed picks from. A level or a region is short alone: the whole is not.
MAX_SHORTAGE = 0.3  # above this a branch is not short-handed but unstaffed
SHORTAGE_MIXES: tuple[tuple[str, ...], ...] = (
    ("weekly ceilings",),
    ("days off",),
    ("weekly ceilings", "days off"),
    ("junior-high level",),
    ("region",),
    ("visit days",),
    ("ALTs per school-day",),
)
REGION_SHARE = 3  # the short region needs about three times the lessons it is short of
ACROSS_MINUTES = 30  # added to the commute limit: the river crossing puts a region out of reach
PART_WEEK_PER_DAY = 5  # weekly ceiling per working day of an ALT given days off
MAX_DAYS_OFF = 2  # a flu week or a half-time contract; three days off would be leave

SCHOOL_WORDS = (
    "Sakura", "Kita", "Minami", "Higashi", "Nishi", "Chuo", "Midori", "Aoba", "Asahi",
    "Hinode", "Wakaba", "Kawada", "Yokokawa", "Hiraide", "Tomizuka", "Kiyohara", "Shimizu",
    "Izumi", "Matsubara", "Takaragi", "Sakae", "Hoshigaoka", "Oyama", "Miyanohara", "Heiwa",
    "Kamitoda", "Shinmachi", "Nakasato", "Kotobuki", "Hanazono", "Fujimi", "Momiji",
    "Suzukake", "Yanagida", "Kamiyama", "Ishii", "Tsuruta", "Hosoya", "Sasahara", "Hikari",
)  # fmt: skip
FIRST_NAMES = (
    "Aaron", "Abigail", "Adam", "Alice", "Amelia", "Ben", "Bethany", "Caleb", "Chloe",
    "Daniel", "Diana", "Ethan", "Emma", "Fiona", "George", "Grace", "Hannah", "Henry", "Isaac",
    "Isla", "Jack", "Jasmine", "Kevin", "Laura", "Liam", "Lucy", "Marcus", "Megan", "Nathan",
    "Nora", "Oliver", "Olivia", "Patrick", "Rachel", "Ryan", "Sarah", "Sean", "Sophie",
    "Thomas", "Zoe",
)  # fmt: skip
LAST_NAMES = (
    "Anderson", "Baker", "Brown", "Campbell", "Clarke", "Davies", "Edwards", "Evans", "Fraser",
    "Green", "Hall", "Harris", "Hughes", "Jackson", "Johnson", "Kelly", "King", "Lee",
    "Lewis", "MacDonald", "Martin", "Mitchell", "Morgan", "Murphy", "Nelson", "O'Brien",
    "Parker", "Patel", "Reid", "Roberts", "Robinson", "Scott", "Smith", "Stewart", "Taylor",
    "Thompson", "Walker", "White", "Williams", "Wilson",
)  # fmt: skip


@dataclass(frozen=True)
class EventKind:
    """A kind of school event that blocks lessons on a date (domain.md, "Events block")."""

    name: str
    level: Level
    grade: int | None  # None: the whole school
    periods: tuple[int, ...] | None  # None: the whole day
    months: tuple[int, ...]  # months in which such events happen
    days: int = 1  # consecutive school days
    chance: float = 0.7  # share of schools holding it when its months fall in the term
    citywide: bool = False  # one date for every school of the level (set by the city)


EVENTS: tuple[EventKind, ...] = (
    EventKind("physical exam", "elementary", None, (1, 2), (4, 5, 6)),
    EventKind("sports day", "elementary", None, None, (5, 6, 9, 10), chance=0.9),
    EventKind("excursion", "elementary", 6, None, (5, 6, 10, 11)),
    EventKind("school festival", "elementary", None, None, (10, 11, 2)),
    EventKind("farewell assembly", "elementary", None, (3, 4), (2, 3)),
    EventKind("graduation rehearsal", "elementary", 6, None, (3,), chance=0.9),
    EventKind("physical exam", "junior_high", None, (1, 2), (4, 5, 6)),
    EventKind("sports day", "junior_high", None, None, (5, 6, 9, 10), chance=0.9),
    EventKind("school trip", "junior_high", 2, None, (5, 6, 10, 11), days=2),
    EventKind("school festival", "junior_high", None, None, (9, 10, 11)),
    EventKind("term exams", "junior_high", None, None, (2, 3, 6, 7, 11, 12), days=2),
    EventKind("high-school entrance exam", "junior_high", 3, None, (2, 3), 1, 1.0, True),
    EventKind("graduation ceremony", "junior_high", None, None, (3,), 1, 1.0, True),
)


@dataclass
class _Draft:
    """A school while it is being drawn; classes are (grade, class number, lessons)."""

    school_id: str
    name: str
    level: Level
    lat: float
    lon: float
    classes: list[list[int]] = field(default_factory=list)

    @property
    def need(self) -> int:
        return sum(c[2] for c in self.classes)


@dataclass(frozen=True)
class Shortage:
    """How a short-handed branch is short: which limits bind and how much each takes.

    ``demand`` is the lessons the classes ask for; ``short_by`` is ``round(share * demand)``,
    at least 1: the lessons the binding limits leave ungiven as the generator counts them
    (weekly ceilings, days off, ALTs qualified for a level or reaching a region, large schools
    taking one ALT a day; reach and periods could take more, and on the generated branches
    checked they do not). For visit days it is what the visit bound
    (:func:`scheduler.bounds.coverage.visit_coverage_bound`) leaves ungiven, whole days off
    making it up to a day's lessons more than the share asked.
    ``taken`` gives, per binding limit, the lessons of capacity it removed from the generous
    branch; ``detail`` says it in users' words.
    """

    share: float
    demand: int
    short_by: int
    binding: tuple[str, ...]
    taken: tuple[int, ...]
    detail: tuple[str, ...]

    def describe(self) -> str:
        """One console line, e.g. ``short by ~2% (27 of 1346 lessons): binding: days off``."""
        return (
            f"short by ~{self.share * 100:g}% ({self.short_by} of {self.demand} lessons): "
            f"binding: {' + '.join(self.binding)} ({'; '.join(self.detail)})"
        )


@dataclass(frozen=True)
class GeneratedBranch:
    """A generated branch and, when it is short-handed, how (:func:`generate_branch`)."""

    instance: Instance
    shortage: Shortage | None


def parse_share(text: str) -> float:
    """Read a shortage share: ``0.02`` or ``2%``; 0 up to :data:`MAX_SHORTAGE`.

    Raises ``ValueError`` with a message naming the value otherwise (a bare ``5`` is refused
    rather than guessed to mean 5%).
    """
    raw = text.strip()
    try:
        share = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        raise ValueError(f"{text!r} is not a share (write 0.02 or 2%)") from None
    if not 0 <= share <= MAX_SHORTAGE or math.isnan(share):
        raise ValueError(
            f"{text!r} is outside 0-{MAX_SHORTAGE:g} ({MAX_SHORTAGE:.0%}); write 0.02 or 2%"
        )
    return share


def generate(
    n_alts: int,
    seed: int,
    *,
    term_start: date | None = DEFAULT_TERM[0],
    term_end: date | None = DEFAULT_TERM[1],
    centre: tuple[float, float] = CITY_CENTRE,
    branch: str | None = None,
    shortage: float = 0.0,
) -> Instance:
    """Draw a realistic branch with ``n_alts`` ALTs (:func:`generate_branch` without the
    description of its shortage)."""
    return generate_branch(
        n_alts,
        seed,
        term_start=term_start,
        term_end=term_end,
        centre=centre,
        branch=branch,
        shortage=shortage,
    ).instance


def generate_branch(
    n_alts: int,
    seed: int,
    *,
    term_start: date | None = DEFAULT_TERM[0],
    term_end: date | None = DEFAULT_TERM[1],
    centre: tuple[float, float] = CITY_CENTRE,
    branch: str | None = None,
    shortage: float = 0.0,
    mix: tuple[str, ...] | None = None,
) -> GeneratedBranch:
    """Draw a realistic branch with ``n_alts`` ALTs, generous or short-handed.

    Parameters
    ----------
    n_alts
        Number of ALTs (at least 1); the schools are sized so their classes need about
        ``22.5 * n_alts`` lessons a week.
    seed
        Seed of the one random generator used; the same arguments give the same instance.
    term_start, term_end
        The term written to settings; dated events (sports day, exams, ...) are drawn inside
        it. ``None`` for either leaves the term out and draws no dated events.
    centre
        (lat, lon) of the city centre.
    branch
        Display name; defaults to one naming the size and seed.
    shortage
        Share of the demand the ALTs cannot give (0 up to :data:`MAX_SHORTAGE`). 0 draws the
        generous branch (no extra random draws, so its bytes do not depend on this option);
        above 0 the same
        branch is drawn and then the limits of a mix in :data:`SHORTAGE_MIXES`, picked by the
        seed, are tightened until demand exceeds what they leave by that share.
    mix
        One of :data:`SHORTAGE_MIXES` to use instead of the seed's (benchmarks cover every
        mix this way); the seed's draw is still made, so the other draws stay the same.

    Returns
    -------
    GeneratedBranch
        The instance (its reference checks pass; every ALT and every class with need has a
        qualified partner within the commute limit) and its :class:`Shortage`, or ``None``.
    """
    if n_alts < 1:
        raise ValueError(f"n_alts must be at least 1, got {n_alts}")
    if not 0 <= shortage <= MAX_SHORTAGE:
        raise ValueError(f"shortage must be within 0-{MAX_SHORTAGE:g}, got {shortage}")
    if mix is not None and mix not in SHORTAGE_MIXES:
        raise ValueError(f"mix must be one of {SHORTAGE_MIXES}, got {mix}")
    if term_start is not None and term_end is not None and term_end < term_start:
        raise ValueError(f"term_end {term_end} is before term_start {term_start}")
    rng = random.Random(seed)
    has_term = term_start is not None and term_end is not None
    settings = Settings(
        branch=branch or f"Generated branch, {n_alts} ALTs, seed {seed}",
        term_start=term_start if has_term else None,
        term_end=term_end if has_term else None,
    )
    radius = city_radius_km(n_alts)
    drafts = _draw_schools(rng, n_alts, centre, radius)
    _tune_need(rng, drafts, round(LESSONS_PER_ALT * n_alts))

    schools = [_school(d) for d in drafts]
    bells_of = {d.school_id: _bells(rng, d) for d in drafts}
    bells = [b for d in drafts for b in bells_of[d.school_id]]
    classes = [
        SchoolClass(
            school_id=d.school_id,
            class_=f"{g}-{k}",
            alt_lessons=n,
            co_teacher=f"JTE-{d.school_id}-{g}"
            if d.level == "junior_high"
            else f"HR-{d.school_id}-{g}-{k}",
        )
        for d in drafts
        for g, k, n in d.classes
    ]
    blocked = [b for d in drafts for b in _weekly_blocks(rng, d, bells_of[d.school_id][-1].days)]
    if term_start is not None and term_end is not None:
        blocked += _dated_events(rng, drafts, term_start, term_end)
    alts = _draw_alts(rng, n_alts, drafts, centre, radius, settings)
    inst = Instance(
        settings=settings,
        schools=tuple(schools),
        bells=tuple(bells),
        classes=tuple(classes),
        alts=tuple(alts),
        blocked=tuple(blocked),
    )
    if shortage == 0:
        # No further draws: the generous branch stays byte-identical for every seed.
        return GeneratedBranch(inst, None)
    return _short_handed(rng, inst, shortage, mix)


def city_radius_km(n_alts: int) -> float:
    """Radius of the generated city: about 6 km at 10 ALTs, 26 km at 250.

    Growing like the square root keeps the number of schools per km² constant, so an ALT's
    60-minute commute reaches a similar number of schools at every size.
    """
    return 1.0 + 1.6 * math.sqrt(n_alts)


# ---- schools ---------------------------------------------------------------------------------
def _draw_schools(
    rng: random.Random, n_alts: int, centre: tuple[float, float], radius: float
) -> list[_Draft]:
    # Schools come in the order ES, ES, JHS (one junior high per two elementary schools);
    # we stop at the count whose total need is closest to the target.
    target = LESSONS_PER_ALT * n_alts
    towns = _towns(rng, n_alts, radius)
    drafts: list[_Draft] = []
    counts: dict[Level, int] = {"elementary": 0, "junior_high": 0}
    names: dict[Level, dict[str, int]] = {"elementary": {}, "junior_high": {}}
    total = 0
    while True:
        level: Level = "junior_high" if len(drafts) % 3 == 2 else "elementary"
        counts[level] += 1
        prefix, suffix = ("E", "ES") if level == "elementary" else ("J", "JHS")
        word = rng.choice(SCHOOL_WORDS)
        names[level][word] = names[level].get(word, 0) + 1
        n = names[level][word]
        name = f"{word} {suffix}" if n == 1 else f"{word} {n} {suffix}"
        lat, lon = _shift(centre, *_school_spot(rng, towns, radius))
        d = _Draft(f"{prefix}{counts[level]:03d}", name, level, lat, lon)
        d.classes = _draw_classes(rng, level)
        if drafts and abs(total + d.need - target) > abs(total - target):
            return drafts
        drafts.append(d)
        total += d.need


def _draw_classes(rng: random.Random, level: Level) -> list[list[int]]:
    """Classes per grade and weekly ALT lessons per class for one school."""
    out: list[list[int]] = []
    if level == "elementary":
        small = rng.random() < 0.4  # 40% of elementary schools are small (1-2 per grade)
        base = (
            _pick(rng, (1, 2), (0.6, 0.4)) if small else _pick(rng, (2, 3, 4), (0.3, 0.45, 0.25))
        )
        lo, hi = (1, 2) if small else (2, 4)
        lower_grades = rng.random() < 0.3  # some schools also give grades 1-2 a lesson
        for g in range(1, 7):
            per = {1: 1 if lower_grades else 0, 2: 1 if lower_grades else 0, 3: 1, 4: 1}.get(g, 2)
            for k in range(1, _vary(rng, base, lo, hi) + 1):
                out.append([g, k, per])
    else:
        base = _pick(rng, (1, 2, 3, 4), (0.1, 0.25, 0.35, 0.3))
        # About a quarter of junior highs have the ALT in many lessons (two a week).
        per = 2 if rng.random() < 0.25 else 1
        for g in range(1, 4):
            for k in range(1, _vary(rng, base, 1, 4) + 1):
                out.append([g, k, per])
    return out


def _vary(rng: random.Random, base: int, lo: int, hi: int) -> int:
    # Grades of one school differ by a class now and then (cohort sizes change).
    r = rng.random()
    step = -1 if r < 0.1 else 1 if r < 0.2 else 0
    return min(hi, max(lo, base + step))


def _tune_need(rng: random.Random, drafts: list[_Draft], target: int) -> None:
    """Nudge single classes until the total need is within NEED_TOLERANCE of the target."""
    tol = max(1, math.floor(NEED_TOLERANCE * target))
    jh = [c for d in drafts if d.level == "junior_high" for c in d.classes]
    es_low = [c for d in drafts if d.level == "elementary" for c in d.classes if c[0] <= 2]
    es_high = [c for d in drafts if d.level == "elementary" for c in d.classes if c[0] >= 5]
    rng.shuffle(jh)
    rng.shuffle(es_low)
    rng.shuffle(es_high)
    diff = target - sum(d.need for d in drafts)
    # Up: a junior-high class gets a second lesson, then a lower-grade class its first.
    # Down: the reverse, and as a last resort a grade 5-6 class drops to one lesson.
    ups = [(c, 1, 2) for c in jh] + [(c, 0, 1) for c in es_low]
    downs = [(c, 2, 1) for c in jh] + [(c, 1, 0) for c in es_low] + [(c, 2, 1) for c in es_high]
    for c, old, new in ups if diff > 0 else downs:
        if abs(diff) <= tol:
            break
        if c[2] == old:
            c[2] = new
            diff -= new - old


def _school(d: _Draft) -> School:
    # Large junior highs (10+ classes) take two ALTs on a day, and so does any school needing
    # more than one ALT can give in a week of five lessons a day.
    large = (d.level == "junior_high" and len(d.classes) >= 10) or d.need > 25
    return School(
        school_id=d.school_id,
        name=d.name,
        level=d.level,
        lat=d.lat,
        lon=d.lon,
        max_alts_per_day=2 if large else 1,
    )


def _bells(rng: random.Random, d: _Draft) -> list[Bell]:
    """Six periods; elementary 45 minutes from about 08:45 with a 20-minute recess after
    period 2 and a short Wednesday, junior high 50 minutes from about 08:40 with one short day.
    """
    if d.level == "elementary":
        start = _pick(rng, (8 * 60 + 45, 8 * 60 + 40, 8 * 60 + 50), (0.7, 0.15, 0.15))
        length, gap, recess = 45, _pick(rng, (5, 10), (0.7, 0.3)), 20
        lunch = _pick(rng, (70, 75, 80), (0.3, 0.4, 0.3))
        short: Day = "Wed"
    else:
        start = _pick(rng, (8 * 60 + 40, 8 * 60 + 35, 8 * 60 + 45), (0.6, 0.2, 0.2))
        length, gap, recess = 50, 10, 10
        lunch = _pick(rng, (55, 60, 65), (0.3, 0.4, 0.3))
        short = _pick(rng, DAYS, (0.1, 0.15, 0.55, 0.1, 0.1))
    out = []
    t = start
    for p in range(1, 7):
        days = tuple(x for x in DAYS if x != short) if p == 6 else DAYS
        out.append(
            Bell(school_id=d.school_id, period=p, start=_hm(t), end=_hm(t + length), days=days)
        )
        t += length + (recess if p == 2 else lunch if p == 4 else gap)
    return out


def _weekly_blocks(rng: random.Random, d: _Draft, six_days: Sequence[Day]) -> list[Blocked]:
    """Weekly rows: a club or assembly period for the school, a class's fixed commitment,
    and period 6 for first graders, who go home after five periods.

    ``six_days`` are the weekdays on which the school has a period 6.
    """
    out: list[Blocked] = []
    sid = d.school_id
    if rng.random() < 0.35:
        # Elementary clubs (grades 4-6) and junior-high assemblies take period 6 for everyone,
        # most often on Friday.
        day = _pick(rng, six_days, [2.0 if x == "Fri" else 1.0 for x in six_days])
        out.append(Blocked(school_id=sid, day=day, periods=(6,)))
    needy = [c for c in d.classes if c[2] > 0]
    if needy and rng.random() < 0.3:
        g, k, _ = rng.choice(needy)
        out.append(Blocked(school_id=sid, class_=f"{g}-{k}", day=rng.choice(DAYS),
                           periods=(rng.randint(1, 5),)))  # fmt: skip
    if d.level == "elementary":
        for g, k, n in d.classes:
            if g == 1 and n > 0:
                out += [
                    Blocked(school_id=sid, class_=f"1-{k}", day=day, periods=(6,))
                    for day in six_days
                ]
    return out


def _dated_events(
    rng: random.Random, drafts: Sequence[_Draft], term_start: date, term_end: date
) -> list[Blocked]:
    """Dated blocked rows: opening and closing ceremonies, then the events of EVENTS whose
    months fall inside the term.
    """
    holidays = {h for h, _ in jpholiday.between(term_start, term_end)}
    school_days = [
        term_start + timedelta(i)
        for i in range((term_end - term_start).days + 1)
        if (term_start + timedelta(i)).weekday() < 5 and term_start + timedelta(i) not in holidays
    ]
    if not school_days:
        return []
    citywide: dict[str, date] = {}
    for kind in EVENTS:
        fits = [i for i, x in enumerate(school_days[1:-1], 1) if x.month in kind.months]
        if kind.citywide and fits:
            citywide[kind.name + kind.level] = school_days[rng.choice(fits)]
    out: list[Blocked] = []
    for d in drafts:
        sid = d.school_id
        # The opening and closing ceremonies fill the first and last day of the term.
        for day in sorted({school_days[0], school_days[-1]}):
            out.append(Blocked(school_id=sid, day=day))
        for kind in EVENTS:
            if kind.level != d.level or rng.random() >= kind.chance:
                continue
            if kind.citywide:
                when = citywide.get(kind.name + kind.level)
                dates = [when] if when else []
            else:
                fits = [
                    i
                    for i, x in enumerate(school_days[1 : -kind.days], 1)
                    if x.month in kind.months
                ]
                first = rng.choice(fits) if fits else None
                dates = [] if first is None else school_days[first : first + kind.days]
            for day in dates:
                if kind.grade is None:
                    out.append(Blocked(school_id=sid, day=day, periods=kind.periods))
                else:
                    out += [
                        Blocked(school_id=sid, class_=f"{g}-{k}", day=day, periods=kind.periods)
                        for g, k, _ in d.classes
                        if g == kind.grade
                    ]
    return out


# ---- ALTs ------------------------------------------------------------------------------------
def _draw_alts(
    rng: random.Random,
    n: int,
    drafts: Sequence[_Draft],
    centre: tuple[float, float],
    radius: float,
    settings: Settings,
) -> list[Alt]:
    """ALTs with English names, homes near the schools that need them, and contract quirks."""
    combos = [(f, last) for f in FIRST_NAMES for last in LAST_NAMES]
    names = [f"{f} {last}" for f, last in rng.sample(combos, min(n, len(combos)))]
    names += [f"ALT {i + 1}" for i in range(len(names), n)]
    order = list(range(n))
    rng.shuffle(order)
    n_es, n_jh = round(0.10 * n), round(0.05 * n)
    levels: dict[int, tuple[Level, ...]] = {i: ("elementary",) for i in order[:n_es]}
    levels |= {i: ("junior_high",) for i in order[n_es : n_es + n_jh]}
    day_off = {i: rng.choice(DAYS) for i in rng.sample(range(n), round(0.10 * n))}
    part_time = set(rng.sample(range(n), round(0.03 * n)))
    homes = _place_homes(rng, [levels.get(i, ("elementary", "junior_high")) for i in range(n)],
                         drafts, centre, radius, settings)  # fmt: skip
    return [
        Alt(
            alt_id=f"A{i + 1:03d}",
            name=names[i],
            home_lat=homes[i][0],
            home_lon=homes[i][1],
            levels=levels.get(i, ("elementary", "junior_high")),
            min_lessons=10 if i in part_time else None,
            max_lessons=15 if i in part_time else None,
            unavailable=(day_off[i],) if i in day_off else (),
        )
        for i in range(n)
    ]


def _place_homes(
    rng: random.Random,
    levels: Sequence[tuple[Level, ...]],
    drafts: Sequence[_Draft],
    centre: tuple[float, float],
    radius: float,
    settings: Settings,
) -> list[tuple[float, float]]:
    """Homes near schools, weighted by need, so supply follows demand across the city.

    Unrestricted ALTs are placed first next to schools no one reaches yet, so every class has
    some qualified ALT within the commute limit; every home reaches at least three schools.
    """

    def minutes(lat: float, lon: float, d: _Draft) -> int:
        km = haversine_km(lat, lon, d.lat, d.lon)
        return math.ceil(round(km / settings.travel_speed_kmh * 60, 6))

    def reach(home: tuple[float, float], lv: tuple[Level, ...]) -> list[int]:
        return [
            j
            for j, d in enumerate(drafts)
            if d.level in lv and minutes(*home, d) <= settings.max_commute_minutes
        ]

    def near(d: _Draft, sigma_km: float) -> tuple[float, float]:
        dx, dy = rng.gauss(0, sigma_km), rng.gauss(0, sigma_km)
        return _shift((d.lat, d.lon), dx, dy)

    homes: list[tuple[float, float] | None] = [None] * len(levels)
    covered = [False] * len(drafts)
    both = [i for i, lv in enumerate(levels) if len(lv) == 2]
    for i in both:
        open_ = [j for j, c in enumerate(covered) if not c]
        if not open_:
            break
        home = near(drafts[rng.choice(open_)], 1.0)
        homes[i] = home
        for j in reach(home, levels[i]):
            covered[j] = True
    weights = [max(d.need, 1) for d in drafts]
    for i, lv in enumerate(levels):
        if homes[i] is not None:
            continue
        ok = [j for j, d in enumerate(drafts) if d.level in lv]
        for _ in range(20):
            if rng.random() < 0.2:
                # Some ALTs rent near the central station rather than near a school.
                home = _shift(centre, *_disc(rng, radius / 4))
            else:
                home = near(drafts[rng.choices(ok, [weights[j] for j in ok])[0]], 2.0)
            if len(reach(home, lv)) >= min(3, len(ok)):
                break
        else:
            home = near(drafts[rng.choice(ok)], 0.0)
        homes[i] = home
    return [h for h in homes if h is not None]


# ---- short-handed branches -------------------------------------------------------------------
def _short_handed(
    rng: random.Random, inst: Instance, share: float, chosen: tuple[str, ...] | None
) -> GeneratedBranch:
    """Tighten the limits of a mix the seed picks (or ``chosen``) until demand exceeds
    them by ``share``."""
    drawn = rng.choice(SHORTAGE_MIXES)
    mix = chosen or drawn
    demand = inst.need()
    short_by = max(1, round(share * demand))
    short = _ShortAlts(inst, rng)
    # A level or a region that cannot be short by this much alone (a large share, a tiny
    # branch) falls back to the weekly ceilings, which the Shortage then names.
    if mix == ("junior-high level",) and (level := short.junior_high_short(short_by)):
        # The last few lessons come off junior-high ALTs' ceilings: still the level binding.
        detail = level
        binding = ["junior-high level"]
        taken = [short.taken["junior-high level"] + short.taken["weekly ceilings"]]
    elif mix == ("region",) and (region := short.region_short(short_by)):
        detail = region
        binding = ["region"]
        taken = [short.taken["region"] + short.taken["weekly ceilings"]]
    elif mix == ("visit days",) and (visits := short.visit_days_short(short_by)):
        # Days off cost whole visits: the shortfall is the visit bound's, a day's lessons
        # at most above the share asked (docs/generator.md, "The visit bound").
        detail, short_by = visits
        binding = ["visit days"]
        taken = [short.taken["visit days"]]
    elif mix == ("ALTs per school-day",) and (one := short.one_alt_a_day(short_by)):
        detail = one
        binding = ["ALTs per school-day"]
        taken = [short.taken["ALTs per school-day"]]
    else:
        cut = short.capacity() - (demand - short_by)
        if "days off" in mix:
            short.days_off(cut // 2 if "weekly ceilings" in mix else cut)
        if mix == ("days off",):
            # The last few lessons (less than a day off) come off the part-week contracts.
            part_week = {
                k: a
                for k, a in short.alts.items()
                if len(a.unavailable) > len(inst.alt_by_id[k].unavailable)
            }
            before = short.taken["weekly ceilings"]
            # With no day off given (one day would take more than the whole cut, as on a
            # one-ALT branch) there is no part-week contract: the ceilings below take it all.
            if part_week:
                short.ceilings(short.capacity() - (demand - short_by), part_week)
            short.taken["days off"] += short.taken["weekly ceilings"] - before
            short.taken["weekly ceilings"] = before
        short.ceilings(short.capacity() - (demand - short_by), short.alts)
        # A limit is named binding only when it took capacity away.
        binding = [k for k in ("weekly ceilings", "days off") if short.taken[k]]
        taken = [short.taken[k] for k in binding]
        detail = [f"the ALTs give at most {short.capacity()} lessons a week"]
        if short.taken["days off"]:
            n_off = sum(len(a.unavailable) for a in short.alts.values())
            # Fewer days are fewer visits (one school a day), which the flow bound does not
            # count: a timetable may leave a few more unmet (docs/generator.md).
            detail.append(f"{n_off} ALT-days off, so fewer visit days too")
    alts = tuple(short.alts[a.alt_id] for a in inst.alts)
    schools = tuple(short.schools[s.school_id] for s in inst.schools)
    out = inst.model_copy(update={"alts": alts, "schools": schools, "travel": tuple(short.travel)})
    return GeneratedBranch(
        out, Shortage(share, demand, short_by, tuple(binding), tuple(taken), tuple(detail))
    )


class _ShortAlts:
    """The ALTs of a branch while their limits are tightened; ``taken`` counts per limit the
    lessons of weekly capacity removed."""

    def __init__(self, inst: Instance, rng: random.Random) -> None:
        self.inst = inst
        self.rng = rng
        self.alts = {a.alt_id: a for a in inst.alts}
        self.taken = dict.fromkeys(
            ("weekly ceilings", "days off", "junior-high level", "region", "visit days"), 0
        ) | {"ALTs per school-day": 0}
        self.travel: list[Travel] = []
        self.schools = {s.school_id: s for s in inst.schools}

    def cap(self, alt: Alt) -> int:
        """Most lessons the ALT can give in a week: ceiling, or daily maximum times days."""
        days = len(self.inst.available_days(alt))
        return min(self.inst.max_lessons(alt), self.inst.max_lessons_per_day(alt) * days)

    def capacity(self, level: Level | None = None) -> int:
        """Weekly capacity of the ALTs (qualified for ``level``, when given)."""
        return sum(self.cap(a) for a in self.alts.values() if level is None or level in a.levels)

    def days_off(self, lessons: int) -> None:
        """Give ALTs (in a drawn order) days off, up to MAX_DAYS_OFF each, while the capacity
        they remove stays within ``lessons``."""
        order = list(self.alts)
        self.rng.shuffle(order)
        left = lessons
        for alt_id in order:
            alt = self.alts[alt_id]
            while len(alt.unavailable) < MAX_DAYS_OFF:
                pick = self.rng.choice([d for d in DAYS if d not in alt.unavailable])
                off = tuple(x for x in DAYS if x in alt.unavailable or x == pick)
                # A part-week contract: five lessons a working day, which one visit a day can
                # hold at most schools (six would need every visit full).
                top = min(self.inst.max_lessons(alt), PART_WEEK_PER_DAY * (len(DAYS) - len(off)))
                floor = min(self.inst.min_lessons(alt), top)
                new = alt.model_copy(
                    update={"unavailable": off, "max_lessons": top, "min_lessons": floor}
                )
                loss = self.cap(alt) - self.cap(new)
                if loss > left:
                    break
                alt, left = new, left - loss
                self.taken["days off"] += loss
            self.alts[alt_id] = alt

    def ceilings(self, lessons: int, among: dict[str, Alt]) -> None:
        """Lower weekly ceilings by ``lessons`` in all, always of the ALT (of ``among``) that
        can give most, so contracts stay even (a branch-wide 22-lesson term, not one ALT at 5).
        """
        heap = [(-self.cap(a), i, a.alt_id) for i, a in enumerate(among.values())]
        heapq.heapify(heap)
        for _ in range(max(0, lessons)):
            neg, i, alt_id = heapq.heappop(heap)
            alt = self.alts[alt_id]
            top = -neg - 1
            floor = min(self.inst.min_lessons(alt), top)
            self.alts[alt_id] = alt.model_copy(update={"max_lessons": top, "min_lessons": floor})
            self.taken["weekly ceilings"] += 1
            heapq.heappush(heap, (-top, i, alt_id))

    def junior_high_short(self, short_by: int) -> list[str] | None:
        """Make ALTs elementary-only until those qualified for junior high can give
        ``short_by`` lessons fewer than junior-high classes need (the last step by ceilings).

        ALTs are taken off junior high in a drawn order, skipping any whose leaving would
        leave a junior high with no qualified ALT in reach, so the level is short by
        capacity, not by a school no one can reach. The branch as a whole keeps its ceilings.
        ``None``, and nothing changed, when the level would lose more than half its need, or
        when the cut would make the whole short too (one or two ALTs teaching both levels).
        """
        inst = self.inst
        need = sum(
            c.alt_lessons
            for c in inst.classes
            if inst.school_by_id[c.school_id].level == "junior_high"
        )
        target = need - short_by
        if 2 * short_by > need:
            return None
        before, taken_before = dict(self.alts), dict(self.taken)
        jhs = [s for s in inst.schools if s.level == "junior_high"]
        reach = {a.alt_id: {s.school_id for s in jhs if inst.reachable(a, s)} for a in inst.alts}
        qualified = [a for a in self.alts.values() if "junior_high" in a.levels]
        count: dict[str, int] = {s.school_id: 0 for s in jhs}
        for a in qualified:
            for sid in reach[a.alt_id]:
                count[sid] += 1
        order = [a.alt_id for a in qualified if a.levels == LEVELS_BOTH]
        self.rng.shuffle(order)
        for alt_id in order:
            alt = self.alts[alt_id]
            over = self.capacity("junior_high") - target
            if over <= 0 or self.cap(alt) > over:
                continue
            if any(count[sid] <= 1 for sid in reach[alt_id]):
                continue
            self.alts[alt_id] = alt.model_copy(update={"levels": ("elementary",)})
            self.taken["junior-high level"] += self.cap(alt)
            for sid in reach[alt_id]:
                count[sid] -= 1
        rest = {a.alt_id: a for a in self.alts.values() if "junior_high" in a.levels}
        self.ceilings(self.capacity("junior_high") - target, rest)
        if self.capacity() < inst.need():
            # The ceilings cut ALTs who teach elementary too, so the whole became short (a
            # branch of one or two ALTs): the level is not short alone, so fall back.
            self.alts, self.taken = before, taken_before
            return None
        return [
            f"junior-high classes need {need} lessons, ALTs qualified for junior high give "
            f"at most {self.capacity('junior_high')}",
            f"the whole is not short: all ALTs together give at most {self.capacity()} "
            f"of {inst.need()}",
        ]

    def region_short(self, short_by: int) -> list[str] | None:
        """Cut a region off by a river: the ALTs living nearest to it still reach it, the
        others' commutes there (travel.csv) exceed the limit, and those nearest can give
        ``short_by`` lessons fewer than it needs (the last few lessons off their ceilings).

        The region is the schools nearest to a school drawn in the outer half of the city,
        taken until they need ``REGION_SHARE * short_by`` lessons. The ALTs kept are qualified
        for both levels and reach every school of it, so the region is short of capacity, not
        of reach; the rest of the city keeps the generous slack, so the whole is not short.
        ``None``, and nothing changed, when that cannot be: the region would be over half the
        demand, too few ALTs reach all of it, an ALT cut off would reach no school, or the
        ALTs cut off could not give the rest of the city its lessons.
        """
        if 2 * REGION_SHARE * short_by > self.inst.need():
            return None
        inst, rng = self.inst, self.rng
        lat0, lon0 = _mean_spot(inst)
        far = sorted(inst.schools, key=lambda s: -haversine_km(lat0, lon0, s.lat, s.lon))
        seed_school = rng.choice(far[: max(1, len(far) // 2)])
        by_distance = sorted(
            inst.schools,
            key=lambda s: haversine_km(seed_school.lat, seed_school.lon, s.lat, s.lon),
        )
        need_of = {s.school_id: 0 for s in inst.schools}
        for c in inst.classes:
            need_of[c.school_id] += c.alt_lessons
        region: list[School] = []
        need = 0
        for school in by_distance:
            if need >= REGION_SHARE * short_by:
                break
            region.append(school)
            need += need_of[school.school_id]
        target = need - short_by
        # ALTs nearest the region first; kept while they still fall short of the target.
        both = [a for a in inst.alts if a.levels == LEVELS_BOTH]
        both.sort(
            key=lambda a: haversine_km(seed_school.lat, seed_school.lon, a.home_lat, a.home_lon)
        )
        kept: dict[str, Alt] = {}
        for alt in both:
            if sum(self.cap(a) for a in kept.values()) >= target:
                break
            if all(inst.reachable(alt, s) for s in region):
                kept[alt.alt_id] = self.alts[alt.alt_id]
        given = sum(self.cap(a) for a in kept.values())
        if given < target:
            return None
        inside = {s.school_id for s in region}
        rest = [a for a in inst.alts if a.alt_id not in kept]
        if sum(self.cap(a) for a in rest) < inst.need() - need or not all(
            any(inst.reachable(a, s) for s in inst.schools if s.school_id not in inside)
            for a in rest
        ):
            return None
        reaching = [a for a in inst.alts if any(inst.reachable(a, s) for s in region)]
        self.taken["region"] = sum(self.cap(a) for a in reaching) - given
        self.ceilings(given - target, kept)
        limit = inst.settings.max_commute_minutes + ACROSS_MINUTES
        for alt in inst.alts:
            if alt.alt_id in kept:
                continue
            for school in region:
                if inst.reachable(alt, school):
                    row = {"from": alt.alt_id, "to": school.school_id, "minutes": limit}
                    self.travel.append(Travel.model_validate(row))
        names = ", ".join(s.school_id for s in region[:3]) + (" ..." if len(region) > 3 else "")
        return [
            f"{len(region)} schools near {seed_school.name} ({names}) need {need} lessons, "
            f"the {len(kept)} ALTs who reach them give at most {target}",
            f"the whole is not short: all ALTs together give at most {self.capacity()} "
            f"of {inst.need()}",
        ]

    def visit_days_short(self, short_by: int) -> tuple[list[str], int] | None:
        """Give ALTs days off while their weekly ceilings stay, until the visits they can
        still make (one school a day, a visit holding what that school's day can take) hold
        ``short_by`` lessons fewer than demand, as the visit bound counts them.

        Days off are taken in a drawn order, every ALT's first before anyone's second, and
        the fewest that reach the share are kept (found by bisection on the bound, which only
        falls as days go). The maximum flow does not see this limit; the shortfall is the
        bound's ``demand - visit_coverage_bound``, so it can exceed ``short_by`` by up to a
        day's lessons. ``None``, and nothing changed, when two days off each are not enough.
        """
        inst, rng = self.inst, self.rng
        order = list(self.alts)
        rng.shuffle(order)
        rounds: list[list[tuple[str, Day]]] = [[] for _ in range(MAX_DAYS_OFF)]
        for alt_id in order:
            alt = self.alts[alt_id]
            free = [d for d in DAYS if d not in alt.unavailable]
            for r, day in enumerate(rng.sample(free, max(0, MAX_DAYS_OFF - len(alt.unavailable)))):
                rounds[r].append((alt_id, day))
        offs = [pair for r in rounds for pair in r]
        target = inst.need() - short_by
        lo, hi = 0, len(offs)
        known = {lo: inst.need(), hi: self._visit_bound(offs[:hi])}
        if known[hi] > target:
            return None
        step = 0
        while hi - lo > 1:  # the fewest days off whose bound is at most the target
            # The bound falls about linearly once days off bite, so the line between the
            # two ends guesses well; every other step halves, so a bad guess costs little.
            step += 1
            if step % 2:
                slope = (known[lo] - target) / max(1, known[lo] - known[hi])
                mid = min(hi - 1, max(lo + 1, lo + round(slope * (hi - lo))))
            else:
                mid = (lo + hi) // 2
            known[mid] = self._visit_bound(offs[:mid])
            lo, hi = (lo, mid) if known[mid] <= target else (mid, hi)
        self.alts = self._with_days_off(offs[:hi])
        bound = known[hi]
        self.taken["visit days"] = inst.need() - bound
        return [
            f"{hi} ALT-days off with weekly ceilings kept: one school a day, the visits left "
            f"hold at most {bound} of {inst.need()} lessons",
            f"the whole has lessons to spare: all ALTs together give at most {self.capacity()}",
        ], inst.need() - bound

    def _with_days_off(self, offs: Sequence[tuple[str, Day]]) -> dict[str, Alt]:
        off: dict[str, set[Day]] = {}
        for alt_id, day in offs:
            off.setdefault(alt_id, set(self.alts[alt_id].unavailable)).add(day)
        return {
            k: a.model_copy(update={"unavailable": tuple(d for d in DAYS if d in off[k])})
            if k in off
            else a
            for k, a in self.alts.items()
        }

    def _visit_bound(self, offs: Sequence[tuple[str, Day]]) -> int:
        # Imported here: the generator is used without the bounds (tests, demos) and the
        # bounds import the model.
        from scheduler.bounds.coverage import visit_coverage_bound
        from scheduler.model.data import prepare

        alts = self._with_days_off(offs)
        inst = self.inst.model_copy(update={"alts": tuple(alts[a.alt_id] for a in self.inst.alts)})
        # No time limit: the branch drawn must not depend on the machine's speed.
        return visit_coverage_bound(prepare(inst), time_limit=None)

    def one_alt_a_day(self, short_by: int) -> list[str] | None:
        """Let large schools take one ALT a day instead of two, in a drawn order, while the
        lessons they then cannot take stay within ``short_by``, until they are ``short_by``.

        A school taking one ALT a day takes at most, each day, what one visit holds (the
        daily maximum, the periods some needy class can use, the classes that can take a
        lesson), so the lessons it loses are its need minus the sum of those: exact in the
        maximum flow. The ALTs keep their ceilings, so the rest of the branch has lessons to
        spare. ``None``, and nothing changed, when no choice of schools loses exactly
        ``short_by`` (the large schools of a generated branch lose about 1 % of demand in
        all, so shares above that fall back).
        """
        from scheduler.model.data import prepare

        inst, rng = self.inst, self.rng
        prep = prepare(inst)
        daily = inst.settings.max_lessons_per_day
        loss: dict[str, int] = {}
        for school in inst.schools:
            if school.max_alts_per_day < 2 or school.school_id not in prep.needy:
                continue
            need = sum(c.alt_lessons for c in prep.needy[school.school_id])
            one = sum(min(daily, *prep.room(school.school_id, d)) for d in DAYS)
            if need > one:
                loss[school.school_id] = need - one
        order = sorted(loss)
        rng.shuffle(order)
        left = short_by
        chosen = []
        for sid in order:
            if loss[sid] <= left:
                chosen.append(sid)
                left -= loss[sid]
        if left:
            return None
        for sid in chosen:
            self.schools[sid] = self.schools[sid].model_copy(update={"max_alts_per_day": 1})
            self.taken["ALTs per school-day"] += loss[sid]
        names = ", ".join(chosen[:3]) + (" ..." if len(chosen) > 3 else "")
        some = "1 large school" if len(chosen) == 1 else f"{len(chosen)} large schools"
        return [
            f"{some} ({names}) take{'s' if len(chosen) == 1 else ''} one ALT a day, so "
            f"{short_by} lessons fewer than their classes need",
            f"the whole is not short: all ALTs together give at most {self.capacity()} "
            f"of {inst.need()}",
        ]


def _mean_spot(inst: Instance) -> tuple[float, float]:
    """Mean position of the schools (the generated city's centre, near enough)."""
    n = len(inst.schools)
    return sum(s.lat for s in inst.schools) / n, sum(s.lon for s in inst.schools) / n


# ---- geometry and small helpers --------------------------------------------------------------
def _towns(
    rng: random.Random, n_alts: int, radius: float
) -> list[tuple[float, float, float, float]]:
    """Population centres as (x_km, y_km, sigma_km, weight): the city centre and satellites."""
    towns = [(0.0, 0.0, radius / 2.5, 0.6)]
    n_sat = max(1, round(math.sqrt(n_alts) / 3))
    for _ in range(n_sat):
        angle, dist = rng.uniform(0, 2 * math.pi), rng.uniform(0.5, 0.85) * radius
        towns.append((dist * math.cos(angle), dist * math.sin(angle), radius / 6, 0.25 / n_sat))
    return towns


def _school_spot(
    rng: random.Random, towns: Sequence[tuple[float, float, float, float]], radius: float
) -> tuple[float, float]:
    # 85% of schools cluster around a town, the rest spread over the whole city (farm areas).
    if rng.random() < 0.15:
        return _disc(rng, radius)
    x0, y0, sigma, _ = rng.choices(towns, [t[3] for t in towns])[0]
    for _ in range(50):
        x, y = rng.gauss(x0, sigma), rng.gauss(y0, sigma)
        if math.hypot(x, y) <= radius:
            return x, y
    return x0, y0


def _disc(rng: random.Random, radius: float) -> tuple[float, float]:
    r, a = radius * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
    return r * math.cos(a), r * math.sin(a)


def _shift(origin: tuple[float, float], x_km: float, y_km: float) -> tuple[float, float]:
    # Six decimals (about 0.1 m) keep written coordinates short and equal to the stored ones.
    lat = origin[0] + y_km / KM_PER_DEG_LAT
    lon = origin[1] + x_km / (KM_PER_DEG_LAT * math.cos(math.radians(origin[0])))
    return round(lat, 6), round(lon, 6)


def _pick(rng: random.Random, values: Sequence[T], weights: Sequence[float]) -> T:
    return rng.choices(values, weights)[0]


def _hm(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)
