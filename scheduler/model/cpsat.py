"""Every CP-SAT solver of the package is made here, from the solve's :class:`SolverParams`.

One place decides workers, seed, log and limits, so deterministic mode
(``SolverParams.deterministic``) holds for every search: one worker, and the search's
seconds become CP-SAT's ``max_deterministic_time`` (work units, the same on every run),
while the wall clock only guards the whole search (``guard``). Searches run through
:func:`scheduler.model.interrupt.run`, so Ctrl-C stops them.
"""

from __future__ import annotations

import time

from ortools.sat.python import cp_model

from scheduler.config import SolverParams

# CP-SAT's own default seed: searches that never set one (the bounds) keep it.
DEFAULT_SEED = 1


def new_solver(
    params: SolverParams | None = None,
    seconds: float | None = None,
    *,
    workers: int | None = None,
    seed: int | None = None,
    effort: float | None = None,
    guard: float | None = None,
    log: bool = False,
) -> cp_model.CpSolver:
    """A CP-SAT solver limited to ``seconds`` (none: no limit but ``effort``).

    ``params`` gives the seed and the workers (its threads; ``workers`` and ``seed``
    override them; CP-SAT's default seed and one worker without params). ``effort`` is a
    limit in work units that holds in every mode (a placement's). In deterministic mode ``seconds``
    is a limit in work units too, one worker runs, and ``guard`` (a :func:`time.monotonic`
    deadline) is the only wall-clock limit. ``log`` prints CP-SAT's search log when
    ``params.log`` is set.
    """
    solver = cp_model.CpSolver()
    p = solver.parameters
    deterministic = params is not None and params.deterministic
    if deterministic:
        p.num_workers = 1
    elif workers is not None:
        p.num_workers = max(1, workers)
    else:
        p.num_workers = params.threads if params is not None else 1
    if seed is None:
        seed = params.seed if params is not None else DEFAULT_SEED
    p.random_seed = seed
    p.log_search_progress = log and params is not None and params.log
    work = [w for w in (effort, seconds if deterministic else None) if w is not None]
    if work:
        p.max_deterministic_time = max(0.0, min(work))
    if deterministic:
        if guard is not None:
            p.max_time_in_seconds = max(0.0, guard - time.monotonic())
    elif seconds is not None:
        p.max_time_in_seconds = max(0.0, seconds)
    return solver


def work_done(solver: cp_model.CpSolver) -> float:
    """The work units (CP-SAT's deterministic time) the solver's last search took."""
    return float(solver.response_proto.deterministic_time)
