"""Scenario verbs return new validated branches and never touch the one they start from;
diff pairs the lessons of two results class by class."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time
from typing import Any

import pytest

from scheduler import scenarios as sc
from scheduler.calendar.changes import classify
from scheduler.config import Weights
from scheduler.errors import InstanceError
from scheduler.instance import Blocked, Instance, Travel
from scheduler.result import Lesson, Result
from tests.tiny import alt, bells, branch, klass, school


def _branch() -> Instance:
    # S at the origin needs 4 lessons; T, 100 km north (out of every commute), needs 6.
    # A and B live at S, C at T: each school is reached only by the ALTs living there.
    return branch(
        [school("S"), school("T", north_km=100)],
        bells("S") + bells("T"),
        [klass("S", "1-1", 2, co="Sato"), klass("S", "1-2", 2), klass("T", "1-1", 6)],
        [alt("A"), alt("B"), alt("C", north_km=100)],
        blocked=[Blocked(school_id="T", day="Mon", periods=(1,))],
        travel=[Travel(**{"from": "B", "to": "S", "minutes": 5})],
    )


VERBS: list[tuple[str, Callable[[Instance], Instance]]] = [
    ("add_alts", lambda i: sc.add_alts(i, n=1)),
    ("with_alt", lambda i: sc.with_alt(i, alt("D"))),
    ("remove_alts", lambda i: sc.remove_alts(i, ["A"], n=1)),
    ("with_contracts", lambda i: sc.with_contracts(i, min_lessons=2, alts="all")),
    ("with_settings", lambda i: sc.with_settings(i, max_lessons_per_day=3)),
    ("close_schools", lambda i: sc.close_schools(i, "T")),
    ("without_school", lambda i: sc.without_school(i, "T")),
    ("merge_schools", lambda i: sc.merge_schools(i, "S", "T")),
    ("add_schools", lambda i: sc.add_schools(i, [school("U", north_km=2)], bells_like="S")),
    ("scale_need", lambda i: sc.scale_need(i, 2)),
    ("set_need", lambda i: sc.set_need(i, 1, grades=1)),
    ("block_weekday", lambda i: sc.block_weekday(i, "Fri")),
]


@pytest.mark.parametrize("verb", [v for _, v in VERBS], ids=[n for n, _ in VERBS])
def test_verbs_return_a_new_branch_and_leave_the_base_alone(
    verb: Callable[[Instance], Instance],
) -> None:
    base = _branch()
    before = base.model_dump()
    assert "A" in base.alt_by_id  # fills a cached lookup: a copy must not keep it stale
    out = verb(base)
    assert base.model_dump() == before
    assert out.model_dump() != before
    assert out.alt_by_id == {a.alt_id: a for a in out.alts}


# ---- ALTs ----------------------------------------------------------------------------------


def test_new_hires_go_where_need_per_reaching_alt_is_largest() -> None:
    base = _branch()
    # Need per reaching ALT, counting the hires placed before (S: 4 lessons, 2 ALTs; T: 6, 1):
    # T 6 vs S 2 -> T; T 3 vs 2 -> T; T 2 ties S 2, larger need -> T; T 1.5 vs S 2 -> S.
    out = sc.add_alts(base, n=4)
    hires = out.alts[3:]
    assert [a.alt_id for a in hires] == ["NEW01", "NEW02", "NEW03", "NEW04"]
    assert [a.name for a in hires] == ["New ALT 1", "New ALT 2", "New ALT 3", "New ALT 4"]
    homes = {(s.lat, s.lon): s.school_id for s in out.schools}
    assert [homes[(a.home_lat, a.home_lon)] for a in hires] == ["T", "T", "T", "S"]
    assert sc.add_alts(base, n=4) == out  # deterministic
    # Only schools of the hires' levels are candidates.
    with pytest.raises(ValueError, match="no school with ALT lessons"):
        sc.add_alts(base, n=1, levels=["junior_high"])


def test_new_hires_at_given_homes_take_the_first_free_ids() -> None:
    base = sc.with_alt(_branch(), alt("NEW01"))
    out = sc.add_alts(base, homes=["S", (35.5, 139.5)])
    assert [a.alt_id for a in out.alts[-2:]] == ["NEW02", "NEW03"]
    assert (out.alts[-1].home_lat, out.alts[-1].home_lon) == (35.5, 139.5)
    assert out.alts[-2].home_lat == out.school_by_id["S"].lat


@pytest.mark.parametrize(
    "call, error, match",
    [
        # an id the branch already has
        (lambda i: sc.add_alts(i, [alt("A")]), InstanceError, "alts.csv row 5, column alt_id"),
        # an id that is a school's
        (lambda i: sc.add_alts(i, [alt("S")]), InstanceError, "also a school_id"),
        # a record with a bad value, given as the CSV's columns
        (
            lambda i: sc.add_alts(
                i, [{"alt_id": "D", "name": "D", "home_lat": 95, "home_lon": 0}]
            ),
            InstanceError,
            "alts.csv row 5, column home_lat",
        ),
        # a new hire's home off the globe
        (lambda i: sc.add_alts(i, homes=[(95.0, 0.0)]), InstanceError, "row 5, column home_lat"),
        # a level that does not exist
        (lambda i: sc.add_alts(i, homes=["S"], levels=["high"]), InstanceError, "levels"),
        # more homes than hires
        (lambda i: sc.add_alts(i, n=1, homes=["S", "T"]), ValueError, "2 homes given for 1"),
        # a home at a school the branch does not have
        (lambda i: sc.add_alts(i, homes=["nowhere"]), KeyError, "nowhere"),
        # a negative count
        (lambda i: sc.add_alts(i, n=-1), ValueError, "0 or more"),
        # removing an ALT the branch does not have
        (lambda i: sc.remove_alts(i, ["Z"]), KeyError, "no ALT 'Z'"),
        # removing more ALTs than there are
        (lambda i: sc.remove_alts(i, ["A"], n=3), ValueError, "cannot remove 3 more of 2"),
        # a contract whose floor is above its ceiling, for one ALT
        (
            lambda i: sc.with_contracts(i, min_lessons=30, max_lessons=20, alts=["B"]),
            InstanceError,
            "alts.csv row 3",
        ),
        # the same for the branch's standard contract
        (lambda i: sc.with_contracts(i, min_lessons=30), InstanceError, "settings.csv"),
        # a contract for an ALT the branch does not have
        (lambda i: sc.with_contracts(i, min_lessons=1, alts=["Z"]), KeyError, "no ALT"),
    ],
)
def test_alt_verbs_reject_bad_input(
    call: Callable[[Instance], Any], error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        call(_branch())


def test_removing_by_count_takes_the_least_needed_last_listed_first() -> None:
    base = _branch()
    # Shares: A and B 4 / 2 = 2 each (a tie: B is listed later), C 6 / 1 = 6.
    one = sc.remove_alts(base, n=1)
    assert [a.alt_id for a in one.alts] == ["A", "C"]
    assert one.travel == ()  # B's travel row went with B
    # Then A's share is 4 and C's 6: A goes next.
    assert [a.alt_id for a in sc.remove_alts(base, n=2).alts] == ["C"]
    assert [a.alt_id for a in sc.remove_alts(base, ["C"], n=1).alts] == ["A"]


def test_contracts_change_the_standard_or_named_alts() -> None:
    base = sc.with_contracts(_branch(), min_lessons=3, max_lessons=8, alts=["C"])
    standard = sc.with_contracts(base, min_lessons=22, max_lessons=27)
    assert (standard.settings.min_lessons_per_week, standard.settings.max_lessons_per_week) == (
        22,
        27,
    )
    c = standard.alt_by_id["C"]
    assert (standard.min_lessons(c), standard.max_lessons(c)) == (3, 8)  # own contract kept
    daily = sc.with_contracts(base, max_lessons_per_day=4, alts="all")
    assert {a.max_lessons_per_day for a in daily.alts} == {4}
    assert sc.with_contracts(base) is base  # nothing to change


@pytest.mark.parametrize(
    "changes, match",
    [
        ({"min_lessons_per_week": -1}, 'column min_lessons_per_week: "-1" input should be'),
        ({"nonsense": 1}, 'column nonsense: "1" extra inputs are not permitted'),  # a typo
        ({"min_lessons_per_week": 30}, "is above max_lessons_per_week 25"),  # floor > ceiling
        ({"day_end": "07:00"}, 'column day_end: "07:00" is not after day_start'),
    ],
)
def test_settings_are_checked_like_settings_csv(changes: dict[str, Any], match: str) -> None:
    with pytest.raises(InstanceError, match=match):
        sc.with_settings(_branch(), **changes)


# ---- schools -------------------------------------------------------------------------------


def test_closing_a_school_takes_its_rows_with_it() -> None:
    out = sc.close_schools(_branch(), "T")
    assert [s.school_id for s in out.schools] == ["S"]
    assert {b.school_id for b in out.bells} == {"S"}
    assert {c.school_id for c in out.classes} == {"S"} and out.blocked == ()
    with pytest.raises(KeyError, match="no school 'X'"):
        sc.close_schools(_branch(), "T", "X")


def test_merging_renames_clashing_classes_and_keeps_the_target_bells() -> None:
    base = _branch()
    out = sc.merge_schools(base, "S", "T")
    assert [s.school_id for s in out.schools] == ["S"]
    # T's 1-1 meets S's 1-1 and 1-2: it becomes 1-3, with its need.
    assert [(c.class_, c.alt_lessons, c.co_teacher) for c in out.classes] == [
        ("1-1", 2, "Sato"),
        ("1-2", 2, None),
        ("1-3", 6, None),
    ]
    assert out.bells == tuple(b for b in base.bells if b.school_id == "S")
    assert out.blocked == ()  # T's blocked row went with T
    assert out.school_by_id["S"].max_alts_per_day == 2  # S's 1 + T's 1
    assert (
        sc.merge_schools(base, "S", "T", max_alts_per_day=1).school_by_id["S"].max_alts_per_day
        == 1
    )


@pytest.mark.parametrize(
    "others, error, match",
    [
        (("S",), ValueError, "named once"),  # the target merged into itself
        (("T", "T"), ValueError, "named once"),  # a school named twice
        (("X",), KeyError, "no school 'X'"),  # a school the branch does not have
        (("J",), ValueError, "levels must match"),  # a junior high into an elementary school
    ],
)
def test_merging_rejects(others: tuple[str, ...], error: type, match: str) -> None:
    base = sc.add_schools(_branch(), [school("J", level="junior_high")], bells_like="S")
    with pytest.raises(error, match=match):
        sc.merge_schools(base, "S", *others)


def test_adding_schools_with_classes_and_copied_bells() -> None:
    base = _branch()
    out = sc.add_schools(
        base,
        [school("U", north_km=2), {"school_id": "V", "name": "V", "level": "elementary",
                                   "lat": 35.0, "lon": 139.01}],
        classes=[{"school_id": "U", "class": "2-1", "alt_lessons": 1}, klass("V", "1-1", 1)],
        bells=bells("V", periods=4),
        bells_like="S",
    )  # fmt: skip
    assert [s.school_id for s in out.schools][-2:] == ["U", "V"]
    assert len([b for b in out.bells if b.school_id == "U"]) == 6  # a copy of S's
    assert len([b for b in out.bells if b.school_id == "V"]) == 4  # its own
    assert out.need() == base.need() + 2


@pytest.mark.parametrize(
    "kwargs, match",
    [
        # a bad cell names the row the record has in the scenario's schools.csv
        ({"schools": [{"school_id": "U", "name": "U", "level": "high", "lat": 0, "lon": 0}]},
         "schools.csv row 4, column level"),
        # a class of a school nobody added
        ({"schools": [], "classes": [klass("Q", "1-1", 1)]},
         "classes.csv row 5, column school_id"),
        # a school that needs lessons and has no bells
        ({"schools": [school("U")], "classes": [klass("U", "1-1", 1)]}, "has no periods"),
        # a school id that is taken
        ({"schools": [school("S")]}, "schools.csv row 4, column school_id"),
    ],
)  # fmt: skip
def test_adding_schools_rejects(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(InstanceError, match=match):
        sc.add_schools(_branch(), **kwargs)


def test_blocking_a_weekday_closes_it_once() -> None:
    out = sc.block_weekday(_branch(), "Fri", schools=["S"])
    assert out.usable_periods("S", "1-1", "Fri") == []
    assert out.usable_periods("T", "1-1", "Fri") != []
    assert sc.block_weekday(out, "Fri", schools=["S"]) == out  # no second row
    part = sc.block_weekday(_branch(), "Mon", periods=[5, 6])
    assert [p.period for p in part.usable_periods("S", "1-1", "Mon")] == [1, 2, 3, 4]
    with pytest.raises(InstanceError, match=r"blocked\.csv row 3, column day"):
        sc.block_weekday(_branch(), "Sat")  # type: ignore[arg-type]
    with pytest.raises(InstanceError, match="is not a period of S"):
        sc.block_weekday(_branch(), "Mon", periods=[9])


# ---- need ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "need, factor, expected",
    [
        (1, 1.5, 2),  # half up, not to even
        (5, 0.5, 3),  # 2.5 -> 3
        (3, 0.5, 2),  # 1.5 -> 2
        (2, 1.25, 3),  # 2.5 -> 3
        (1, 0.49, 0),  # below half: down
        (3, 1 / 3, 1),  # exact despite 1/3's float noise
        (4, 0, 0),  # nothing left
        (0, 3, 0),  # a class without ALT lessons keeps none
    ],
)
def test_scaled_need_rounds_half_up(need: int, factor: float, expected: int) -> None:
    base = branch([school("S")], bells("S"), [klass("S", "1-1", need)], [alt("A")])
    assert sc.scale_need(base, factor).classes[0].alt_lessons == expected


def test_need_changes_only_the_classes_asked_for() -> None:
    base = sc.add_schools(
        _branch(),
        [school("J", level="junior_high")],
        classes=[klass("J", "1-1", 4), klass("J", "3-1", 4)],
        bells_like="S",
    )
    out = sc.set_need(base, 3, level="junior_high", grades=[3])
    assert [c.alt_lessons for c in out.classes] == [2, 2, 6, 4, 3]
    doubled = sc.scale_need(base, 2, schools=["S"])
    assert [c.alt_lessons for c in doubled.classes] == [4, 4, 6, 4, 4]


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda i: sc.scale_need(i, -1), ValueError, "0 or more"),  # a negative factor
        (lambda i: sc.set_need(i, 1, grades=[7]), ValueError, "no class"),  # no such grade
        (lambda i: sc.set_need(i, 1, level="high"), ValueError, "level must be"),  # a typo
        (lambda i: sc.set_need(i, 1, schools=["X"]), KeyError, "no school"),  # unknown school
        (lambda i: sc.scale_need(i, 40), InstanceError, "classes.csv row 4, column alt_lessons"),
        (lambda i: sc.set_need(i, -2), InstanceError, "alt_lessons"),  # below zero
    ],
)
def test_need_verbs_reject(call: Callable[[Instance], Any], error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        call(_branch())


def test_a_scenario_carries_its_branch_and_weights() -> None:
    s = sc.Scenario("two more", _branch()).apply(sc.add_alts, n=2).apply(sc.close_schools, "T")
    assert len(s.instance.alts) == 5 and [x.school_id for x in s.instance.schools] == ["S"]
    assert s.weights is None
    w = s.with_weights(commute_minute=3)
    assert w.weights == Weights.default().model_copy(update={"commute_minute": 3})
    assert w.with_weights(alt_school=1).weights.commute_minute == 3  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="nonsense"):
        s.with_weights(nonsense=1)
    assert "two more" in w._repr_html_() and "commute_minute=3" in w._repr_html_()


# ---- diff ----------------------------------------------------------------------------------


def _lesson(alt_id: str, school_id: str, class_: str, day: str, period: int) -> Lesson:
    start = time(8 + period, 0)
    return Lesson(
        alt_id=alt_id, school_id=school_id, class_=class_, day=day,  # type: ignore[arg-type]
        period=period, start=start, end=time(8 + period, 45),
    )  # fmt: skip


def _result(*lessons: Lesson) -> Result:
    return Result(status="FEASIBLE", lessons=lessons)


def test_diff_pairs_closest_first_and_counts_per_alt_and_school() -> None:
    a = _result(
        _lesson("A", "S", "1-1", "Mon", 1),  # kept
        _lesson("A", "S", "1-1", "Tue", 1),  # reassigned to B, same slot
        _lesson("A", "S", "1-2", "Mon", 2),  # moved by A to Wed 3
        _lesson("B", "S", "1-2", "Thu", 1),  # moved to Fri 2 and to C
        _lesson("B", "T", "2-1", "Mon", 3),  # removed
    )
    b = _result(
        _lesson("A", "S", "1-1", "Mon", 1),
        _lesson("B", "S", "1-1", "Tue", 1),
        _lesson("A", "S", "1-2", "Wed", 3),
        _lesson("C", "S", "1-2", "Fri", 2),
        _lesson("C", "U", "3-1", "Tue", 4),  # added (a school only b has)
    )
    d = sc.diff(a, b)
    rows = d.lessons[["change", "class", "old_alt", "old_day", "new_alt", "new_day"]]
    assert rows.astype(object).where(rows.notna(), None).values.tolist() == [
        ["reassigned", "1-1", "A", "Tue", "B", "Tue"],
        ["moved", "1-2", "A", "Mon", "A", "Wed"],
        ["moved", "1-2", "B", "Thu", "C", "Fri"],
        ["removed", "2-1", "B", "Mon", None, None],
        ["added", "3-1", None, None, "C", "Tue"],
    ]
    assert str(d.lessons["new_period"].dtype) == "Int64"
    per_alt = d.per_alt().set_index("alt_id")
    assert per_alt.loc["A"].tolist() == [3, 2, 1, 1, 0, 1]  # before after kept moved gained lost
    assert per_alt.loc["B"].tolist() == [2, 1, 0, 0, 1, 2]
    assert per_alt.loc["C"].tolist() == [0, 2, 0, 0, 2, 0]
    for _, r in per_alt.iterrows():
        assert r["before"] == r["kept"] + r["moved"] + r["lost"]
        assert r["after"] == r["kept"] + r["moved"] + r["gained"]
    per_school = d.per_school().set_index("school_id")
    assert per_school.loc["S"].tolist() == [4, 4, 1, 2, 1, 0, 0]
    assert per_school.loc["T"].tolist() == [1, 0, 0, 0, 0, 0, 1]
    assert per_school.loc["U"].tolist() == [0, 1, 0, 0, 0, 1, 0]
    assert "5 ALT-lessons differ" in d._repr_html_()


def test_diff_of_a_result_with_itself_is_empty() -> None:
    a = _result(_lesson("A", "S", "1-1", "Mon", 1), _lesson("A", "S", "1-1", "Mon", 1))
    d = sc.diff(a, a)
    assert d.lessons.empty and d.per_alt().values.tolist() == [["A", 2, 2, 2, 0, 0, 0]]
    assert "No change" in d._repr_html_()


def test_store_versions_and_scenarios_share_one_comparison() -> None:
    # classify is what `altsched changes` uses over UIDs; here over arbitrary keys.
    from scheduler.scenarios.moves import WeeklyLesson

    x = WeeklyLesson(_lesson("A", "S", "1-1", "Mon", 1))
    y = WeeklyLesson(_lesson("B", "S", "1-1", "Mon", 1))
    z = WeeklyLesson(_lesson("A", "S", "1-1", "Tue", 1))
    old = {1: x, 2: x, 3: x}
    new = [(1, x), (2, y), (3, z), (4, x), (5, WeeklyLesson(x.lesson, cancelled=True))]
    kinds = [(kind, key) for kind, key, _, _ in classify(old, new)]
    assert kinds == [("changed", 2), ("moved", 3), ("added", 4), ("cancelled", 5)]
