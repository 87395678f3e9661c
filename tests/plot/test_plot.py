"""Every figure draws what the timetable holds: boxes, bars, markers and labels are counted
against a hand-made week whose numbers are known (and stated below)."""

from __future__ import annotations

import math
from datetime import time

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_hex
from matplotlib.patches import Rectangle

from scheduler import plot
from scheduler.instance import DAYS, Instance
from scheduler.result import Lesson, Result
from scheduler.validate import check
from tests.tiny import alt, bells, branch, klass, school, solved

# Bells of tiny.bells(): period 1 08:45-09:30, period 2 09:40-10:25.
P1, P2 = (time(8, 45), time(9, 30)), (time(9, 40), time(10, 25))


def _branch() -> Instance:
    # S (elementary) at the origin, T (junior high) 1 km north. A lives at S, B 2 km north
    # (1 km from T), C has no lessons. B's floor is 5 and B is off on Wednesdays.
    return branch(
        [school("S"), school("T", level="junior_high", north_km=1)],
        bells("S") + bells("T"),
        [
            klass("S", "3-1", 1),
            klass("S", "4-1", 1),
            klass("S", "5-1", 2),
            klass("T", "1-1", 2),
            klass("T", "2-1", 1),
        ],
        [alt("A"), alt("B", north_km=2, min_lessons=5, unavailable=("Wed",)), alt("C")],
    )


def _lesson(alt_id: str, school_id: str, class_: str, day: str, slot: tuple[time, time]) -> Lesson:
    period = 1 if slot == P1 else 2
    return Lesson.model_validate(
        {
            "alt_id": alt_id,
            "school_id": school_id,
            "class": class_,
            "day": day,
            "period": period,
            "start": slot[0],
            "end": slot[1],
        }
    )


def _week() -> Result:
    # A: 3 lessons at S (Mon, Mon, Tue) and 1 at T (Fri): 2 schools, commute 0 + 0 + 3 min.
    # B: 2 lessons at T (Tue, Thu): 1 school, commute 3 + 3 min, 3 under the floor of 5.
    # S 5-1 needs 2 and gets 1: S is short by one lesson; T gets all 3 it needs.
    return Result(
        status="FEASIBLE",
        lessons=(
            _lesson("A", "S", "3-1", "Mon", P1),
            _lesson("A", "S", "4-1", "Mon", P2),
            _lesson("A", "S", "5-1", "Tue", P1),
            _lesson("A", "T", "2-1", "Fri", P1),
            _lesson("B", "T", "1-1", "Tue", P1),
            _lesson("B", "T", "1-1", "Thu", P2),
        ),
    )


@pytest.fixture(autouse=True)
def _close_figures():  # type: ignore[no-untyped-def]
    """Every test starts and ends without open figures."""
    yield
    plt.close("all")


def test_the_hand_made_week_is_valid() -> None:
    assert check(_branch(), _week().assignments) == []


def _boxes(ax) -> list[Rectangle]:  # type: ignore[no-untyped-def]
    return [p for p in ax.patches if isinstance(p, Rectangle) and p.get_label() != "_day off"]


def test_alt_week_draws_a_box_per_lesson_coloured_by_school() -> None:
    inst = _branch()
    ax = plot.alt_week(_week(), inst, "A")
    colours = plot.school_colours(inst)
    boxes = _boxes(ax)
    assert len(boxes) == 4
    by_school = sorted((b.get_label().lstrip("_"), to_hex(b.get_facecolor())) for b in boxes)
    assert by_school == [("S", colours["S"])] * 3 + [("T", colours["T"])]
    assert colours["S"] != colours["T"]
    # The label is the class in grade-class notation; Monday's two lessons sit in column 0.
    assert sorted(t.get_text() for t in ax.texts) == ["2-1", "3-1", "4-1", "5-1"]
    mon = sorted(b.get_y() for b in boxes if b.get_x() < 1)
    assert mon == [8 * 60 + 45, 9 * 60 + 40]
    assert [t.get_text() for t in ax.get_xticklabels()] == list(DAYS)
    top, bottom = ax.get_ylim()[1], ax.get_ylim()[0]
    assert top < bottom  # morning at the top
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["S School", "T School"]
    assert "A" in ax.get_title() and "4 lessons" in ax.get_title()


