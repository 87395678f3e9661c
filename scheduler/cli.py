"""The ``altsched`` command line. Thin: every command calls the library.

Input problems print one line each (file, row, column, value) and exit with status 2;
violations found by ``check`` exit with status 1.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.text import Text

from scheduler.config import MAX_SEED, MAX_TIME_LIMIT, MAX_WORKERS
from scheduler.errors import InputIssue, InstanceError
from scheduler.signals import Event as SignalEvent

if TYPE_CHECKING:
    import pandas as pd

    from scheduler.calendar.changes import Change
    from scheduler.calendar.store import Store
    from scheduler.config import Settings, SolverParams, Weights
    from scheduler.instance import Instance
    from scheduler.replan.cover import CoverPlan
    from scheduler.replan.cover_run import Inputs as CoverInputs
    from scheduler.replan.previous import Previous
    from scheduler.result import Lesson, Result
    from scheduler.signals import Guard
    from scheduler.validate import Score

app = typer.Typer(
    name="altsched",
    help="Timetables for Assistant Language Teachers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# No markup: branch names, ids and paths are printed as they are ("[/North]" is not a tag);
# styles are given as Text.
console = Console(highlight=False, markup=False)
err_console = Console(stderr=True, highlight=False, markup=False)

EXIT_INPUT = 2


ERRORS_SHOWN = 100


def report_input_errors(e: InstanceError) -> None:
    """Print the input problems, one per line, on stderr (the first hundred and a count)."""
    n = len(e.issues)
    errors = f"{n} input error{'s' if n != 1 else ''}"
    err_console.print(Text.assemble((errors, "bold red"), "; nothing was written:"))
    # One line each, never wrapped: people grep and paste these messages. Thousands (the
    # assignments of another branch) are cut after a screenful, with the count.
    for issue in e.issues[:ERRORS_SHOWN]:
        err_console.print(f"  {issue}", soft_wrap=True)
    if n > ERRORS_SHOWN:
        err_console.print(f"  ... and {n - ERRORS_SHOWN} more", soft_wrap=True)


# Warnings of one kind (file, column, message) shown in full before the rest are counted:
# a column Excel turned into dates gave one warning per row (184 on the demo).
SAME_KIND_SHOWN = 3


def print_warnings(warnings: Sequence[object]) -> None:
    """Show input warnings on stderr (they never stop a command), a few of each kind."""
    kinds: dict[tuple[object, ...], list[object]] = {}
    for w in warnings:
        key = (w.file, w.column, w.message) if isinstance(w, InputIssue) else (str(w),)
        kinds.setdefault(key, []).append(w)
    for same in kinds.values():
        for w in same[:SAME_KIND_SHOWN]:
            # The text is the user's data: never read it as rich markup.
            err_console.print(Text.assemble(("warning ", "yellow"), str(w)))
        rest = same[SAME_KIND_SHOWN:]
        if rest:
            rows = [str(w.row) for w in rest if isinstance(w, InputIssue) and w.row is not None]
            shown = ", ".join(rows[:8]) + (", ..." if len(rows) > 8 else "")
            where = f" (rows {shown})" if rows else ""
            err_console.print(
                Text.assemble(("warning ", "yellow"), f"... and {len(rest)} more like it{where}")
            )


InstanceArg = Annotated[
    Path, typer.Argument(metavar="INSTANCE", help="A CSV folder, .xlsx or YAML/JSON file.")
]
SolvedDirArg = Annotated[
    Path, typer.Argument(metavar="DIR", help="Output folder of a solve (holds assignments.csv).")
]


# ---- commands: each block below belongs to one area; keep edits inside your block ----------

# [core: solve, check]


class SolveMethod(StrEnum):
    """Solution methods of ``altsched solve``: what a user should pick. The naive reference
    model (:mod:`scheduler.reference.naive`) is for the benchmarks and tests only."""

    cpsat = "cpsat"
    greedy = "greedy"


def say_signal(signum: int, event: SignalEvent) -> None:
    """Tell the user, on stderr, what a Ctrl-C or SIGTERM did (from the signal handler, so
    through scheduler.signals.tell, not the console)."""
    from scheduler.signals import signal_name, tell

    name = signal_name(signum)
    said = {
        SignalEvent.STOP: f"{name}: stopping the search; the best timetable so far is written",
        SignalEvent.FINISH: f"{name} while writing the outputs: finishing them first (a few "
        f"seconds); {name} again abandons them",
        SignalEvent.ABANDON: f"{name} again: abandoning the outputs being written",
        SignalEvent.LATE: f"{name} again: too late to abandon, the outputs are in place",
    }
    tell(f"interrupted {said[event]}")


def end_as_signalled(signum: int | None) -> NoReturn:
    """End the command by the signal that interrupted it, so a shell sees 128 + its number
    and a script stops (docs/outputs.md, "Signals")."""
    from scheduler.signals import end_by_signal, signal_name

    code = 128 + (signum or 2)
    err_console.print(f"Ended by {signal_name(signum or 2)}: exit status {code}.", soft_wrap=True)
    end_by_signal(signum or 2)


# Solve's longer options, named here so that the command reads as what it does.
_SolveOut = Annotated[
    Path,
    typer.Option(
        "--out",
        help="Output folder. One that already holds a timetable is replaced (atomically) "
        "only by one giving at least as many lessons; otherwise this run goes to OUT.new.",
    ),
]
_SolveWorkers = Annotated[
    int | None,
    typer.Option(
        "--workers",
        help="CP-SAT workers (default 0: one per core).",
        min=0,
        max=MAX_WORKERS,
    ),
]
_SolveDeterministic = Annotated[
    bool,
    typer.Option(
        "--deterministic",
        help="The same timetable on every run: one worker, limits in work units "
        "(the time limit only guards the run).",
    ),
]
_SolvePrevious = Annotated[
    Path | None,
    typer.Option(
        "--previous",
        help="An earlier --out folder: keep as many of its lessons as possible and write "
        "changes.csv (docs/replan.md).",
    ),
]


@app.command("solve")
def solve_command(
    ctx: typer.Context,
    instance: InstanceArg,
    out: _SolveOut,
    time_limit: Annotated[
        float | None,
        typer.Option("--time-limit", help="Seconds (default 60).", min=0.1, max=MAX_TIME_LIMIT),
    ] = None,
    workers: _SolveWorkers = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="CP-SAT random seed.", min=0, max=MAX_SEED)
    ] = None,
    weights: Annotated[
        Path | None, typer.Option("--weights", help="TOML file of objective weights.")
    ] = None,
    method: Annotated[SolveMethod, typer.Option("--method")] = SolveMethod.cpsat,
    log: Annotated[bool, typer.Option("--log", help="Show the CP-SAT search log.")] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace --out even by fewer lessons or no timetable."),
    ] = False,
    settings: Annotated[
        Path | None,
        typer.Option(
            "--settings", help="TOML file of search settings ([search] and [bounds] tables)."
        ),
    ] = None,
    deterministic: _SolveDeterministic = False,
    previous: _SolvePrevious = None,
) -> None:
    """Assign ALTs to classes and periods; write timetables, report and feeds to --out.

    Exit status 0: written to --out; 1: no timetable, or --out kept and this run written to
    OUT.new; 2: bad input or --out refused. Ctrl-C or SIGTERM stop the search and the best
    timetable is written; the command then ends by that signal (130 or 143 in a shell).
    """
    from scheduler.config import Settings, SolverParams, Weights
    from scheduler.io.read import load_instance
    from scheduler.replan.previous import dropped_summary, read_previous

    inst, warnings = load_instance(instance)
    print_warnings(warnings)
    wts = Weights.default() if weights is None else Weights.from_toml(weights)
    tuning = Settings.default() if settings is None else Settings.from_toml(settings)
    params = SolverParams.default(
        time_limit=time_limit,
        workers=workers,
        seed=seed,
        log=log,
        deterministic=deterministic or None,
    )
    # Rows of the previous timetable that no longer make sense are said, not refused.
    before = None if previous is None else read_previous(previous, inst)
    if before is not None:
        print_warnings(dropped_summary(before))
    _ready_out(out, force)
    started = ctx.obj.get("started") if isinstance(ctx.obj, dict) else None
    run = _SolveRun(inst, wts, params, tuning, before, out, force, started)
    console.print(
        f"Solving {inst.settings.branch or instance.name}: {len(inst.alts)} ALTs, "
        f"{len(inst.schools)} schools, {inst.need()} lessons a week "
        f"({method.value}, {params.time_limit:g} s limit; Ctrl-C keeps the best so far)"
    )
    if not run.run(method):
        raise typer.Exit(1)


def _note(text: str) -> None:
    console.print(Text.assemble(("note ", "yellow"), text), soft_wrap=True)


def _ready_out(out: Path, force: bool) -> None:
    """Refuse a bad --out folder before spending a minute on the search, and OUT.new too
    when this run may have to go there (docs/outputs.md, "Replacing an earlier output")."""
    from scheduler.io.write import held_lessons, new_sibling, refusal, tidy_folder, tidy_siblings

    for done in tidy_siblings(out):
        _note(done)
    for place in (out, new_sibling(out)):
        if place.is_dir() and not place.is_symlink():
            for done in tidy_folder(place):  # a killed calendar or report wrote inside
                _note(done)
        why = refusal(place)
        if why is not None:
            raise InstanceError([InputIssue(place.as_posix(), None, None, None, why)])
        if force or held_lessons(out) == 0:
            break


class _SolveRun:
    """One ``altsched solve`` after its options are read: the search under a budget, the
    bound in words, the outputs' writing and what the screen says of them."""

    def __init__(
        self,
        inst: Instance,
        wts: Weights,
        params: SolverParams,
        tuning: Settings,
        before: Previous | None,
        out: Path,
        force: bool,
        started: float | None,
    ) -> None:
        from scheduler.budget import Budget, checking_reserve, explaining_share, writing_reserve

        self.inst, self.wts, self.params, self.tuning = inst, wts, params, tuning
        self.before, self.out, self.force = before, out, force
        # The limit is the user's whole wait, from the process's start (main(); run inside
        # another process, from now): what comes before the search and the outputs' writing
        # after it come out of it (docs/model.md, "The time limit"), and so do the reasons
        # and the coverage bound in words between them (scheduler/budget.py).
        writing, self.checking = writing_reserve(inst), checking_reserve(inst)
        self.budget = Budget(
            params.time_limit, writing + self.checking, started=started, writing=writing,
            spare=explaining_share(params.time_limit),
        )  # fmt: skip
        self.budget.mark("start")
        self.shown: list[str] = []

    def show_notes(self, notes: list[str]) -> None:
        """Print the solve's notes (and remember them: the result repeats some)."""
        for note in notes:
            console.print(Text.assemble(("note ", "yellow"), note))
        self.shown.extend(notes)

    @staticmethod
    def show_progress(seconds: float, objective: float, bound: float) -> None:
        """One line per improving timetable."""
        gap = 0.0 if objective == 0 else max(0.0, (objective - bound) / abs(objective))
        line = f"{seconds:7.2f}s  objective {objective:>12,.0f}  bound {bound:>12,.0f}"
        console.print(f"{line}  gap {gap:6.2%}")

    def run(self, method: SolveMethod) -> bool:
        """Search, write and report; False when the exit status is 1."""
        from scheduler.io.write import keep_reason, new_sibling
        from scheduler.signals import guarded
        from scheduler.solve import solve
        from scheduler.validate import score

        out = self.out
        # SIGTERM (timeout, service managers) as Ctrl-C: stop, keep the best, finish writing.
        with guarded(say_signal) as guard:
            result = solve(
                self.inst, self.wts, self.params, method=method.value,
                on_progress=self.show_progress, on_notes=self.show_notes,
                budget=self.budget, settings=self.tuning, previous=self.before,
            )  # fmt: skip
            # What the solve learnt on the way (out of time with lessons left, Ctrl-C, ...).
            self.show_notes([n for n in result.notes if n not in self.shown])
            scored = score(self.inst, result.assignments, self.wts)
            result = self.bound_in_words(result, bool(guard.received))
            kept = None if self.force else keep_reason(out, result.status, len(result.lessons))
            dest = out if kept is None else new_sibling(out)
            self.write(result, scored, dest, guard)
            self.show(result, scored)
            if kept is None:
                console.print(f"Wrote {out}/ (open {out}/index.html)", soft_wrap=True)
            else:
                what = "timetable" if result.status in ("OPTIMAL", "FEASIBLE") else "report"
                err_console.print(
                    f"{out}/ kept: {kept}; this run's {what} is in {dest}/; use --force to "
                    "replace",
                    soft_wrap=True,
                )
            if guard.received:
                end_as_signalled(guard.signum)
        return kept is None and result.status not in ("INFEASIBLE", "UNKNOWN")

    @property
    def counting(self) -> float:
        """The bound in words, then the reasons, share what the limit leaves before writing:
        each its counting part (half the checking reserve) and then half the rest for the
        LP, all the rest for the reasons' cores. Out of time, the words keep the flow bound
        and the reasons say "not examined" (docs/outputs.md)."""
        return self.checking * self.budget.factor / 2

    def bound_in_words(self, result: Result, interrupted: bool) -> Result:
        """The result with the most lessons any timetable gives, when there is time."""
        from scheduler.bounds.coverage import AFTER_SOLVE_S, best_bound
        from scheduler.model.data import prepare

        counting = self.counting
        # With no time left even to count (a busy machine), no bound and no words line.
        if result.status not in ("OPTIMAL", "FEASIBLE") or self.budget.left() <= counting:
            return result
        wait = min(AFTER_SOLVE_S, (self.budget.left() - 2 * counting) / 2)
        wait = 0.0 if interrupted else wait  # Ctrl-C: the flow bound only
        most = best_bound(prepare(self.inst), self.inst.need() - len(result.lessons), wait)
        return result.model_copy(update={"most_lessons": most})

    def write(self, result: Result, scored: Score, dest: Path, guard: Guard) -> None:
        """Write the outputs to dest; a second signal abandons them and ends the command."""
        from scheduler.calendar.ical import write_feeds
        from scheduler.explain.timetable import WRITE_SECONDS
        from scheduler.io.write import write_outputs
        from scheduler.replan.previous import write_changes
        from scheduler.signals import Abandoned

        before = self.before

        def add_feeds(folder: Path) -> None:
            write_feeds(self.inst, result.assignments, folder)
            if before is not None:
                write_changes(folder, before, result.lessons)

        try:
            with guard.writing():
                reason_seconds = min(WRITE_SECONDS, self.budget.left() - self.counting)
                write_outputs(
                    self.inst, result, scored.kpis, scored.unmet, dest, extra=add_feeds,
                    reason_seconds=reason_seconds,
                )  # fmt: skip
        except Abandoned:
            err_console.print(f"Nothing was written; {dest}/ is as it was.", soft_wrap=True)
            end_as_signalled(guard.signum)
        self.budget.mark("write")

    def show(self, result: Result, scored: Score) -> None:
        """The per-ALT table, the headline, the bound and reasons, changes and timings."""
        from scheduler.bounds.words import unmet_in_words
        from scheduler.replan.previous import changes_table
        from scheduler.summary import headline, summary_table

        inst = self.inst
        console.print(summary_table(inst, result, scored.per_alt))
        console.print(headline(result, scored.kpis["coverage"]))
        if result.most_lessons is not None:
            unmet = inst.need() - len(result.lessons)
            console.print(unmet_in_words(unmet, inst.need(), result.most_lessons).capitalize())
        if result.status == "INFEASIBLE":  # say why, never a bare INFEASIBLE (docs/explain.md)
            from scheduler.explain import why_infeasible

            for reason in why_infeasible(inst):
                console.print(f"  why: {reason}", soft_wrap=True)
        if self.before is not None:
            console.print(changes_table(result.replan or {}))
        console.print(self.budget.summary(), soft_wrap=True)


