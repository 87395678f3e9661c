"""Property: any small valid branch solves to a timetable the independent validator accepts,
with the solver's objective equal to the validator's recomputation and a bound below it."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scheduler.instance import DAYS, Blocked, Instance, Travel
from tests.tiny import alt, bells, branch, klass, school, solved


@st.composite
def branches(draw: st.DrawFn) -> Instance:
    """A random branch of 1-3 schools and 1-3 ALTs, with every kind of rule in play."""
    n_schools = draw(st.integers(1, 3))
    schools, bell_rows, classes, blocked = [], [], [], []
    for i in range(n_schools):
        sid = f"S{i}"
        level = draw(st.sampled_from(["elementary", "junior_high"]))
        schools.append(
            school(
                sid,
                level,
                north_km=draw(st.floats(0, 6)),
                max_alts_per_day=draw(st.integers(1, 2)),
            )
        )
        days = tuple(d for d in DAYS if draw(st.booleans())) or ("Mon",)
        jh = level == "junior_high"
        bell_rows += bells(
            sid,
            draw(st.integers(1, 6)),
            # Schools' bells start at different times, so two schools' periods interleave.
            first=draw(st.sampled_from(["08:30", "08:40", "08:45", "09:05", "09:20"])),
            minutes=50 if jh else 45,
            days=days,
        )
        for g in range(1, draw(st.integers(1, 3)) + 1):
            co = draw(st.sampled_from([None, "T1", "T2"]))
            classes.append(klass(sid, f"{g}-1", draw(st.integers(0, 3)), co))
        if draw(st.booleans()):
            blocked.append(
                Blocked(
                    school_id=sid,
                    day=draw(st.sampled_from(DAYS)),
                    periods=(1,) if draw(st.booleans()) else None,
                )
            )
    alts = [
        alt(
            f"A{k}",
            north_km=draw(st.floats(0, 8)),
            levels=draw(
                st.sampled_from([("elementary",), ("junior_high",), ("elementary", "junior_high")])
            ),
            unavailable=tuple(d for d in DAYS if draw(st.integers(0, 4)) == 0),
            max_lessons=draw(st.integers(0, 8)),
            max_lessons_per_day=draw(st.integers(1, 4)),
        )
        for k in range(draw(st.integers(1, 3)))
    ]
    # Door-to-door times between schools, each way its own (travel.csv need not be symmetric).
    travel = [
        Travel(**{"from": f"S{i}", "to": f"S{j}", "minutes": draw(st.integers(0, 90))})
        for i in range(n_schools)
        for j in range(n_schools)
        if i != j and draw(st.booleans())
    ]
    return branch(
        schools,
        bell_rows,
        classes,
        alts,
        blocked,
        travel,
        min_lessons_per_week=draw(st.integers(0, 4)),
        max_schools_per_day=draw(st.integers(1, 2)),
        max_class_lessons_per_day=draw(st.integers(1, 2)),
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(branches())
def test_random_branch_solves_to_a_valid_timetable(inst: Instance) -> None:
    result = solved(inst, time_limit=5.0)  # checks the validator and the objective
    assert result.status in ("OPTIMAL", "FEASIBLE")
    assert result.bound is not None and result.objective is not None
    assert result.bound <= result.objective + 1e-6
    greedy = solved(inst, method="greedy")
    assert result.objective <= greedy.objective  # type: ignore[operator]
