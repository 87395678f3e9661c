"""The notebook API behind ``import scheduler as alt``: load a branch, solve it.

``alt.load`` and ``alt.solve`` are thin: they read with :func:`scheduler.io.read.load_instance`
and solve with :func:`scheduler.solve.solve`, so a notebook gets exactly the timetable the
command line would write. The result remembers the instance it was solved for, so
``result.kpis()`` and ``result.timetable("A01")`` need no second argument.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scheduler.config import Settings, SolverParams, Weights
from scheduler.errors import InstanceWarning

if TYPE_CHECKING:
    from scheduler.instance import Instance
    from scheduler.result import Result
    from scheduler.solve import Method

WeightsLike = Weights | Mapping[str, int] | str | Path | None
SettingsLike = Settings | Mapping[str, Mapping[str, Any]] | str | Path | None


def load(path: str | Path) -> Instance:
    """Read a branch: a folder of CSV files, an ``.xlsx`` workbook or a YAML/JSON file.

    Suspicious but legal data (a 40-minute period, an ALT who can reach no school) is issued
    as :class:`~scheduler.errors.InstanceWarning`, one Python warning per finding, shown
    under the cell in Jupyter; ``warnings.catch_warnings(record=True)`` collects them, and
    :func:`scheduler.io.read.load_instance` returns them as a list instead.

    Raises
    ------
    InstanceError
        Listing every error in the input, each with file, row, column and value.
    """
    from scheduler.io.read import load_instance

    instance, found = load_instance(Path(path))
    for issue in found:
        warnings.warn(str(issue), InstanceWarning, stacklevel=2)
    return instance


def weights_of(weights: WeightsLike) -> Weights:
    """Weights from what a notebook has at hand.

    ``None`` gives the defaults; a mapping overrides some defaults (``{"commute_minute": 2}``);
    a path reads the ``[weights]`` table of a TOML file.
    """
    if weights is None:
        return Weights.default()
    if isinstance(weights, Weights):
        return weights
    if isinstance(weights, str | Path):
        return Weights.from_toml(Path(weights))
    return Weights.model_validate({**Weights.default().model_dump(), **dict(weights)})


def settings_of(settings: SettingsLike) -> Settings:
    """Search settings from what a notebook has at hand: ``None`` gives the defaults, a
    mapping of tables overrides some keys (``{"search": {"step_seconds": 0.5}}``), a path
    reads the ``[search]`` and ``[bounds]`` tables of a TOML file."""
    if settings is None:
        return Settings.default()
    if isinstance(settings, Settings):
        return settings
    if isinstance(settings, str | Path):
        return Settings.from_toml(Path(settings))
    base = Settings.default().model_dump()
    given = {k: {**base.get(k, {}), **dict(v)} for k, v in settings.items()}
    return Settings.model_validate({**base, **given})


def params_of(
    params: SolverParams | None = None,
    *,
    time_limit: float | None = None,
    workers: int | None = None,
    seed: int | None = None,
    log: bool | None = None,
    deterministic: bool | None = None,
) -> SolverParams:
    """Solver parameters: ``params`` (or the defaults) with the given values replacing theirs."""
    base = (params or SolverParams.default()).model_dump()
    given = {
        "time_limit": time_limit,
        "workers": workers,
        "seed": seed,
        "log": log,
        "deterministic": deterministic,
    }
    return SolverParams.model_validate(
        {**base, **{k: v for k, v in given.items() if v is not None}}
    )


def solve(
    instance: Instance,
    *,
    time_limit: float | None = None,
    workers: int | None = None,
    seed: int | None = None,
    weights: WeightsLike = None,
    params: SolverParams | None = None,
    method: Method = "cpsat",
    log: bool | None = None,
    deterministic: bool | None = None,
    settings: SettingsLike = None,
    previous: Result | str | Path | None = None,
) -> Result:
    """Solve a branch and return its timetable.

    Parameters
    ----------
    instance
        The branch, e.g. from :func:`load`.
    time_limit, workers, seed
        Seconds for the search, CP-SAT worker threads (0 = one per core) and CP-SAT's random
        seed; each defaults to ``defaults.toml`` (or to ``params``).
    weights
        :class:`~scheduler.config.Weights`, a mapping of the weights to change, or a TOML
        file; the defaults when ``None``.
    params
        Solver parameters to start from; the keywords above replace their values.
    method
        ``cpsat`` (default) or ``greedy`` (a person's school-by-school fill, no search).
    log
        Print CP-SAT's search log (default: ``params``' setting, else off).
    deterministic
        The same timetable on every run of the same branch, seed and settings: one worker,
        every search limited in work units; the time limit only guards the run
        (docs/settings.md, "Deterministic mode"). Default: ``params``' setting, else off.
    settings
        :class:`~scheduler.config.Settings`, a mapping of ``{"search": {...}, "bounds":
        {...}}`` keys to change, or a TOML file with ``[search]``/``[bounds]`` tables; the
        defaults when ``None``.
    previous
        A previous timetable to stay close to (a result, or an earlier output folder): its
        lessons are kept where possible, at ``weights.changed_lesson`` per change, and
        ``result.replan`` says what changed (docs/replan.md).

    Returns
    -------
    Result
        Checked by the independent validator, and bound to ``instance``: ``kpis()``,
        ``timetable(alt_id)`` and ``school_timetable(school_id)`` use it.
    """
    from scheduler.replan.previous import previous_of, read_previous
    from scheduler.solve import solve as solve_pipeline

    chosen = params_of(
        params,
        time_limit=time_limit,
        workers=workers,
        seed=seed,
        log=log,
        deterministic=deterministic,
    )
    before = None
    if isinstance(previous, str | Path):
        before = read_previous(Path(previous), instance)
    elif previous is not None:
        before = previous_of(instance, previous)
    result = solve_pipeline(
        instance,
        weights_of(weights),
        chosen,
        method=method,
        settings=settings_of(settings),
        previous=before,
    )
    return result.for_instance(instance)