@app.command("check")
def check_command(
    instance: InstanceArg,
    directory: SolvedDirArg,
    weights: Annotated[
        Path | None,
        typer.Option("--weights", help="TOML file of weights (default: those in report.json)."),
    ] = None,
) -> None:
    """Check DIR/assignments.csv against every hard rule and recompute its objective."""
    from rich.table import Table
    from rich.text import Text

    from scheduler.config import Weights
    from scheduler.errors import InputIssue
    from scheduler.io.read import load_instance
    from scheduler.io.textfile import read_json
    from scheduler.validate import Violation, check, read_assignments, score

    inst, warnings = load_instance(instance)
    print_warnings(warnings)
    table = read_assignments(directory / "assignments.csv")
    report = directory / "report.json"
    solved_with: dict[str, Any] = {}
    if report.exists():
        try:
            # Bounded like every file a user may edit (docs/input.md, "Limits").
            solved_with = dict(read_json(report))
            recorded = solved_with.get("weights") or {}
            # The weights the solve recorded, unless the user names others.
            wts = Weights.model_validate({**Weights.default().model_dump(), **recorded})
        except InstanceError:
            raise
        except (OSError, ValueError, TypeError) as e:
            issue = InputIssue(report.name, None, None, None, f"cannot be read: {e}")
            raise InstanceError([issue]) from e
    else:
        wts = Weights.default()
    if weights is not None:
        wts = Weights.from_toml(weights)
    violations = check(inst, table)
    recomputed = score(inst, table, wts)

    # A solve that found nothing writes no objective; there is nothing to compare then.
    claimed = solved_with.get("objective")
    if claimed is not None and claimed != recomputed.objective:
        msg = f"report.json says {claimed}, the timetable scores {recomputed.objective}"
        violations.append(Violation("objective_mismatch", msg))

    terms = Table(title="Objective recomputed from assignments.csv")
    for col in ("term", "value", "weight", "weighted"):
        terms.add_column(col, justify="left" if col == "term" else "right")
    for term, value in recomputed.terms.items():
        terms.add_row(term, str(value), str(getattr(wts, term)), str(recomputed.penalties[term]))
    bold = "bold"
    terms.add_row(Text("objective", bold), "", "", Text(str(recomputed.objective), bold))
    console.print(terms)

    if not violations:
        obey = f": {len(table)} lessons obey every hard rule."
        console.print(Text.assemble(("OK", "green"), obey))
        return
    found = Table(title=f"{len(violations)} violation{'s' if len(violations) != 1 else ''}")
    for col in ("rule", "where", "problem"):
        found.add_column(col)
    for v in violations:
        where = " ".join(str(x) for x in (v.alt_id, v.school_id, v.class_, v.day) if x)
        where += f" p{v.period}" if v.period is not None else ""
        found.add_row(v.rule, Text(where), Text(v.message))
    console.print(found)
    raise typer.Exit(1)


