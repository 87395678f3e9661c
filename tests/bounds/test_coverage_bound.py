"""The visit bound on coverage: never below what a timetable gives, tighter than the flow
where one school a day, ALTs per school-day or co-teachers bind, and said in users' words."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from scheduler.bounds.coverage import best_bound, visit_coverage_bound
from scheduler.bounds.flow import coverage_bound
from scheduler.bounds.words import unmet_in_words, unmet_report
from scheduler.config import SolverParams
from scheduler.generate import SHORTAGE_MIXES, generate_branch
from scheduler.instance import Instance
from scheduler.io.tables import write_instance
from scheduler.model.data import prepare
from scheduler.reference.naive import solve_naive
from scheduler.result import lessons_frame
from scheduler.validate import check
from tests.cli.test_calendar_cli import run
from tests.tiny import alt, bells, branch, klass, only, school


def most_lessons(inst: Instance) -> int:
    """The most lessons any timetable gives, proven by the period-level model; its
    timetable passes the validator."""
    params = SolverParams.default(time_limit=20, workers=2, seed=0)
    status, lessons, _obj, _bound, _trace = solve_naive(
        prepare(inst), only(unmet_lesson=1), params, [], None
    )
    assert status == "OPTIMAL", status
    assert check(inst, lessons_frame(lessons)) == []
    return len(lessons)


# ---- hand-built branches where the flow bound is loose ----------------------------------------
def monday_only() -> Instance:
    """One ALT working Mondays only; two schools of three one-lesson classes each. The flow
    splits the Monday's six lessons between the schools; one school a day gives three."""
    return branch(
        [school("S1"), school("S2", north_km=1)],
        bells("S1") + bells("S2"),
        [klass(s, f"{g}-1", 1) for s in ("S1", "S2") for g in (3, 4, 5)],
        [alt("A1", unavailable=("Tue", "Wed", "Thu", "Fri"))],
    )


def test_one_school_a_day_binds() -> None:
    inst = monday_only()
    prep = prepare(inst)
    assert coverage_bound(prep) == 6
    assert visit_coverage_bound(prep) == 3 == most_lessons(inst)


def test_a_co_teacher_binds() -> None:
    # Two ALTs may come the same day, but the four classes share one JTE and can only take
    # lessons in periods 1-2 (a two-period school, Monday only): two lessons, not four.
    inst = branch(
        [school("J1", level="junior_high", max_alts_per_day=2)],
        bells("J1", periods=2, days=("Mon",), minutes=50),
        [klass("J1", f"1-{k}", 1, co="JTE-1") for k in range(1, 5)],
        [alt("A1"), alt("A2")],
    )
    prep = prepare(inst)
    assert coverage_bound(prep) == 4
    assert visit_coverage_bound(prep) == 2 == most_lessons(inst)


def test_alts_per_school_day_bind() -> None:
    # One school taking one ALT a day, open Monday only, three ALTs: one visit of at most
    # the daily maximum of 2 lessons (the flow sees this one too: one ALT times the
    # largest visit).
    inst = branch(
        [school("S1")],
        bells("S1", days=("Mon",)),
        [klass("S1", f"{g}-1", 1) for g in (3, 4, 5, 6)],
        [alt(f"A{i}", max_lessons_per_day=2) for i in (1, 2, 3)],
    )
    prep = prepare(inst)
    assert visit_coverage_bound(prep) == 2 == most_lessons(inst)


# ---- the bound never cuts off a timetable ---------------------------------------------------
# One ALT: the period-level model proves its optimum in about a second; two ALTs can take
# longer than a test should.
@settings(max_examples=8, deadline=None)
@given(
    n=st.just(1),
    seed=st.integers(0, 2**16),
    share=st.sampled_from([0.05, 0.15]),
    mix=st.sampled_from(SHORTAGE_MIXES),
)
# A one-ALT visit-days branch: days off until the visits fall short.
@example(n=1, seed=3, share=0.15, mix=("visit days",))
def test_the_visit_bound_is_never_below_the_optimum(
    n: int, seed: int, share: float, mix: tuple[str, ...]
) -> None:
    drawn = generate_branch(n, seed, shortage=share, mix=mix, term_start=None, term_end=None)
    inst = drawn.instance
    prep = prepare(inst)
    bound = visit_coverage_bound(prep)
    assert most_lessons(inst) <= bound <= coverage_bound(prep)


def test_best_bound_skips_the_lp_when_the_flow_proves_the_timetable_best() -> None:
    prep = prepare(monday_only())  # flow 6, visits 3
    assert best_bound(prep, 0) == 6  # every lesson given: the flow says nothing is missing
    assert best_bound(prep, 3) == 3  # three unmet: the flow says 6, so the visits are counted
    assert best_bound(prep, 3, time_limit=0) == 6  # after Ctrl-C: the flow bound only


# ---- in users' words ---------------------------------------------------------------------------
def test_words_when_the_bound_is_reached() -> None:
    assert unmet_in_words(25, 1521, 1496) == "25 lessons unmet; no timetable can give more"
    assert unmet_in_words(1, 10, 9) == "1 lesson unmet; no timetable can give more"


def test_words_when_some_may_be_recoverable() -> None:
    assert unmet_in_words(30, 1521, 1496) == (
        "30 lessons unmet; at least 25 must stay unmet (bound); 5 may be recoverable"
    )
    # A bound that proves nothing short: every unmet lesson may be recoverable.
    assert unmet_in_words(3, 100, 100) == (
        "3 lessons unmet; all may be recoverable (no bound says otherwise)"
    )
    assert unmet_in_words(0, 100, 100) == "every one of the 100 lessons is given"


def test_report_entry_holds_the_numbers_and_the_words() -> None:
    assert unmet_report(30, 1521, 1496) == {
        "most_lessons": 1496,
        "unmet": 30,
        "must_stay_unmet": 25,
        "may_be_recoverable": 5,
        "in_words": unmet_in_words(30, 1521, 1496),
    }


def test_solve_says_it_on_screen_and_in_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Three of the six lessons can be given (one school on the one working day): the flow
    # bound alone would say three may be recoverable, the visit bound proves none is.
    write_instance(monday_only(), tmp_path / "b")
    out = tmp_path / "out"
    # The limit counts from the process's start: this test process's would leave no time
    # for the visit bound (scheduler/budget.py), so the command counts from its own.
    monkeypatch.setattr("scheduler.budget.process_started", time.monotonic)
    code, text, _err = run(monkeypatch, capsys, "solve", tmp_path / "b", "--out", out,
                           "--time-limit", "5", "--workers", "1")  # fmt: skip
    assert code == 0, text
    assert "3 lessons unmet; no timetable can give more" in text
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["coverage_bound"] == unmet_report(3, 6, 3)
    assert report["instance"]["lessons_assigned"] == 3
    # The timetable written passes the independent validator.
    assert run(monkeypatch, capsys, "check", tmp_path / "b", out)[0] == 0
