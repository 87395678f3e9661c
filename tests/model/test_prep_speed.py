"""The faster preparation and writing give the same answers as the plain code they replace.

Each fast path is checked against a direct, obviously right version on random inputs,
including the ties and prefixes that decide an order.
"""

from __future__ import annotations

from datetime import date, time

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.bounds.flow import _undominated, held_by_visits
from scheduler.calendar.term import DatedLesson, _dated_order
from scheduler.generate import generate
from scheduler.io.write import alt_grid, school_grid
from scheduler.solve import solve
from scheduler.validate import check

members_st = st.lists(
    st.tuples(st.lists(st.integers(0, 6), min_size=1, max_size=5), st.integers(0, 4)),
    max_size=25,
)


def _undominated_reference(
    members: list[tuple[list[int], int]], slots: int
) -> list[tuple[list[int], int]]:
    """Members kept by the sorted() and 3-D comparison version."""
    ordered = sorted(members, key=lambda m: (m[1], [-h for h in m[0]]))
    if not ordered:
        return []
    width = max(len(held) for held, _m in ordered)
    held = np.full((len(ordered), width), -1)
    for i, (h, _m) in enumerate(ordered):
        held[i, : len(h)] = h
    dominates = (held[None, :, :] >= held[:, None, :]).all(axis=2)
    better = np.tril(dominates, k=-1).sum(axis=1)
    return [m for m, b in zip(ordered, better, strict=True) if b < slots]


@settings(max_examples=300, deadline=None)
@given(members_st, st.integers(1, 4))
def test_undominated_keeps_the_same_members_in_the_same_order(
    members: list[tuple[list[int], int]], slots: int
) -> None:
    # Identical objects in order, not only equal values: ties keep their input order.
    got = _undominated(members, slots)
    want = _undominated_reference(members, slots)
    assert [id(m) for m in got] == [id(m) for m in want]


def test_undominated_orders_a_prefix_first() -> None:
    # [3] is a prefix of [3, 5]: Python orders it first, so it cannot be dominated by it.
    short, long_ = ([3], 1), ([3, 5], 1)
    assert _undominated([long_, short], 1) == _undominated_reference([long_, short], 1)


@given(st.lists(st.integers(0, 8), max_size=8), st.integers(0, 30))
def test_held_by_visits_is_capped_running_sum_of_largest(caps: list[int], most: int) -> None:
    want = [min(most, int(h)) for h in np.cumsum(sorted(caps, reverse=True))]
    assert held_by_visits(caps, most) == want


dated_st = st.builds(
    DatedLesson,
    st.dates(min_value=date(2026, 4, 1), max_value=date(2026, 4, 10)),
    st.sampled_from([time(8, 45), time(9, 40)]),
    st.sampled_from([time(9, 30), time(10, 25)]),
    st.sampled_from(["A1", "A2"]),
    st.sampled_from(["S1", "S2"]),
    st.sampled_from(["1-1", "1-2", "10-1"]),
    st.integers(1, 3),
)


@given(st.lists(dated_st, max_size=30))
def test_dated_order_key_is_the_dataclass_order(lessons: list[DatedLesson]) -> None:
    assert sorted(lessons, key=_dated_order) == sorted(lessons)


def test_grids_from_grouped_lessons_equal_grids_from_the_whole_timetable() -> None:
    # The writer hands each grid only its own lessons; a grid must not depend on the rest.
    inst = generate(3, 1)
    result = solve(inst, method="greedy")
    assert check(inst, result.assignments) == []
    lessons = list(result.lessons)
    for alt in inst.alts:
        mine = [ls for ls in lessons if ls.alt_id == alt.alt_id]
        assert alt_grid(inst, mine, alt.alt_id) == alt_grid(inst, lessons, alt.alt_id)
    for school in inst.schools:
        here = [ls for ls in lessons if ls.school_id == school.school_id]
        assert school_grid(inst, here, school.school_id) == school_grid(
            inst, lessons, school.school_id
        )