# [calendar: calendar, ical, publish, changes, serve, tokens, backup]

StoreOption = Annotated[
    Path,
    typer.Option(
        "--store",
        envvar="ALTSCHED_STORE",
        help="SQLite store of published versions (default: $ALTSCHED_STORE or altsched.sqlite).",
    ),
]
_STORE_DEFAULT = Path("altsched.sqlite")


@app.command("calendar")
def calendar_command(
    instance: InstanceArg,
    directory: SolvedDirArg,
) -> None:
    """Turn the weekly timetable into dated lessons: DIR/lessons.csv and DIR/lost.csv."""
    from rich.table import Table

    from scheduler.calendar.term import expand, load_calendar_instance, read_assignments
    from scheduler.io.cells import frame_csv
    from scheduler.io.write import tidy_folder, write_text_atomic

    inst, warnings = load_calendar_instance(instance)
    print_warnings(warnings)
    cal = expand(inst, read_assignments(directory / "assignments.csv"))
    lost = cal.lost_frame()
    tidy_folder(directory)  # temporary files of a killed earlier run
    # Files people open in a spreadsheet: no cell may be a formula (scheduler.io.cells).
    # Each replaces the earlier one in one step: a crash or Ctrl-C never leaves half a file.
    for name, frame in (("lessons.csv", cal.lessons_frame()), ("lost.csv", lost)):
        write_text_atomic(directory / name, frame_csv(frame))
    table = Table(title=f"Term {cal.term_start} to {cal.term_end}: dated lessons per ALT")
    for col in ("ALT", "lessons", "lost to holidays", "lost to events"):
        table.add_column(col, justify="left" if col == "ALT" else "right")
    for rec in lost.to_dict("records"):
        table.add_row(*(str(rec[c]) for c in lost.columns))
    console.print(table)
    console.print(f"Wrote {directory / 'lessons.csv'} ({len(cal.lessons)} lessons) and lost.csv.")


