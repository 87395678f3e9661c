"""The term calendar: dated lessons, lessons lost to holidays and events, bad input."""

from __future__ import annotations

from datetime import date

import pytest

from scheduler.calendar.term import (
    calendar_issues,
    expand,
    holidays,
    school_days,
)
from scheduler.errors import InstanceError
from scheduler.instance import Blocked, warnings_for
from tests.calendar_data import EXPECTED, TERM, assignments, instance


def test_expand_gives_exactly_the_hand_computed_lessons() -> None:
    cal = expand(instance(), assignments())
    got = [tuple(r) for r in cal.lessons_frame().itertuples(index=False)]
    assert got == EXPECTED


def test_lost_lessons_are_counted_per_alt() -> None:
    cal = expand(instance(), assignments())
    lost = cal.lost_frame().set_index("alt_id").to_dict("index")
    # A1: Mon 05-05, Tue 04-29 and 05-06 are holidays; Mon 05-12 is a school event.
    assert lost["A1"] == {"lessons": 2, "lost_holidays": 3, "lost_events": 1}
    # A2: Fri 05-09 period 2 is blocked for 2-1.
    assert lost["A2"] == {"lessons": 5, "lost_holidays": 0, "lost_events": 1}
    reasons = {(x.date, x.reason, x.detail) for x in cal.lost if x.alt_id == "A2"}
    assert reasons == {(date(2025, 5, 9), "event", "blocked.csv row 4")}


def test_holidays_include_substitute_holidays() -> None:
    # 05-03 and 05-04 fall on the weekend; 05-06 replaces 05-04 (a Sunday).
    got = holidays(*TERM)
    assert set(got) == {date(2025, 4, 29), *(date(2025, 5, d) for d in (3, 4, 5, 6))}
    assert "振替休日" in got[date(2025, 5, 6)]


def test_school_days_skip_weekends() -> None:
    days = school_days(date(2025, 5, 2), date(2025, 5, 6))  # Fri..Tue
    assert days == [date(2025, 5, 2), date(2025, 5, 5), date(2025, 5, 6)]


def test_a_term_of_one_day_on_a_holiday_has_no_lessons() -> None:
    inst = instance(term_start=date(2025, 5, 5), term_end=date(2025, 5, 5), branch="x")
    inst = inst.model_copy(update={"blocked": ()})
    cal = expand(inst, assignments())
    assert cal.lessons == ()
    assert [(x.alt_id, x.reason) for x in cal.lost] == [("A1", "holiday")]


def test_alt_without_lessons_is_not_in_the_lost_table() -> None:
    cal = expand(instance(), assignments(rows=[r for r in assignments().itertuples(index=False)
                                               if r[0] == "A2"]))  # fmt: skip
    assert list(cal.lost_frame()["alt_id"]) == ["A2"]


# Each bad case: (settings or blocked rows, file, row, column, value) of the expected error.
BAD = [
    # term ends before it starts
    ({"term_start": date(2025, 5, 1), "term_end": date(2025, 4, 1)},
     None, "settings.csv", None, "term_end", "2025-04-01"),
    # no term at all: a calendar cannot be made
    ({"term_start": None, "term_end": None}, None, "settings.csv", None, "term_start", None),
    # only the start
    ({"term_end": None}, None, "settings.csv", None, "term_end", None),
    # a typo in the year makes a two-year term
    ({"term_end": date(2026, 5, 16)}, None, "settings.csv", None, "term_end", "2026-05-16"),
    # a school event after the term
    ({}, Blocked(school_id="S1", day=date(2025, 6, 2)), "blocked.csv", 2, "day", "2025-06-02"),
    # a school event before the term
    ({}, Blocked(school_id="S1", day=date(2025, 4, 1)), "blocked.csv", 2, "day", "2025-04-01"),
    # an unknown school in a dated row
    ({}, Blocked(school_id="S9", day=date(2025, 5, 1)), "blocked.csv", 2, "school_id", "S9"),
    # an unknown class in a dated row
    ({}, Blocked(school_id="S1", class_="6-9", day=date(2025, 5, 1)),
     "blocked.csv", 2, "class", "6-9"),
]  # fmt: skip


@pytest.mark.parametrize(("settings", "row", "file", "line", "column", "value"), BAD)
def test_bad_calendar_input_names_file_row_column_value(
    settings: dict[str, object],
    row: Blocked | None,
    file: str,
    line: int | None,
    column: str,
    value: str | None,
) -> None:
    inst = instance(**settings)
    if row is not None:
        inst = inst.model_copy(update={"blocked": (row,)})
    with pytest.raises(InstanceError) as err:
        expand(inst, assignments())
    found = [(i.file, i.row, i.column, i.value) for i in err.value.issues]
    assert (file, line, column, value) in found


def test_a_good_instance_has_no_calendar_issues() -> None:
    assert calendar_issues(instance()) == []


def test_events_on_weekends_or_holidays_are_warnings() -> None:
    inst = instance().model_copy(
        update={"blocked": (Blocked(school_id="S1", day=date(2025, 5, 3)),  # Saturday
                            Blocked(school_id="S1", day=date(2025, 5, 5)))}  # Children's Day
    )  # fmt: skip
    warned = [(w.row, w.value) for w in warnings_for(inst) if w.file == "blocked.csv"]
    assert warned == [(2, "2025-05-03"), (3, "2025-05-05")]
    assert calendar_issues(inst) == []


# Each bad assignment row: (column changed, bad value, column named in the error).
BAD_ROWS = [
    ("alt_id", "A9", "alt_id"),  # no such ALT
    ("school_id", "S9", "school_id"),  # no such school
    ("class", "9-9", "class"),  # no such class at S1
    ("day", "Sat", "day"),  # not a school day
    ("period", "first", "period"),  # not a number
    ("start", "8.45", "start"),  # not HH:MM
    ("end", "08:00", "end"),  # ends before it starts
]


@pytest.mark.parametrize(("column", "value", "named"), BAD_ROWS)
def test_bad_assignment_rows_are_located(column: str, value: str, named: str) -> None:
    table = assignments().astype(str)
    table.loc[1, column] = value
    with pytest.raises(InstanceError) as err:
        expand(instance(), table)
    issues = err.value.issues
    assert [(i.file, i.row, i.column, i.value) for i in issues] == [
        ("assignments.csv", 3, named, value)
    ]


def test_assignments_with_int_and_text_periods_expand_alike() -> None:
    as_text = assignments().astype(str)
    assert expand(instance(), as_text) == expand(instance(), assignments())
