"""Property: over random small generated branches and dates, every ALT ``plan`` proposes for a
lesson keeps the timetable valid, and every ALT it refuses (but the absent) would break it.

Each proposal is checked by the independent validator: the dated lessons of that ISO week
(a week of dated lessons is one weekly timetable, each date its weekday) with the absent ALT's
lessons of the date taken out, the picks made earlier in the run put in, and the proposed ALT
teaching the lesson. ``check`` must find nothing; for a refused ALT it must find something.
Then the picks are applied as recorded covers and a second ALT is absent on the first date:
the same holds with covers in force (the substitutes busy, the covered ALT away).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.calendar.covers import Covered, apply_covers
from scheduler.calendar.term import DatedLesson, expand, weekly_lessons
from scheduler.generate import generate
from scheduler.instance import DAYS, Instance
from scheduler.replan.cover import CoverPlan, CoverWeights, plan, week_span
from scheduler.validate import check
from tests.tiny import solved

COLUMNS = ["alt_id", "school_id", "class", "day", "period", "start", "end"]


@cache
def branch(n_alts: int, seed: int, loose: bool = False) -> tuple[Instance, pd.DataFrame]:
    """A generated branch and its greedy timetable (checked by the validator in ``solved``).

    ``loose``: two schools a day per ALT and three ALTs a day per school afterwards, so more
    ALTs can cover and travel between schools is in play (the timetable stays valid: the
    rules only get looser).
    """
    inst = generate(n_alts, seed)
    table = solved(inst, method="greedy", time_limit=5).assignments
    if loose:
        st_ = inst.settings.model_copy(update={"max_schools_per_day": 2})
        schools = tuple(s.model_copy(update={"max_alts_per_day": 3}) for s in inst.schools)
        inst = inst.model_copy(update={"settings": st_, "schools": schools})
        assert check(inst, table) == []
    return inst, table


def week_table(lessons: list[tuple[DatedLesson, str]]) -> pd.DataFrame:
    """Dated lessons of one ISO week (with who teaches each) as a weekly assignments table."""
    rows = [
        (alt_id, ls.school_id, ls.class_, DAYS[ls.date.weekday()], ls.period,
         f"{ls.start:%H:%M}", f"{ls.end:%H:%M}")
        for ls, alt_id in lessons
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=COLUMNS)


@given(
    n_alts=st.integers(3, 8),
    seed=st.integers(0, 3),
    offset=st.integers(0, 69),
    span=st.integers(0, 2),
    who=st.integers(0, 7),
    loose=st.booleans(),
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_proposals_pass_and_refusals_fail_the_validator(
    n_alts: int, seed: int, offset: int, span: int, who: int, loose: bool
) -> None:
    inst, table = branch(n_alts, seed, loose)
    assert inst.settings.term_start is not None and inst.settings.term_end is not None
    first = min(inst.settings.term_start + timedelta(days=offset), inst.settings.term_end)
    last = min(first + timedelta(days=span), inst.settings.term_end)
    absent = inst.alts[who % n_alts].alt_id
    lo, hi = week_span(first, last)
    cal = expand(inst, table, lo, hi)
    weekly = weekly_lessons(inst, table)
    covered = apply_covers(inst, cal, [], lo, hi)
    p = plan(inst, weekly, covered, absent, first, last, CoverWeights.default())
    _check(inst, covered, p)
    # Then the picks recorded as covers, and a second ALT absent on the first date: the first
    # one's covered lessons are now the substitutes', their uncovered ones not given.
    again = apply_covers(inst, cal, p.covers(), lo, hi)
    other = inst.alts[(who + 1) % n_alts].alt_id
    if other != absent:
        _check(inst, again, plan(inst, weekly, again, other, first, first, CoverWeights.default()))


def _check(inst: Instance, covered: Covered, p: CoverPlan) -> None:
    """Every proposed ALT of every lesson passes the validator, every refused one fails it."""
    picked: dict[DatedLesson, str] = {}
    for o in p.options:
        ls = o.need.lesson
        away = {p.absent} | covered.absent_on(ls.date)
        proposed = {c.alt_id for c in o.candidates}
        for a in inst.alts:
            if a.alt_id in away:
                assert a.alt_id not in proposed
                continue
            week = _week_with(covered.calendar.lessons, away, ls, picked, a.alt_id)
            broken = check(inst, week_table(week))
            if a.alt_id in proposed:
                assert broken == [], (ls, a.alt_id, [str(v) for v in broken])
            else:
                assert broken != [], (ls, a.alt_id, "refused, yet the validator finds nothing")
        if o.chosen is not None:
            picked[ls] = o.chosen


def _week_with(
    lessons: tuple[DatedLesson, ...],
    away: set[str],
    need: DatedLesson,
    picked: dict[DatedLesson, str],
    alt_id: str,
) -> list[tuple[DatedLesson, str]]:
    """The ISO week of ``need`` as (lesson, teacher): the ALTs ``away`` on that date not
    there, the earlier picks in place, ``alt_id`` teaching ``need``."""
    monday = need.date - timedelta(days=need.date.weekday())
    week = {monday + timedelta(days=n) for n in range(7)}
    out = []
    for ls in lessons:
        if ls.date not in week:
            continue
        teacher = alt_id if ls == need else picked.get(ls, ls.alt_id)
        if teacher in away and ls.date == need.date:
            continue  # not there: lessons nobody took are simply not given
        out.append((ls, teacher))
    return out


def test_a_date_range_counts_earlier_days_towards_the_weekly_maximum() -> None:
    # Regression of the property above: picks of Monday count on Tuesday.
    inst, table = branch(4, 1)
    start = inst.settings.term_start
    assert isinstance(start, date)
    monday = start + timedelta(days=(7 - start.weekday()) % 7)
    lo, hi = week_span(monday, monday + timedelta(days=4))
    covered = apply_covers(inst, expand(inst, table, lo, hi), [])
    for a in inst.alts:
        p = plan(inst, weekly_lessons(inst, table), covered, a.alt_id, monday,
                 monday + timedelta(days=4), CoverWeights.default())  # fmt: skip
        taken: dict[str, int] = {}
        for o in p.options:
            if o.chosen is not None:
                taken[o.chosen] = taken.get(o.chosen, 0) + 1
        for alt_id, n in taken.items():
            own = sum(1 for ls in covered.calendar.lessons
                      if ls.alt_id == alt_id and lo <= ls.date <= hi)  # fmt: skip
            assert own + n <= inst.max_lessons(inst.alt_by_id[alt_id])