@app.command("ical")
def ical_command(
    instance: InstanceArg,
    directory: SolvedDirArg,
) -> None:
    """Write DIR/ical/<alt_id>.ics and school-<school_id>.ics from DIR/assignments.csv."""
    from scheduler.calendar.ical import write_feeds
    from scheduler.calendar.term import load_calendar_instance, read_assignments

    inst, warnings = load_calendar_instance(instance)
    print_warnings(warnings)
    paths = write_feeds(inst, read_assignments(directory / "assignments.csv"), directory)
    console.print(f"Wrote {len(paths)} feeds to {directory / 'ical'}.")


@app.command("publish")
def publish_command(
    directory: SolvedDirArg,
    store: StoreOption = _STORE_DEFAULT,
    instance: Annotated[
        Path | None,
        typer.Option("--instance", help="The instance; default: DIR/ical/source.json."),
    ] = None,
    label: Annotated[str, typer.Option("--label", help="A note kept with the version.")] = "",
) -> None:
    """Record DIR's timetable as a new version in the store (earlier versions are kept)."""
    from scheduler.calendar.changes import changes_text, diff
    from scheduler.calendar.covers import dropped_since
    from scheduler.calendar.store import open_store, publish
    from scheduler.calendar.term import load_calendar_instance, read_assignments
    from scheduler.errors import InputIssue
    from scheduler.io.names import FEEDS_FOLDER, FEEDS_SOURCE

    source = instance or directory / FEEDS_FOLDER / FEEDS_SOURCE
    if instance is None and not source.is_file():
        msg = "is not there; run altsched ical INSTANCE DIR first, or pass --instance"
        raise InstanceError([InputIssue(f"{FEEDS_FOLDER}/{FEEDS_SOURCE}", None, None, None, msg)])
    inst, warnings = load_calendar_instance(source)
    print_warnings(warnings)
    table = read_assignments(directory / "assignments.csv")
    with open_store(store, must_exist=False) as st:
        outcome = publish(st, inst, table, label=label, source=str(directory))
        v, before = outcome.version, outcome.previous
        if not outcome.created:
            console.print(f"Nothing changed since version {v.version}; no new version.")
            return
        console.print(f"Published version {v.version} at {v.published_at:%Y-%m-%d %H:%M:%S} UTC.")
        if before is not None:  # what it was compared with, whoever published in between
            changes = diff(st.events(before.version), st.events(v.version))
            names = {a.alt_id: a.name for a in inst.alts}
            console.print(changes_text(changes, names), markup=False, end="", soft_wrap=True)
            # Covers (altsched cover) carry over; say which this timetable could not keep.
            for cover, why in dropped_since(st.covers_in_force(before.version), outcome.dropped):
                console.print(f"Cover dropped: {cover}: {why}.", soft_wrap=True)
        if outcome.applied:
            console.print(f"{len(outcome.applied)} covers kept.")


@app.command("changes")
def changes_command(
    store: StoreOption = _STORE_DEFAULT,
    old: Annotated[
        int | None, typer.Option("--from", help="Older version (default: the one before --to).")
    ] = None,
    new: Annotated[
        int | None, typer.Option("--to", help="Newer version (default: latest).")
    ] = None,
    alts: Annotated[
        list[str] | None, typer.Option("--alt", help="Only these ALTs (repeatable).")
    ] = None,
    csv: Annotated[
        Path | None, typer.Option("--csv", help="Also write one row per changed lesson here.")
    ] = None,
    messages: Annotated[
        Path | None,
        typer.Option("--messages", help="Also write <alt_id>.txt per ALT concerned, to send."),
    ] = None,
) -> None:
    """Show, per ALT, what changed between two published versions."""
    from scheduler.calendar.changes import diff
    from scheduler.calendar.store import open_store
    from scheduler.io.write import check_file_target

    if csv is not None:
        check_file_target("--csv", csv)
    with open_store(store) as st:
        frm, to = _changes_versions(st, store, old, new)
        changes = diff(st.events(frm) if frm is not None else [], st.events(to))
        names = _alt_names(st, to)
    if alts:
        changes = [c for c in changes if c.alt_id in alts]
    _show_changes(changes, names, frm, to, csv, messages)


def _changes_versions(
    st: Store, store: Path, old: int | None, new: int | None
) -> tuple[int | None, int]:
    """The versions --from and --to name (by default the latest and the one before it),
    refused when the store lacks them."""
    numbers = [v.version for v in st.versions()]
    if not numbers:
        raise InstanceError([InputIssue(str(store), None, None, None, "holds no version yet")])
    to = numbers[-1] if new is None else new
    frm = old if old is not None else max((n for n in numbers if n < to), default=None)
    for opt, n in (("--to", to), ("--from", frm)):
        if n is not None and n not in numbers:
            span = f"{numbers[0]}-{numbers[-1]}"
            msg = f"is not a version in the store ({span})"
            raise InstanceError([InputIssue(str(store), None, opt, str(n), msg)])
    return frm, to


def _alt_names(st: Store, version: int) -> dict[str, str]:
    """The ALTs' names in a version's instance; none (a warning) when it fails today's checks."""
    from pydantic import ValidationError

    try:
        inst, _ = st.source(version)
    except ValidationError as e:
        # Published before ids were checked at the door (docs/input.md, "Ids and
        # names"): the changes are still worth showing, by id.
        why = f"version {version}'s instance fails today's input checks ({e.error_count()})"
        err_console.print(Text.assemble(("warning ", "yellow"), f"{why}; ALT names left out"))
        return {}
    return {a.alt_id: a.name for a in inst.alts}


