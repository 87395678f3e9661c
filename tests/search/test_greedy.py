"""The greedy construction: valid timetables, and the same lessons as the function it was
before it became a class (digests recorded from that function on the same branches)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import pytest

from scheduler.bounds.flow import VisitIndex
from scheduler.config import Weights
from scheduler.instance import Instance
from scheduler.model.data import prepare
from scheduler.result import Lesson, Result, lessons_frame
from scheduler.search.greedy import greedy
from scheduler.search.week_plan import flow_week
from scheduler.validate import check


def _digest(lessons: Sequence[Lesson]) -> tuple[str, int]:
    """Every lesson, in the order the greedy placed it, hashed: any change of ALT, class,
    period or placing order changes it."""
    h = hashlib.sha256()
    for ls in lessons:
        h.update(
            repr(
                (ls.alt_id, ls.school_id, ls.class_, ls.day, ls.period, ls.start, ls.end)
            ).encode()
        )
    return h.hexdigest()[:16], len(lessons)


# (plain greedy, greedy following the week plan, greedy from the plain one's first half).
EXPECTED = {
    "demo": (
        ("862534f737d13169", 205),
        ("32a88da10e909a1d", 208),
        ("862534f737d13169", 205),
    ),
    "generate(60, 1)": (
        ("cda76ea62891a61a", 1231),
        ("6dde936ef4fb2767", 1311),
        ("3f708505e988eab8", 1231),
    ),
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_greedy_lessons_are_unchanged_and_valid(
    name: str, demo: Instance, generated: Callable[[int, int], Instance]
) -> None:
    inst = demo if name == "demo" else generated(60, 1)
    prep = prepare(inst)
    plain = greedy(prep)
    planned = greedy(prep, flow_week(VisitIndex.of(prep), Weights.default()))
    resumed = greedy(prep, start=plain[: len(plain) // 2])
    for lessons in (plain, planned, resumed):
        assert check(inst, lessons_frame(lessons)) == []
    assert (_digest(plain), _digest(planned), _digest(resumed)) == EXPECTED[name]


def test_greedy_gives_a_tiny_branch_everything(
    tiny_branch: Instance, solve_checked: Callable[..., Result]
) -> None:
    # One ALT, one school open all week, 3 lessons asked for, all given: 3-1 (first by
    # name) in Monday's period 1, 4-1 in the next free period, and 3-1's second lesson on
    # Tuesday (one ALT lesson a class a day).
    lessons = greedy(prepare(tiny_branch))
    assert check(tiny_branch, lessons_frame(lessons)) == []
    assert [(ls.class_, ls.day, ls.period) for ls in lessons] == [
        ("3-1", "Mon", 1),
        ("4-1", "Mon", 2),
        ("3-1", "Tue", 1),
    ]
    # The greedy method of a solve gives the same, and the validator agrees.
    assert solve_checked(tiny_branch, method="greedy").lessons == tuple(lessons)


def test_greedy_rejects_a_start_lesson_outside_a_usable_period(demo: Instance) -> None:
    prep = prepare(demo)
    first = greedy(prep)[0]
    # Period 99 exists at no school, so the start cannot be kept as it is.
    with pytest.raises(ValueError, match="not in a usable period"):
        greedy(prep, start=[first.model_copy(update={"period": 99})])
