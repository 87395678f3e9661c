"""The ``altsched`` command line. Thin: every command calls the library.

Input problems print one line each (file, row, column, value) and exit with status 2;
violations found by ``check`` exit with status 1.
"""

from __future__ import annotations

import sys

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
