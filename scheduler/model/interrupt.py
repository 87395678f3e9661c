"""Ctrl-C (and, in a guarded command, SIGTERM) during a solve: stop the running CP-SAT
searches; the pipeline keeps its best.

CP-SAT's own ``catch_sigint_signal`` does not do this job. It ends only the search running at
that moment (the first level of the master, or one 0.3 s region step, after which the solve
went on to its time limit), and when that search returns it resets SIGINT to the default
action, so a Ctrl-C between two searches killed the process with nothing written (OR-Tools
9.15). So every search here runs through :func:`run` with that parameter off, and
:func:`watching` routes SIGINT to a flag and to ``stop_search`` of every running search.
The main thread is inside CP-SAT most of the time, where no Python signal handler runs;
Python's C-level handler still writes the signal to a wakeup socket, and a helper thread
reading it stops the searches at once.

Inside a command's :func:`scheduler.signals.guarded` block the guard owns the handlers (for
SIGINT and SIGTERM, what ``timeout`` and service managers send) and :func:`watching` only adds
the wakeup socket and the search stopper; a signal that came before the solve began stops it
before it starts. Outside a guard only SIGINT is routed: SIGTERM ends the process, as only
the caller knows how to save what it has.
"""

from __future__ import annotations

import signal
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from ortools.sat.python import cp_model, cp_model_helper

from scheduler import signals

# Reentrant: the SIGINT handler runs in the main thread, possibly while it holds the lock.
_lock = threading.RLock()
_running: set[cp_model.CpSolver] = set()
_hit = threading.Event()
_last = threading.Event()  # the last watched block saw Ctrl-C (or SIGTERM)
_by: list[int] = []  # the signal that stopped the current or last solve


def interrupted() -> bool:
    """Whether Ctrl-C (or a guarded SIGTERM) came during the current solve."""
    return _hit.is_set()


def was_interrupted() -> bool:
    """Whether Ctrl-C (or a guarded SIGTERM) ended the last solve (read after it returned)."""
    return _last.is_set()


def interrupted_by() -> str:
    """The signal that stopped the current or last solve, as the user knows it (``Ctrl-C``,
    ``SIGTERM``)."""
    return signals.signal_name(_by[0] if _by else signal.SIGINT)


def run(
    solver: cp_model.CpSolver,
    model: cp_model.CpModel,
    callback: cp_model.CpSolverSolutionCallback | None = None,
    *,
    stoppable: bool = True,
) -> cp_model_helper.CpSolverStatus:
    """Solve ``model``; a ``stoppable`` search ends on Ctrl-C (and gets no time after one).

    Searches that turn a found timetable into periods are not stoppable: they are short
    (a deterministic limit) and the timetable kept after Ctrl-C needs them.
    """
    solver.parameters.catch_sigint_signal = False
    if not stoppable:
        return solver.solve(model, callback)
    with _lock:
        if _hit.is_set():
            # Not started, but answered (the caller may read the response): no time at all.
            solver.parameters.max_time_in_seconds = 0.0
        _running.add(solver)
    try:
        return solver.solve(model, callback)
    finally:
        with _lock:
            _running.discard(solver)


def _stop(signum: int = signal.SIGINT) -> None:
    if not _hit.is_set():
        _by[:] = [signum]
    _hit.set()
    with _lock:
        for solver in list(_running):
            solver.stop_search()


@contextmanager
def watching() -> Iterator[None]:
    """Within this block, Ctrl-C stops the searches instead of raising KeyboardInterrupt.

    Inside a guarded command SIGTERM does too, and a signal the guard received before the
    block stops it at once. Signals can only be routed from the main thread; elsewhere (a
    server's worker) the block changes nothing but clearing the flag.
    """
    _hit.clear()
    _last.clear()
    _by.clear()
    guard = signals.current()
    if threading.current_thread() is not threading.main_thread():
        try:
            yield
        finally:
            _end()
        return
    if guard is not None and guard.received:
        _stop(guard.received[0])  # stopped before it began: the greedy start is kept
    routed = guard.routed if guard is not None else (signal.SIGINT,)
    reader, writer = socket.socketpair()
    writer.setblocking(False)
    old_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    if guard is not None:
        guard.listeners.append(_stop)  # its handler stops the searches too
    else:
        old_handler = signal.signal(signal.SIGINT, lambda signum, _frame: _stop(signum))
    done = threading.Event()
    watcher = threading.Thread(target=_watch, args=(reader, done, routed), daemon=True)
    watcher.start()
    try:
        yield
    finally:
        if guard is not None:
            guard.listeners.remove(_stop)
        else:
            signal.signal(signal.SIGINT, old_handler)
        signal.set_wakeup_fd(old_fd)
        done.set()
        writer.close()  # the watcher's read returns empty: it ends
        watcher.join(timeout=2.0)
        reader.close()
        _end()


def _end() -> None:
    # Code run outside a solve (a notebook calling the search directly) must not see a
    # stale Ctrl-C; was_interrupted() keeps the answer for the caller.
    if _hit.is_set():
        _last.set()
    _hit.clear()


def _watch(reader: socket.socket, done: threading.Event, routed: tuple[int, ...]) -> None:
    while not done.is_set():
        try:
            data = reader.recv(64)
        except OSError:
            return
        if not data:
            return
        hit = [signum for signum in data if signum in routed]
        if hit:
            _stop(hit[0])
            # A search registered a moment before its solver existed missed the stop:
            # repeat it while the block lasts.
            while not done.wait(0.1):
                _stop(hit[0])
