"""Builders for tiny hand-made branches; every test states its expected answer."""

from __future__ import annotations

from datetime import time
from typing import Any

from scheduler.config import SolverParams, Weights
from scheduler.instance import (
    DAYS,
    Alt,
    Bell,
    Blocked,
    Day,
    Instance,
    School,
    SchoolClass,
    Settings,
    Travel,
)
from scheduler.result import Result
from scheduler.solve import solve
from scheduler.validate import check, score

# Weights under which every term counts and none dominates the others, so a wrong count of
# any one term shows in the total.
EVERY_TERM = Weights(
    unmet_lesson=1000,
    under_floor_lesson=300,
    alt_school=50,
    commute_minute=1,
    load_spread=7,
    day_peak=5,
    continuity=3,
)

# Sakura ES sits at the origin; 0.01 degrees of latitude is about 1.1 km, 4 minutes at 20 km/h.
ORIGIN = (35.0, 139.0)


def school(sid: str, level: str = "elementary", north_km: float = 0.0, **kw: Any) -> School:
    """A school ``north_km`` north of the origin."""
    return School(
        school_id=sid,
        name=f"{sid} School",
        level=level,
        lat=ORIGIN[0] + north_km / 111.2,
        lon=ORIGIN[1],
        **kw,
    )


def bells(
    sid: str,
    periods: int = 6,
    first: str = "08:45",
    minutes: int = 45,
    days: tuple[Day, ...] = DAYS,
    gap: int = 10,
) -> list[Bell]:
    """A regular bell schedule: ``periods`` periods of ``minutes`` from ``first``."""
    h, m = map(int, first.split(":"))
    t = h * 60 + m
    out = []
    for p in range(1, periods + 1):
        out.append(
            Bell(
                school_id=sid,
                period=p,
                start=time(t // 60, t % 60),
                end=time((t + minutes) // 60, (t + minutes) % 60),
                days=days,
            )
        )
        t += minutes + gap
    return out


def klass(sid: str, name: str, need: int, co: str | None = None) -> SchoolClass:
    """A class of a school."""
    return SchoolClass(school_id=sid, **{"class": name}, alt_lessons=need, co_teacher=co)


def alt(aid: str, north_km: float = 0.0, **kw: Any) -> Alt:
    """An ALT living ``north_km`` north of the origin."""
    return Alt(
        alt_id=aid,
        name=f"ALT {aid}",
        home_lat=ORIGIN[0] + north_km / 111.2,
        home_lon=ORIGIN[1],
        **kw,
    )


def branch(
    schools: list[School],
    bells_: list[Bell],
    classes: list[SchoolClass],
    alts: list[Alt],
    blocked: list[Blocked] = (),  # type: ignore[assignment]
    travel: list[Travel] = (),  # type: ignore[assignment]
    **settings: Any,
) -> Instance:
    """An instance; contract floors default to 0 so tiny branches are not all under floor."""
    settings.setdefault("min_lessons_per_week", 0)
    return Instance(
        settings=Settings(**settings),
        schools=tuple(schools),
        bells=tuple(bells_),
        classes=tuple(classes),
        alts=tuple(alts),
        blocked=tuple(blocked),
        travel=tuple(travel),
    )


def solved(
    inst: Instance, weights: Weights | None = None, method: str = "cpsat", time_limit: float = 10.0
) -> Result:
    """Solve, and assert what every solve in the tests must show: no hard rule broken, and
    the objective the solver reports is the validator's recomputation."""
    w = weights or Weights.default()
    result = solve(
        inst, w, SolverParams.default(time_limit=time_limit, workers=2, seed=0), method=method
    )  # type: ignore[arg-type]
    violations = check(inst, result.assignments)
    assert violations == [], [str(v) for v in violations]
    assert result.objective == score(inst, result.assignments, w).objective
    return result


def only(**weights: int) -> Weights:
    """Weights with every term 0 except those given."""
    zero = dict.fromkeys(Weights.model_fields, 0)
    return Weights(**{**zero, **weights})
