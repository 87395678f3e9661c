"""A whole timetable from the converged programme of weeks (:mod:`scheduler.bounds.week_bound`).

The programme's optimum says who teaches where for the week, with weights: many pairs of
an ALT and a school carry weight 1, the rest are split between a few weeks of the same ALT
(often half and half along a chain: an ALT shares a school with the next ALT, who shares
another with the next). Its pairs of enough weight fall apart into many small groups, each
a few ALTs and the schools they share and nobody else's. Each group is solved on its own by
a region step of :mod:`scheduler.search.regions` from nothing (visits and counts by CP-SAT
over the pairs the programme uses, then classes and periods), the groups' answers, which
share no ALT and no school, join into one valid timetable, and the greedy fill gives what
they left where it fits.

It gives a few dozen lessons less than the need (the days the programme forgets, and the
chains cut into groups) and far fewer pairs and commute minutes than any start the greedy
builds; the region search covers the rest (docs/model.md, "Starting from the programme").
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

from scheduler.config import SearchSettings, Settings, SolverParams, Weights
from scheduler.model.data import Links, Prepared
from scheduler.model.interrupt import interrupted
from scheduler.result import Lesson
from scheduler.search.greedy import fill
from scheduler.search.regions import RegionSearch, objective_of

Pair = tuple[str, str]  # (ALT, school)
Group = tuple[list[str], set[str]]  # schools, ALTs

# The thresholds and times are settings ([search] group_*, max_group_alts, pair_weight):
# a pair joins the groups when the programme's weeks give it at least the first of
# ``group_weights``; a group with more ALTs than ``max_group_alts`` is split again at the
# next weight, and so on (a group of 75 ALTs finds nothing in a step's time; one of 6 is
# solved in a fraction of a second). A group's step gets ``group_base_seconds`` plus
# ``group_seconds_per_alt`` for each of its ALTs, at most ``group_most_seconds`` (a group of
# one ALT and one school is proven optimal in milliseconds).


def groups(
    support: Mapping[Pair, float],
    schools: list[str],
    alts: list[str],
    cfg: SearchSettings | None = None,
) -> list[Group]:
    """The programme's pairs of enough weight (``support``: pair -> weight), in groups that
    share no ALT and no school, the largest first. A school or an ALT of ``schools`` and
    ``alts`` left out of every group joins the group of its heaviest pair (or a new one),
    so every school and ALT with a pair in ``support`` is in exactly one group."""
    cfg = cfg or Settings.default().search
    levels = cfg.group_weights
    first = [p for p, w in support.items() if w >= levels[0]]
    out = _split(support, first, levels, cfg.max_group_alts)
    where: dict[str, int] = {}
    for k, (ss, aa) in enumerate(out):
        where |= {f"S:{s}": k for s in ss} | {f"A:{a}": k for a in aa}
    heaviest: dict[str, tuple[float, str]] = {}
    for (a, s), w in sorted(support.items()):
        for key, other in ((f"S:{s}", f"A:{a}"), (f"A:{a}", f"S:{s}")):
            if w > heaviest.get(key, (-1.0, ""))[0]:
                heaviest[key] = (w, other)
    for key in [f"S:{s}" for s in schools] + [f"A:{a}" for a in alts]:
        if key in where or key not in heaviest:
            continue
        other = heaviest[key][1]
        if other not in where:
            where[other] = len(out)
            out.append(([], set()))
            _add(out[where[other]], other)
        where[key] = where[other]
        _add(out[where[key]], key)
    return sorted(
        ((sorted(ss), aa) for ss, aa in out if ss and aa), key=lambda g: (-len(g[1]), g[0])
    )


def _split(
    support: Mapping[Pair, float], pairs: list[Pair], levels: tuple[float, ...], most: int
) -> list[Group]:
    """``pairs`` in connected groups; one with more than ``most`` ALTs again from its pairs
    of the next weight of ``levels``."""
    links = Links()
    for a, s in pairs:
        links.link(f"A:{a}", f"S:{s}")
    found: dict[str, tuple[list[Pair], set[str], set[str]]] = defaultdict(
        lambda: ([], set(), set())
    )
    for a, s in sorted(pairs):
        ps, ss, aa = found[links.find(f"A:{a}")]
        ps.append((a, s))
        ss.add(s)
        aa.add(a)
    out: list[Group] = []
    for ps, ss, aa in found.values():
        if len(aa) > most and len(levels) > 1:
            heavier = [p for p in ps if support[p] >= levels[1]]
            out += _split(support, heavier, levels[1:], most)
        else:
            out.append((sorted(ss), aa))
    return out


def _add(group: Group, key: str) -> None:
    kind, name = key.split(":", 1)
    if kind == "S":
        group[0].append(name)
    else:
        group[1].add(name)


def timetable_from_programme(
    prep: Prepared,
    weights: Weights,
    params: SolverParams,
    support: Mapping[Pair, float],
    deadline: float,
    cfg: SearchSettings | None = None,
) -> list[Lesson]:
    """The timetable of every group of the programme's pairs solved on its own, side by side
    on ``params.threads`` threads, until ``deadline`` (groups not reached give nothing),
    then the lessons still missing given where they fit (:func:`scheduler.search.greedy.fill`)."""
    cfg = cfg or Settings.default().search
    search = RegionSearch(prep, cfg, random.Random(params.seed), None)
    found = groups(support, search.schools, [a.alt_id for a in prep.instance.alts], cfg)
    one = params.model_copy(update={"workers": 1})
    # Load spread is left out: the other groups' ALTs have no lessons in a group's model,
    # so it would price the group's busiest ALT against an empty week.
    alone = weights.model_copy(update={"load_spread": 0})
    # The models stay the size of the programme's choice, not of everyone's reach.
    paired = {p for p, w in support.items() if w >= cfg.pair_weight}

    def solve(group: Group) -> list[Lesson]:
        schools, alts = group
        seconds = cfg.group_base_seconds + cfg.group_seconds_per_alt * len(alts)
        seconds = min(cfg.group_most_seconds, seconds)
        seconds = min(seconds, deadline - time.monotonic())
        if seconds <= 0 or interrupted():
            return []
        allowed = {(a, s) for s in schools for a in alts if (a, s) in support}
        allowed = {p for p in allowed if p in paired} | _joining(group, support)
        answer = search.step([], group, weights=alone, params=one, seconds=seconds, pairs=allowed)
        return answer[1] if answer is not None else []

    with ThreadPoolExecutor(max_workers=max(1, params.threads)) as pool:
        lessons = [ls for group in pool.map(solve, found) for ls in group]
    # Lessons the groups could not give, given by whoever still has room where they fit.
    filled = fill(prep, lessons, weights)
    better = objective_of(prep, filled, weights) < objective_of(prep, lessons, weights)
    return filled if better else lessons


def _joining(group: Group, support: Mapping[Pair, float]) -> set[Pair]:
    """Each school's and each ALT's heaviest pair inside ``group`` (what joined it there)."""
    schools, alts = group
    out: set[Pair] = set()
    for s in schools:
        inside = [(w, a) for a in alts if (w := support.get((a, s), 0.0)) > 0]
        if inside:
            out.add((max(inside)[1], s))
    for a in alts:
        inside = [(w, s) for s in schools if (w := support.get((a, s), 0.0)) > 0]
        if inside:
            out.add((a, max(inside)[1]))
    return out
