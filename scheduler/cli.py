"""The ``altsched`` command line. Thin: every command calls the library.

Input problems print one line each (file, row, column, value) and exit with status 2;
violations found by ``check`` exit with status 1.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from scheduler.errors import InstanceError

app = typer.Typer(
    name="altsched",
    help="Timetables for Assistant Language Teachers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

EXIT_INPUT = 2


def report_input_errors(e: InstanceError) -> None:
    """Print every input problem, one per line, on stderr."""
    n = len(e.issues)
    err_console.print(f"[bold red]{n} input error{'s' if n != 1 else ''}[/]; nothing was written:")
    for issue in e.issues:
        err_console.print(f"  {issue}", markup=False)


# ---- commands: each block below belongs to one area; keep edits inside your block ----------

# [core: solve, check]


@app.command("check")
def check_command(
    instance: Annotated[
        Path, typer.Argument(metavar="INSTANCE", help="A CSV folder, .xlsx or YAML/JSON file.")
    ],
    directory: Annotated[
        Path, typer.Argument(metavar="DIR", help="Output folder holding assignments.csv.")
    ],
    weights: Annotated[
        Path | None, typer.Option("--weights", help="TOML file of objective weights.")
    ] = None,
) -> None:
    """Check DIR/assignments.csv against every hard rule and recompute its objective."""
    import json

    from rich.table import Table
    from rich.text import Text

    from scheduler.config import Weights
    from scheduler.errors import InputIssue
    from scheduler.io.read import load_instance
    from scheduler.validate import Violation, check, read_assignments, score

    inst, warnings = load_instance(instance)
    for w in warnings:
        err_console.print(f"[yellow]warning[/] {w}", highlight=False)
    table = read_assignments(directory / "assignments.csv")
    wts = Weights.default() if weights is None else Weights.from_toml(weights)
    violations = check(inst, table)
    recomputed = score(inst, table, wts)

    report = directory / "report.json"
    if report.exists():
        try:
            claimed = json.loads(report.read_text(encoding="utf-8")).get("objective")
        except (OSError, ValueError, AttributeError) as e:
            issue = InputIssue(report.name, None, None, None, f"cannot be read as JSON: {e}")
            raise InstanceError([issue]) from e
        # A solve that found nothing writes no objective; there is nothing to compare then.
        if claimed is not None and claimed != recomputed.objective:
            msg = f"report.json says {claimed}, the timetable scores {recomputed.objective}"
            violations.append(Violation("objective_mismatch", msg))

    terms = Table(title="Objective recomputed from assignments.csv")
    for col in ("term", "value", "weight", "weighted"):
        terms.add_column(col, justify="left" if col == "term" else "right")
    for term, value in recomputed.terms.items():
        terms.add_row(term, str(value), str(getattr(wts, term)), str(recomputed.penalties[term]))
    terms.add_row("[bold]objective[/]", "", "", f"[bold]{recomputed.objective}[/]")
    console.print(terms)

    if not violations:
        console.print(f"[green]OK[/]: {len(table)} lessons obey every hard rule.")
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


# [calendar: calendar, ical, publish, changes, serve, tokens]

# [scale: generate, export-fet]


def main() -> None:
    """Entry point of the console script: input errors exit 2, never with a traceback."""
    try:
        app()
    except InstanceError as e:
        report_input_errors(e)
        sys.exit(EXIT_INPUT)


if __name__ == "__main__":
    main()
