"""SIGINT and SIGTERM during a command: stop the work, finish the write, end as signalled.

Ctrl-C sends SIGINT; ``timeout``, ``kill`` and service managers (systemd, supervisors,
container runtimes) send SIGTERM. A command that writes outputs wraps its work in
:func:`guarded`, and from then on both mean the same:

- during the search (:mod:`scheduler.model.interrupt` hooks in while one runs) the running
  searches stop and the best timetable found is kept;
- while the outputs are written (:meth:`Guard.writing`) the first signal waits: the write is
  finished (a few seconds) and the command says so; a second one abandons it by raising
  :class:`Abandoned` in the main thread, and the writer removes its temporary folder, so the
  earlier outputs stay as they were. Once the new folder is being swapped into place
  (:func:`committing`), nothing is abandoned any more: the swap takes milliseconds;
- at the end the command ends by the same signal (:func:`end_by_signal`), so a shell sees 130
  or 143 and a script or loop stops, as after any interrupted command.

A signal the process inherited as ignored (``cmd &`` in a script ignores SIGINT) stays
ignored. Processes forked while a guard is on (the feed writers) inherit its handler, which
does nothing outside the process that installed it: the parent decides when they end.

Without a guard (a notebook, a script calling :func:`scheduler.solve.solve`) only Ctrl-C
stops a search; SIGTERM ends the process as usual, since only the caller knows how to save
what it has.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from enum import Enum
from types import FrameType
from typing import Any, NoReturn

SIGNALS = (signal.SIGINT, signal.SIGTERM)
NAMES: dict[int, str] = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM"}


def signal_name(signum: int) -> str:
    """How the command names a signal to its user: ``Ctrl-C``, ``SIGTERM``."""
    return NAMES.get(signum) or signal.Signals(signum).name


class Phase(Enum):
    """What the guarded command is doing, which decides what a signal does."""

    WORKING = "working"  # searching, preparing: a signal stops the search
    WRITING = "writing"  # the first signal waits for the write, a second abandons it
    COMMITTING = "committing"  # the new folder is going into place: too late to abandon
    ABANDONING = "abandoning"  # the write is being rolled back: further signals wait


class Event(Enum):
    """What a signal did, told to the command's ``on_signal`` so it can say so."""

    STOP = "stop"  # the first signal while working: the search stops
    FINISH = "finish"  # the first signal while writing: the write is finished
    ABANDON = "abandon"  # a second signal while writing: the write is rolled back
    LATE = "late"  # a second signal while committing: the outputs are already going in


class Abandoned(KeyboardInterrupt):
    """A second SIGINT or SIGTERM while the outputs were written: the write was abandoned.

    A ``KeyboardInterrupt``, so no ``except Exception`` on the way swallows it.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal_name(signum))
        self.signum = signum


class Guard:
    """The signal policy of one command (made by :func:`guarded`)."""

    def __init__(self, on_signal: Callable[[int, Event], None] | None = None) -> None:
        self.pid = os.getpid()
        self.on_signal = on_signal
        self.received: list[int] = []  # every routed signal, in order
        self.phase = Phase.WORKING
        self.routed: tuple[int, ...] = ()
        # Called with the signal number on each signal (the solve's search stopper).
        self.listeners: list[Callable[[int], None]] = []
        self._while_writing = 0

    @property
    def signum(self) -> int | None:
        """The first signal received, or None."""
        return self.received[0] if self.received else None

    def handle(self, signum: int, _frame: FrameType | None = None) -> None:
        """The Python-level handler (runs in the main thread between bytecodes)."""
        if os.getpid() != self.pid:
            return  # a forked worker: its parent decides when it ends
        self.received.append(signum)
        for listener in list(self.listeners):
            listener(signum)
        if self.phase is Phase.WORKING:
            if len(self.received) == 1:
                self._tell(signum, Event.STOP)
            return
        if self.phase is Phase.ABANDONING:
            return
        self._while_writing += 1
        if self._while_writing == 1:
            self._tell(signum, Event.FINISH)
        elif self.phase is Phase.COMMITTING:
            self._tell(signum, Event.LATE)
        else:
            self.phase = Phase.ABANDONING
            self._tell(signum, Event.ABANDON)
            raise Abandoned(signum)

    def _tell(self, signum: int, event: Event) -> None:
        if self.on_signal is not None:
            self.on_signal(signum, event)

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Within this block the first signal waits and a second raises :class:`Abandoned`."""
        self.phase, self._while_writing = Phase.WRITING, 0
        try:
            yield
        finally:
            self.phase = Phase.WORKING


def tell(line: str) -> None:
    """Write ``line`` to standard error's file descriptor at once, for ``on_signal``.

    A handler runs between two bytecodes of the main thread, perhaps in the middle of a print:
    printing through ``sys.stderr`` or a rich console there can re-enter their buffers (a
    lost or doubled line, or a RuntimeError); one ``os.write`` cannot.
    """
    data = (line.rstrip("\n") + "\n").encode("utf-8", errors="replace")
    with suppress(OSError):  # no stderr: nothing to say it on
        while data:
            data = data[os.write(2, data) :]


_current: Guard | None = None


def current() -> Guard | None:
    """The guard of the running command, if any (only in the main thread's process)."""
    return _current if _current is not None and _current.pid == os.getpid() else None


@contextmanager
def guarded(on_signal: Callable[[int, Event], None] | None = None) -> Iterator[Guard]:
    """Route SIGINT and SIGTERM to a :class:`Guard` for the length of the block.

    ``on_signal(signum, event)`` is called from the handler for what the command should say
    (:class:`Event`); it should say it with :func:`tell`. The caller reads
    :attr:`Guard.received` afterwards and usually ends with :func:`end_by_signal`. Outside
    the main thread nothing is routed.
    """
    global _current
    guard = Guard(on_signal)
    previous: dict[int, Any] = {}  # the handlers to put back
    if _is_main_thread():
        for routed in SIGNALS:
            handler = signal.getsignal(routed)
            if handler is signal.SIG_IGN:
                continue  # ignored by whoever started us: keep it so
            previous[routed] = handler
            signal.signal(routed, guard.handle)
    guard.routed = tuple(previous)
    outer, _current = _current, guard
    try:
        yield guard
    finally:
        _current = outer
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def committing() -> None:
    """Say that the write of the current guard is past abandoning (the swap begins), or
    raise :class:`Abandoned` if it was abandoned.

    The handler raises :class:`Abandoned` wherever the main thread is, and code that clears
    every error it meets (numpy's dtype comparison does, in C) can swallow it there; the
    check here makes the abandonment hold all the same. A second signal from here on is
    reported (:attr:`Event.LATE`) and changes nothing. Does nothing without a guard or
    outside its writing block.
    """
    guard = current()
    if guard is None:
        return
    if guard.phase is Phase.ABANDONING:
        raise Abandoned(guard.received[-1])
    if guard.phase is Phase.WRITING:
        guard.phase = Phase.COMMITTING


def end_by_signal(signum: int) -> NoReturn:
    """End the process by ``signum``'s default action, as Python does after an unhandled
    Ctrl-C, once what was printed is flushed: a shell then sees 128 + ``signum`` (130 for
    SIGINT, 143 for SIGTERM) and a script or loop running the command stops too."""
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):  # a closed pipe: nothing more to say
            stream.flush()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
    sys.exit(128 + signum)  # should the default action not end us: the same status


def _is_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()
