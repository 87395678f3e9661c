"""A whole timetable from the converged programme of weeks (:mod:`scheduler.bounds.week_bound`).

The programme's optimum says who teaches where for the week, with weights: many pairs of
an ALT and a school carry weight 1, the rest are split between a few weeks of the same ALT
(often half and half along a chain: an ALT shares a school with the next ALT, who shares
another with the next). Its pairs of enough weight fall apart into many small groups (at
120 ALTs about a hundred, none above eight ALTs), each a few ALTs and the schools they
share and nobody else's. Each group is solved on its own by a region step of
:mod:`scheduler.search.regions` from nothing (visits and counts by CP-SAT over the pairs the
programme uses, then classes and periods), the groups' answers, which share no ALT and no
school, join into one valid timetable, and the greedy fill gives what they left where it
fits.

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

from scheduler.config import SolverParams, Weights
from scheduler.model.data import Links, Prepared
from scheduler.model.interrupt import interrupted
from scheduler.result import Lesson
from scheduler.search.greedy import fill
from scheduler.search.regions import LnsSettings, RegionSearch, objective_of

Pair = tuple[str, str]  # (ALT, school)
Group = tuple[list[str], set[str]]  # schools, ALTs

# A pair joins the groups when the programme's weeks give it at least this weight; a group
# with more ALTs than MAX_GROUP_ALTS is split again at the next weight, and so on. Measured
# at generate(120, 1): at 0.01 one group held 75 ALTs and 125 schools (its step found
# nothing in time), at 0.2 one held 43; at 1/3 the largest held 6 ALTs and 9 schools. At
# generate(120, 3), 1/3 leaves a chain of 38 ALTs: CP-SAT finds nothing for it in 1 s
# from nothing and 824 of its 840 lessons in 10 s, so it is split.
WEIGHTS = (1 / 3, 1 / 2, 2 / 3, 0.9)
MAX_GROUP_ALTS = 8
# A group's ALTs visit only schools the programme pairs them with at least this weight
# (or that joined them to the group).
PAIR_WEIGHT = 0.05
# A group's step gets this many seconds, plus PER_ALT for each of its ALTs, at most
# MOST_SECONDS (a group of one ALT and one school is proven optimal in milliseconds).
BASE_SECONDS = 0.3
PER_ALT = 0.3
MOST_SECONDS = 2.5


def groups(support: Mapping[Pair, float], schools: list[str], alts: list[str]) -> list[Group]:
    """The programme's pairs of enough weight (``support``: pair -> weight), in groups that
    share no ALT and no school, the largest first. A school or an ALT of ``schools`` and
    ``alts`` left out of every group joins the group of its heaviest pair (or a new one),
    so every school and ALT with a pair in ``support`` is in exactly one group."""
    out = _split(support, [p for p, w in support.items() if w >= WEIGHTS[0]], 0)
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


def _split(support: Mapping[Pair, float], pairs: list[Pair], level: int) -> list[Group]:
    """``pairs`` in connected groups; one with too many ALTs again from its pairs of the
    next weight."""
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
        if len(aa) > MAX_GROUP_ALTS and level + 1 < len(WEIGHTS):
            heavier = [p for p in ps if support[p] >= WEIGHTS[level + 1]]
            out += _split(support, heavier, level + 1)
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
) -> list[Lesson]:
    """The timetable of every group of the programme's pairs solved on its own, side by side
    on ``params.threads`` threads, until ``deadline`` (groups not reached give nothing),
    then the lessons still missing given where they fit (:func:`scheduler.search.greedy.fill`)."""
    search = RegionSearch(prep, LnsSettings(), random.Random(params.seed), None)
    found = groups(support, search.schools, [a.alt_id for a in prep.instance.alts])
    one = params.model_copy(update={"workers": 1})
    # Load spread is left out: the other groups' ALTs have no lessons in a group's model,
    # so it would price the group's busiest ALT against an empty week.
    alone = weights.model_copy(update={"load_spread": 0})
    # The models stay the size of the programme's choice, not of everyone's reach.
    paired = {p for p, w in support.items() if w >= PAIR_WEIGHT}

    def solve(group: Group) -> list[Lesson]:
        schools, alts = group
        seconds = min(MOST_SECONDS, BASE_SECONDS + PER_ALT * len(alts))
        seconds = min(seconds, deadline - time.monotonic())
        if seconds <= 0 or interrupted():
            return []
        allowed = {(a, s) for s in schools for a in alts if (a, s) in support}
        allowed = {p for p in allowed if p in paired} | _joining(group, support)
        answer = search.step([], group, weights=alone, params=one, seconds=seconds, pairs=allowed)
        return answer[1] if answer is not None else []

    with ThreadPoolExecutor(max_workers=max(1, params.threads)) as pool:
        lessons = [ls for group in pool.map(solve, found) for ls in group]
    # Lessons the groups could not give, given by whoever still has room where they fit
    # (generate(120, 3): 99 lessons short, 42 after it, in 0.1 s).
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
