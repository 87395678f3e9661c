"""The sweep's progress bar: one tick per finished scenario, elapsed time and time left.

In a terminal it is a rich progress bar (the command line's library); in Jupyter a single
HTML line updated in place (rich's own Jupyter display needs ipywidgets, which the project
does not install, and otherwise prints nothing until the end); elsewhere (a script piped to
a file, a test) it prints nothing. Time left is the time per finished scenario so far times
the scenarios left, and before the first one finishes, the time limit times the rounds of
tasks still to run.
"""

from __future__ import annotations

import math
import sys
import time
from html import escape
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


def clock(seconds: float) -> str:
    """Seconds as ``m:ss`` (or ``h:mm:ss``)."""
    s = max(0, round(seconds))
    h, rest = divmod(s, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


class Estimate:
    """Time left in a sweep of ``total`` scenarios run ``slots`` at a time."""

    def __init__(self, total: int, slots: int, seconds_each: float) -> None:
        self.total, self.slots, self.seconds_each = total, max(1, slots), seconds_each
        self.start = time.monotonic()
        self.done = 0
        self.last = self.start  # when the last scenario finished

    def tick(self) -> None:
        """One more scenario finished."""
        self.done += 1
        self.last = time.monotonic()

    def elapsed(self) -> float:
        """Seconds since the sweep started."""
        return time.monotonic() - self.start

    def left(self) -> float:
        """Seconds left, counting down between ticks."""
        now = time.monotonic()
        if self.done == 0:
            end = math.ceil(self.total / self.slots) * self.seconds_each
            return max(0.0, end - (now - self.start))
        end = (self.last - self.start) / self.done * self.total
        return max(0.0, end - (now - self.start))


def _jupyter() -> bool:
    # Only when IPython is already running: importing it would be slow and wrong elsewhere.
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return type(shell).__name__ == "ZMQInteractiveShell"


class Ticker:
    """Shows a sweep's progress; :meth:`refresh` between ticks moves the clocks on."""

    def __init__(self, total: int, slots: int, seconds_each: float, show: bool = True) -> None:
        self.estimate = Estimate(total, slots, seconds_each)
        self.total = total
        self.last_name = ""
        self._handle: Any = None
        self._rich: Progress | None = None
        if not show or total == 0:
            return
        if _jupyter():
            from IPython.display import HTML, display

            self._html = HTML
            self._handle = display(HTML(self._line()), display_id=True)
        elif (console := Console(stderr=True)).is_terminal:
            self._rich = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[left]}"),
                console=console,
                transient=False,
            )
            self._task = self._rich.add_task("scenarios", total=total, left=self._left())
            self._rich.start()

    def _left(self) -> str:
        e = self.estimate
        return "done" if e.done >= self.total else f"~{clock(e.left())} left"

    def _line(self) -> str:
        e = self.estimate
        last = f"; last: {escape(self.last_name)}" if self.last_name else ""
        return (
            f'<div><progress value="{e.done}" max="{self.total}" style="width:16rem"></progress>'
            f" {e.done}/{self.total} scenarios, {clock(e.elapsed())} elapsed, "
            f"{self._left()}{last}</div>"
        )

    def tick(self, name: str) -> None:
        """One scenario finished."""
        self.estimate.tick()
        self.last_name = name
        if self._rich is not None:
            self._rich.update(self._task, advance=1, description=f"scenarios ({name})")
        self.refresh()

    def refresh(self) -> None:
        """Redraw the clocks."""
        if self._rich is not None:
            self._rich.update(self._task, left=self._left())
        elif self._handle is not None:
            self._handle.update(self._html(self._line()))

    def close(self) -> None:
        """Leave the last state on screen."""
        self.refresh()
        if self._rich is not None:
            self._rich.stop()