def _show_changes(
    changes: list[Change],
    names: dict[str, str],
    frm: int | None,
    to: int,
    csv: Path | None,
    messages: Path | None,
) -> None:
    """Print the changes per ALT; write the --messages and --csv files when asked for."""
    from scheduler.calendar.changes import changes_csv, changes_text, write_messages
    from scheduler.io.write import write_text_atomic
    from scheduler.text import visible

    title = f"Changes from version {frm} to {to}" if frm else f"Version {to} (everything is new)"
    # Ids from an older store may hold control characters: shown as escapes, never raw.
    text = visible(changes_text(changes, names, title), keep="\n")
    console.print(text, markup=False, end="", soft_wrap=True)
    if messages is not None:
        # One file per ALT, named through scheduler.io.names: never outside the folder.
        head = f"Timetable changes (version {frm} to {to})" if frm else f"Timetable (version {to})"
        written = write_messages(messages, changes, names, head)
        console.print(f"Wrote {len(written)} messages to {messages}.")
    if csv is not None:
        write_text_atomic(csv, changes_csv(changes))
        console.print(f"Wrote {csv} ({len(changes)} rows).")


# [replan: cover]


@app.command("cover")
def cover_command(
    instance: InstanceArg,
    directory: SolvedDirArg,
    absent: Annotated[str, typer.Option("--absent", help="The absent ALT's alt_id.")],
    first: Annotated[str, typer.Option("--date", help="First date, YYYY-MM-DD.")],
    last: Annotated[
        str | None, typer.Option("--to", help="Last date, YYYY-MM-DD (default: --date).")
    ] = None,
    store: StoreOption = _STORE_DEFAULT,
    apply: Annotated[
        bool, typer.Option("--apply", help="Record the top substitute of every lesson.")
    ] = False,
    choose: Annotated[
        list[str] | None,
        typer.Option("--choose", help="LESSON=ALT: record this pick (number or key; repeatable)."),
    ] = None,
    weights: Annotated[
        Path | None, typer.Option("--weights", help="TOML file whose cover table sets points.")
    ] = None,
    weight: Annotated[
        list[str] | None, typer.Option("--weight", help="KEY=VALUE: one point (repeatable).")
    ] = None,
    top: Annotated[int, typer.Option("--top", help="Candidates shown per lesson.", min=1)] = 5,
    csv: Annotated[
        Path | None, typer.Option("--csv", help="Also write every candidate of every lesson here.")
    ] = None,
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Also write the whole answer here as JSON.")
    ] = None,
) -> None:
    """List who can take each lesson of an absent ALT, best first; --apply or --choose
    records the cover in the store, so the feeds and altsched changes show it."""
    from scheduler.calendar.store import open_store
    from scheduler.calendar.term import load_calendar_instance
    from scheduler.io.write import check_file_target
    from scheduler.replan import cover_run as cr
    from scheduler.replan.cover import CoverWeights

    # Before anything is listed or recorded: a cover is recorded only with its files written.
    if csv is not None:
        check_file_target("--csv", csv, ("--json", json_file))
    if json_file is not None:
        check_file_target("--json", json_file)
    day1 = cr.parse_date("--date", first)
    day2 = cr.parse_date("--to", last) if last is not None else day1
    choices = cr.parse_choices(choose or [])
    points = CoverWeights.load(weights, weight or [])
    inst, warnings = load_calendar_instance(instance)
    print_warnings(warnings)
    cr.check_request(inst, absent, day1, day2)
    recording = apply or bool(choices)
    st = open_store(store, mode="write") if recording else None
    if st is None and store.exists():
        st = open_store(store)
    try:
        inputs = cr.gather(inst, directory, st, day1, day2)
        if recording and st is not None:
            cr.check_recordable(st, inputs)  # before the listing: nothing would be recorded
        if inputs.mismatch and not recording:
            note = f"{inputs.mismatch}: its covers are applied only where they fit"
            err_console.print(Text.assemble(("warning ", "yellow"), note), soft_wrap=True)
        plan = cr.make_plan(
            inputs, absent, day1, day2, points, choices, take_top=not choices or apply
        )
        cr.show(console, inst, plan, top)
        _write_cover_files(inst, plan, csv, json_file)
        if recording and st is not None:
            _record_cover(st, inst, inputs, plan, absent, directory)
    finally:
        if st is not None:
            st.close()


def _write_cover_files(
    inst: Instance, plan: CoverPlan, csv: Path | None, json_file: Path | None
) -> None:
    """Write the --csv and --json files of a cover listing, when asked for."""
    import json

    from scheduler.io.cells import frame_csv
    from scheduler.io.write import write_text_atomic

    if csv is not None:
        write_text_atomic(csv, frame_csv(plan.frame(inst)))
        console.print(f"Wrote {csv}.", soft_wrap=True)
    if json_file is not None:
        text = json.dumps(plan.as_json(inst), ensure_ascii=False, indent=1)
        write_text_atomic(json_file, text + "\n")
        console.print(f"Wrote {json_file}.", soft_wrap=True)


def _record_cover(
    st: Store,
    inst: Instance,
    inputs: CoverInputs,
    plan: CoverPlan,
    absent: str,
    directory: Path,
) -> None:
    """Record the plan's picks in the store and say what was published."""
    from scheduler.replan import cover_run as cr

    if not plan.covers():
        console.print("Nothing to record: no lesson has a substitute.")
        return
    new = plan.covers(f"cover for {absent}")
    outcome = cr.record(st, inputs, plan, new, source=str(directory))
    cr.show_recorded(console, st, inst, outcome, new)


@app.command("serve")
def serve_command(
    store: StoreOption = _STORE_DEFAULT,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", help="Port to listen on (1-65535).", min=1, max=65535)
    ] = 8000,
    miss_limit: Annotated[
        int,
        typer.Option(
            "--miss-limit",
            help="Unknown feeds an address may ask for a minute before 429s (0: no limit).",
            min=0,
        ),
    ] = 20,
) -> None:
    """Serve the latest published version at /feeds/<token>.ics (see altsched tokens)."""
    import errno

    from scheduler.calendar.server import ListenError, serve
    from scheduler.calendar.store import open_store

    open_store(store).close()  # a missing or damaged store is named before anything starts
    try:
        serve(store, host=host, port=port, miss_limit=miss_limit)
    except ListenError as e:  # the address, not the store: that one is a StoreError
        why = f"cannot be listened on: {e.strerror or e}"
        if e.errno == errno.EADDRINUSE:
            why += " (another server is there; pick another --port)"
        elif e.errno == errno.EACCES:
            why += " (ports below 1024 need privileges; pick one above)"
        raise InstanceError([InputIssue(f"{host}:{port}", None, None, None, why)]) from e


