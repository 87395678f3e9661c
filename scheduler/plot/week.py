"""One ALT's week drawn as a timetable: a column per weekday, time running down."""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.patches import Patch, Rectangle

from scheduler.instance import DAYS, Instance, minutes_of
from scheduler.plot._common import axes, school_colours
from scheduler.result import Lesson, Result

BOX_WIDTH = 0.9  # of a day's column; the rest is the gap between days
DAY_OFF_COLOUR = "#e7e9ec"


def alt_week(result: Result, instance: Instance, alt_id: str, ax: Axes | None = None) -> Axes:
    """An ALT's week as a timetable chart: a box per lesson, labelled with its class
    (``1-1``) and coloured by school (:func:`school_colours`), the legend naming the schools.

    The vertical axis runs from the branch's ``day_start`` to ``day_end`` (further if a
    lesson lies outside); the ALT's days off are shaded.

    Raises
    ------
    KeyError
        When ``alt_id`` is not an ALT of the instance.
    """
    alt = instance.alt_by_id.get(alt_id)
    if alt is None:
        raise KeyError(f"no ALT {alt_id!r} in the instance")
    ax = axes(ax, (8, 5))
    colours = school_colours(instance)
    mine = sorted(
        (ls for ls in result.lessons if ls.alt_id == alt_id),
        key=lambda ls: (DAYS.index(ls.day), ls.start),
    )
    st = instance.settings
    top = min([minutes_of(st.day_start), *(minutes_of(ls.start) for ls in mine)])
    bottom = max([minutes_of(st.day_end), *(minutes_of(ls.end) for ls in mine)])
    for d in alt.unavailable:
        _day_off(ax, DAYS.index(d), top, bottom)
    for ls in mine:
        _lesson_box(ax, ls, colours.get(ls.school_id))
    _week_frame(ax, top, bottom)
    taught = {ls.school_id for ls in mine}
    _school_legend(ax, instance, taught, colours, (top + bottom) / 2)
    ax.set_title(f"{alt.name} ({alt_id}): {len(mine)} lessons at {len(taught)} schools", pad=24)
    return ax


def _day_off(ax: Axes, j: int, top: int, bottom: int) -> None:
    """Shade the column of weekday ``j``, labelled ``day off``."""
    ax.add_patch(
        Rectangle(
            (j, top),
            1,
            bottom - top,
            facecolor=DAY_OFF_COLOUR,
            hatch="//",
            edgecolor="#c4ccd4",
            linewidth=0,
            label="_day off",
        )
    )
    ax.text(j + 0.5, (top + bottom) / 2, "day off", ha="center", va="center", color="#55606b")


def _lesson_box(ax: Axes, ls: Lesson, colour: str | None) -> None:
    """A lesson's box from its start to its end, labelled with its class."""
    start, end = minutes_of(ls.start), minutes_of(ls.end)
    x = DAYS.index(ls.day) + (1 - BOX_WIDTH) / 2
    ax.add_patch(
        Rectangle(
            (x, start),
            BOX_WIDTH,
            end - start,
            facecolor=colour,
            edgecolor="#1d232a",
            linewidth=0.6,
            label=f"_{ls.school_id}",
        )
    )
    ax.text(
        x + BOX_WIDTH / 2,
        (start + end) / 2,
        ls.class_,
        ha="center",
        va="center",
        fontsize="small",
    )


def _week_frame(ax: Axes, top: int, bottom: int) -> None:
    """Weekdays across the top, hours down the side, lines between the days."""
    ax.set_xlim(0, len(DAYS))
    ax.set_ylim(bottom, top)  # morning at the top, as on a printed timetable
    ax.set_xticks([j + 0.5 for j in range(len(DAYS))], DAYS)
    ax.xaxis.tick_top()
    hours = range((top + 59) // 60 * 60, bottom + 1, 60)
    ax.set_yticks(list(hours), [f"{h // 60:02d}:00" for h in hours])
    ax.grid(axis="y", color="#eef2f6", zorder=0)
    ax.set_axisbelow(True)
    for j in range(1, len(DAYS)):
        ax.axvline(j, color="#c4ccd4", linewidth=0.8)


def _school_legend(
    ax: Axes, instance: Instance, taught: set[str], colours: dict[str, str], middle: float
) -> None:
    """A legend of the schools taught at, or a note at ``middle`` that there are no lessons."""
    handles = [
        Patch(facecolor=colours[s.school_id], edgecolor="#1d232a", label=s.name)
        for s in instance.schools
        if s.school_id in taught
    ]
    if handles:
        ax.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(1.01, 1),
            fontsize="small",
            frameon=False,
        )
    else:
        ax.text(
            len(DAYS) / 2,
            middle,
            "no lessons this week",
            ha="center",
            va="center",
            color="#55606b",
        )
