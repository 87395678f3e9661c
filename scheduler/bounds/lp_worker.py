"""A linear programme held by HiGHS in a process of its own, warm from one solve to the next.

Run as ``python -m scheduler.bounds.lp_worker`` by :class:`scheduler.bounds.lp.WarmLP`, which
sends pickled messages on standard input and reads the answers to ``solve`` on standard
output. OR-Tools bundles one HiGHS library and the ``highspy`` package another, and the two
clash when loaded in one process (undefined symbols, whichever loads first), so this module
imports neither OR-Tools nor anything that does.

Messages: ``("rows", lower, upper)``, ``("columns", cost, starts, index, value)`` (each
column from 0 to infinity), ``("costs", columns, cost)``, ``("lowers", columns, lower)``
(each of those columns from its new lower bound to infinity), and ``("solve", seconds, watch)``,
answered by ``("solved", optimal, objective, row duals, values of the watched columns)`` or
``("error", text)``. The first answer is ``("ready",)`` or ``("error", text)``.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
from typing import Any, BinaryIO


def _send(out: BinaryIO, message: tuple[Any, ...]) -> None:
    pickle.dump(message, out, protocol=pickle.HIGHEST_PROTOCOL)
    out.flush()


def answer_pipe() -> BinaryIO:
    """The parent's pipe (standard output as it was), with file descriptor 1 and
    ``sys.stdout`` sent to standard error from now on.

    The pipe must carry the answers alone, and redirecting ``sys.stdout`` does not stop a C
    library writing to descriptor 1: highspy 1.16 prints its banner there on the first run
    even with ``output_flag`` off, which broke every answer that followed."""
    sys.stdout.flush()
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return out


def main() -> None:
    """Serve one programme until standard input closes."""
    # Ctrl-C reaches the whole process group, and so does the SIGTERM of `timeout` or a
    # service manager; the parent decides when this process ends (it closes our input).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    out, inp = answer_pipe(), sys.stdin.buffer
    try:
        import highspy

        highs = highspy.Highs()
        highs.setOptionValue("output_flag", False)
    except Exception as e:  # reported to the parent, which falls back to MathOpt
        _send(out, ("error", f"HiGHS cannot start: {e!r}"))
        return
    _send(out, ("ready",))
    failed: str | None = None
    while True:
        try:
            message = pickle.load(inp)
        except EOFError:
            return
        kind = message[0]
        try:
            if kind == "solve":
                _send(out, ("error", failed) if failed is not None else _solve(highs, message))
            elif not _change(highs, message):
                failed = f"unknown message {kind!r}"
        except Exception as e:  # answered at the next solve
            failed = f"{kind}: {e!r}"
            if kind == "solve":
                _send(out, ("error", failed))


def _change(highs: Any, message: tuple[Any, ...]) -> bool:
    """Apply a change to the programme (rows, columns, costs, lower bounds); False when the
    message is none of those."""
    import numpy as np

    kind = message[0]
    if kind == "rows":
        _kind, lower, upper = message
        highs.addRows(len(lower), lower, upper, 0, [], [], [])
    elif kind == "columns":
        _kind, cost, starts, index, value = message
        n = len(cost)
        highs.addCols(n, cost, np.zeros(n), np.full(n, np.inf), len(index), starts, index, value)
    elif kind == "costs":
        _kind, columns, cost = message
        highs.changeColsCost(len(columns), columns, cost)
    elif kind == "lowers":
        _kind, columns, lower = message
        n = len(columns)
        highs.changeColsBounds(n, columns, lower, np.full(n, np.inf))
    else:
        return False
    return True


def _solve(highs: Any, message: tuple[Any, ...]) -> tuple[Any, ...]:
    """Solve within the message's seconds: whether optimal, the value, every row's dual and
    the watched columns' values."""
    import highspy
    import numpy as np

    _kind, seconds, watch = message
    # HiGHS (to 1.x) holds its time limit against the run time summed over every run of
    # this object, so a long column generation would stop with seconds to spare
    # (ERGO-Code/HiGHS#1331): the limit is this run's share on top.
    limit = highs.getRunTime() + max(1e-3, float(seconds))
    highs.setOptionValue("time_limit", limit)
    highs.run()
    optimal = highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
    solution = highs.getSolution()
    values = np.asarray(solution.col_value)
    return (
        "solved",
        optimal,
        float(highs.getInfo().objective_function_value),
        np.asarray(solution.row_dual, dtype=float),
        values[np.asarray(watch, dtype=np.int64)] if len(values) else values,
    )


if __name__ == "__main__":
    main()
