"""Plot functions draw what the result holds; scenario helpers change only what they say."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from scheduler import plot, scenarios
from scheduler.config import SolverParams
from scheduler.validate import check
from tests.tiny import alt, bells, branch, klass, school, solved


def _branch():  # type: ignore[no-untyped-def]
    # Two schools, one ALT: every lesson can be given (5 days x 1 school a day).
    return branch(
        [school("S"), school("T", north_km=1)],
        bells("S") + bells("T"),
        [klass("S", "3-1", 1), klass("S", "4-1", 1), klass("T", "5-1", 2)],
        [alt("A")],
    )


def test_alt_loads_stacks_each_day_and_marks_the_contract() -> None:
    inst = _branch()
    result = solved(inst)
    ax = plot.alt_loads(result, inst)
    heights = [p.get_height() for p in ax.patches]
    assert sum(heights) == len(result.lessons) == 4
    assert len(ax.patches) == 5  # one bar per weekday for the one ALT


def test_school_coverage_and_progress_draw_without_solving() -> None:
    inst = _branch()
    result = solved(inst)
    ax = plot.school_coverage(result, inst)
    assert sorted(p.get_height() for p in ax.patches) == [2, 2, 2, 2]
    assert plot.search_progress(result, inst).get_xlabel() == "seconds"


def test_scenario_helpers_and_comparison() -> None:
    inst = _branch()
    closed = scenarios.without_school(inst, "T")
    assert [s.school_id for s in closed.schools] == ["S"] and closed.need() == 2
    assert inst.need() == 4  # the original is untouched
    more = scenarios.with_alt(inst, alt("B"))
    assert len(more.alts) == 2
    table, results = scenarios.compare(
        {"today": inst, "closed": closed}, params=SolverParams.default(time_limit=5, workers=2)
    )
    assert list(table["scenario"]) == ["today", "closed"]
    assert list(table["given"]) == [4, 2] and list(table["unmet"]) == [0, 0]
    assert set(results) == {"today", "closed"}
    # Every solve in the tests passes the independent validator.
    scenario = {"today": inst, "closed": closed}
    assert all(check(scenario[n], r.assignments) == [] for n, r in results.items())


def test_copies_never_keep_stale_lookups() -> None:
    inst = _branch()
    assert "A" in inst.alt_by_id  # fills the cached lookup
    more = scenarios.with_alt(inst, alt("B"))
    assert set(more.alt_by_id) == {"A", "B"}
    assert more.travel_minutes("B", "S") >= 0


def test_scenarios_are_validated_like_input() -> None:
    import pytest

    from scheduler.errors import InstanceError

    with pytest.raises(InstanceError, match="duplicate"):
        scenarios.with_alt(_branch(), alt("A"))
    with pytest.raises(ValueError):
        scenarios.with_settings(_branch(), min_lessons_per_week=-1)
