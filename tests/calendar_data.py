"""A tiny branch with a three-week term, holidays and school events, for the calendar tests.

Term: Mon 2025-04-28 to Fri 2025-05-16. National holidays in it: Tue 04-29 (Showa Day),
Mon 05-05 (Children's Day), Tue 05-06 (substitute holiday). Weekly timetable:

    A1 Alice  S1 Sakura ES  1-1  Mon P1 08:45-09:30
    A1 Alice  S1 Sakura ES  1-2  Tue P2 09:35-10:20
    A2 Bob    S2 みどり中学校 2-1  Wed P1 08:40-09:30
    A2 Bob    S2 みどり中学校 2-1  Fri P2 09:40-10:30

Dated blocked rows (blocked.csv rows 2-5):
    row 2: S1 whole school, whole day Mon 05-12  -> A1 1-1 loses 05-12
    row 3: S1 class 1-2, period 1 only, Tue 05-13 -> A1 1-2 P2 is not touched
    row 4: S2 class 2-1, period 2, Fri 05-09       -> A2 Fri loses 05-09
    row 5: S1 class 1-1, whole day, Wed 05-07     -> no lesson of 1-1 that day, no effect

So the term holds exactly the lessons in EXPECTED; A1 loses 3 to holidays and 1 to events,
A2 loses 0 to holidays and 1 to events.
"""

from __future__ import annotations

from datetime import date, time

import pandas as pd

from scheduler.instance import Alt, Bell, Blocked, Instance, School, SchoolClass, Settings

TERM = (date(2025, 4, 28), date(2025, 5, 16))

WEEKLY = [
    ("A1", "S1", "1-1", "Mon", 1, "08:45", "09:30"),
    ("A1", "S1", "1-2", "Tue", 2, "09:35", "10:20"),
    ("A2", "S2", "2-1", "Wed", 1, "08:40", "09:30"),
    ("A2", "S2", "2-1", "Fri", 2, "09:40", "10:30"),
]

# (date, start, end, alt_id, school_id, class, period), worked out by hand from the docstring.
EXPECTED = [
    ("2025-04-28", "08:45", "09:30", "A1", "S1", "1-1", 1),
    ("2025-04-30", "08:40", "09:30", "A2", "S2", "2-1", 1),
    ("2025-05-02", "09:40", "10:30", "A2", "S2", "2-1", 2),
    ("2025-05-07", "08:40", "09:30", "A2", "S2", "2-1", 1),
    ("2025-05-13", "09:35", "10:20", "A1", "S1", "1-2", 2),
    ("2025-05-14", "08:40", "09:30", "A2", "S2", "2-1", 1),
    ("2025-05-16", "09:40", "10:30", "A2", "S2", "2-1", 2),
]


def instance(**settings: object) -> Instance:
    """The tiny branch; keyword arguments override settings."""
    st = {"branch": "Test branch", "term_start": TERM[0], "term_end": TERM[1], **settings}
    return Instance(
        settings=Settings.model_validate(st),
        schools=(
            School(school_id="S1", name="Sakura ES", level="elementary", lat=36.55, lon=139.88),
            School(school_id="S2", name="みどり中学校", level="junior_high", lat=36.56, lon=139.9),
        ),
        bells=(
            Bell(school_id="S1", period=1, start=time(8, 45), end=time(9, 30)),
            Bell(school_id="S1", period=2, start=time(9, 35), end=time(10, 20)),
            Bell(school_id="S2", period=1, start=time(8, 40), end=time(9, 30)),
            Bell(school_id="S2", period=2, start=time(9, 40), end=time(10, 30)),
        ),
        classes=(
            SchoolClass(school_id="S1", class_="1-1", alt_lessons=1, co_teacher="田中"),
            SchoolClass(school_id="S1", class_="1-2", alt_lessons=1, co_teacher="Sato"),
            SchoolClass(school_id="S2", class_="2-1", alt_lessons=2),
        ),
        alts=(
            Alt(alt_id="A1", name="Alice", home_lat=36.55, home_lon=139.88),
            Alt(alt_id="A2", name="Bob", home_lat=36.56, home_lon=139.9),
        ),
        blocked=(
            Blocked(school_id="S1", day=date(2025, 5, 12)),
            Blocked(school_id="S1", class_="1-2", day=date(2025, 5, 13), periods=(1,)),
            Blocked(school_id="S2", class_="2-1", day=date(2025, 5, 9), periods=(2,)),
            Blocked(school_id="S1", class_="1-1", day=date(2025, 5, 7)),
        ),
    )


Row = tuple[str, str, str, str, int, str, str]


def assignments(rows: list[Row] | None = None) -> pd.DataFrame:
    """An assignments table in the contract's columns (WEEKLY by default)."""
    cols = ["alt_id", "school_id", "class", "day", "period", "start", "end"]
    return pd.DataFrame(WEEKLY if rows is None else rows, columns=cols)


def moved_a1() -> pd.DataFrame:
    """WEEKLY with A1's Monday lesson of 1-1 moved to Thursday P2 (09:35-10:20)."""
    rows = list(WEEKLY)
    rows[0] = ("A1", "S1", "1-1", "Thu", 2, "09:35", "10:20")
    return assignments(rows)