def test_alt_week_shades_the_day_off_and_says_when_there_is_nothing() -> None:
    inst = _branch()
    ax = plot.alt_week(_week(), inst, "B")
    off = [p for p in ax.patches if p.get_label() == "_day off"]
    assert len(off) == 1 and off[0].get_x() == DAYS.index("Wed")
    assert len(_boxes(ax)) == 2 and "day off" in [t.get_text() for t in ax.texts]
    empty = plot.alt_week(_week(), inst, "C")
    assert _boxes(empty) == [] and "no lessons this week" in [t.get_text() for t in empty.texts]
    with pytest.raises(KeyError, match="Z"):
        plot.alt_week(_week(), inst, "Z")


def test_school_colours_are_distinct_for_sixty_schools() -> None:
    inst = branch([school(f"S{i:02d}", north_km=i) for i in range(61)], [], [], [alt("A")])
    colours = list(plot.school_colours(inst).values())
    assert len(set(colours[:60])) == 60 and colours[60] == colours[0]


def test_school_map_places_schools_homes_and_who_teaches_where() -> None:
    inst = _branch()
    ax = plot.school_map(_week(), inst)
    scatters = {c.get_label(): c for c in ax.collections if isinstance(c, PathCollection)}
    assert {k: len(c.get_offsets()) for k, c in scatters.items()} == {
        "elementary school": 1,
        "junior high school": 1,
        "ALT home": 3,
    }
    # The short school S has a red edge, T a black one.
    assert to_hex(scatters["elementary school"].get_edgecolors()[0]) == "#c01c28"
    assert to_hex(scatters["junior high school"].get_edgecolors()[0]) == "#000000"
    (lines,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    segments = [tuple(map(tuple, s)) for s in lines.get_segments()]
    assert len(segments) == 3  # A-S, A-T, B-T
    widths = dict(zip(segments, lines.get_linewidths(), strict=True))
    a_home, s_at, t_at = (139.0, 35.0), (139.0, 35.0), (139.0, 35.0 + 1 / 111.2)
    assert widths[(a_home, s_at)] > widths[(a_home, t_at)]  # 3 lessons against 1
    assert ax.get_aspect() == pytest.approx(1 / math.cos(math.radians(35.0)), rel=1e-3)
    assert len(ax.images) == 0  # no tiles
    assert sorted(t.get_text() for t in ax.texts) == ["A", "B", "C", "S", "T"]


@pytest.mark.parametrize(
    ("figure", "expected", "mean"),
    [
        (plot.schools_per_alt, [2, 1, 0], 1.0),  # A at S and T, B at T, C nowhere
        (plot.commute_per_alt, [3, 6, 0], 3.0),  # A: T once (3 min); B: T on 2 days
    ],
)
def test_per_alt_bars_show_the_validators_numbers(figure, expected, mean) -> None:  # type: ignore[no-untyped-def]
    ax = figure(_week(), _branch())
    assert [p.get_height() for p in ax.patches] == expected
    assert [t.get_text() for t in ax.get_xticklabels()] == ["A", "B", "C"]
    (line,) = ax.get_lines()
    assert line.get_ydata()[0] == pytest.approx(mean)


def test_alt_loads_stacks_days_and_marks_alts_under_their_floor() -> None:
    ax = plot.alt_loads(_week(), _branch())
    assert sum(p.get_height() for p in ax.patches) == 6
    assert len(ax.patches) == 5 * 3  # a bar per weekday per ALT
    red = [t.get_text() for t in ax.get_xticklabels() if to_hex(t.get_color()) == "#c01c28"]
    assert red == ["B"]
    assert "1 under their floor" in ax.get_title()
    floors = next(c for c in ax.collections if c.get_label() == "floor")
    assert [y for _x, y in floors.get_offsets()] == [0, 5, 0]


def test_day_peaks_counts_each_day_and_marks_the_day_off() -> None:
    ax = plot.day_peaks(_week(), _branch())
    (image,) = ax.images
    assert image.get_array().tolist() == [[2, 1, 0, 0, 1], [0, 1, 0, 1, 0], [0, 0, 0, 0, 0]]
    texts = {(t.get_position(), t.get_text()) for t in ax.texts}
    assert ((2, 1), "off") in texts  # B, Wednesday
    bold = [t.get_text() for t in ax.texts if t.get_fontweight() == "bold"]
    assert bold == ["2", "1", "1"]  # A's Monday, B's Tuesday and Thursday


def test_coverage_by_school_and_by_grade() -> None:
    inst, week = _branch(), _week()
    bars = plot.school_coverage(week, inst)
    assert [p.get_height() for p in bars.patches] == [4, 3, 3, 3]  # needed S, T; given S, T
    ax = plot.grade_coverage(week, inst)
    (image,) = ax.images
    share = image.get_array()
    assert share.shape == (2, 5)  # schools S, T; grades 1-5
    assert share[0, 4] == 0.5 and share[1, 0] == 1.0  # S grade 5: 1 of 2; T grade 1: 2 of 2
    assert bool(share.mask[1, 4])  # T has no grade 5
    assert "1/2" in [t.get_text() for t in ax.texts]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["S School", "T School"]


def test_scenario_kpis_scales_each_kpi_and_labels_real_values() -> None:
    table = pd.DataFrame(
        {
            "scenario": ["today", "hire two", "failed"],
            "coverage": [0.9, 1.0, np.nan],
            "unmet": [10, 0, np.nan],
            "commute_minutes": [400, 500, np.nan],
        }
    )
    ax = plot.scenario_kpis(table)
    heights = [p.get_height() for p in ax.patches]
    assert heights == pytest.approx([0.9, 1.0, 0.8, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0])
    labels = [t.get_text() for t in ax.texts]
    assert labels[:3] == ["90.0%", "10", "400"] and labels[-3:] == ["n/a"] * 3
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["today", "hire two", "failed"]
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "coverage",
        "lessons\nunmet",
        "commute\nminutes",
    ]
    # A table indexed by scenario, and a chosen column.
    one = plot.scenario_kpis(table.set_index("scenario"), columns=["unmet"])
    assert len(one.patches) == 3
    with pytest.raises(KeyError, match="seconds"):
        plot.scenario_kpis(table, columns=["seconds"])


