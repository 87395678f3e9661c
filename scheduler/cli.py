"""The ``altsched`` command line. Thin: every command calls the library.

Input problems print one line each (file, row, column, value) and exit with status 2;
violations found by ``check`` exit with status 1.
"""

from __future__ import annotations

import sys
from enum import StrEnum
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
) -> None:
    """Write a realistic random branch whose classes need about 22.5 lessons per ALT."""
    from scheduler.generate import generate
    from scheduler.io.tables import write_instance

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

    inst = generate(alts, seed)
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


def main() -> None:
    """Entry point of the console script: input errors exit 2, never with a traceback."""
    try:
        app()
    except InstanceError as e:
        report_input_errors(e)
        sys.exit(EXIT_INPUT)


if __name__ == "__main__":
    main()
