"""The weekly plan of large branches (a min-cost flow) and the LNS steps that follow it."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter

from hypothesis import HealthCheck, given, settings

from scheduler.bounds.flow import VisitIndex, coverage_bound
from scheduler.config import Settings, Weights
from scheduler.instance import DAYS, Instance
from scheduler.model.data import alt_week_capacity, prepare
from scheduler.result import Lesson, lessons_frame
from scheduler.search.greedy import greedy, plan_days
from scheduler.search.regions import RegionSearch, _plan_region
from scheduler.search.week_plan import flow_week
from scheduler.validate import check
from tests.test_solve_property import branches
from tests.tiny import alt, bells, branch, klass, school


def _crossed() -> Instance:
    # North ES is 10 km north of South ES; ALT N lives beside North, ALT S beside South.
    # Each school needs 5 lessons, each ALT can give at most 5.
    schools = [school("South"), school("North", north_km=10)]
    classes = [klass(s, f"3-{i}", 1) for s in ("South", "North") for i in range(1, 6)]
    alts = [alt("N", north_km=10, max_lessons=5), alt("S", max_lessons=5)]
    return branch(schools, bells("South") + bells("North"), classes, alts)


def test_the_plan_sends_each_alt_to_the_school_near_home() -> None:
    prep = prepare(_crossed())
    plan = flow_week(VisitIndex.of(prep), Weights.default())
    assert plan == {("N", "North"): 5, ("S", "South"): 5}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(branches())
def test_the_plan_covers_what_can_be_and_following_it_keeps_every_rule(inst: Instance) -> None:
    # The plan's network is the coverage bound's, so a maximum flow of it covers as much.
    # It relaxes the week (days, schools per day, periods); the greedy pass that follows it
    # must still respect every hard rule.
    prep = prepare(inst)
    plan = flow_week(VisitIndex.of(prep), Weights.default())
    assert sum(plan.values()) == coverage_bound(prep)
    week = alt_week_capacity(prep)
    by_alt: Counter[str] = Counter()
    by_school: Counter[str] = Counter()
    for (a, s), k in plan.items():
        assert (a, s) in prep.commute  # reachable and qualified
        by_alt[a] += k
        by_school[s] += k
    assert all(k <= week[a] for a, k in by_alt.items())
    assert all(k <= sum(c.alt_lessons for c in prep.needy[s]) for s, k in by_school.items())
    assert check(inst, lessons_frame(greedy(prep, plan))) == []


def test_the_greedy_follows_a_plan_before_anything_else() -> None:
    # A perverse plan (each ALT to the far school) is followed: the plan, not distance,
    # decides the first pass, and what the plan covers is all that is needed here.
    prep = prepare(_crossed())
    perverse = {("N", "South"): 5, ("S", "North"): 5}
    pairs = Counter((ls.alt_id, ls.school_id) for ls in greedy(prep, perverse))
    assert pairs == perverse
    plain = Counter((ls.alt_id, ls.school_id) for ls in greedy(prep))
    assert plain == {("N", "North"): 5, ("S", "South"): 5}


def test_what_the_plan_leaves_is_filled_by_the_plain_pass() -> None:
    # The plan covers half of North; the plain pass gives the rest to the nearest ALT.
    prep = prepare(_crossed())
    pairs = Counter(
        (ls.alt_id, ls.school_id) for ls in greedy(prep, {("S", "South"): 5, ("N", "North"): 2})
    )
    assert pairs == {("N", "North"): 5, ("S", "South"): 5}


def test_following_a_plan_opens_only_the_days_its_lessons_need_and_drops_what_cannot_fit() -> None:
    # One ALT, free on Monday to Wednesday only, planned at three schools: 8 lessons at
    # Big and 4 at Mid and Small each, five lessons a visit. Big needs 2 days and Mid and
    # Small one each: 4 days for 3, so the smallest quota goes (the tie by name: Small).
    schools = [school(s, north_km=k) for s, k in (("Big", 0), ("Mid", 1), ("Small", 2))]
    need = {"Big": 8, "Mid": 4, "Small": 4}
    classes = [klass(s, f"3-{i}", 1) for s, n in need.items() for i in range(1, n + 1)]
    bell = [b for s in need for b in bells(s)]
    one = alt("A", max_lessons=25, max_lessons_per_day=5, unavailable=("Thu", "Fri"))
    prep = prepare(branch(schools, bell, classes, [one]))
    plan = {("A", "Big"): 8, ("A", "Mid"): 4, ("A", "Small"): 4}
    assert plan_days(prep, plan) == {("A", "Big"): 2, ("A", "Mid"): 1}
    days = {(ls.school_id, ls.day) for ls in greedy(prep, plan)}
    assert {s for s, _d in days} >= {"Big", "Mid"}
    assert len({d for s, d in days if s == "Big"}) == 2


def test_a_plan_step_frees_both_ends_of_a_crossed_pair() -> None:
    # ALT N teaches at South and ALT S at North: one step must hold both schools and both
    # ALTs to swap them, whatever seed it starts from.
    inst = _crossed()
    prep = prepare(inst)
    crossed = [
        Lesson(
            alt_id=a,
            school_id=s,
            class_="3-1",
            day="Mon",
            period=1,
            start=dt.time(8, 45),
            end=dt.time(9, 30),
        )
        for a, s in (("N", "South"), ("S", "North"))
    ]
    planned = {"North": {"N"}, "South": {"S"}}  # the plan's ALTs of each school
    where = {s: (inst.school_by_id[s].lat, inst.school_by_id[s].lon) for s in prep.needy}
    for seed in range(5):
        region, free = _plan_region(
            crossed, planned, where, Settings.default().search, random.Random(seed), []
        )
        assert set(region) == {"North", "South"} and free == {"N", "S"}


def _chained(with_room: bool) -> tuple[Instance, list[Lesson]]:
    # Junior high J needs a lesson only X can give, and X is full at elementary E (five
    # lessons, one a day, at their maximum). Y can teach at E and has room; Z, full at
    # elementary F, could teach at E too. Without Y, nobody linked to J has room.
    schools = [school("J", level="junior_high"), school("E", north_km=2), school("F", north_km=4)]
    classes = [klass("J", "1-1", 1), klass("E", "3-1", 5), klass("F", "3-1", 5)]
    alts = [
        alt("X", north_km=1, max_lessons=5),
        alt("Z", north_km=3, levels=("elementary",), max_lessons=5),
    ]
    if with_room:
        alts.append(alt("Y", north_km=2, levels=("elementary",)))
    inst = branch(schools, bells("J") + bells("E") + bells("F"), classes, alts)
    full = [
        Lesson(
            alt_id=a,
            school_id=s,
            class_="3-1",
            day=d,
            period=1,
            start=dt.time(8, 45),
            end=dt.time(9, 30),
        )
        for a, s in (("X", "E"), ("Z", "F"))
        for d in DAYS
    ]
    return inst, full


def test_a_chain_step_reaches_an_alt_with_room_through_a_full_one() -> None:
    # J's lesson can only be given if X moves from E to J and Y takes X's lessons at E: one
    # step must free J, E, X and Y, and nothing else (F and Z are a dead end).
    inst, full = _chained(with_room=True)
    prep = prepare(inst)
    for seed in range(8):
        search = RegionSearch(prep, Settings.default().search, random.Random(seed), None)
        assert search.chain_region(full, ["J"]) == (["J", "E"], {"X", "Y"})
    inst, full = _chained(with_room=False)
    search = RegionSearch(prepare(inst), Settings.default().search, random.Random(0), None)
    assert search.chain_region(full, ["J"]) is None


def test_a_new_plan_replaces_the_planned_alts_of_every_school() -> None:
    prep = prepare(_crossed())
    search = RegionSearch(prep, Settings.default().search, random.Random(0), {("N", "North"): 5})
    search.use_plan({("S", "North"): 3, ("N", "South"): 2})
    assert search.planned == {"North": {"S"}, "South": {"N"}}