def test_no_figure_solves(monkeypatch: pytest.MonkeyPatch) -> None:
    import scheduler.solve

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a figure solved")

    monkeypatch.setattr(scheduler.solve, "solve", refuse)
    inst, week = _branch(), _week()
    for figure in (
        plot.alt_loads,
        plot.schools_per_alt,
        plot.commute_per_alt,
        plot.day_peaks,
        plot.school_coverage,
        plot.grade_coverage,
        plot.school_map,
        plot.search_progress,
    ):
        assert figure(week, inst).get_title()
    assert plot.alt_week(week, inst, "A").get_title()


def test_figures_draw_into_the_axes_they_are_given() -> None:
    # A solved branch (checked by the validator in tiny.solved) in one figure of six panels.
    inst = branch(
        [school("S"), school("T", north_km=1)],
        bells("S") + bells("T"),
        [klass("S", "3-1", 1), klass("T", "5-1", 2)],
        [alt("A")],
    )
    result = solved(inst, time_limit=5)
    _fig, axes = plt.subplots(2, 3)
    drawn = [
        plot.alt_loads(result, inst, ax=axes[0, 0]),
        plot.alt_week(result, inst, "A", ax=axes[0, 1]),
        plot.school_map(result, inst, ax=axes[0, 2]),
        plot.grade_coverage(result, inst, ax=axes[1, 0]),
        plot.day_peaks(result, inst, ax=axes[1, 1]),
        plot.commute_per_alt(result, inst, ax=axes[1, 2]),
    ]
    assert drawn == list(axes.flat)
    assert len(_boxes(drawn[1])) == len(result.lessons) == 3
