"""The table of hostile cases (bench/hostile_cases.py) is well-formed; no case is run here.

The replay (``bench/hostile.py``) drives the command line for minutes; these checks only keep
its table honest: unique ids, every class of fault covered, every named case of issue 29
present, and every step, run and check one the replay knows how to carry out.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from dataclasses import fields, is_dataclass
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import hostile  # noqa: E402
import hostile_cases as hc  # noqa: E402

# The cases issue 29 names, and those it lists as already passing: removing one is a
# regression of the table, not a tidy-up.
NAMED = [
    "paths-messages-dotdot",  # 29.1: changes --messages with ../../../escape
    "csv-stray-quote",  # 29.2: classes.csv row 170
    "csv-unclosed-last",  # 29.2: unclosed quote on the last row
    "csv-big-cell",  # 29.2: a cell over 128 KB
    "csv-semicolon",  # 29.2: ;-separated
    "csv-tab",  # 29.2: TAB-separated
    "bounds-yaml-bomb",  # 29.3: alias bomb
    "bounds-50mb-classes",  # 29.3: 50 MB classes.csv
    "empty-alts",  # 29.4: header-only alts.csv
    "empty-classes",  # 29.4: header-only classes.csv
    "empty-schools",  # 29.4: header-only schools.csv
    "empty-failed-run-keeps-out",  # 29.4: a failed run never replaces a good --out
    "store-publish-while-publish",  # 29.5: two writers
    "store-tokens-while-publish",  # 29.5: tokens during a publish
    "store-export-missing-folder",  # 29.5: --export into a missing folder, then again
    "outputs-alt-hyperlink",  # 29.6: =HYPERLINK(...) id
    "outputs-alt-plus",  # 29.6: +1 id
    "outputs-alt-minus",  # 29.6: -1 id
    "outputs-alt-at",  # 29.6: @SUM id
    "outputs-formula-alt-name",  # 29.6: a formula name reaches no CSV as a formula
    "outputs-control-name-esc",  # 29.6: terminal escapes in a name
    "outputs-control-name-nul",  # 29.6: NUL in a name
    "signals-term-search",  # 29.7: SIGTERM during the search
    "signals-stale-tmp",  # 29.7: stale .DIR.tmp-* cleaned
    "server-port-99999",  # 29.8
    "server-methods-405",  # 29.8: non-GET on /feeds
    "server-probing-429",  # 29.8: token probing rate limit
    "encoding-bom",  # kept passing: UTF-8 BOM
    "encoding-crlf",  # kept passing: CRLF
    "encoding-cp932",  # kept passing: Shift-JIS
    "encoding-fullwidth-need",  # kept passing: full-width digits
    "injection-html-script",  # kept passing: <script> escaped
    "injection-ical-crlf-json",  # kept passing: iCal injection adds no event
    "values-weights-syntax",  # kept passing: bad TOML
    "files-xlsx-formula",  # kept passing: xlsx formula cells
    "files-xlsx-truncated",  # kept passing: truncated xlsx
    "writes-concurrent-solves",  # kept passing: concurrent writes
]
PLACEHOLDERS = {"root", "branch", "out", "written", "store", "port", "feed", "junk"}
PREREQUISITES = {"good", "greedy", "published", "tokens", "big120", "big250"}


def test_ids_are_unique() -> None:
    twice = [i for i, n in Counter(c.id for c in hc.CASES).items() if n > 1]
    assert twice == []


def test_every_class_is_covered_and_named_by_the_id() -> None:
    by_class = Counter(c.cls for c in hc.CASES)
    assert set(by_class) == set(hc.CLASSES), "a class without cases, or a case without a class"
    assert all(c.id.startswith(c.cls + "-") for c in hc.CASES)
    assert min(by_class.values()) >= 3  # a class is its case and neighbours
    assert len(hc.CASES) >= 90


def test_the_named_cases_are_present() -> None:
    ids = {c.id for c in hc.CASES}
    assert [n for n in NAMED if n not in ids] == []


def test_every_store_command_meets_every_damage() -> None:
    ids = {c.id for c in hc.CASES}
    assert {f"store-{d}-{c}" for d in hc.DAMAGE for c in hc.STORE_COMMANDS} <= ids
    assert set(hc.STORE_COMMANDS) == {"publish", "changes", "tokens", "export", "serve", "backup"}


@pytest.mark.parametrize("case", hc.CASES, ids=lambda c: c.id)
def test_case_is_well_formed(case: hc.Case) -> None:
    assert case.what and "\n" not in case.what
    assert case.run and case.expect
    commands = sum(_commands(r) for r in case.run)
    for check in case.expect:
        if isinstance(check, hc.Exit):
            assert check.codes and (check.step is None or check.step < commands)
    serves = any(isinstance(r, hc.Serve) for r in case.run)
    assert serves == any(isinstance(c, hc.Http) for c in case.expect)
    for need in (s for s in case.build if isinstance(s, hc.Need)):
        assert need.what in PREREQUISITES
    assert _placeholders(case) <= PLACEHOLDERS


@pytest.mark.parametrize("case", hc.CASES, ids=lambda c: c.id)
def test_the_replay_knows_every_step_run_and_check(case: hc.Case) -> None:
    script = [i for r in case.run if isinstance(r, hc.Serve) for i in r.script]
    steps = [*case.build, *(i for i in script if not isinstance(i, hc.Request))]
    for step in steps:
        assert type(step) in hostile.build.registry, type(step).__name__
    for run in case.run:
        assert type(run) in hostile.execute.registry, type(run).__name__
    for check in case.expect:
        assert type(check) in hostile.verify.registry, type(check).__name__
        assert str(check), "every check says what it expects"
    for prerequisite in PREREQUISITES:
        assert hasattr(hostile.Prereqs, f"_{prerequisite}")


def _commands(run: hc.Run) -> int:
    return len(run.cmds) if isinstance(run, hc.Together) else 1


def _placeholders(case: hc.Case) -> set[str]:
    """The {names} in the case's commands and checks (step texts may hold braces of YAML)."""
    texts: list[str] = []
    for item in [*case.run, *case.expect]:
        texts += _strings(item)
    return {m for t in texts for m in re.findall(r"\{(\w+)\}", t)}


def _strings(item: object) -> list[str]:
    if isinstance(item, str):
        return [item]
    if isinstance(item, tuple):
        return [s for x in item for s in _strings(x)]
    if is_dataclass(item) and not isinstance(item, type):
        return [s for f in fields(item) for s in _strings(getattr(item, f.name))]
    return []
