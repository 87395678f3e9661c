"""Where schools and ALTs are: a plain latitude/longitude scatter, no map tiles."""

from __future__ import annotations

import math
from collections import Counter

from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D

from scheduler.instance import Instance
from scheduler.plot._common import axes, scored
from scheduler.result import Result

SHORT_COLOUR = "#c01c28"
HOME_COLOUR = "#1a5fb4"
LINE_COLOUR = "#62a0ea"
MARKERS = {"elementary": "o", "junior_high": "s"}
LEVEL_LABELS = {"elementary": "elementary school", "junior_high": "junior high school"}
# Past this many places the ids would cover the map; markers and lines alone still read.
MAX_LABELS = 60


def school_map(result: Result, instance: Instance, ax: Axes | None = None) -> Axes:
    """Schools (circles: elementary, squares: junior high) and ALT homes (triangles), with a
    line from each ALT's home to every school they teach at, thicker for more lessons.

    Schools short of lessons have a red edge. Longitude is scaled by the cosine of the mean
    latitude, so distances look as they are on the ground; nothing is downloaded.
    """
    ax = axes(ax, (8, 8))
    short = set(scored(result, instance).unmet["school_id"])
    _schools(ax, instance, short)
    alts = instance.alts
    ax.scatter(
        [a.home_lon for a in alts],
        [a.home_lat for a in alts],
        marker="^",
        s=50,
        c=HOME_COLOUR,
        label="ALT home",
        zorder=4,
    )
    _teaching_lines(ax, result, instance)
    if len(instance.schools) + len(alts) <= MAX_LABELS:
        _labels(ax, instance)
    lats = [s.lat for s in instance.schools] + [a.home_lat for a in alts]
    if lats:
        mean = sum(lats) / len(lats)
        ax.set_aspect(1 / max(math.cos(math.radians(mean)), 0.01), adjustable="datalim")
    ax.autoscale_view()
    _legend(ax, bool(short))
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_title("Schools, ALT homes and who teaches where")
    return ax


def _schools(ax: Axes, instance: Instance, short: set[str]) -> None:
    """A scatter per level, schools in ``short`` with a thick red edge."""
    for level, marker in MARKERS.items():
        here = [s for s in instance.schools if s.level == level]
        if not here:
            continue
        ax.scatter(
            [s.lon for s in here],
            [s.lat for s in here],
            marker=marker,
            s=60,
            facecolors="white",
            edgecolors=[SHORT_COLOUR if s.school_id in short else "black" for s in here],
            linewidths=[2.0 if s.school_id in short else 1.0 for s in here],
            label=LEVEL_LABELS[level],
            zorder=3,
        )


def _teaching_lines(ax: Axes, result: Result, instance: Instance) -> None:
    """A line from each ALT's home to each school they teach at, wider for more lessons."""
    pairs = Counter((ls.alt_id, ls.school_id) for ls in result.lessons)
    segments, widths = [], []
    for (alt_id, school_id), n in sorted(pairs.items()):
        a, s = instance.alt_by_id.get(alt_id), instance.school_by_id.get(school_id)
        if a is None or s is None:
            continue
        segments.append([(a.home_lon, a.home_lat), (s.lon, s.lat)])
        widths.append(0.5 + n / 4)
    ax.add_collection(
        LineCollection(segments, linewidths=widths, colors=LINE_COLOUR, alpha=0.7, zorder=2)
    )


def _labels(ax: Axes, instance: Instance) -> None:
    """School ids above right of their markers, ALT ids below right of their homes."""
    for s in instance.schools:
        ax.annotate(
            s.school_id,
            (s.lon, s.lat),
            xytext=(4, 4),
            textcoords="offset points",
            fontsize="x-small",
        )
    for a in instance.alts:
        ax.annotate(
            a.alt_id,
            (a.home_lon, a.home_lat),
            xytext=(4, -9),
            textcoords="offset points",
            fontsize="x-small",
            color=HOME_COLOUR,
        )


def _legend(ax: Axes, any_short: bool) -> None:
    """The scatters' legend, the red edge (when a school is short) and the lines."""
    handles, _names = ax.get_legend_handles_labels()
    if any_short:
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                markerfacecolor="white",
                markeredgecolor=SHORT_COLOUR,
                markeredgewidth=2,
                label="short of lessons",
            )
        )
    handles.append(Line2D([], [], color=LINE_COLOUR, label="teaches there"))
    ax.legend(handles=handles, fontsize="small", loc="best")
