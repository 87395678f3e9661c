"""The time limit of a whole command: how long the search may run so that the user's wait,
from the command's start to its end, stays within ``--time-limit``.

The limit counts from the process's start: imports, reading the branch and preparing it
(candidate visits, bounds, the greedy start) come out of it, and so does a reserve for what
follows the search (checking and scoring the timetable, writing every output and the
calendar feeds), estimated from the branch's size (:func:`writing_reserve`). The search gets
the rest. docs/model.md, "The time limit", has the numbers behind the estimate.

Two jobs after the search explain it rather than write it: the reasons of unmet.csv and of
the ALTs under floor (:mod:`scheduler.explain`), and the coverage bound in words (the visit
LP of :mod:`scheduler.bounds.coverage`). Left unbudgeted they took longer than the search at
250 ALTs, so the reserve covers them too: their counting parts (the capacity checks, the
visit index and flow bound), which cannot be cut short, by size (:func:`checking_reserve`),
and their open-ended parts (CP-SAT cores, the LP) by a share of the limit
(:func:`explaining_share`). After the search each open-ended part gets the time actually
left (:meth:`Budget.left`); what it cannot finish says so ("not examined" reasons, the flow
bound alone in words) rather than making the user wait. With ``--deterministic`` they are
budgeted the same way: they never change the timetable, so two runs differ at most in what
these jobs had time to examine (docs/outputs.md, unmet.csv).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the command line imports this module before it reads a branch
    from scheduler.instance import Instance

Clock = Callable[[], float]

# What follows the search, in seconds, measured on generated branches (docs/model.md, "The
# time limit"): a fixed part (the summary, the index page, leaving the process), a part per
# weekly lesson (filling, checking and scoring the timetable, assignments.csv, the grids of
# every ALT and school) and one per dated lesson of the term (its two VEVENTs: the term
# calendar, identities, rendering, the files), on an idle machine.
WRITE_FIXED = 0.4
WRITE_PER_LESSON = 0.000_3
WRITE_PER_DATED_LESSON = 0.000_05
# The reserve is that times the machine's measured slowdown (Budget.rescale), at least
# SAFETY (a reserve left over only ends the command early) and at most MAX_SLOWDOWN.
SAFETY = 1.2
MAX_SLOWDOWN = 4.0
# The counting parts of the reasons and of the coverage bound (capacity checks, preparing the
# candidates again, the visit index and the flow bound), per weekly lesson, on an idle
# machine: about 1.5 s at 250 ALTs.
CHECK_PER_LESSON = 0.000_3
# The open-ended parts (CP-SAT cores of the reasons, the visit LP): this share of the limit,
# at most EXPLAIN_MAX seconds. What they leave unfinished says so.
EXPLAIN_SHARE = 0.1
EXPLAIN_MAX = 6.0


class Budget:
    """A time limit counted from ``started`` (a :func:`time.monotonic` time, default now), of
    which :attr:`reserve` seconds are kept for the work after the search: ``after`` seconds
    on an idle machine (:func:`writing_reserve` plus :func:`checking_reserve`) times
    :attr:`factor`, :data:`SAFETY` until :meth:`rescale` measures the machine, plus
    ``spare`` seconds for the open-ended explaining jobs (:func:`explaining_share`).
    ``writing`` is the part of ``after`` that writing the outputs alone needs (default:
    all of it); :meth:`left` keeps it back from those jobs.

    ``stages`` records when each stage of the command ended (:meth:`mark`), so the command
    can say where the time went (:meth:`split`). ``cpu`` is the process's CPU clock, and
    ``cpu_started`` its reading at ``started`` (default: now, or 0 with ``started`` given,
    which is then the process's start): they measure how loaded the machine is
    (:meth:`slowdown`).
    """

    def __init__(
        self,
        limit: float,
        after: float = 0.0,
        started: float | None = None,
        clock: Clock = time.monotonic,
        cpu: Clock = time.process_time,
        writing: float | None = None,
        spare: float = 0.0,
    ) -> None:
        self.limit = limit
        self.after = after
        self.writing = after if writing is None else min(writing, after)
        self.spare = spare
        self.factor = SAFETY
        self.clock = clock
        self.cpu = cpu
        self.started = clock() if started is None else started
        self.cpu_started = cpu() if started is None else 0.0
        self.stages: list[tuple[str, float]] = []

    @property
    def reserve(self) -> float:
        """Seconds kept after the search."""
        return self.after * self.factor + self.spare

    @property
    def deadline(self) -> float:
        """When the whole command should have ended."""
        return self.started + self.limit

    @property
    def search_deadline(self) -> float:
        """When the search must stop, leaving the reserve for what follows it."""
        return self.deadline - self.reserve

    def search_seconds(self) -> float:
        """Seconds the search may still take from now (zero or less: none)."""
        return self.search_deadline - self.clock()

    def left(self) -> float:
        """Seconds the jobs between the search and the writing (reasons, the coverage bound)
        may still take from now: the deadline less what writing the outputs needs (zero or
        less: none)."""
        return self.deadline - self.writing * self.factor - self.clock()

    def elapsed(self) -> float:
        """Seconds since the start."""
        return self.clock() - self.started

    def slowdown(self) -> float:
        """Wall seconds per CPU second of this process since the start, at least 1: about 1
        on an idle machine, 3 when other work leaves this process a third of a core.

        Meaningful while the process runs one thread (reading and preparing the branch),
        not once the search runs several."""
        used = self.cpu() - self.cpu_started
        return max(1.0, self.elapsed() / used) if used > 0 else 1.0

    def rescale(self) -> None:
        """Scale the reserve by the slowdown so far (between :data:`SAFETY` and
        :data:`MAX_SLOWDOWN`): on a busy machine the outputs take longer to write too."""
        self.factor = max(SAFETY, min(MAX_SLOWDOWN, self.slowdown()))

    def mark(self, stage: str) -> None:
        """Record that ``stage`` ends now."""
        self.stages.append((stage, self.clock()))

    def split(self) -> list[tuple[str, float]]:
        """Each marked stage with its seconds (from the end of the one before it)."""
        out, last = [], self.started
        for stage, at in self.stages:
            out.append((stage, at - last))
            last = at
        return out

    def summary(self) -> str:
        """Where the time went: ``Took 31.2 s of the 30 s limit (5.8 s kept after the
        search): start 1.9 s, ...``."""
        stages = ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in self.split())
        kept = f" ({self.reserve:.1f} s kept after the search)" if self.reserve else ""
        return f"Took {self.elapsed():.1f} s of the {self.limit:g} s limit{kept}: {stages}."


def writing_reserve(instance: Instance) -> float:
    """Seconds that checking the timetable and writing every output of ``instance`` (grids,
    report, calendar feeds when it has term dates) take after the search, on an idle
    machine."""
    lessons = instance.need()
    dated = lessons * term_weekdays(instance.settings.term_start, instance.settings.term_end) / 5
    return WRITE_FIXED + WRITE_PER_LESSON * lessons + WRITE_PER_DATED_LESSON * dated


def checking_reserve(instance: Instance) -> float:
    """Seconds that the counting parts of the reasons and the coverage bound take after the
    search on an idle machine (:data:`CHECK_PER_LESSON`): they cannot be cut short."""
    return CHECK_PER_LESSON * instance.need()


def explaining_share(limit: float) -> float:
    """Seconds of a ``limit`` kept for the open-ended explaining jobs (CP-SAT cores, the
    visit LP): :data:`EXPLAIN_SHARE` of it, at most :data:`EXPLAIN_MAX`."""
    return min(EXPLAIN_MAX, EXPLAIN_SHARE * limit)


def term_weekdays(start: date | None, end: date | None) -> int:
    """Mondays to Fridays from ``start`` to ``end``, both included (0 without a term).

    Holidays are counted too: the reserve errs on the long side."""
    if start is None or end is None or end < start:
        return 0
    days = (end - start).days + 1
    weeks, rest = divmod(days, 7)
    extra = sum((start + timedelta(days=weeks * 7 + i)).weekday() < 5 for i in range(rest))
    return weeks * 5 + extra


def process_started(clock: Clock = time.monotonic) -> float:
    """The :func:`time.monotonic` time this process started: on Linux from
    ``/proc/self/stat``, so the interpreter's start and the imports count; elsewhere now."""
    try:
        with open("/proc/self/stat", encoding="ascii") as f:
            # Field 22, after the command name in parentheses: clock ticks since boot.
            ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        age = time.clock_gettime(time.CLOCK_BOOTTIME) - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return clock()
    return clock() - max(0.0, age)