@app.command("tokens")
def tokens_command(
    store: StoreOption = _STORE_DEFAULT,
    export: Annotated[
        Path | None,
        typer.Option(
            "--export", help="Issue tokens for feeds without one; write their URLs (a new file)."
        ),
    ] = None,
    rotate: Annotated[
        list[str] | None,
        typer.Option("--rotate", help="New token for an ALT or school id (or 'all')."),
    ] = None,
    revoke: Annotated[
        list[str] | None, typer.Option("--revoke", help="Revoke an ALT's or school's tokens.")
    ] = None,
    base_url: Annotated[
        str,
        typer.Option("--base-url", envvar="ALTSCHED_BASE_URL", help="The server's public URL."),
    ] = "http://127.0.0.1:8000",
) -> None:
    """List, issue, rotate, revoke and export feed tokens (stored only as hashes).

    All changes of one command happen together or not at all: the URLs are written (or
    shown) before the tokens are saved, and a failure saves none.
    """
    from rich.table import Table

    from scheduler.calendar import tokens as tk
    from scheduler.calendar.store import open_store

    if not (revoke or rotate or export is not None):
        with open_store(store) as st:
            records = st.tokens()
        table = Table(title=f"Tokens in {store}")
        for col in ("feed", "token hash", "created", "revoked"):
            table.add_column(col)
        for t in records:
            revoked = f"{t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else ""
            table.add_row(t.feed, t.token_hash[:12], f"{t.created_at:%Y-%m-%d %H:%M}", revoked)
        console.print(table)
        return
    if export is not None:
        tk.check_export_path(export)  # before anything is issued
    written: list[Path] = []

    def deliver(done: tk.TokenChanges) -> None:
        # Runs before the commit: if the URLs cannot reach the user, no token is saved.
        for key, n in done.revoked.items():
            console.print(f"Revoked {n} token{'s' if n != 1 else ''} of {key}.")
        if export is None:
            for i in done.issued:
                console.print(f"{i.feed}: {i.url(base_url)}", markup=False, soft_wrap=True)
        elif done.issued:
            tk.export_urls(export, done.issued, done.feeds, base_url)
            written.append(export)
            console.print(f"Wrote {len(done.issued)} subscription URLs to {export}.")
        else:
            console.print(f"Every feed already has a token; {export} was not written.")
        if export is not None and done.kept:
            console.print(
                f"{len(done.kept)} feeds already had a token and are not in the file "
                "(only hashes are kept); use --rotate ID to give one a new URL."
            )

    with open_store(store, mode="write") as st:
        try:
            tk.change_tokens(
                st, revoke_ids=revoke or [], rotate_ids=rotate or [],
                export_missing=export is not None, deliver=deliver,
            )  # fmt: skip
        except BaseException:
            for path in written:  # the commit failed after the file was made: its URLs are dead
                path.unlink(missing_ok=True)
            raise


@app.command("backup")
def backup_command(
    dest: Annotated[
        str,
        typer.Argument(
            metavar="DEST", help="The backup file to write (new), or a folder for a dated one."
        ),
    ],
    store: StoreOption = _STORE_DEFAULT,
) -> None:
    """Copy the store to DEST with SQLite's online backup, safe while others use it."""
    import os

    from scheduler.calendar.store import backup, open_store

    target = Path(dest)
    # "backups/" names a folder; Path drops the slash and would write a file "backups".
    if dest.endswith(("/", os.sep)) and not target.is_dir():
        msg = "is not a folder (it does not exist); make it first, or name a file"
        raise InstanceError([InputIssue(dest, None, None, None, msg)])
    with open_store(store) as st:
        done = backup(st, target)
    latest = f"latest version {done.latest}" if done.latest is not None else "no version"
    console.print(
        f"Backed up {store} to {done.path}: {done.versions} versions ({latest}), "
        f"{done.tokens} tokens, {done.size / 1e6:.1f} MB; checked sound.",
        soft_wrap=True,
    )


# [scale: generate, export-fet]


class InstanceFormat(StrEnum):
    """Forms ``generate`` can write (the instance-format contract and its YAML/JSON twins)."""

    csv = "csv"
    xlsx = "xlsx"
    yaml = "yaml"
    json = "json"


_FORMAT_SUFFIXES: dict[InstanceFormat, tuple[str, ...]] = {
    InstanceFormat.csv: ("",),
    InstanceFormat.xlsx: (".xlsx",),
    InstanceFormat.yaml: (".yaml", ".yml"),
    InstanceFormat.json: (".json",),
}


