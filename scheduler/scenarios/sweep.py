"""Solving many scenarios: one after another, in worker processes, or on a Dask cluster.

Whatever runs them, a scenario travels as plain data (:func:`task_of`: the instance's JSON
dump, the weights, the solver parameters) and is solved by the same top-level function,
:func:`run_scenario`, which rebuilds the instance, solves it, checks the timetable with the
independent validator and returns the KPI row and the result's JSON dump: no CP-SAT object
ever crosses a process. Each task is given its CP-SAT worker count explicitly, so processes
never fight over cores. The rules (defaults, the order of rows, errors, Ctrl-C) are written
in ``docs/scenarios.md``.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, CancelledError, ProcessPoolExecutor, wait
from contextlib import closing
from dataclasses import replace
from typing import Any
from urllib.parse import urlparse

import pandas as pd

from scheduler.api import WeightsLike, params_of, weights_of
from scheduler.config import SolverParams, Weights
from scheduler.instance import Instance
from scheduler.model.interrupt import was_interrupted
from scheduler.result import Result
from scheduler.scenarios.comparison import CANCELLED, ERROR, KPI_COLUMNS, Comparison, Scenario
from scheduler.scenarios.progress import Ticker
from scheduler.scenarios.verbs import checked
from scheduler.solve import solve
from scheduler.validate import check

Outcome = tuple[dict[str, Any], Result | None]  # a table row and the result, if any
Event = Any  # a multiprocessing Event (its class is private to multiprocessing)


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`compare`: pending scenarios were cancelled, running ones stopped.

    ``comparison`` holds the scenarios that finished; the others have status ``CANCELLED``.
    A ``KeyboardInterrupt``, so a notebook's stop button and a script's Ctrl-C end as usual.
    """

    def __init__(self, comparison: Comparison) -> None:
        super().__init__("stopped: the scenarios that finished are in .comparison")
        self.comparison = comparison


def kpis(name: str, instance: Instance, result: Result, weights: Weights) -> dict[str, object]:
    """One row of the comparison table, recomputed from the timetable by the validator."""
    row = result.kpis(instance, weights).iloc[0]
    return {"scenario": name, **{str(k): v for k, v in row.items()}, "error": ""}


def failed(name: str, status: str, error: str, seconds: float = 0.0) -> dict[str, Any]:
    """The row of a scenario without a result: its status, no KPIs and the reason."""
    row: dict[str, Any] = dict.fromkeys(KPI_COLUMNS)
    row.update(scenario=name, status=status, error=error, seconds=seconds)
    return row


def _reason(e: BaseException) -> str:
    text = str(e).strip()
    return f"{type(e).__name__}: {text}" if text else type(e).__name__


# ---- one scenario ---------------------------------------------------------------------------


def solve_scenario(
    name: str, instance: Instance, weights: Weights, params: SolverParams
) -> Outcome:
    """Solve one scenario here and now: its KPI row and result, or an error row.

    Every timetable is checked by :func:`scheduler.validate.check`; one breaking a hard rule
    gives status ``ERROR``. Raises ``KeyboardInterrupt`` when Ctrl-C stopped the solve: a
    timetable cut short is not compared with the others.
    """
    t0 = time.monotonic()
    try:
        result = solve(checked(_branch(instance)), weights, params)
    except Exception as e:  # one scenario's failure must not lose the sweep
        return failed(name, ERROR, _reason(e), time.monotonic() - t0), None
    if was_interrupted():
        raise KeyboardInterrupt
    try:
        row = kpis(name, instance, result, weights)
        violations = check(instance, result.assignments)
    except Exception as e:
        return failed(name, ERROR, _reason(e), time.monotonic() - t0), None
    if violations:
        shown = "; ".join(str(v) for v in violations[:3])
        row.update(status=ERROR, error=f"{len(violations)} hard rule(s) broken: {shown}")
    return row, result.for_instance(instance)


def _branch(instance: object) -> Instance:
    if not isinstance(instance, Instance):
        raise TypeError(f"a scenario must be a branch (Instance), not {type(instance).__name__}")
    return instance


