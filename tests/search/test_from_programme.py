"""A timetable from the converged programme (scheduler.search.from_programme), and the region
search going on from it (the restart a Guide hands to the region steps)."""

from __future__ import annotations

import time

from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.bounds.week_bound import week_bound
from scheduler.config import Settings, SolverParams, Weights
from scheduler.generate import generate
from scheduler.model.data import prepare
from scheduler.result import Lesson, lessons_frame
from scheduler.search import from_programme as rz
from scheduler.search.greedy import greedy
from scheduler.search.regions import Guide, improve, objective_of
from scheduler.validate import check

ALTS = [f"A{i}" for i in range(12)]
SCHOOLS = [f"S{i}" for i in range(12)]


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        st.tuples(st.sampled_from(ALTS), st.sampled_from(SCHOOLS)),
        st.floats(0.01, 1.0),
        min_size=1,
        max_size=40,
    ),
    st.integers(1, 4),
)
def test_groups_share_nothing_and_hold_everyone_with_a_pair(
    support: dict[tuple[str, str], float], most: int
) -> None:
    # Groups are solved side by side and their answers joined: no ALT and no school may be
    # in two of them, and every ALT and school the programme pairs must be in one.
    cfg = Settings.default().search.model_copy(update={"max_group_alts": most})
    found = rz.groups(support, SCHOOLS, ALTS, cfg)
    schools = [s for ss, _aa in found for s in ss]
    alts = [a for _ss, aa in found for a in aa]
    assert len(schools) == len(set(schools)) and len(alts) == len(set(alts))
    assert set(schools) == {s for _a, s in support} and set(alts) == {a for a, _s in support}
    for ss, aa in found:
        assert ss and aa
        # Every member of a group is tied to another by a pair of the programme.
        assert all(any((a, s) in support for a in aa) for s in ss)


def test_the_programme_s_timetable_is_valid_and_gives_most_of_the_need() -> None:
    # generate(30, 1): the programme converges in about a second; its groups, solved on their
    # own and joined, must make a valid timetable with fewer pairs than the greedy start.
    inst = generate(30, 1)
    prep = prepare(inst)
    weights = Weights.default()
    start = greedy(prep)
    found = week_bound(prep, weights, time.monotonic() + 60, [start])
    assert found is not None and found.converged and found.support
    params = SolverParams(time_limit=30, workers=2, seed=0)
    lessons = rz.timetable_from_programme(
        prep, weights, params, found.support, time.monotonic() + 30
    )
    assert check(inst, lessons_frame(lessons)) == []
    assert len(lessons) >= 0.95 * inst.need()
    pairs = {(ls.alt_id, ls.school_id) for ls in lessons}
    assert len(pairs) < len({(ls.alt_id, ls.school_id) for ls in start})
    # The groups use the programme's pairs only; the fill may add a few others.
    on_programme = sum((ls.alt_id, ls.school_id) in found.support for ls in lessons)
    assert on_programme >= 0.9 * len(lessons)


def test_a_restart_worse_than_the_search_never_makes_the_answer_worse() -> None:
    # The restart hands over a poor timetable (the first class of each school only); the
    # search goes on from it, and returns the best before it unless it does better.
    inst = generate(30, 2)
    prep = prepare(inst)
    weights = Weights.default()
    start = greedy(prep)
    poor: list[Lesson] = []
    seen: set[str] = set()
    for ls in start:
        if ls.school_id not in seen:
            seen.add(ls.school_id)
            poor.append(ls)
    asked: list[float] = []

    class Restart(Guide):
        def restart(self) -> list[Lesson] | None:
            asked.append(time.monotonic())
            return poor if len(asked) == 3 else None

    params = SolverParams(time_limit=4, workers=2, seed=1)
    t0 = time.monotonic()
    lessons, objective, _steps = improve(prep, weights, params, start, t0 + 4, t0, guide=Restart())
    assert len(asked) >= 3  # polled until it handed over, then no more
    assert objective == objective_of(prep, lessons, weights)
    assert objective <= objective_of(prep, start, weights)
    assert check(inst, lessons_frame(lessons)) == []


def test_while_a_restart_may_come_only_one_lane_steps(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # The second lane waits while ``pending`` says the programme is still at work (it has
    # the other core), so no two region steps ever run at once.
    from scheduler.search import regions as lns

    inst = generate(30, 3)
    prep = prepare(inst)
    running, most = [0], [0]
    real = lns.RegionSearch.step

    def counted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        running[0] += 1
        most[0] = max(most[0], running[0])
        try:
            return real(self, *args, **kwargs)
        finally:
            running[0] -= 1

    monkeypatch.setattr(lns.RegionSearch, "step", counted)
    params = SolverParams(time_limit=3, workers=2, seed=1)
    t0 = time.monotonic()

    class Pending(Guide):
        def pending(self) -> bool:
            return True

    improve(prep, Weights.default(), params, greedy(prep), t0 + 3, t0, guide=Pending())
    assert most[0] == 1