@app.command("generate")
def generate_command(
    out: Annotated[Path, typer.Argument(help="Where to write: a folder (CSV) or a file.")],
    alts: Annotated[int, typer.Option("--alts", min=1, help="Number of ALTs.")],
    seed: Annotated[int, typer.Option("--seed", help="Random seed; same seed, same bytes.")] = 0,
    form: Annotated[
        InstanceFormat | None,
        typer.Option("--format", help="csv (folder), xlsx, yaml or json; default: OUT's suffix."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite a non-empty OUT.")] = False,
    shortage: Annotated[
        str,
        typer.Option(
            "--shortage",
            help="Share of demand the ALTs cannot give, 0.02 or 2% (at most 30%); 0: generous.",
        ),
    ] = "0",
) -> None:
    """Write a realistic random branch whose classes need about 22.5 lessons per ALT."""
    from scheduler.generate import generate_branch, parse_share
    from scheduler.io.tables import write_instance

    try:
        share = parse_share(shortage)
    except ValueError as exc:
        err_console.print(f"--shortage: {exc}")
        raise typer.Exit(EXIT_INPUT) from None

    suffix = out.suffix.lower()
    if form is None:
        by_suffix = {s: f for f, ss in _FORMAT_SUFFIXES.items() for s in ss if s}
        form = by_suffix.get(suffix, InstanceFormat.csv)
    elif form is not InstanceFormat.csv and suffix not in _FORMAT_SUFFIXES[form]:
        if suffix:
            err_console.print(f"{out}: the suffix {suffix!r} does not match --format {form.value}")
            raise typer.Exit(EXIT_INPUT)
        out = out.with_suffix(_FORMAT_SUFFIXES[form][0])
    if out.exists() and (form is InstanceFormat.csv) != out.is_dir():
        kind = "a folder" if form is InstanceFormat.csv else f"one {form.value} file"
        err_console.print(f"{out} exists and is not what {form.value} writes ({kind})")
        raise typer.Exit(EXIT_INPUT)
    if out.exists() and (out.is_file() or any(out.iterdir())) and not force:
        err_console.print(f"{out} exists and is not empty; nothing was written (use --force)")
        raise typer.Exit(EXIT_INPUT)

    drawn = generate_branch(alts, seed, shortage=share)
    inst = drawn.instance
    if form is InstanceFormat.csv:
        # A folder named like "run.v2" would otherwise be taken for a file with a suffix.
        out.mkdir(parents=True, exist_ok=True)
    write_instance(inst, out)
    n_jh = sum(s.level == "junior_high" for s in inst.schools)
    console.print(
        f"wrote {out}: {len(inst.schools) - n_jh} elementary and {n_jh} junior high schools, "
        f"{len(inst.classes)} classes needing {inst.need()} lessons a week, {len(inst.alts)} ALTs",
        soft_wrap=True,
    )
    if drawn.shortage is not None:
        console.print(drawn.shortage.describe(), soft_wrap=True)


@app.command("export-fet")
def export_fet_command(
    instance: InstanceArg,
    directory: Annotated[
        Path, typer.Argument(metavar="DIR", help="Output folder of a solve (assignments.csv).")
    ],
    out: Annotated[Path, typer.Argument(metavar="OUT.fet", help="The FET file to write.")],
) -> None:
    """Write the solve's ALT-to-class choice as a FET file, so FET places the same lessons."""
    from scheduler.io.fet import write_fet
    from scheduler.io.read import load_instance
    from scheduler.validate import read_assignments

    inst, warnings = load_instance(instance)
    print_warnings(warnings)
    table = read_assignments(directory / "assignments.csv")
    write_fet(inst, table, out)
    console.print(f"wrote {out}: {len(table)} activities for {len(inst.alts)} ALTs")


# [planners: report]


@app.command("report")
def report_command(
    directory: SolvedDirArg,
    instance: Annotated[
        Path | None,
        typer.Option("--instance", help="The branch; default: DIR/ical/source.json."),
    ] = None,
) -> None:
    """Write DIR/report.html and DIR/report.xlsx: KPIs, figures and every grid, to print."""
    from scheduler.errors import InputIssue
    from scheduler.io.names import FEEDS_FOLDER, FEEDS_SOURCE
    from scheduler.io.read import load_instance
    from scheduler.io.report import write_report

    if not directory.is_dir():
        issue = InputIssue(directory.as_posix(), None, None, None, "is not a folder")
        raise InstanceError([issue])
    source = instance or directory / FEEDS_FOLDER / FEEDS_SOURCE
    if instance is None and not source.is_file():
        # Feeds (and the instance beside them) are written only for a branch with term dates.
        msg = "is not there (a branch without term dates has no feeds); pass --instance BRANCH"
        raise InstanceError([InputIssue(source.as_posix(), None, None, None, msg)])
    inst, warnings = load_instance(source)
    print_warnings(warnings)
    written = write_report(directory, inst)
    console.print(f"Wrote {' and '.join(p.as_posix() for p in written)}.", soft_wrap=True)


# [explain: explain]


class WhatIfBaseline(StrEnum):
    """What a what-if is compared with."""

    dir = "dir"
    resolve = "resolve"


# Explain's longer options, named here so that the command reads as what it does.
_ExplainTarget = Annotated[
    Path,
    typer.Argument(
        metavar="BRANCH|DIR",
        help="The branch (CSV folder, .xlsx, YAML/JSON), or a solve's output folder alone.",
    ),
]
_ExplainInstance = Annotated[
    Path | None,
    typer.Option(
        "--instance",
        help="The branch, when only DIR is given (default: DIR/ical/source.json).",
    ),
]
_ExplainBaseline = Annotated[
    WhatIfBaseline,
    typer.Option(
        "--baseline",
        help="What-if compared with DIR's timetable, or with a search of the same length "
        "without the restriction (resolve: twice the time, no search noise).",
    ),
]


@app.command("explain")
def explain_command(
    target: _ExplainTarget,
    directory: Annotated[
        Path | None,
        typer.Argument(metavar="[DIR]", help="Output folder of a solve of BRANCH."),
    ] = None,
    instance_opt: _ExplainInstance = None,
    alt: Annotated[
        str | None, typer.Option("--alt", help="Costs and reasons of this ALT.")
    ] = None,
    school: Annotated[
        str | None, typer.Option("--school", help="Costs and reasons of this school.")
    ] = None,
    max_schools: Annotated[
        int | None,
        typer.Option("--max-schools", min=0, help="What if --alt taught at most N schools."),
    ] = None,
    without_school: Annotated[
        list[str] | None,
        typer.Option("--without-school", help="What if --alt never went to this school."),
    ] = None,
    day_off: Annotated[
        list[str] | None, typer.Option("--day-off", help="What if --alt were off this day.")
    ] = None,
    time_limit: Annotated[
        float,
        typer.Option("--time-limit", min=0.1, max=MAX_TIME_LIMIT, help="Seconds of the what-if."),
    ] = 20.0,
    weights: Annotated[
        Path | None,
        typer.Option("--weights", help="TOML file of weights (default: those in report.json)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the what-if's timetable here (else nothing)."),
    ] = None,
    baseline: _ExplainBaseline = WhatIfBaseline.dir,
) -> None:
    """Why lessons are unmet and ALTs under floor; what each soft goal costs, for whom; what if.

    BRANCH alone: what no timetable can meet (counting only, no search). With DIR: the
    reasons for that timetable's unmet lessons and ALTs under floor, and its costs.
    --alt/--school: one ALT's or school's costs. --max-schools, --without-school, --day-off
    (with --alt): re-solve so restricted and compare term by term (docs/explain.md).
    """
    from scheduler.explain.whatif import Restriction
    from scheduler.io.read import load_instance

    directory, source = _explain_source(target, directory, instance_opt)
    inst, warnings = load_instance(source)
    print_warnings(warnings)
    restricting = max_schools is not None or bool(without_school) or bool(day_off)
    _check_explain_options(inst, alt, school, restricting, directory)
    if directory is None:
        _say(_capacity_lines(inst, alt, school))
        return
    lessons, table, wts = _read_explained(inst, directory, weights)
    if restricting:
        assert alt is not None
        if out is not None and out.resolve() == directory.resolve():
            # The what-if is a hypothesis: it must never take the place of the timetable it is
            # compared with (which the OUT.new rule alone would allow when equally complete).
            msg = "is DIR, the timetable the what-if is compared with; name another folder"
            raise InstanceError([InputIssue("--out", None, None, str(out), msg)])
        restriction = Restriction(
            alt, max_schools, tuple(without_school or ()), tuple(day_off or ())
        )
        _run_whatif(inst, lessons, restriction, wts, time_limit, baseline, out)
        return
    where = f"{directory}" if directory == target else f"{target} {directory}"
    where += f" --instance {instance_opt}" if instance_opt is not None else ""
    _say(_explained_lines(inst, table, lessons, wts, alt, school, where))


def _say(lines: list[str]) -> None:
    for line in lines:
        console.print(line, soft_wrap=True)


def _explain_source(
    target: Path, directory: Path | None, instance_opt: Path | None
) -> tuple[Path | None, Path]:
    """The timetable folder (if any) and the branch file that ``explain`` reads: DIR alone
    names its branch in its feeds' source.json, unless --instance names it."""
    from scheduler.io.names import FEEDS_FOLDER, FEEDS_SOURCE

    if directory is not None or not (target / "assignments.csv").is_file():
        return directory, target
    source = instance_opt or target / FEEDS_FOLDER / FEEDS_SOURCE
    if instance_opt is None and not source.is_file():
        msg = "is not there (a branch without term dates has no feeds); pass --instance BRANCH"
        raise InstanceError([InputIssue(source.as_posix(), None, None, None, msg)])
    return target, source


def _check_explain_options(
    inst: Instance, alt: str | None, school: str | None, restricting: bool, directory: Path | None
) -> None:
    """Refuse an --alt or --school the branch lacks, and a what-if without --alt or DIR."""
    for opt, known, value in (
        ("--alt", inst.alt_by_id, alt),
        ("--school", inst.school_by_id, school),
    ):
        if value is not None and value not in known:
            raise InstanceError([InputIssue(opt, None, None, value, "is not in the branch")])
    if restricting and (alt is None or directory is None):
        msg = "needs --alt and DIR (the timetable to compare with)"
        raise InstanceError(
            [InputIssue("--max-schools/--without-school/--day-off", None, None, None, msg)]
        )


def _capacity_lines(inst: Instance, alt: str | None, school: str | None) -> list[str]:
    """What no timetable of the branch can meet (counting only), about --alt/--school."""
    from scheduler.explain import capacity_reasons, show

    reasons = capacity_reasons(inst)
    if alt is not None or school is not None:
        reasons = show.reasons_about(reasons, alt_id=alt, school_id=school)
    return show.capacity_lines(reasons)


def _read_explained(
    inst: Instance, directory: Path, weights: Path | None
) -> tuple[list[Lesson], pd.DataFrame, Weights]:
    """DIR's lessons and assignments, warned about when they break hard rules, and the
    weights to cost them by (--weights, else those report.json recorded)."""
    from scheduler.config import Weights
    from scheduler.explain import show
    from scheduler.validate import check

    table, lessons, recorded = show.read_timetable(directory)
    show.check_same_branch(inst, table, directory)
    broken = check(inst, table)
    if broken:
        rules = f"{len(broken)} hard rule{'s' if len(broken) != 1 else ''}"
        said = f"{directory}/assignments.csv breaks {rules} (altsched check)"
        err_console.print(Text.assemble(("warning ", "yellow"), f"{said}; explained as it is"))
    wts = Weights.model_validate({**Weights.default().model_dump(), **recorded})
    if weights is not None:
        wts = Weights.from_toml(weights)
    return lessons, table, wts


def _explained_lines(
    inst: Instance,
    table: pd.DataFrame,
    lessons: list[Lesson],
    wts: Weights,
    alt: str | None,
    school: str | None,
    where: str,
) -> list[str]:
    """The reasons and costs of a timetable, or of one ALT or school in it; for an ALT at
    several schools, the what-if command that prices one school fewer (where: its DIR)."""
    from scheduler.explain import show
    from scheduler.explain.penalties import breakdown
    from scheduler.explain.timetable import explain_timetable

    costs = breakdown(inst, table, wts)
    why = explain_timetable(inst, lessons)
    if alt is None and school is None:
        return show.explanation_lines(inst, why) + show.terms_lines(costs.totals(), wts)
    lines = show.focus_lines(inst, costs, wts, why, alt_id=alt, school_id=school)
    schools = len(costs.alt(alt)["schools"]) if alt is not None else 0
    if schools > 1:
        ask = f"altsched explain {where} --alt {alt} --max-schools {schools - 1}"
        lines = [*lines, f"What {schools - 1} schools would cost: {ask}"]
    return lines


def _run_whatif(
    inst: Any,
    lessons: Any,
    restriction: Any,
    wts: Any,
    time_limit: float,
    baseline: WhatIfBaseline,
    out: Path | None,
) -> None:
    """Re-solve with the restriction, print the comparison, write it only with --out."""
    from scheduler.config import SolverParams
    from scheduler.explain.show import whatif_lines
    from scheduler.explain.whatif import what_if
    from scheduler.io.write import refusal

    if out is not None and (why_not := refusal(out)) is not None:  # before the search
        raise InstanceError([InputIssue(out.as_posix(), None, None, None, why_not)])
    params = SolverParams.default(time_limit=time_limit)
    resolve = baseline is WhatIfBaseline.resolve
    twice = " twice, with and without" if resolve else ""
    console.print(f"Solving{twice} {restriction.describe()} ({time_limit:g} s) ...")
    answer = what_if(inst, lessons, restriction, wts, params, resolve_baseline=resolve)
    for line in whatif_lines(inst, answer):
        console.print(line, soft_wrap=True)
    if out is not None:
        _write_whatif(inst, answer.result, wts, out)
    if answer.violations:  # only through a bug: say so, never hide it
        for v in answer.violations:
            console.print(f"  broken: {v}", soft_wrap=True)
        raise typer.Exit(1)


def _write_whatif(inst: Any, result: Any, wts: Any, out: Path) -> None:
    """Write a what-if's timetable through the normal writer, by the OUT.new rule."""
    from scheduler.io.write import keep_reason, new_sibling, write_outputs
    from scheduler.validate import score

    scored = score(inst, result.assignments, wts)
    kept = keep_reason(out, result.status, len(result.lessons))
    dest = out if kept is None else new_sibling(out)
    write_outputs(inst, result, scored.kpis, scored.unmet, dest)
    if kept is None:
        console.print(f"Wrote {out}/", soft_wrap=True)
    else:
        err_console.print(f"{out}/ kept: {kept}; the what-if is in {dest}/", soft_wrap=True)


def main() -> None:
    """Entry point of the console script: input errors exit 2, never with a traceback."""
    from scheduler.budget import process_started

    try:
        # This process is the command: its time limit counts from the process's start.
        app(obj={"started": process_started()})
    except InstanceError as e:
        report_input_errors(e)
        sys.exit(EXIT_INPUT)
    except OSError as e:  # a path that cannot be read or written: the user's to fix
        where = f"{e.filename}: " if e.filename else ""
        err_console.print(Text.assemble(("error ", "bold red"), f"{where}{e.strerror or e}"))
        sys.exit(EXIT_INPUT)


if __name__ == "__main__":
    main()