def task_of(scenario: Scenario, weights: Weights, params: SolverParams) -> dict[str, Any]:
    """A scenario as plain data for a worker: the instance as its JSON dump."""
    return {
        "name": scenario.name,
        "instance": _branch(scenario.instance).model_dump(mode="json", by_alias=True),
        "weights": weights.model_dump(),
        "params": params.model_dump(),
    }


def _task(scenario: Scenario, weights: Weights, params: SolverParams) -> dict[str, Any] | Outcome:
    # A scenario that cannot even be sent (not an instance) is an error row at once.
    try:
        return task_of(scenario, weights, params)
    except Exception as e:
        return failed(scenario.name, ERROR, _reason(e)), None


def run_scenario(task: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The worker's entry point: solve one task of :func:`task_of`.

    Returns the KPI row and the result's JSON dump (``None`` for an error row). CP-SAT runs
    ``task["params"]["workers"]`` threads; 0 means this machine's cores shared by the
    threads of the Dask workers on it (``task["threads_by_host"]``).
    """
    name = task["name"]
    if _stop is not None and _stop.is_set():
        return failed(name, CANCELLED, "cancelled"), None
    t0 = time.monotonic()
    try:
        instance = Instance.model_validate(task["instance"])
        weights = Weights.model_validate(task["weights"])
        params = SolverParams.model_validate(task["params"])
        if params.workers == 0:
            params = params.model_copy(update={"workers": _threads_here(task)})
    except Exception as e:  # a scenario that arrives broken is a row, not a lost sweep
        return failed(name, ERROR, _reason(e), time.monotonic() - t0), None
    row, result = solve_scenario(name, instance, weights, params)
    return row, None if result is None else result.model_dump(mode="json")


def _threads_here(task: Mapping[str, Any]) -> int:
    cores = os.cpu_count() or 1
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):  # not inside a Dask worker
        return cores
    host = urlparse(worker.address).hostname or ""
    sharing = task.get("threads_by_host", {}).get(host) or worker.state.nthreads
    return max(1, cores // sharing)


# ---- worker processes -----------------------------------------------------------------------

_stop: Event | None = None  # set in a worker process: the parent wants the sweep stopped


def _start_worker(stop: Event) -> None:
    global _stop
    # Ctrl-C in a terminal reaches every process of the group: an idle worker ignores it (no
    # traceback), a solving one stops its search (the solve routes SIGINT itself).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _stop = stop
    threading.Thread(target=_stop_when_asked, args=(stop,), daemon=True).start()


def _stop_when_asked(stop: Event) -> None:
    # The parent (a notebook's stop button signals only the kernel) sets the event; the solve
    # running here stops as if Ctrl-C had been pressed. Repeated, as a solve may be starting.
    stop.wait()
    while True:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.2)


def _outcome(future: Any, name: str) -> Outcome:
    """The row and result of a finished task; a task that raised or died is an error row."""
    try:
        row, dump = future.result()
    except BaseException as e:  # a worker that died, a cancelled task, Ctrl-C in the worker
        # Dask's FutureCancelledError is a concurrent.futures.CancelledError too.
        if isinstance(e, KeyboardInterrupt | CancelledError):
            return failed(name, CANCELLED, "cancelled"), None
        return failed(name, ERROR, _reason(e)), None
    return row, None if dump is None else Result.model_validate(dump)


Step = tuple[int, Outcome] | None  # a finished scenario, or None: nothing yet, redraw


def _one_after_another(
    scenarios: Sequence[Scenario], weights: Sequence[Weights], params: SolverParams
) -> Generator[Step, None, None]:
    for i, s in enumerate(scenarios):
        yield i, solve_scenario(s.name, s.instance, weights[i], params)


def _context() -> multiprocessing.context.BaseContext:
    # Never a plain fork: the parent may run threads (Jupyter's, a solve's bound) that a fork
    # would copy mid-way. A fork server is started once, imports the solver once, and forks
    # each worker from that clean process, so a sweep does not wait seconds per worker for
    # OR-Tools to import; where there is none (Windows), workers are spawned.
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


def _submit(
    scenarios: Sequence[Scenario],
    weights: Sequence[Weights],
    params: SolverParams,
    futures: dict[Any, int],
    submit: Callable[[dict[str, Any]], Any],
) -> Generator[Step, None, None]:
    """Submit each scenario's task (``futures[future] = index``); a scenario that cannot
    even be sent is yielded as its error row at once."""
    for i, s in enumerate(scenarios):
        task = _task(s, weights[i], params)
        if isinstance(task, tuple):
            yield i, task
        else:
            futures[submit(task)] = i


def _in_processes(
    scenarios: Sequence[Scenario], weights: Sequence[Weights], params: SolverParams, processes: int
) -> Generator[Step, None, None]:
    context = _context()
    stop = context.Event()
    pool = ProcessPoolExecutor(processes, context, initializer=_start_worker, initargs=(stop,))
    futures: dict[Any, int] = {}
    try:
        yield from _submit(
            scenarios, weights, params, futures, lambda t: pool.submit(run_scenario, t)
        )
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            if not done:
                yield None
            for f in done:
                yield futures[f], _outcome(f, scenarios[futures[f]].name)
    except BaseException:  # Ctrl-C, or the caller closed us: stop everything still running
        stop.set()
        for f in futures:
            f.cancel()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _on_cluster(
    scenarios: Sequence[Scenario],
    weights: Sequence[Weights],
    params: SolverParams,
    client: Any,
) -> Generator[Step, None, None]:
    from distributed import as_completed

    by_host = threads_by_host(client)
    futures: dict[Any, int] = {}

    def submit(task: dict[str, Any]) -> Any:
        return client.submit(run_scenario, {**task, "threads_by_host": by_host}, pure=False)

    try:
        yield from _submit(scenarios, weights, params, futures, submit)
        batch = as_completed(list(futures))
        while not batch.is_empty():
            if not batch.has_ready():
                time.sleep(0.25)
                yield None
                continue
            for f in batch.next_batch(block=False):
                yield futures[f], _outcome(f, scenarios[futures[f]].name)
    except BaseException:
        # Pending tasks are cancelled; a task already running finishes on its worker (Dask
        # cannot stop a running function) within its time limit, and its result is dropped.
        client.cancel([f for f in futures if not f.done()])
        raise


def threads_by_host(client: Any) -> dict[str, int]:
    """Dask worker threads on each host of the cluster, to share its cores between them."""
    out: dict[str, int] = {}
    for address, info in client.scheduler_info().get("workers", {}).items():
        host = urlparse(address).hostname or info.get("host", "")
        out[host] = out.get(host, 0) + int(info.get("nthreads", 1))
    return out


# ---- compare ----------------------------------------------------------------------------------


def as_scenarios(
    scenarios: Mapping[str, Instance | Scenario] | Sequence[Scenario],
) -> list[Scenario]:
    """Scenarios from a mapping of names to instances (or scenarios) or from a list of
    scenarios; names must be unique."""
    if isinstance(scenarios, Mapping):
        out = [
            replace(v, name=k) if isinstance(v, Scenario) else Scenario(k, v)
            for k, v in scenarios.items()
        ]
    else:
        out = list(scenarios)
    names = [s.name for s in out]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"scenario names must be unique: {', '.join(twice)} given twice")
    return out


def compare(
    scenarios: Mapping[str, Instance | Scenario] | Sequence[Scenario],
    weights: WeightsLike = None,
    params: SolverParams | None = None,
    *,
    time_limit: float | None = None,
    seed: int | None = None,
    cpsat_workers: int | None = None,
    processes: int | None = None,
    client: Any = None,
    progress: bool = True,
    deterministic: bool | None = None,
) -> Comparison:
    """Solve every scenario with the same solver parameters and compare their KPIs.

    Parameters
    ----------
    scenarios
        ``{"today": demo, "two more": more}`` (instances or :class:`Scenario`), or a list of
        :class:`Scenario`.
    weights
        Weights of the scenarios that carry none (see :func:`scheduler.api.weights_of`).
    params, time_limit, seed
        Solver parameters (defaults of ``defaults.toml``); the keywords replace theirs.
    cpsat_workers
        CP-SAT threads per scenario. Default: the cores shared by the scenarios running at
        once (one after another: ``params.workers``; in processes: cores // processes; on
        Dask: each machine's cores // its Dask worker threads).
    processes
        Worker processes on this machine; default one per core, at most one per scenario;
        0 solves one scenario after another in this process.
    client
        A ``dask.distributed.Client``, or a scheduler address (``"tcp://host:8786"``): the
        scenarios run on that cluster instead (``processes`` is then ignored).
    progress
        Show a progress bar (a tick per finished scenario, time left).
    deterministic
        Solve each scenario in deterministic mode (one CP-SAT worker, limits in work
        units): the same KPIs on every run of the sweep, on any machine and however many
        scenarios share it (docs/scenarios.md).

    Returns
    -------
    Comparison
        The KPI table in the order given, whatever order the scenarios finish in; a
        scenario that failed is a row with status ``ERROR`` and its ``error``.

    Raises
    ------
    SweepInterrupted
        On Ctrl-C (or a notebook's stop button): pending scenarios are cancelled and
        running ones stopped; ``.comparison`` holds those that finished.
    """
    items = as_scenarios(scenarios)
    base = weights_of(weights)
    each = [s.weights or base for s in items]
    chosen = params_of(params, time_limit=time_limit, seed=seed, deterministic=deterministic)
    own_client = isinstance(client, str)
    if own_client:
        from distributed import Client

        client = Client(client)
    try:
        steps, slots, chosen = _plan(items, each, chosen, cpsat_workers, processes, client)
        return _collect(items, each, steps, Ticker(len(items), slots, chosen.time_limit, progress))
    finally:
        if own_client:
            client.close()


def _plan(
    items: list[Scenario],
    weights: list[Weights],
    params: SolverParams,
    cpsat_workers: int | None,
    processes: int | None,
    client: Any,
) -> tuple[Generator[Step, None, None], int, SolverParams]:
    """Where the scenarios run, how many at once, and the parameters each gets."""
    cores = os.cpu_count() or 1
    if client is not None:
        # 0: each task counts its machine's cores when it starts there.
        params = params.model_copy(update={"workers": cpsat_workers or 0})
        slots = sum(threads_by_host(client).values()) or 1
        return _on_cluster(items, weights, params, client), slots, params
    if processes is None:
        processes = max(1, min(len(items), cores))
    if processes == 0:
        if cpsat_workers is not None:
            params = params.model_copy(update={"workers": cpsat_workers})
        return _one_after_another(items, weights, params), 1, params
    params = params.model_copy(update={"workers": cpsat_workers or max(1, cores // processes)})
    return _in_processes(items, weights, params, processes), processes, params


def _collect(
    items: list[Scenario],
    weights: list[Weights],
    steps: Generator[Step, None, None],
    ticker: Ticker,
) -> Comparison:
    rows: list[dict[str, Any] | None] = [None] * len(items)
    results: dict[int, Result] = {}
    try:
        with closing(steps):
            for step in steps:
                if step is None:
                    ticker.refresh()
                    continue
                i, (row, result) = step
                rows[i] = row
                if result is not None:
                    results[i] = result.for_instance(items[i].instance)
                ticker.tick(items[i].name)
    except KeyboardInterrupt:
        raise SweepInterrupted(_comparison(items, rows, results)) from None
    finally:
        ticker.close()
    return _comparison(items, rows, results)


def _comparison(
    items: list[Scenario], rows: list[dict[str, Any] | None], results: dict[int, Result]
) -> Comparison:
    table = pd.DataFrame(
        [
            row or failed(s.name, CANCELLED, "cancelled")
            for s, row in zip(items, rows, strict=True)
        ],
        columns=KPI_COLUMNS,
    )
    named = {items[i].name: r for i, r in sorted(results.items())}
    return Comparison(table, named, tuple(items))
