"""The table of hostile cases replayed by ``bench/hostile.py`` (issue 29, docs/hostile.md).

One :class:`Case` per entry: an id, its class of fault (:data:`CLASSES`), one line saying
what it does, how its input is built from a copy of ``instances/demo``, the ``altsched``
command(s) it runs, and what must happen. This module is data only: the vocabulary below
describes steps and checks; ``bench/hostile.py`` carries them out. Nothing here imports the
package: the replay drives the installed command line, as a user would.

Paths in steps are relative to the case's own temporary folder, where ``branch/`` is the
copy of the demo. In commands and checks these placeholders are filled in:

``{root}``     the case's folder (also the working directory of every command)
``{branch}``   the branch: ``{root}/branch``, or the file a :class:`Form` step made of it
``{out}``      ``{root}/out``
``{written}``  ``{out}`` if it exists, else ``{out}.new`` (where a less complete run writes)
``{store}``    ``{root}/store.sqlite``
``{port}``     a free port on 127.0.0.1, chosen for the case
``{feed}``     the path of a live feed (``/feeds/<token>.ics``), after ``Need("tokens")``
``{junk}``     a fresh random token's path, different at every use

Every case also requires that neither stdout nor stderr shows a Python traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeAlias

# ---- the vocabulary: how an input is built --------------------------------------------------


@dataclass(frozen=True)
class Edit:
    """Replace ``old`` by ``new`` in a text file (every occurrence when ``count`` is 0)."""

    file: str
    old: str
    new: str
    count: int = 1


@dataclass(frozen=True)
class Row:
    """Replace line ``row`` (the spreadsheet's row number: the header is 1) of a file."""

    file: str
    row: int
    text: str


@dataclass(frozen=True)
class Cell:
    """Set one cell of a CSV file, quoted as Python's csv module quotes it."""

    file: str
    row: int
    column: str
    value: str


@dataclass(frozen=True)
class Rename:
    """Rename an id in every CSV file under ``branch/`` and in ``also`` (cells equal to it)."""

    old: str
    new: str
    also: tuple[str, ...] = ()


@dataclass(frozen=True)
class Write:
    """Write a file whole: text (UTF-8) or bytes. Missing folders are made."""

    file: str
    data: str | bytes


@dataclass(frozen=True)
class HeaderOnly:
    """Keep only the header row of a CSV file."""

    file: str


@dataclass(frozen=True)
class Recode:
    """Save a UTF-8 text file in another encoding (``cp932``, ``utf-16``, ``utf-8-sig`` ...)."""

    file: str
    encoding: str


@dataclass(frozen=True)
class LineEnds:
    """Give every line of the matching files this ending (``\\r\\n``, ``\\r``)."""

    ending: str
    files: str = "branch/*.csv"


@dataclass(frozen=True)
class Delimit:
    """Save a CSV file with another separator (``;`` or a tab), as a European Excel does."""

    file: str
    delimiter: str


@dataclass(frozen=True)
class Grow:
    """Append rows made from ``row`` (``{n}`` counts up) until the file holds ``megabytes``."""

    file: str
    megabytes: float
    row: str


@dataclass(frozen=True)
class Widen:
    """Append ``columns`` more column names to the header row of a CSV file (rows unchanged)."""

    file: str
    columns: int


@dataclass(frozen=True)
class Move:
    """Move a file or folder to ``to``."""

    path: str
    to: str


@dataclass(frozen=True)
class Remove:
    """Delete a file or folder, if it is there."""

    path: str


@dataclass(frozen=True)
class MakeDir:
    """Make a folder (and its parents)."""

    path: str


@dataclass(frozen=True)
class Link:
    """Make ``path`` a symbolic link to ``target`` (relative targets as written)."""

    path: str
    target: str


@dataclass(frozen=True)
class Chmod:
    """Change a file's permission bits."""

    path: str
    mode: int


@dataclass(frozen=True)
class Age:
    """Set the modification time of a path and everything under it ``hours`` into the past."""

    path: str
    hours: float


@dataclass(frozen=True)
class Form:
    """Turn ``branch/`` into one ``branch.yaml``, ``.json`` or ``.xlsx``; ``{branch}`` names it.

    Every value is written as text, records in the CSV column order, so that an ``Edit`` can
    find ``"co_teacher": "Sato Yuki"`` in the YAML or JSON.
    """

    suffix: str


@dataclass(frozen=True)
class SheetCell:
    """Set one cell of a sheet of a workbook (a text starting with ``=`` is a formula)."""

    file: str
    sheet: str
    ref: str
    value: str


@dataclass(frozen=True)
class Cut:
    """Keep only the first ``fraction`` of a file's bytes (a truncated copy or download)."""

    file: str
    fraction: float


@dataclass(frozen=True)
class Overwrite:
    """Overwrite ``length`` bytes from ``start`` (to the end when None) with seeded junk."""

    file: str
    start: int = 0
    length: int | None = None


@dataclass(frozen=True)
class Need:
    """Copy a prerequisite that the replay makes once, with the command line, to ``to``.

    ``good``: ``solve instances/demo`` with a long enough limit to give every lesson.
    ``greedy``: ``solve instances/demo --method greedy`` (fewer lessons, another timetable).
    ``published``: a store holding ``good`` as version 1, no tokens.
    ``tokens``: ``published`` with a token for every feed; sets ``{feed}``.
    ``big120`` / ``big250``: ``generate --alts 120 / 250 --seed 1``.
    """

    what: str
    to: str


@dataclass(frozen=True)
class Hold:
    """Another program holds the SQLite file's write lock (BEGIN IMMEDIATE) for ``seconds``.

    The lock is taken before the case's commands start, by a connection of the replay's own.
    """

    file: str
    seconds: float


@dataclass(frozen=True)
class Wait:
    """Let ``seconds`` pass (in a server script: time for the server to notice a change)."""

    seconds: float


@dataclass(frozen=True)
class Occupy:
    """Listen on ``{port}`` while the case runs, so that the port is taken."""


Step: TypeAlias = (
    Edit | Row | Cell | Rename | Write | HeaderOnly | Recode | LineEnds | Delimit | Grow
    | Widen | Move | Remove | MakeDir | Link | Chmod | Age | Form | SheetCell | Cut | Overwrite
    | Need | Hold | Wait | Occupy
)  # fmt: skip

# ---- what runs


@dataclass(frozen=True)
class Cmd:
    """One ``altsched`` command: killed after ``timeout`` s or above ``kill_mb`` of memory.

    ``env``: variables set for it (every other ``ALTSCHED_*`` of the caller is removed).
    """

    args: tuple[str, ...]
    timeout: float = 60.0
    kill_mb: int = 3000
    env: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Together:
    """Commands started ``stagger`` seconds apart and running at the same time."""

    cmds: tuple[Cmd, ...]
    stagger: float = 2.0


@dataclass(frozen=True)
class Interrupt:
    """Run a command; ``delay`` s after ``after`` shows on its stdout, send it ``signal``.

    With ``appears`` (a glob) the signal follows the first path matching it instead: the
    temporary folder of a write shows that the outputs are being written.
    """

    cmd: Cmd
    signal: str  # TERM, INT or KILL
    after: str = ""
    delay: float = 2.0
    appears: str = ""


@dataclass(frozen=True)
class Request:
    """One HTTP request (or ``repeat`` of them) to the server, and the statuses allowed.

    With ``any_of_them`` one of the repeated answers must have an allowed status (a rate limit
    that starts after some requests); otherwise every answer must.
    """

    method: str
    path: str
    status: tuple[int, ...]
    repeat: int = 1
    any_of_them: bool = False


@dataclass(frozen=True)
class Serve:
    """Start ``altsched serve`` on ``{port}``, play the script, then always stop the server.

    The script holds requests and steps (a step there damages the store mid-run).
    """

    script: tuple[Request | Step, ...]
    store: str = "{store}"


Run: TypeAlias = Cmd | Together | Interrupt | Serve

# ---- what must happen -----------------------------------------------------------------------


@dataclass(frozen=True)
class Exit:
    """The exit status is one of ``codes`` (for command ``step`` only, counted from 0)."""

    codes: tuple[int, ...]
    step: int | None = None

    def __str__(self) -> str:
        where = "" if self.step is None else f" (command {self.step + 1})"
        return f"exit {'/'.join(map(str, self.codes))}{where}"


@dataclass(frozen=True)
class Says:
    """Every text appears on stdout or stderr (case is ignored)."""

    texts: tuple[str, ...]

    def __str__(self) -> str:
        return "says " + ", ".join(repr(t) for t in self.texts)


@dataclass(frozen=True)
class ReadOrRefused:
    """Either read as meant (exit 0), or refused (exit 2) with a message naming every text.

    For input a person may mean (a full-width digit typed with the IME on): reading it as
    the digit and refusing it with its place named are both clean; a misreading is not.
    """

    texts: tuple[str, ...]

    def __str__(self) -> str:
        return "exit 0, or exit 2 naming " + ", ".join(repr(t) for t in self.texts)


@dataclass(frozen=True)
class Never:
    """No text appears on stdout or stderr (case is ignored)."""

    texts: tuple[str, ...]

    def __str__(self) -> str:
        return "never says " + ", ".join(repr(t) for t in self.texts)


@dataclass(frozen=True)
class NoControl:
    """No control character (other than tab and line ends) on the terminal or in the files.

    ``path`` empty: stdout and stderr; else every file under the path.
    """

    path: str = ""

    def __str__(self) -> str:
        return f"no control characters in {self.path or 'the terminal output'}"


@dataclass(frozen=True)
class Unchanged:
    """The path (a file or a whole folder, links included) is byte for byte as before."""

    path: str

    def __str__(self) -> str:
        return f"{self.path} unchanged"


@dataclass(frozen=True)
class Changed:
    """The path's content differs from before."""

    path: str

    def __str__(self) -> str:
        return f"{self.path} replaced"


@dataclass(frozen=True)
class Absent:
    """Nothing matches the path (a glob) afterwards."""

    path: str

    def __str__(self) -> str:
        return f"no {self.path}"


@dataclass(frozen=True)
class Present:
    """Something matches the path (a glob) afterwards."""

    path: str

    def __str__(self) -> str:
        return f"{self.path} exists"


@dataclass(frozen=True)
class Inside:
    """Files written under ``within`` are all inside ``folder``."""

    folder: str
    within: str = "{root}"

    def __str__(self) -> str:
        return f"files stay inside {self.folder}"


@dataclass(frozen=True)
class Bounded:
    """Peak memory of the command's processes and its wall time stay below the caps."""

    mb: float | None = None
    seconds: float | None = None

    def __str__(self) -> str:
        caps = [f"peak < {self.mb:g} MB" if self.mb else ""]
        caps.append(f"< {self.seconds:g} s" if self.seconds else "")
        return ", ".join(c for c in caps if c)


@dataclass(frozen=True)
class Valid:
    """``altsched check {branch} DIR`` accepts the timetable written to DIR."""

    out: str = "{written}"

    def __str__(self) -> str:
        return f"{self.out} passes altsched check"


@dataclass(frozen=True)
class Holds:
    """Some file matching the glob holds the text."""

    glob: str
    text: str

    def __str__(self) -> str:
        return f"{self.glob} holds {self.text!r}"


@dataclass(frozen=True)
class Lacks:
    """No file matching the glob holds the text."""

    glob: str
    text: str

    def __str__(self) -> str:
        return f"{self.glob} lacks {self.text!r}"


@dataclass(frozen=True)
class NoFormula:
    """No spreadsheet formula in the files matching the glob.

    CSV: no cell starts with = + - @ tab or CR (numbers aside). Workbook: no formula cell.
    """

    glob: str

    def __str__(self) -> str:
        return f"no formula cells in {self.glob}"


@dataclass(frozen=True)
class CsvShape:
    """Every CSV file matching the glob parses with the same number of cells on every row."""

    glob: str

    def __str__(self) -> str:
        return f"{self.glob} rows keep their columns"


@dataclass(frozen=True)
class Events:
    """Every iCal file matching the glob parses, and no event's SUMMARY is ``forbidden``.

    ``names``: texts that must come back whole from some calendar's parsed X-WR-CALNAME.
    """

    glob: str
    forbidden: str = "injected"
    names: tuple[str, ...] = ()

    def __str__(self) -> str:
        back = ", names round-trip" if self.names else ""
        return f"{self.glob} parse, no extra events{back}"


@dataclass(frozen=True)
class Xml:
    """The file is well-formed XML."""

    path: str

    def __str__(self) -> str:
        return f"{self.path} is well-formed XML"


@dataclass(frozen=True)
class Rows:
    """The CSV files hold at least ``at_least`` data rows between them (missing ones count 0)."""

    paths: tuple[str, ...]
    at_least: int

    def __str__(self) -> str:
        return f">= {self.at_least} rows in {' + '.join(self.paths)}"


@dataclass(frozen=True)
class Http:
    """Every request of the :class:`Serve` script got an allowed status."""

    def __str__(self) -> str:
        return "HTTP statuses as listed"


Check: TypeAlias = (
    Exit | Says | ReadOrRefused | Never | NoControl | Unchanged | Changed | Absent | Present
    | Inside | Bounded | Valid | Holds | Lacks | NoFormula | CsvShape | Events | Xml | Rows
    | Http
)  # fmt: skip


@dataclass(frozen=True)
class Case:
    """One hostile case: build the input, run the command(s), check what happened."""

    id: str
    cls: str
    what: str
    build: tuple[Step, ...]
    run: tuple[Run, ...]
    expect: tuple[Check, ...]
    skip_as_root: str = ""  # why the case means nothing when run as root (root reads anyway)
    slow: bool = False  # replayed only with --slow (minutes)
    notes: tuple[str, ...] = field(default=())


CLASSES: dict[str, str] = {
    "paths": "files named from data stay in their folder (29.1)",
    "csv": "CSV parsing never loses rows silently (29.2)",
    "bounds": "bounded input: YAML aliases, nesting, huge files and cells (29.3)",
    "empty": "an empty table is an error; a failed run never replaces a good output (29.4)",
    "store": "the store under concurrency and damage (29.5)",
    "outputs": "outputs safe to open: formula ids, control characters (29.6)",
    "signals": "signals, stale temp folders and the time limit (29.7)",
    "server": "the feed server: bad port, methods, token probing (29.8)",
    "encoding": "encodings, byte-order marks, line ends, full-width digits (kept passing)",
    "injection": "HTML, iCal, XML and markup in names (kept passing)",
    "values": "bad values: ids, days, times, numbers, weights, options (kept passing)",
    "files": "files and folders: empty, missing, directories, symlinks, workbooks (kept passing)",
    "writes": "concurrent and killed writes into one --out (kept passing)",
    "replan": "pins.csv, solve --previous, cover and explain against the classes above",
}

# ---- shorthands

ALTS = "branch/alts.csv"
SCHOOLS = "branch/schools.csv"
BELLS = "branch/bells.csv"
CLASSES_CSV = "branch/classes.csv"
TRAVEL = "branch/travel.csv"
BLOCKED = "branch/blocked.csv"
SETTINGS = "branch/settings.csv"

QUICK = "2"  # --time-limit of every solve whose point is not the search
SOLVE = ("solve", "{branch}", "--out", "{out}", "--time-limit", QUICK)
CHECK = ("check", "{branch}", "{out}")  # reads the branch, checks the good timetable: fast
WROTE = (0, 1)  # a solve that wrote a timetable: 1 when it went to {out}.new as less complete
# A solve ended by a signal after writing its timetable may exit 0/1 or by the signal: the
# shell's 128 + signal, or death by the signal raised again (-N as Python reports it).
BY_TERM = (*WROTE, 143, -15)
BY_INT = (*WROTE, 130, -2)
NOTHING = (Absent("{out}"), Absent("{out}.new"))
DEEP = "{root}/deep/a/b/c/msgs"  # four folders down: "../../../../x" lands in {root}/deep


def refused(*texts: str) -> tuple[Check, ...]:
    """An input error: exit 2, the message names ``texts`` (file, row, column), nothing written."""
    return (Exit((2,)), Says(texts), *NOTHING)


def accepted() -> tuple[Check, ...]:
    """``altsched check`` reads the branch as the demo and accepts the good timetable."""
    return (Exit((0,)),)


def solve_id(case_id: str, what: str, build: tuple[Step, ...], *says: str) -> Case:
    """A solve on a branch with a hostile id: refused at the door, naming where."""
    return Case(case_id, _cls(case_id), what, build, (Cmd(SOLVE),), refused(*says))


def check_branch(case_id: str, what: str, build: tuple[Step, ...], *expect: Check) -> Case:
    """``altsched check`` of the good timetable against a changed branch (reading only)."""
    return Case(case_id, _cls(case_id), what, (Need("good", "out"), *build), (Cmd(CHECK),), expect)


def _cls(case_id: str) -> str:
    return case_id.split("-", 1)[0]


ALT_ID = "alts.csv row 2, column alt_id"
SCHOOL_ID = "schools.csv row 2, column school_id"

# A YAML alias bomb: nine levels of nine references, 9^9 "lol" once expanded (half a KB).
_LEVELS = "abcdefghi"
BOMB = "bomb:\n" + "".join(
    f"  - &{x} [{', '.join(['lol'] * 9 if k == 0 else [f'*{_LEVELS[k - 1]}'] * 9)}]\n"
    for k, x in enumerate(_LEVELS)
)
SATO = '"co_teacher": "Sato Yuki"'

# Damaged stores: each replaces store.sqlite after the good one is copied in.
DAMAGE: dict[str, tuple[str, tuple[Step, ...]]] = {
    "corrupt": (
        "schema page overwritten",
        (Need("tokens", "store.sqlite"), Overwrite("store.sqlite", 100, 3900)),
    ),
    "notsqlite": ("a text file", (Write("store.sqlite", "not a database\n" * 200),)),
    "empty": ("0 bytes", (Write("store.sqlite", b""),)),
    "truncated": (
        "cut to half its size",
        (Need("tokens", "store.sqlite"), Cut("store.sqlite", 0.5)),
    ),
}
STORE_COMMANDS: dict[str, tuple[str, ...]] = {
    "publish": ("publish", "{root}/good", "--store", "{store}"),
    "changes": ("changes", "--store", "{store}", "--messages", "{root}/msgs"),
    "tokens": ("tokens", "--store", "{store}"),
    "export": ("tokens", "--store", "{store}", "--export", "{root}/urls.csv"),
    "serve": ("serve", "--store", "{store}", "--port", "{port}"),
    "backup": ("backup", "--store", "{store}", "{root}/backup.sqlite"),
}


def damaged_store(damage: str, command: str) -> Case:
    """A store command on a damaged store: exit 2 and a message naming it, never a traceback.

    An empty file is damage too, though SQLite would read 0 bytes as an empty database: a
    store truncated to nothing must not start again at version 1 with no tokens.
    """
    how, steps = DAMAGE[damage]
    # serve on a good store runs until stopped: 12 s without an exit is a failure.
    timeout = 12.0 if command == "serve" else 60.0
    return Case(
        f"store-{damage}-{command}",
        "store",
        f"`{' '.join(STORE_COMMANDS[command][:2])}` on a store that is {how}",
        (*steps, Need("good", "good")),
        (Cmd(STORE_COMMANDS[command], timeout=timeout),),
        (Exit((2,)), Says(("store.sqlite",))),
    )


# ---- the table

# ---- replan: pins.csv, solve --previous, cover and explain (issue 31) ----------------------

PINS = "branch/pins.csv"
PIN_HEADER = "alt_id,school_id,day,class,period\n"
PREV = "{root}/prev"  # a previous --out, copied from the good solve (Need("good", "prev"))
PREV_CSV = "prev/assignments.csv"
# Every ALT of the demo at every school each may teach (level and commute): 118 pins that
# each pass on their own and cannot all be kept (one school a day, one ALT a school-day).
_REACH = {
    "A01": "E01 E02 E03 E04 E05 E06 E07 E08 E09 E10 J01 J02 J03 J04 J05",
    "A02": "E01 E02 E03 E04 E05 E06 E08 E09 E10 J01 J02 J03 J04",
    "A03": "E01 E02 E03 E04 E05 E06 E08 E09 E10",
    "A04": "E01 E02 E03 E04 E05 E06 E08 E09 E10",
    "A05": "J01 J02 J03 J04 J05",
    "A06": "E01 E02 E03 E04 E05 E06 E08 E09 E10 J01 J02 J03 J04",
    "A07": "E01 E02 E03 E04 E05 E06 E08 E09 E10 J01 J02 J03 J04",
    "A08": "E01 E02 E03 E04 E05 E06 E07 E08 E09 E10 J01 J02 J03 J04 J05",
    "A09": "E01 E02 E03 E04 E05 E06 E08 E09 E10 J01 J02 J03 J04",
    "A10": "E01 E02 E03 E04 E05 E06 E08 E09 E10 J01 J02 J03 J04",
}
PINS_REACHABLE = "".join(f"{a},{s},,,\n" for a, ss in _REACH.items() for s in ss.split())
PINS_EVERYWHERE = "".join(
    f"A{a:02d},{s},,,\n"
    for a in range(1, 11)
    for s in [f"E{i:02d}" for i in range(1, 11)] + [f"J{i:02d}" for i in range(1, 6)]
)
# A Wednesday to Tuesday: every weekday once, so the absent ALT has lessons whatever the good
# solve gave them (it is a search with a time limit: who teaches when is not fixed).
WEEK = ("--date", "2027-01-13", "--to", "2027-01-19")
COVER = ("cover", "{branch}", "{out}", "--absent", "A03", "--store", "{store}")
COVER_ON = (Need("good", "out"), Need("published", "store.sqlite"))
EXPLAIN = ("explain", "{branch}", "{out}")
OLD_UNMET = Write("out/unmet.csv", "school_id,class,missing\n")  # before the reason column


def pins(case_id: str, what: str, rows: str, *says: str, more: tuple[Step, ...] = ()) -> Case:
    """A solve with this pins.csv (rows after the header): refused, naming ``says``."""
    build = (Write(PINS, PIN_HEADER + rows), *more)
    return Case(case_id, "replan", what, build, (Cmd(SOLVE),), refused(*says))


def pin_read(case_id: str, what: str, rows: str, *says: str) -> Case:
    """``check`` of the good timetable with this pins.csv: read as meant, or refused."""
    build = (Need("good", "out"), Write(PINS, PIN_HEADER + rows))
    return Case(case_id, "replan", what, build, (Cmd(CHECK),), (ReadOrRefused(says),))


def pin_kept(case_id: str, what: str, rows: str, lesson: str) -> Case:
    """A solve with this exact pin writes the lesson it means (a misreading would not)."""
    build = (Write(PINS, PIN_HEADER + rows),)
    kept = (Exit(WROTE), Valid(), Holds("{written}/assignments.csv", lesson))
    return Case(case_id, "replan", what, build, (Cmd(SOLVE),), kept)


def cover(case_id: str, what: str, args: tuple[str, ...], *expect: Check, more=()) -> Case:
    """``altsched cover`` of A03 over the good timetable, its store holding it as version 1."""
    return Case(case_id, "replan", what, (*COVER_ON, *more), (Cmd((*COVER, *args)),), expect)


def cover_refused(case_id: str, what: str, args: tuple[str, ...], *says: str, more=()) -> Case:
    """A refused cover: exit 2 naming ``says``, the store as it was."""
    expect = (Exit((2,)), Says(says), Unchanged("{store}"))
    return cover(case_id, what, args, *expect, more=more)


def explain(case_id: str, what: str, args: tuple[str, ...], *expect: Check, more=()) -> Case:
    """``altsched explain BRANCH DIR`` on the good timetable."""
    build = (Need("good", "out"), *more)
    return Case(case_id, "replan", what, build, (Cmd((*EXPLAIN, *args)),), expect)


REPLAN: list[Case] = [
    # pins.csv: CSV faults, as every table of the branch.
    pins(
        "replan-pins-stray-quote",
        "a stray quote in pins.csv",
        'A01,"E07,Mon,,\n',
        "pins.csv row 2, column school_id",
    ),
    pins(
        "replan-pins-unclosed-quote",
        "an unclosed quote on the last row of pins.csv",
        'A01,E07,Mon,1-1,1\nA01,E07,Mon,"2-1,2\n',
        "pins.csv row 3",
    ),
    pins(
        "replan-pins-semicolon",
        "a ;-separated pins.csv",
        "",
        "pins.csv",
        ";",
        more=(Write(PINS, PIN_HEADER + "A01,E07,Mon,1-1,1\n"), Delimit(PINS, ";")),
    ),
    pins(
        "replan-pins-utf16",
        "pins.csv saved as UTF-16",
        "A01,E07,,,\n",
        "pins.csv",
        "utf-16",
        more=(Recode(PINS, "utf-16"),),
    ),
    pins(
        "replan-pins-shift-jis",
        "pins.csv saved as Shift-JIS (a day 月)",
        "A01,E07,月,,\n",
        "pins.csv",
        "shift-jis",
        more=(Recode(PINS, "cp932"),),
    ),
    Case(
        "replan-pins-30000-rows",
        "replan",
        "30,000 rows of pins: refused past the table limit",
        (Write(PINS, PIN_HEADER), Grow(PINS, 0.36, "A01,E07,,,")),
        (Cmd(SOLVE),),
        (*refused("pins.csv row 20001"), Bounded(500, 15)),
    ),
    pins(
        "replan-pins-long-cell",
        "a 4,001-character school_id",
        f"A01,{'x' * 4001},,,\n",
        "pins.csv row 2, column school_id",
        "4,000",
    ),
    pins(
        "replan-pins-dotdot",
        "a pin's alt_id ../../etc",
        "../../etc,E07,,,\n",
        "pins.csv row 2, column alt_id",
    ),
    pins(
        "replan-pins-formula",
        "a pin's alt_id =cmd|' /C calc'!A0",
        "\"=cmd|' /C calc'!A0\",E07,,,\n",
        "pins.csv row 2, column alt_id",
    ),
    pins(
        "replan-pins-formula-plain",
        "a pin's alt_id =1+1",
        "=1+1,E07,,,\n",
        "pins.csv row 2, column alt_id",
    ),
    Case(
        "replan-pins-control",
        "replan",
        "an ESC sequence in a pin's alt_id",
        (Write(PINS, PIN_HEADER + "A01\x1b[31m,E07,,,\n"),),
        (Cmd(SOLVE),),
        (*refused("pins.csv row 2, column alt_id"), NoControl()),
    ),
    pins(
        "replan-pins-duplicate-exact",
        "the same exact pin twice",
        "A01,E07,Mon,1-1,1\nA01,E07,Mon,1-1,1\n",
        "pins.csv row 3, column period",
    ),
    Case(
        "replan-pins-duplicate-school",
        "replan",
        "the same school pin twice: kept once",
        (Write(PINS, PIN_HEADER + "A01,E07,,,\nA01,E07,,,\n"),),
        (Cmd(SOLVE),),
        (Exit(WROTE), Valid()),
    ),
    pins(
        "replan-pins-other-school",
        "a pin naming a class of another school (E06's 4-4)",
        "A01,E07,Mon,4-4,1\n",
        "pins.csv row 2, column class",
    ),
    pins(
        "replan-pins-period-0", "period 0", "A01,E07,Mon,1-1,0\n", "pins.csv row 2, column period"
    ),
    pins(
        "replan-pins-period-99",
        "period 99",
        "A01,E07,Mon,1-1,99\n",
        "pins.csv row 2, column period",
    ),
    pins(
        "replan-pins-period-text",
        "period abc",
        "A01,E07,Mon,1-1,abc\n",
        "pins.csv row 2, column period",
    ),
    # Read as meant (the solve writes the lesson the pin means) or refused where it is; what
    # must not happen is a misreading (period 3.0 as 30, a day as another).
    pin_kept(
        "replan-pins-period-float",
        'period "3.0": read as period 3',
        "A01,E07,Mon,1-1,3.0\n",
        "A01,E07,1-1,Mon,3,",
    ),
    pin_read(
        "replan-pins-period-fullwidth",
        "period ３ (full width)",
        "A01,E07,Mon,1-1,３\n",
        "pins.csv row 2, column period",
    ),
    pin_kept(
        "replan-pins-day-lower",
        'day "mon": read as Mon',
        "A01,E07,mon,1-1,1\n",
        "A01,E07,1-1,Mon,1,",
    ),
    pin_read(
        "replan-pins-day-long", 'day "Monday"', "A01,E07,Monday,,\n", "pins.csv row 2, column day"
    ),
    pin_read("replan-pins-day-kanji", 'day "月"', "A01,E07,月,,\n", "pins.csv row 2, column day"),
    check_branch(
        "replan-pins-header-only",
        "a header-only pins.csv: no pins",
        (Write(PINS, PIN_HEADER),),
        Exit((0, 1)),
    ),
    check_branch(
        "replan-pins-extra-columns",
        "pins.csv with two columns the contract lacks",
        (Write(PINS, "alt_id,school_id,day,class,period,note,extra\n"),),
        Exit((0, 1)),
        Says(("pins.csv column note",)),
    ),
    Case(
        "replan-pins-yaml",
        "replan",
        "a YAML branch whose pin has period 99",
        (Write(PINS, PIN_HEADER + "A01,E07,Mon,1-1,99\n"), Form(".yaml")),
        (Cmd(SOLVE),),
        refused("branch.yaml pins row 1, column period"),
    ),
    Case(
        "replan-pins-json",
        "replan",
        "a JSON branch whose pin names ../../etc",
        (Write(PINS, PIN_HEADER + "../../etc,E07,,,\n"), Form(".json")),
        (Cmd(SOLVE),),
        refused("branch.json pins row 1, column alt_id"),
    ),
    Case(
        "replan-pins-xlsx-formula",
        "replan",
        "a workbook whose pins sheet holds a formula",
        (
            Write(PINS, PIN_HEADER + "A01,E07,,,\n"),
            Form(".xlsx"),
            SheetCell("branch.xlsx", "pins", "A2", '=HYPERLINK("http://example.invalid","x")'),
        ),
        (Cmd(SOLVE),),
        refused("sheet pins row 2"),
    ),
    Case(
        "replan-pins-xlsx-day",
        "replan",
        "a workbook whose pin's day is Monday",
        (Write(PINS, PIN_HEADER + "A01,E07,Monday,,\n"), Form(".xlsx")),
        (Cmd(SOLVE),),
        refused("sheet pins row 2, column day"),
    ),
    Case(
        "replan-pins-everywhere",
        "replan",
        "every ALT pinned to every school (150 pins)",
        (Write(PINS, PIN_HEADER + PINS_EVERYWHERE),),
        (Cmd(SOLVE),),
        (*refused("pins.csv row"), Bounded(500, 15)),
    ),
    Case(
        "replan-pins-too-many",
        "replan",
        "every ALT pinned to every school within reach (118 pins, each fine alone)",
        (Write(PINS, PIN_HEADER + PINS_REACHABLE),),
        (Cmd(SOLVE),),
        (*refused("pins.csv row 2, column alt_id", "schools_per_day"), Bounded(500, 15)),
    ),
    # solve --previous.
    Case(
        "replan-prev-missing",
        "replan",
        "--previous a folder that does not exist",
        (),
        (Cmd((*SOLVE, "--previous", "{root}/nowhere")),),
        refused("nowhere", "does not exist"),
    ),
    Case(
        "replan-prev-file",
        "replan",
        "--previous a text file",
        (Write("afile", "hello\n"),),
        (Cmd((*SOLVE, "--previous", "{root}/afile")),),
        refused("afile"),
    ),
    Case(
        "replan-prev-no-assignments",
        "replan",
        "--previous a folder without assignments.csv",
        (MakeDir("prev"),),
        (Cmd((*SOLVE, "--previous", PREV)),),
        refused("prev/assignments.csv", "does not exist"),
    ),
    Case(
        "replan-prev-stray-quote",
        "replan",
        "a stray quote in the previous assignments.csv",
        (Need("good", "prev"), Row(PREV_CSV, 5, 'A01,"E07,1-1,Mon,1,08:40,09:25')),
        (Cmd((*SOLVE, "--previous", PREV)),),
        refused("assignments.csv row 5"),
    ),
    Case(
        "replan-prev-header",
        "replan",
        "the previous assignments.csv with a wrong header",
        (Need("good", "prev"), Row(PREV_CSV, 1, "who,where,what,when,which,start,end")),
        (Cmd((*SOLVE, "--previous", PREV)),),
        refused("assignments.csv column"),
    ),
    Case(
        "replan-prev-200k-rows",
        "replan",
        "a previous assignments.csv of 200,000 rows",
        (Need("good", "prev"), Grow(PREV_CSV, 6.2, "A01,E07,1-1,Mon,1,08:40,09:25")),
        (Cmd((*SOLVE, "--previous", PREV)),),
        (*refused("assignments.csv row 100001"), Bounded(500, 15)),
    ),
    Case(
        "replan-prev-other-branch",
        "replan",
        "a previous timetable whose ALT A01 the branch no longer has: reported, not an error",
        (Need("good", "prev"), Rename("A01", "Z01")),
        (Cmd((*SOLVE, "--previous", PREV)),),
        (Exit(WROTE), Says(('"A01" is no longer in alts.csv',)), Valid()),
    ),
    Case(
        "replan-prev-no-period",
        "replan",
        "a previous lesson at a period that does not exist",
        (
            Write(
                PREV_CSV,
                "alt_id,school_id,class,day,period,start,end\nA01,E07,1-1,Mon,9,08:40,09:25\n",
            ),
        ),
        (Cmd((*SOLVE, "--previous", PREV)),),
        (Exit(WROTE), Says(("assignments.csv row 2, column period",)), Valid()),
    ),
    Case(
        "replan-prev-duplicates",
        "replan",
        "the same previous row twice: counted once",
        (
            Write(
                PREV_CSV,
                "alt_id,school_id,class,day,period,start,end\n"
                + "A01,E07,1-1,Mon,1,08:40,09:25\n" * 2,
            ),
        ),
        (Cmd((*SOLVE, "--previous", PREV)),),
        (Exit(WROTE), Says(("assignments.csv row 3", "repeats an earlier row")), Valid()),
    ),
    Case(
        "replan-prev-is-out-worse",
        "replan",
        "--previous equal to --out, and an ALT left (fewer lessons): --out kept",
        (
            Need("good", "out"),
            Edit(ALTS, "A05,Olivia Brown,36.6215,139.8508,junior_high,,,,\n", ""),
        ),
        (Cmd((*SOLVE, "--previous", "{out}")),),
        (Exit((1,)), Unchanged("{out}"), Valid("{out}.new")),
    ),
    Case(
        "replan-prev-is-out-int",
        "replan",
        "Ctrl-C 2 s into a --previous solve into itself",
        (Need("good", "out"),),
        (
            Interrupt(
                Cmd(
                    (
                        "solve",
                        "{branch}",
                        "--previous",
                        "{out}",
                        "--out",
                        "{out}",
                        "--time-limit",
                        "30",
                    )
                ),
                "INT",
                "Solving",
                2.0,
            ),
        ),
        (Exit(BY_INT), Valid(), Absent("{root}/.out.tmp-*")),
    ),
    Case(
        "replan-prev-is-out-kill",
        "replan",
        "SIGKILL 2 s into a --previous solve into itself",
        (Need("good", "out"),),
        (
            Interrupt(
                Cmd(
                    (
                        "solve",
                        "{branch}",
                        "--previous",
                        "{out}",
                        "--out",
                        "{out}",
                        "--time-limit",
                        "30",
                    )
                ),
                "KILL",
                "Solving",
                2.0,
            ),
        ),
        (Unchanged("{out}"),),
    ),
    # cover.
    cover_refused(
        "replan-cover-unknown-alt",
        "--absent an ALT the branch lacks (A03 renamed in BRANCH)",
        ("--date", "2027-01-13"),
        "--absent",
        "A03",
        more=(Rename("A03", "Z03"),),
    ),
    cover_refused(
        "replan-cover-outside-term",
        "--date before the term",
        ("--date", "2026-12-01"),
        "--date",
        "outside the term",
    ),
    cover(
        "replan-cover-weekend",
        "--date a Saturday: no lesson, said so",
        ("--date", "2027-01-09"),
        Exit((0,)),
        Says(("weekend",)),
        Unchanged("{store}"),
    ),
    cover(
        "replan-cover-holiday",
        "--date a national holiday: no lesson, said so",
        ("--date", "2027-01-11"),
        Exit((0,)),
        Says(("holiday",)),
        Unchanged("{store}"),
    ),
    cover_refused(
        "replan-cover-feb-30",
        "--date 2026-02-30",
        ("--date", "2026-02-30"),
        "--date",
        "2026-02-30",
    ),
    cover_refused(
        "replan-cover-yesterday",
        "--date yesterday",
        ("--date", "yesterday"),
        "--date",
        "yesterday",
    ),
    cover_refused(
        "replan-cover-to-before",
        "--to before --date",
        ("--date", "2027-01-14", "--to", "2027-01-13"),
        "--to",
        "before --date",
    ),
    cover_refused(
        "replan-cover-200-days",
        "a 200-day range",
        ("--date", "2027-01-08", "--to", "2027-07-26"),
        "--to",
        "outside the term",
    ),
    cover_refused(
        "replan-cover-choose-malformed",
        "--choose without =",
        (*WEEK, "--choose", "x"),
        "--choose",
        "LESSON=ALT",
    ),
    cover_refused(
        "replan-cover-choose-lesson",
        "--choose a lesson the listing lacks",
        (*WEEK, "--choose", "999=A01"),
        "--choose",
        "not a lesson of the listing",
    ),
    cover_refused(
        "replan-cover-choose-alt",
        "--choose an ALT the branch lacks",
        (*WEEK, "--choose", "1=ZZ9"),
        "--choose",
        "not an ALT of the branch",
    ),
    cover_refused(
        "replan-cover-choose-absent",
        "--choose the absent ALT for their own lesson",
        (*WEEK, "--choose", "1=A03", "--apply"),
        "--choose",
        "absent",
    ),
    Case(
        "replan-cover-choose-control",
        "replan",
        "--choose an ALT id with an ESC sequence",
        COVER_ON,
        (Cmd((*COVER, *WEEK, "--choose", "1=\x1b]0;owned\x07A01")),),
        (Exit((2,)), Says(("--choose",)), NoControl(), Unchanged("{store}")),
    ),
    Case(
        "replan-cover-apply-other",
        "replan",
        "--apply with DIR another timetable than the store's latest",
        (Need("greedy", "out"), Need("published", "store.sqlite")),
        (Cmd((*COVER, *WEEK, "--apply")),),
        (Exit((2,)), Says(("store.sqlite", "another timetable")), Unchanged("{store}")),
    ),
    Case(
        "replan-cover-apply-no-store",
        "replan",
        "--apply with no store",
        (Need("good", "out"),),
        (Cmd((*COVER, *WEEK, "--apply")),),
        (Exit((2,)), Says(("store.sqlite",)), Absent("{store}")),
    ),
    cover_refused(
        "replan-cover-apply-corrupt",
        "--apply on a store whose schema page is junk",
        (*WEEK, "--apply"),
        "store.sqlite",
        more=(Overwrite("store.sqlite", 100, 4000),),
    ),
    cover_refused(
        "replan-cover-apply-empty",
        "--apply on an empty (0-byte) store",
        (*WEEK, "--apply"),
        "store.sqlite",
        "empty",
        more=(Write("store.sqlite", b""),),
    ),
    cover_refused(
        "replan-cover-apply-truncated",
        "--apply on a store cut in half",
        (*WEEK, "--apply"),
        "store.sqlite",
        more=(Cut("store.sqlite", 0.5),),
    ),
    cover_refused(
        "replan-cover-apply-not-sqlite",
        "--apply on a text file as store",
        (*WEEK, "--apply"),
        "store.sqlite",
        "not an sqlite",
        more=(Write("store.sqlite", "hello\n"),),
    ),
    cover_refused(
        "replan-cover-list-corrupt",
        "a listing from a store whose schema is junk",
        WEEK,
        "store.sqlite",
        more=(Overwrite("store.sqlite", 100, 4000),),
    ),
    Case(
        "replan-cover-apply-together",
        "replan",
        "two cover --apply on one store at once (the greedy timetable: A03 has substitutes)",
        (Need("greedy", "out"),),
        (
            Cmd(("publish", "{out}", "--store", "{store}")),
            Together((Cmd((*COVER, *WEEK, "--apply")), Cmd((*COVER, *WEEK, "--apply"))), 0.3),
            Cmd(("changes", "--store", "{store}")),
        ),
        # One of them records version 2, the other finds the lessons covered: never version 3.
        (Exit((0,)), Says(("from version 1 to 2",)), Never(("version 3",))),
    ),
    cover(
        "replan-cover-csv-existing",
        "--csv a file that exists: replaced, as asked",
        (*WEEK, "--csv", "{root}/mine.csv"),
        Exit((0,)),
        Holds("{root}/mine.csv", "absent_alt"),
        NoFormula("{root}/mine.csv"),
        more=(Write("mine.csv", "precious\n"),),
    ),
    cover_refused(
        "replan-cover-csv-no-folder",
        "--apply --csv into a missing folder",
        (*WEEK, "--apply", "--csv", "{root}/nodir/c.csv"),
        "--csv",
        "does not exist",
    ),
    cover_refused(
        "replan-cover-json-folder",
        "--json a folder",
        (*WEEK, "--json", "{root}/d"),
        "--json",
        "is a folder",
        more=(MakeDir("d"),),
    ),
    cover_refused(
        "replan-cover-csv-is-json",
        "--csv and --json the same file",
        (*WEEK, "--csv", "{root}/x", "--json", "{root}/x"),
        "--csv",
        "--json",
    ),
    cover(
        "replan-cover-csv-link",
        "--csv a link to a file outside: the link is replaced",
        (*WEEK, "--csv", "{root}/link.csv"),
        Exit((0,)),
        Unchanged("{root}/outside"),
        more=(Write("outside/p.csv", "precious\n"), Link("link.csv", "outside/p.csv")),
    ),
    cover_refused(
        "replan-cover-weights-key",
        "--weights with an unknown key",
        (*WEEK, "--weights", "{root}/w.toml"),
        "w.toml",
        "nope",
        more=(Write("w.toml", "[cover]\nnope = 3\n"),),
    ),
    cover_refused(
        "replan-cover-weights-value",
        "--weights with a text value",
        (*WEEK, "--weights", "{root}/w.toml"),
        "w.toml",
        "at_school",
        more=(Write("w.toml", '[cover]\nat_school = "abc"\n'),),
    ),
    cover_refused(
        "replan-cover-weights-syntax",
        "--weights with a TOML syntax error",
        (*WEEK, "--weights", "{root}/w.toml"),
        "w.toml",
        "line 1",
        more=(Write("w.toml", "[cover\nat_school = 1\n"),),
    ),
    cover_refused(
        "replan-cover-weights-nan",
        "--weights with nan",
        (*WEEK, "--weights", "{root}/w.toml"),
        "w.toml",
        "finite",
        more=(Write("w.toml", "[cover]\nat_school = nan\n"),),
    ),
    # explain.
    explain(
        "replan-explain-no-report",
        "DIR without report.json: default weights",
        (),
        Exit((0,)),
        more=(Remove("out/report.json"),),
    ),
    Case(
        "replan-explain-no-assignments",
        "replan",
        "DIR without assignments.csv",
        (MakeDir("out"),),
        (Cmd(EXPLAIN),),
        (Exit((2,)), Says(("assignments.csv",))),
    ),
    explain(
        "replan-explain-other-branch",
        "DIR of another branch (A01 renamed Z01 in BRANCH)",
        (),
        Exit((2,)),
        Says(("assignments.csv row", 'column alt_id: "A01"')),
        Unchanged("{out}"),
        more=(Rename("A01", "Z01"),),
    ),
    explain(
        "replan-explain-alt-unknown",
        "--alt an ALT the branch lacks",
        ("--alt", "ZZ9"),
        Exit((2,)),
        Says(("--alt", "ZZ9")),
    ),
    explain(
        "replan-explain-max-schools-0",
        "--max-schools 0: the ALT teaches nowhere",
        ("--alt", "A01", "--max-schools", "0", "--time-limit", "2"),
        Exit((0,)),
        Unchanged("{out}"),
    ),
    explain(
        "replan-explain-max-schools-negative",
        "--max-schools -1",
        ("--alt", "A01", "--max-schools", "-1"),
        Exit((2,)),
        Says(("--max-schools",)),
    ),
    explain(
        "replan-explain-max-schools-text",
        "--max-schools abc",
        ("--alt", "A01", "--max-schools", "abc"),
        Exit((2,)),
        Says(("--max-schools",)),
    ),
    explain(
        "replan-explain-out-is-dir",
        "a what-if's --out equal to DIR",
        ("--alt", "A01", "--max-schools", "1", "--time-limit", "2", "--out", "{out}"),
        Exit((2,)),
        Says(("--out", "is DIR")),
        Unchanged("{out}"),
    ),
    # Outputs written before unmet.csv had its reason column still read everywhere.
    check_branch(
        "replan-old-check",
        "check of an output without the reason column",
        (OLD_UNMET,),
        Exit((0,)),
    ),
    Case(
        "replan-old-report",
        "replan",
        "report of an output without the reason column",
        (Need("good", "out"), OLD_UNMET),
        (Cmd(("report", "{out}", "--instance", "{branch}")),),
        (Exit((0,)), Present("{out}/report.html")),
    ),
    explain(
        "replan-old-explain",
        "explain of an output without the reason column",
        (),
        Exit((0,)),
        more=(OLD_UNMET,),
    ),
    Case(
        "replan-old-changes",
        "replan",
        "publish and changes of an output without the reason column",
        (Need("good", "out"), OLD_UNMET),
        (Cmd(("publish", "{out}", "--store", "{store}")), Cmd(("changes", "--store", "{store}"))),
        (Exit((0,)),),
    ),
    Case(
        "replan-old-previous",
        "replan",
        "solve --previous an output without the reason column",
        (Need("good", "prev"), Write("prev/unmet.csv", "school_id,class,missing\n")),
        (Cmd((*SOLVE, "--previous", PREV)),),
        (Exit(WROTE), Valid()),
    ),
]


CASES: list[Case] = [
    # ---------------------------------------------------------------- paths (29.1)
    Case(
        "paths-messages-dotdot",
        "paths",
        "ALT id ../../../../escape published (old store), then changes --messages",
        (
            Need("good", "out"),
            Rename("A01", "../../../../escape", also=("out/assignments.csv",)),
        ),
        (
            Cmd(("publish", "{out}", "--store", "{store}", "--instance", "{branch}")),
            Cmd(("changes", "--store", "{store}", "--messages", DEEP)),
        ),
        (Exit((0, 2)), Inside(DEEP, within="{root}/deep")),
    ),
    Case(
        "paths-messages-absolute",
        "paths",
        "ALT id an absolute path, published, then changes --messages",
        (
            Need("good", "out"),
            Rename("A01", "{root}/deep/abs-escape", also=("out/assignments.csv",)),
        ),
        (
            Cmd(("publish", "{out}", "--store", "{store}", "--instance", "{branch}")),
            Cmd(("changes", "--store", "{store}", "--messages", DEEP)),
        ),
        (Exit((0, 2)), Inside(DEEP, within="{root}/deep")),
    ),
    Case(
        "paths-messages-link",
        "paths",
        "changes --messages into a folder where A01.txt is a link to a file outside",
        (
            Need("tokens", "store.sqlite"),
            Write("outside/precious.txt", "precious\n"),
            Link("msgs/A01.txt", "../outside/precious.txt"),
        ),
        (Cmd(("changes", "--store", "{store}", "--messages", "{root}/msgs")),),
        (Exit((0, 2)), Unchanged("{root}/outside")),
    ),
    Case(
        "paths-ical-link",
        "paths",
        "altsched ical into a folder where ical/A01.ics is a link to a file outside",
        (
            Need("good", "out"),
            Write("outside/precious.ics", "precious\n"),
            Remove("out/ical/A01.ics"),
            Link("out/ical/A01.ics", "../../outside/precious.ics"),
        ),
        (Cmd(("ical", "{branch}", "{out}")),),
        (Exit((0, 2)), Unchanged("{root}/outside")),
    ),
    Case(
        "paths-ical-dotdot",
        "paths",
        "ALT id ../../x through altsched ical (feeds named from ids)",
        (Need("good", "out"), Rename("A01", "../../x", also=("out/assignments.csv",))),
        (Cmd(("ical", "{branch}", "{out}")),),
        (Exit((0, 2)), Inside("{out}")),
    ),
    solve_id(
        "paths-alt-dotdot", "ALT id ../../../escape", (Rename("A01", "../../../escape"),), ALT_ID
    ),
    solve_id("paths-alt-slash", "ALT id with a slash (A/01)", (Rename("A01", "A/01"),), ALT_ID),
    solve_id("paths-alt-backslash", "ALT id with a backslash", (Rename("A01", "A\\01"),), ALT_ID),
    solve_id("paths-alt-dots", "ALT id ..", (Rename("A01", ".."),), ALT_ID),
    solve_id("paths-alt-tab", "ALT id with a tab inside", (Rename("A01", "A\t01"),), ALT_ID),
    solve_id("paths-school-dotdot", "school id ../E01", (Rename("E01", "../E01"),), SCHOOL_ID),
    Case(
        "paths-alt-escape-seq",
        "paths",
        "ALT id with a terminal escape sequence: refused, and not echoed raw",
        (Rename("A01", "A\x1b[2J01"),),
        (Cmd(SOLVE),),
        (*refused(ALT_ID), NoControl()),
    ),
    # ---------------------------------------------------------------- csv (29.2)
    Case(
        "csv-stray-quote",
        "csv",
        'stray " opening classes.csv row 170 swallows the 8 rows below',
        (Row(CLASSES_CSV, 170, 'J04,1-1,2,"Maeda Ryo'),),
        (Cmd(SOLVE),),
        refused("classes.csv row 170"),
    ),
    Case(
        "csv-unclosed-last",
        "csv",
        "unclosed quote on the last row of classes.csv",
        (Row(CLASSES_CSV, 178, 'J05,3-1,2,"Hasegawa Hiroshi'),),
        (Cmd(SOLVE),),
        refused("classes.csv row 178"),
    ),
    Case(
        "csv-quote-spans-lines",
        "csv",
        "a quote opened on row 170 and closed on row 172 (two line breaks swallowed)",
        (
            Row(CLASSES_CSV, 170, 'J04,1-1,2,"Maeda Ryo'),
            Row(CLASSES_CSV, 172, 'J04,2-1,2,Fujita"'),
        ),
        (Cmd(SOLVE),),
        refused("classes.csv row 170"),
    ),
    Case(
        "csv-quote-alts",
        "csv",
        'stray " opening a name in alts.csv row 5',
        (Row(ALTS, 5, 'A04,"Daniel Kim,36.5312,139.8318,elementary,,,,'),),
        (Cmd(SOLVE),),
        refused("alts.csv row 5"),
    ),
    Case(
        "csv-big-cell",
        "csv",
        "a 200 KB co_teacher cell in classes.csv row 10 (over csv's 128 KB field limit)",
        (Cell(CLASSES_CSV, 10, "co_teacher", "x" * 200_000),),
        (Cmd(SOLVE),),
        refused("classes.csv row 10"),
    ),
    Case(
        "csv-big-cell-alts",
        "csv",
        "a 200 KB name in alts.csv row 3",
        (Cell(ALTS, 3, "name", "y" * 200_000),),
        (Cmd(SOLVE),),
        refused("alts.csv row 3"),
    ),
    Case(
        "csv-semicolon",
        "csv",
        "classes.csv saved with ; as separator",
        (Delimit(CLASSES_CSV, ";"),),
        (Cmd(SOLVE),),
        refused("classes.csv", "separated"),
    ),
    Case(
        "csv-tab",
        "csv",
        "classes.csv saved with tabs as separator",
        (Delimit(CLASSES_CSV, "\t"),),
        (Cmd(SOLVE),),
        refused("classes.csv", "separated"),
    ),
    Case(
        "csv-semicolon-alts",
        "csv",
        "alts.csv saved with ; as separator (its levels lists quoted)",
        (Delimit(ALTS, ";"),),
        (Cmd(SOLVE),),
        refused("alts.csv", "separated"),
    ),
    check_branch(
        "csv-quoted-comma",
        'a co-teacher "Sato, Yuki" in quotes, as docs/input.md advises: read as one cell',
        (Cell(CLASSES_CSV, 2, "co_teacher", "Sato, Yuki"),),
        *accepted(),
    ),
    check_branch(
        "csv-unquoted-comma",
        "an unquoted comma in a name shifts the row: an error past the last column",
        (Edit(ALTS, "Michael Nguyen", "Nguyen, Michael"),),
        Exit((2,)),
        Says(("alts.csv row 7", "past the last named column")),
    ),
    # ---------------------------------------------------------------- bounds (29.3)
    Case(
        "bounds-yaml-bomb",
        "bounds",
        "a YAML alias bomb (half a KB, 9^9 'lol' expanded) in a co_teacher",
        (
            Form(".yaml"),
            Edit("branch.yaml", "alts:", BOMB + "alts:"),  # anchors before their use
            Edit("branch.yaml", SATO, '"co_teacher": *i'),
        ),
        (Cmd(SOLVE, kill_mb=1000),),
        (*refused("branch.yaml", "alias"), Bounded(500, 10)),
    ),
    Case(
        "bounds-yaml-alias",
        "bounds",
        "one harmless YAML alias (a co_teacher repeated by *t): aliases are refused",
        (
            Form(".yaml"),
            Edit("branch.yaml", SATO, '"co_teacher": &t "Sato Yuki"'),
            Edit("branch.yaml", '"co_teacher": "Suzuki Naoko"', '"co_teacher": *t'),
        ),
        (Cmd(SOLVE),),
        refused("branch.yaml", "alias"),
    ),
    Case(
        "bounds-yaml-merge",
        "bounds",
        "a YAML merge key (<<: *base) in a class record",
        (
            Form(".yaml"),
            Edit("branch.yaml", "alts:", 'base: &base {"school_id": "E01"}\nalts:'),
            Edit(
                "branch.yaml",
                '{"school_id": "E01", "class": "1-1", ',
                '{<<: *base, "class": "1-1", ',
            ),
        ),
        (Cmd(SOLVE),),
        refused("branch.yaml", "alias"),
    ),
    Case(
        "bounds-yaml-nesting",
        "bounds",
        "YAML nested 100,000 lists deep",
        (Form(".yaml"), Write("branch.yaml", "schools: " + "[" * 100_000 + "]" * 100_000 + "\n")),
        (Cmd(SOLVE, kill_mb=1000),),
        (*refused("branch.yaml"), Bounded(500, 10)),
    ),
    Case(
        "bounds-json-nesting",
        "bounds",
        "JSON nested 100,000 lists deep",
        (
            Form(".json"),
            Write("branch.json", '{"schools": ' + "[" * 100_000 + "]" * 100_000 + "}"),
        ),
        (Cmd(SOLVE, kill_mb=1000),),
        (*refused("branch.json"), Bounded(500, 10)),
    ),
    Case(
        "bounds-50mb-classes",
        "bounds",
        "a 50 MB classes.csv (about 1.4 M classes at one school)",
        (Grow(CLASSES_CSV, 50, "E01,{g}-{n},1,Teacher {n}"),),
        (Cmd(SOLVE, timeout=60, kill_mb=1500),),
        (*refused("classes.csv"), Bounded(500, 10)),
    ),
    Case(
        "bounds-wide-header",
        "bounds",
        "classes.csv with 1,000,000 extra columns (a 9 MB header)",
        (Widen(CLASSES_CSV, 1_000_000),),
        (Cmd(("check", "{branch}", "{out}"), timeout=60, kill_mb=1500),),
        (Exit((0, 2)), Says(("classes.csv",)), Bounded(500, 10)),
    ),
    # ---------------------------------------------------------------- empty (29.4)
    Case(
        "empty-alts",
        "empty",
        "header-only alts.csv (and travel.csv, which names ALTs)",
        (HeaderOnly(ALTS), HeaderOnly(TRAVEL)),
        (Cmd(SOLVE),),
        refused("alts.csv"),
    ),
    Case(
        "empty-alts-alone",
        "empty",
        "header-only alts.csv, travel.csv left as it is",
        (HeaderOnly(ALTS),),
        (Cmd(SOLVE),),
        refused("alts.csv"),
    ),
    Case(
        "empty-alts-blank-rows",
        "empty",
        "alts.csv with a header and blank rows only",
        (
            HeaderOnly(ALTS),
            Edit(ALTS, "unavailable\n", "unavailable\n\n,,,,,,,,\n\n"),
            HeaderOnly(TRAVEL),
        ),
        (Cmd(SOLVE),),
        refused("alts.csv"),
    ),
    Case(
        "empty-classes",
        "empty",
        "header-only classes.csv (and blocked.csv, which names classes)",
        (HeaderOnly(CLASSES_CSV), HeaderOnly(BLOCKED)),
        (Cmd(SOLVE),),
        refused("classes.csv"),
    ),
    Case(
        "empty-schools",
        "empty",
        "header-only schools.csv",
        (HeaderOnly(SCHOOLS),),
        (Cmd(SOLVE),),
        refused("schools.csv"),
    ),
    Case(
        "empty-json-alts",
        "empty",
        "a JSON branch whose alts list is empty",
        (HeaderOnly(ALTS), HeaderOnly(TRAVEL), Form(".json")),
        (Cmd(SOLVE),),
        refused("alts"),
    ),
    Case(
        "empty-failed-run-keeps-out",
        "empty",
        "a run refused for a header-only alts.csv, --out a good earlier output",
        (Need("good", "out"), HeaderOnly(ALTS), HeaderOnly(TRAVEL)),
        (Cmd(SOLVE),),
        (Exit((2,)), Says(("alts.csv",)), Unchanged("{out}"), Absent("{out}.new")),
    ),
    Case(
        "empty-less-complete-keeps-out",
        "empty",
        "a greedy run (fewer lessons) into a complete earlier output",
        (Need("good", "out"),),
        (Cmd(("solve", "{branch}", "--out", "{out}", "--method", "greedy")),),
        (Exit((1,)), Unchanged("{out}"), Present("{out}.new/assignments.csv")),
    ),
    Case(
        "empty-less-complete-force",
        "empty",
        "the same greedy run with --force replaces the output",
        (Need("good", "out"),),
        (Cmd(("solve", "{branch}", "--out", "{out}", "--method", "greedy", "--force")),),
        (Exit((0,)), Changed("{out}"), Valid("{out}")),
    ),
    Case(
        "empty-no-time-keeps-out",
        "empty",
        "a 0.1 s run into a complete earlier output",
        (Need("good", "out"),),
        (Cmd(("solve", "{branch}", "--out", "{out}", "--time-limit", "0.1")),),
        (Exit((1,)), Unchanged("{out}")),
    ),
    # ---------------------------------------------------------------- store (29.5)
    Case(
        "store-publish-while-publish",
        "store",
        "a second publish while a publish runs: both versions recorded",
        (Need("good", "good"), Need("greedy", "greedy")),
        (
            Together(
                (
                    Cmd(("publish", "{root}/good", "--store", "{store}")),
                    Cmd(("publish", "{root}/greedy", "--store", "{store}")),
                ),
                stagger=2.0,
            ),
            Cmd(("changes", "--store", "{store}")),
        ),
        (Exit((0,)), Never(("database is locked",)), Says(("version 1 to 2",))),
    ),
    Case(
        "store-tokens-while-publish",
        "store",
        "tokens --export while a publish runs",
        (Need("published", "store.sqlite"), Need("greedy", "greedy")),
        (
            Together(
                (
                    Cmd(("publish", "{root}/greedy", "--store", "{store}")),
                    Cmd(("tokens", "--store", "{store}", "--export", "{root}/urls.csv")),
                ),
                stagger=2.0,
            ),
        ),
        (Exit((0,)), Never(("database is locked",)), Rows(("{root}/urls.csv",), 20)),
    ),
    Case(
        "store-export-missing-folder",
        "store",
        "tokens --export into a folder that does not exist, then again into one that does",
        (Need("published", "store.sqlite"),),
        (
            Cmd(("tokens", "--store", "{store}", "--export", "{root}/missing/urls.csv")),
            Cmd(("tokens", "--store", "{store}", "--export", "{root}/urls.csv")),
        ),
        (
            Exit((0, 2), step=0),
            Exit((0,), step=1),
            Rows(("{root}/missing/urls.csv", "{root}/urls.csv"), 20),
        ),
    ),
    Case(
        "store-export-to-link",
        "store",
        "tokens --export FILE where FILE is a dangling link to a file outside",
        (Need("published", "store.sqlite"), MakeDir("outside"), Link("urls.csv", "outside/u.csv")),
        (Cmd(("tokens", "--store", "{store}", "--export", "{root}/urls.csv")),),
        (Exit((0, 2)), Absent("{root}/outside/u.csv")),
    ),
    Case(
        "store-writer-queues",
        "store",
        "tokens --export while another program holds the write lock for 8 s: it waits its turn",
        (Need("published", "store.sqlite"), Hold("store.sqlite", 8.0)),
        (Cmd(("tokens", "--store", "{store}", "--export", "{root}/urls.csv")),),
        (Exit((0,)), Rows(("{root}/urls.csv",), 20)),
    ),
    Case(
        "store-writer-gives-up",
        "store",
        "the same with $ALTSCHED_STORE_WAIT=1: a clear message and no token issued",
        (Need("published", "store.sqlite"), Hold("store.sqlite", 8.0)),
        (
            Cmd(
                ("tokens", "--store", "{store}", "--export", "{root}/urls.csv"),
                env=(("ALTSCHED_STORE_WAIT", "1"),),
            ),
            # Waits for the lock, then exports every feed: the refused run issued none.
            Cmd(("tokens", "--store", "{store}", "--export", "{root}/urls2.csv")),
        ),
        (
            Exit((2,), step=0),
            Says(("store.sqlite",)),
            Absent("{root}/urls.csv"),
            Exit((0,), step=1),
            Rows(("{root}/urls2.csv",), 20),
        ),
    ),
    Case(
        "store-term-publish",
        "store",
        "SIGTERM 3 s into a publish: the store stays readable",
        (Need("published", "store.sqlite"), Need("greedy", "greedy")),
        (
            Interrupt(Cmd(("publish", "{root}/greedy", "--store", "{store}")), "TERM", "", 3.0),
            Cmd(("tokens", "--store", "{store}")),
            Cmd(("changes", "--store", "{store}")),
        ),
        (Exit((0,), step=1), Exit((0,), step=2)),
    ),
    Case(
        "store-is-directory",
        "store",
        "--store names a folder",
        (MakeDir("store.sqlite"),),
        (Cmd(("tokens", "--store", "{store}")),),
        (Exit((2,)), Says(("store.sqlite",))),
    ),
    *[damaged_store(d, c) for d in DAMAGE for c in STORE_COMMANDS],
    Case(
        "store-restore-while-serving",
        "store",
        "backup, the store overwritten while served, restored as docs/calendar.md says",
        (Need("tokens", "store.sqlite"),),
        (
            Cmd(("backup", "--store", "{store}", "{root}/backup.sqlite")),
            Serve(
                (
                    Request("GET", "{feed}", (200,)),
                    Overwrite("store.sqlite"),
                    Request("GET", "/health", (503,)),
                    Request("GET", "{feed}", (200,)),
                    Remove("store.sqlite-wal"),
                    Remove("store.sqlite-shm"),
                    Move("backup.sqlite", "store.sqlite"),
                    Wait(2.0),
                    Request("GET", "/health", (200,)),
                    Request("GET", "{feed}", (200,)),
                )
            ),
            Cmd(("changes", "--store", "{store}")),
            Cmd(("tokens", "--store", "{store}")),
        ),
        (Http(), Exit((0,), step=0), Exit((0,), step=2), Exit((0,), step=3)),
    ),
    Case(
        "store-breaks-while-serving",
        "store",
        "the store file is overwritten while the server runs: last good feed kept, /health 503",
        (Need("tokens", "store.sqlite"),),
        (
            Serve(
                (
                    Request("GET", "{feed}", (200,)),
                    Request("GET", "/health", (200,)),
                    Overwrite("store.sqlite"),
                    Request("GET", "{feed}", (200,)),
                    Request("GET", "/health", (503,)),
                )
            ),
        ),
        (Http(),),
    ),
    # ---------------------------------------------------------------- outputs (29.6)
    solve_id(
        "outputs-alt-hyperlink",
        "ALT id =HYPERLINK(...)",
        (Rename("A01", '=HYPERLINK("http://example.invalid","x")'),),
        ALT_ID,
    ),
    solve_id("outputs-alt-plus", "ALT id +1", (Rename("A01", "+1"),), ALT_ID),
    solve_id("outputs-alt-minus", "ALT id -1", (Rename("A01", "-1"),), ALT_ID),
    solve_id("outputs-alt-at", "ALT id @SUM(A1)", (Rename("A01", "@SUM(A1)"),), ALT_ID),
    solve_id("outputs-school-eq", "school id =1+1", (Rename("E01", "=1+1"),), SCHOOL_ID),
    solve_id("outputs-school-at", "school id @E01", (Rename("E01", "@E01"),), SCHOOL_ID),
    Case(
        "outputs-formula-alt-name",
        "outputs",
        "ALT name =HYPERLINK(...): no CSV or workbook written (urls, changes, report) runs it",
        (
            Need("good", "out"),
            Need("tokens", "store.sqlite"),
            Cell(ALTS, 2, "name", '=HYPERLINK("http://example.invalid","x")'),
        ),
        (
            Cmd(("ical", "{branch}", "{out}")),
            Cmd(("report", "{out}")),
            Cmd(("publish", "{out}", "--store", "{store}")),
            Cmd(
                ("tokens", "--store", "{store}", "--rotate", "all", "--export", "{root}/urls.csv")
            ),
            Cmd(("changes", "--store", "{store}", "--csv", "{root}/changes.csv")),
        ),
        (
            Exit((0,)),
            NoFormula("{root}/*.csv"),
            NoFormula("{out}/**/*.csv"),
            NoFormula("{out}/*.xlsx"),
        ),
    ),
    Case(
        "outputs-formula-school-name",
        "outputs",
        "school name +cmd|' /C calc'!A0: urls.csv and the report workbook hold it inert",
        (
            Need("good", "out"),
            Need("tokens", "store.sqlite"),
            Cell(SCHOOLS, 2, "name", "+cmd|' /C calc'!A0"),
        ),
        (
            Cmd(("ical", "{branch}", "{out}")),
            Cmd(("report", "{out}")),
            Cmd(("publish", "{out}", "--store", "{store}")),
            Cmd(
                ("tokens", "--store", "{store}", "--rotate", "all", "--export", "{root}/urls.csv")
            ),
        ),
        (Exit((0,)), NoFormula("{root}/*.csv"), NoFormula("{out}/*.xlsx")),
    ),
    Case(
        "outputs-control-name-esc",
        "outputs",
        "ALT name with ESC [2J (clear screen): stripped, warned, never on the terminal",
        (Cell(ALTS, 2, "name", "Emily\x1b[2J\x1b[31mCarter"),),
        (Cmd(SOLVE),),
        (Exit(WROTE), Says(("alts.csv row 2",)), NoControl(), NoControl("{written}")),
    ),
    *[
        Case(
            f"outputs-control-name-{slug}",
            "outputs",
            f"ALT name with {what}: stripped with a warning, feeds clean",
            (Need("good", "out"), Cell(ALTS, 2, "name", f"Emily{char}Carter")),
            (Cmd(("ical", "{branch}", "{out}")),),
            (Exit((0,)), Says(("alts.csv row 2",)), NoControl(), NoControl("{out}/ical")),
        )
        for slug, what, char in (
            ("bel", "BEL and backspace", "\x07\x08"),
            ("c1", "the 8-bit CSI (U+009B)", "\x9b31m"),
            ("del", "DEL (U+007F)", "\x7f"),
        )
    ],
    Case(
        "outputs-control-name-nul",
        "outputs",
        "ALT name with a NUL byte in alts.csv: stripped with a warning, or the file refused",
        (Need("good", "out"), Cell(ALTS, 2, "name", "Emily\x00Carter")),
        (Cmd(("ical", "{branch}", "{out}")),),
        # A NUL in a CSV file is nearly always UTF-16 or a binary file: refusing the file,
        # naming the row, is as clean as stripping the character (docs/hostile.md).
        (Exit((0, 2)), Says(("alts.csv row 2",)), NoControl(), NoControl("{out}/ical")),
    ),
    Case(
        "outputs-control-name-nul-json",
        "outputs",
        "ALT name with \\u0000 in a JSON branch: stripped with a warning",
        (
            Need("good", "out"),
            Form(".json"),
            Edit("branch.json", '"Emily Carter"', '"Emily\\u0000Carter"'),
        ),
        (Cmd(("ical", "{branch}", "{out}")),),
        (Exit((0,)), Says(("branch.json alts row 1",)), NoControl(), NoControl("{out}/ical")),
    ),
    Case(
        "outputs-control-school-name",
        "outputs",
        "school name with an OSC title escape: stripped with a warning",
        (Need("good", "out"), Cell(SCHOOLS, 2, "name", "Sakura\x1b]0;pwned\x07 ES")),
        (Cmd(("ical", "{branch}", "{out}")),),
        (Exit((0,)), Says(("schools.csv row 2",)), NoControl(), NoControl("{out}/ical")),
    ),
    Case(
        "outputs-control-co-teacher",
        "outputs",
        "co_teacher with ESC: stripped with a warning, or refused as the teacher's id",
        (Need("good", "out"), Cell(CLASSES_CSV, 2, "co_teacher", "Sato\x1b[5mYuki")),
        (Cmd(("ical", "{branch}", "{out}")),),
        # co_teacher is also a key (classes sharing one cannot overlap): stripping could merge
        # two teachers, so refusing it like an id is as clean as stripping.
        (Exit((0, 2)), Says(("classes.csv row 2",)), NoControl(), NoControl("{out}/ical")),
    ),
    Case(
        "outputs-control-branch",
        "outputs",
        "branch name in settings.csv with ESC: never on the terminal",
        (Edit(SETTINGS, "branch,Utsunomiya", "branch,Utsunomiya\x1b[2J"),),
        (Cmd(SOLVE),),
        (Exit(WROTE), NoControl(), NoControl("{written}")),
    ),
    check_branch(
        "outputs-control-bad-value",
        "a bad number holding ESC: the error quotes it without the escape",
        (Cell(CLASSES_CSV, 8, "alt_lessons", "\x1b[2J1"),),
        Exit((2,)),
        Says(("classes.csv row 8, column alt_lessons",)),
        NoControl(),
    ),
    check_branch(
        "outputs-control-column-name",
        "an unknown column named with ESC: the warning shows it without the escape",
        (Edit(CLASSES_CSV, "co_teacher\n", "co_teacher,\x1b[2Jnote\n"),),
        Exit((0,)),
        NoControl(),
    ),
    # ---------------------------------------------------------------- signals (29.7)
    Case(
        "signals-term-search",
        "signals",
        "SIGTERM 2 s into a 30 s search: the best timetable is written and valid",
        (),
        (
            Interrupt(
                Cmd(("solve", "{branch}", "--out", "{out}", "--time-limit", "30")),
                "TERM",
                "Solving",
                2.0,
            ),
        ),
        (Exit(BY_TERM), Present("{written}/assignments.csv"), Valid(), Bounded(seconds=20)),
    ),
    Case(
        "signals-int-search",
        "signals",
        "SIGINT (Ctrl-C) 2 s into a 30 s search: the best timetable is written and valid",
        (),
        (
            Interrupt(
                Cmd(("solve", "{branch}", "--out", "{out}", "--time-limit", "30")),
                "INT",
                "Solving",
                2.0,
            ),
        ),
        (Exit(BY_INT), Present("{written}/assignments.csv"), Valid(), Bounded(seconds=20)),
    ),
    Case(
        "signals-stale-tmp",
        "signals",
        "a .out.tmp-<8 hex> folder two days old, as a killed write of the release left it, goes",
        (
            MakeDir(".out.tmp-6b1e3d00/timetables"),
            Write(".out.tmp-6b1e3d00/assignments.csv", "alt_id\n"),
            Age(".out.tmp-6b1e3d00", 48),
        ),
        (Cmd(SOLVE),),
        (Exit(WROTE), Absent("{root}/.out.tmp-6b1e3d00")),
    ),
    Case(
        "signals-killed-write",
        "signals",
        "SIGKILL once the write's temp folder appears; the next solve clears what it left",
        (),
        (
            Interrupt(Cmd(SOLVE), "KILL", delay=0.0, appears="{root}/.out.tmp-*"),
            Cmd(SOLVE),
        ),
        (Exit(WROTE, step=1), Absent("{root}/.out.tmp-*"), Valid()),
    ),
    Case(
        "signals-int-while-writing",
        "signals",
        "Ctrl-C while the outputs are written: the timetable is finished, not thrown away",
        (),
        (Interrupt(Cmd(SOLVE), "INT", delay=0.0, appears="{root}/.out.tmp-*"),),
        (Exit(BY_INT), Present("{written}/assignments.csv"), Valid(), Absent("{root}/.out.tmp-*")),
    ),
    Case(
        "signals-other-tmp-kept",
        "signals",
        "a hidden folder altsched never writes (.other.tmp-k1ll3d00, not hex) is left alone",
        (
            MakeDir(".other.tmp-k1ll3d00"),
            Write(".other.tmp-k1ll3d00/keep.txt", "mine"),
            Age(".other.tmp-k1ll3d00", 48),
        ),
        (Cmd(SOLVE),),
        (Exit(WROTE), Unchanged("{root}/.other.tmp-k1ll3d00")),
    ),
    Case(
        "signals-time-limit-demo",
        "signals",
        "solve --time-limit 2 on the demo ends within the limit plus 5 s",
        (),
        (Cmd(SOLVE),),
        (Exit(WROTE), Bounded(seconds=7)),
    ),
    Case(
        "signals-time-limit-120",
        "signals",
        "solve --time-limit 10 at 120 ALTs ends within the limit plus 5 s",
        (Need("big120", "big"),),
        (Cmd(("solve", "{root}/big", "--out", "{out}", "--time-limit", "10"), timeout=90),),
        (Exit(WROTE), Bounded(seconds=15)),
    ),
    Case(
        "signals-time-limit-250",
        "signals",
        "solve --time-limit 30 at 250 ALTs ends within the limit plus 5 s",
        (Need("big250", "big"),),
        (Cmd(("solve", "{root}/big", "--out", "{out}", "--time-limit", "30"), timeout=180),),
        (Exit(WROTE), Bounded(seconds=35)),
        slow=True,
    ),
    # ---------------------------------------------------------------- server (29.8)
    Case(
        "server-port-99999",
        "server",
        "serve --port 99999",
        (Need("tokens", "store.sqlite"),),
        (Cmd(("serve", "--store", "{store}", "--port", "99999"), timeout=12),),
        (Exit((2,)), Says(("--port",))),
    ),
    Case(
        "server-port-negative",
        "server",
        "serve --port -1",
        (Need("tokens", "store.sqlite"),),
        (Cmd(("serve", "--store", "{store}", "--port", "-1"), timeout=12),),
        (Exit((2,)),),
    ),
    Case(
        "server-port-taken",
        "server",
        "serve on a port another program listens on",
        (Need("tokens", "store.sqlite"), Occupy()),
        (Cmd(("serve", "--store", "{store}", "--port", "{port}"), timeout=12),),
        (Exit((1, 2)), Says(("{port}",))),
    ),
    Case(
        "server-bad-host",
        "server",
        "serve --host 256.1.1.1",
        (Need("tokens", "store.sqlite"),),
        (
            Cmd(
                ("serve", "--store", "{store}", "--host", "256.1.1.1", "--port", "{port}"),
                timeout=12,
            ),
        ),
        (Exit((1, 2)),),
    ),
    Case(
        "server-methods-405",
        "server",
        "POST, PUT, DELETE on a live feed and POST on an unknown one: 405",
        (Need("tokens", "store.sqlite"),),
        (
            Serve(
                (
                    Request("POST", "{feed}", (405,)),
                    Request("PUT", "{feed}", (405,)),
                    Request("DELETE", "{feed}", (405,)),
                    Request("POST", "{junk}", (405,)),
                    Request("GET", "{feed}", (200,)),
                )
            ),
        ),
        (Http(),),
    ),
    Case(
        "server-probing-429",
        "server",
        "60 unknown tokens from one address: the server starts answering 429",
        (Need("tokens", "store.sqlite"),),
        (Serve((Request("GET", "{junk}", (429,), repeat=60, any_of_them=True),)),),
        (Http(),),
    ),
    Case(
        "server-paths-404",
        "server",
        "a live feed (GET, HEAD) 200; slash, traversal, root and unknown paths 404",
        (Need("tokens", "store.sqlite"),),
        (
            Serve(
                (
                    Request("GET", "{feed}", (200,)),
                    Request("HEAD", "{feed}", (200,)),
                    Request("GET", "{feed}/", (404,)),
                    Request("GET", "/feeds/..%2F..%2Fstore.sqlite", (404,)),
                    Request("GET", "/feeds/%2e%2e/%2e%2e/store.sqlite", (404,)),
                    Request("GET", "/", (404,)),
                    Request("GET", "/feeds/", (404,)),
                    Request("GET", "{junk}", (404, 429)),
                )
            ),
        ),
        (Http(),),
    ),
    # ---------------------------------------------------------------- encoding (kept passing)
    check_branch(
        "encoding-bom",
        "every CSV with a UTF-8 BOM (Excel's CSV UTF-8)",
        tuple(
            Recode(f"branch/{f}.csv", "utf-8-sig")
            for f in ("alts", "schools", "bells", "classes", "settings", "travel", "blocked")
        ),
        *accepted(),
    ),
    check_branch(
        "encoding-crlf", "every CSV with CRLF line ends", (LineEnds("\r\n"),), *accepted()
    ),
    check_branch(
        "encoding-cr", "every CSV with old Mac CR line ends", (LineEnds("\r"),), *accepted()
    ),
    check_branch(
        "encoding-japanese",
        "Japanese names in UTF-8",
        (
            Cell(CLASSES_CSV, 2, "co_teacher", "佐藤 由紀"),
            Cell(SCHOOLS, 2, "name", "さくら小学校"),
        ),
        *accepted(),
    ),
    check_branch(
        "encoding-cp932",
        "classes.csv saved as Shift-JIS (CP932), Japanese names inside",
        (Cell(CLASSES_CSV, 2, "co_teacher", "佐藤 由紀"), Recode(CLASSES_CSV, "cp932")),
        Exit((2,)),
        Says(("classes.csv", "UTF-8")),
    ),
    check_branch(
        "encoding-utf16",
        "alts.csv saved as UTF-16 (Excel's Unicode text)",
        (Recode(ALTS, "utf-16"),),
        Exit((2,)),
        Says(("alts.csv", "UTF-8")),
    ),
    check_branch(
        "encoding-latin1",
        "a name with é saved as Latin-1",
        (Cell(ALTS, 2, "name", "José Carter"), Recode(ALTS, "latin-1")),
        Exit((2,)),
        Says(("alts.csv", "UTF-8")),
    ),
    check_branch(
        "encoding-fullwidth-need",
        "full-width digit in alt_lessons (１ for 1)",
        (Cell(CLASSES_CSV, 8, "alt_lessons", "１"),),
        ReadOrRefused(("classes.csv row 8, column alt_lessons",)),
    ),
    check_branch(
        "encoding-fullwidth-time",
        "full-width digits in a bell time (０８:４５)",
        (Cell(BELLS, 2, "start", "０８:４５"),),
        ReadOrRefused(("bells.csv row 2, column start",)),
    ),
    check_branch(
        "encoding-fullwidth-coordinate",
        "full-width digits in a latitude (３６.５５６)",
        (Cell(ALTS, 2, "home_lat", "３６.５５６"),),
        ReadOrRefused(("alts.csv row 2, column home_lat",)),
    ),
    check_branch(
        "encoding-fullwidth-colon",
        "a full-width colon in a time (08：45)",
        (Cell(BELLS, 2, "start", "08：45"),),
        Exit((2,)),
        Says(("bells.csv row 2, column start",)),
    ),
    check_branch(
        "encoding-ideographic-space",
        "ideographic and no-break spaces around ids and numbers",
        (
            Cell(CLASSES_CSV, 8, "alt_lessons", "\u30001\u00a0"),
            Cell(CLASSES_CSV, 9, "school_id", "E01\u3000"),
        ),
        *accepted(),
    ),
    # ---------------------------------------------------------------- injection (kept passing)
    Case(
        "injection-html-script",
        "injection",
        "ALT name <script>alert(1)</script>: escaped in every page",
        (Cell(ALTS, 2, "name", "<script>alert(1)</script>"),),
        (Cmd(SOLVE),),
        (
            Exit(WROTE),
            Lacks("{written}/**/*.html", "<script>alert(1)"),
            Holds("{written}/**/*.html", "&lt;script&gt;"),
        ),
    ),
    Case(
        "injection-html-report",
        "injection",
        "the same name in altsched report's printable page",
        (Need("good", "out"), Cell(ALTS, 2, "name", "<script>alert(1)</script>")),
        (Cmd(("report", "{out}", "--instance", "{branch}")),),
        (
            Exit((0,)),
            Lacks("{out}/report.html", "<script>alert(1)"),
            Holds("{out}/report.html", "&lt;script&gt;"),
        ),
    ),
    Case(
        "injection-html-img",
        "injection",
        "school name <img src=x onerror=alert(1)>: escaped in every page",
        (Cell(SCHOOLS, 2, "name", "<img src=x onerror=alert(1)>"),),
        (Cmd(SOLVE),),
        (
            Exit(WROTE),
            Lacks("{written}/**/*.html", "<img src=x"),
            Holds("{written}/**/*.html", "&lt;img src=x"),
        ),
    ),
    Case(
        "injection-html-attribute",
        "injection",
        'ALT name with quotes and commas (x" onmouseover="alert(1), Jr.): pages and grids hold',
        (Cell(ALTS, 2, "name", 'x" onmouseover="alert(1), Jr.'),),
        (Cmd(SOLVE),),
        (
            Exit(WROTE),
            Lacks("{written}/**/*.html", '" onmouseover="alert'),
            CsvShape("{written}/**/*.csv"),
        ),
    ),
    Case(
        "injection-ical-crlf-json",
        "injection",
        "ALT name with \\r\\nBEGIN:VEVENT...END:VEVENT in a JSON branch: no event added",
        (
            Need("good", "out"),
            Form(".json"),
            Edit(
                "branch.json",
                '"Emily Carter"',
                '"Evil\\r\\nBEGIN:VEVENT\\r\\nSUMMARY:injected\\r\\nEND:VEVENT\\r\\nX"',
            ),
        ),
        (Cmd(("ical", "{branch}", "{out}")),),
        (Exit((0,)), Events("{out}/ical/*.ics")),
    ),
    Case(
        "injection-ical-crlf-csv",
        "injection",
        "the same name in a quoted multi-line CSV cell",
        (
            Need("good", "out"),
            Cell(ALTS, 2, "name", "Evil\r\nBEGIN:VEVENT\r\nSUMMARY:injected\r\nEND:VEVENT\r\nX"),
        ),
        (Cmd(("ical", "{branch}", "{out}")),),
        (Exit((0, 2)), Events("{out}/ical/*.ics")),
    ),
    Case(
        "injection-ical-separators",
        "injection",
        "names with ; , and \\ : escaped in the feeds, parsed back whole",
        (
            Need("good", "out"),
            Cell(ALTS, 2, "name", "Smith; Jones, Ltd \\ N"),
            Cell(SCHOOLS, 2, "name", "Sakura; ES, east"),
        ),
        (Cmd(("ical", "{branch}", "{out}")),),
        (
            Exit((0,)),
            Events("{out}/ical/*.ics", names=("Smith; Jones, Ltd \\ N", "Sakura; ES, east")),
        ),
    ),
    Case(
        "injection-fet-xml",
        "injection",
        'names with < & " in export-fet: well-formed XML',
        (
            Need("good", "out"),
            Cell(ALTS, 2, "name", 'Tom & "Jerry" <b>'),
            Cell(SCHOOLS, 2, "name", "A<B & C"),
        ),
        (Cmd(("export-fet", "{branch}", "{out}", "{root}/out.fet")),),
        (Exit((0,)), Xml("{root}/out.fet")),
    ),
    check_branch(
        "injection-rich-markup",
        "rich markup [red]note[/red] as an unknown column: shown as written",
        (Edit(CLASSES_CSV, "co_teacher\n", "co_teacher,[red]note[/red]\n"),),
        Exit((0,)),
        Says(("[red]note[/red]",)),
    ),
    # ---------------------------------------------------------------- values (kept passing)
    *[
        Case(
            f"values-weights-{slug}",
            "values",
            f"--weights file: {what}",
            (Write("w.toml", text),),
            (Cmd((*SOLVE, "--weights", "{root}/w.toml")),),
            refused("w.toml"),
        )
        for slug, what, text in (
            ("syntax", "unclosed table header", "[weights\n"),
            ("unknown", "an unknown weight", "[weights]\nnonsense = 5\n"),
            ("negative", "a negative weight", "[weights]\nunmet_lesson = -5\n"),
            ("latin1", "not UTF-8", "# caf\xe9\n".encode("latin-1")),
        )
    ],
    check_branch(
        "values-unknown-school",
        "classes.csv names school E99",
        (Cell(CLASSES_CSV, 2, "school_id", "E99"),),
        Exit((2,)),
        Says(("classes.csv row 2, column school_id",)),
    ),
    check_branch(
        "values-duplicate-alt",
        "alt_id A01 twice",
        (Edit(ALTS, "\nA10,", "\nA01,"),),
        Exit((2,)),
        Says(("alts.csv row 11, column alt_id",)),
    ),
    check_branch(
        "values-duplicate-class",
        "class E01 1-1 twice",
        (Edit(CLASSES_CSV, "E01,1-2,", "E01,1-1,"),),
        Exit((2,)),
        Says(("classes.csv row 3, column class",)),
    ),
    check_branch(
        "values-bad-day",
        "a misspelt day (Thr) in bells.csv",
        (Cell(BELLS, 25, "days", "Mon;Tue;Thr;Fri"),),
        Exit((2,)),
        Says(("bells.csv row 25, column days",)),
    ),
    check_branch(
        "values-weekend-blocked",
        "a Saturday in blocked.csv",
        (Cell(BLOCKED, 2, "day", "Sat"),),
        Exit((2,)),
        Says(("blocked.csv row 2, column day",)),
    ),
    check_branch(
        "values-time-25",
        "25:00 for a time",
        (Cell(BELLS, 2, "end", "25:00"),),
        Exit((2,)),
        Says(("bells.csv row 2, column end",)),
    ),
    check_branch(
        "values-negative-need",
        "alt_lessons -1",
        (Cell(CLASSES_CSV, 8, "alt_lessons", "-1"),),
        Exit((2,)),
        Says(("classes.csv row 8, column alt_lessons",)),
    ),
    check_branch(
        "values-negative-minutes",
        "travel minutes -5",
        (Cell(TRAVEL, 2, "minutes", "-5"),),
        Exit((2,)),
        Says(("travel.csv row 2, column minutes",)),
    ),
    check_branch(
        "values-huge-need",
        "alt_lessons 10^20",
        (Cell(CLASSES_CSV, 8, "alt_lessons", "1" + "0" * 20),),
        Exit((2,)),
        Says(("classes.csv row 8, column alt_lessons",)),
    ),
    check_branch(
        "values-nan-latitude",
        "latitude nan",
        (Cell(ALTS, 2, "home_lat", "nan"),),
        Exit((2,)),
        Says(("alts.csv row 2, column home_lat",)),
    ),
    check_branch(
        "values-inf-minutes",
        "travel minutes inf",
        (Cell(TRAVEL, 2, "minutes", "inf"),),
        Exit((2,)),
        Says(("travel.csv row 2, column minutes",)),
    ),
    check_branch(
        "values-unknown-setting",
        "an unknown setting (colour): a warning only",
        (Edit(SETTINGS, "branch,", "colour,blue\nbranch,"),),
        Exit((0,)),
        Says(("colour",)),
    ),
    *[
        Case(
            f"values-option-{slug}",
            "values",
            f"solve {' '.join(opt)}",
            (),
            (Cmd(("solve", "{branch}", "--out", "{out}", *opt)),),
            (Exit((2,)), *NOTHING),
        )
        for slug, opt in (
            ("seed-negative", ("--seed", "-1")),
            ("time-nan", ("--time-limit", "nan")),
        )
    ],
    Case(
        "values-rotate-unknown",
        "values",
        "tokens --rotate an id that is no feed",
        (Need("tokens", "store.sqlite"),),
        (Cmd(("tokens", "--store", "{store}", "--rotate", "NOPE")),),
        (Exit((2,)), Says(("NOPE",))),
    ),
    Case(
        "values-changes-unknown-version",
        "values",
        "changes --to 99 on a store with one version",
        (Need("published", "store.sqlite"),),
        (Cmd(("changes", "--store", "{store}", "--to", "99")),),
        (Exit((2,)), Says(("99",))),
    ),
    # ---------------------------------------------------------------- files (kept passing)
    check_branch(
        "files-empty-classes",
        "classes.csv of 0 bytes",
        (Write(CLASSES_CSV, ""),),
        Exit((2,)),
        Says(("classes.csv",)),
    ),
    check_branch(
        "files-bom-only",
        "classes.csv holding only a BOM",
        (Write(CLASSES_CSV, b"\xef\xbb\xbf"),),
        Exit((2,)),
        Says(("classes.csv",)),
    ),
    check_branch(
        "files-missing-alts", "no alts.csv", (Remove(ALTS),), Exit((2,)), Says(("alts.csv",))
    ),
    check_branch(
        "files-classes-directory",
        "classes.csv is a folder",
        (Remove(CLASSES_CSV), MakeDir(CLASSES_CSV)),
        Exit((2,)),
        Says(("classes.csv",)),
    ),
    check_branch(
        "files-dangling-link",
        "classes.csv a link to nowhere",
        (Remove(CLASSES_CSV), Link(CLASSES_CSV, "../nowhere.csv")),
        Exit((2,)),
        Says(("classes.csv",)),
    ),
    Case(
        "files-unreadable",
        "files",
        "classes.csv with mode 000",
        (Need("good", "out"), Chmod(CLASSES_CSV, 0)),
        (Cmd(CHECK),),
        (Exit((2,)), Says(("classes.csv",))),
        skip_as_root="root reads a file whatever its mode",
    ),
    check_branch(
        "files-link-outside-read",
        "classes.csv a link to a copy outside the branch: read as the user's file",
        (Move(CLASSES_CSV, "outside/classes.csv"), Link(CLASSES_CSV, "../outside/classes.csv")),
        *accepted(),
    ),
    Case(
        "files-instance-missing",
        "files",
        "an instance path that does not exist",
        (),
        (Cmd(("solve", "{root}/nowhere", "--out", "{out}")),),
        (Exit((2,)), Says(("nowhere",)), *NOTHING),
    ),
    Case(
        "files-instance-text",
        "files",
        "an instance that is a .txt file",
        (Write("notes.txt", "hello\n"),),
        (Cmd(("solve", "{root}/notes.txt", "--out", "{out}")),),
        (Exit((2,)), Says(("notes.txt",)), *NOTHING),
    ),
    Case(
        "files-weights-directory",
        "files",
        "--weights names a folder",
        (MakeDir("w.toml"),),
        (Cmd((*SOLVE, "--weights", "{root}/w.toml")),),
        (Exit((2,)), Says(("w.toml",)), *NOTHING),
    ),
    Case(
        "files-out-is-file",
        "files",
        "--out names an existing file",
        (Write("out", "my file\n"),),
        (Cmd(SOLVE),),
        (Exit((2,)), Unchanged("{out}")),
    ),
    Case(
        "files-out-is-branch",
        "files",
        "--out names the branch folder itself",
        (),
        (Cmd(("solve", "{branch}", "--out", "{branch}", "--time-limit", QUICK)),),
        (Exit((2,)), Unchanged("{branch}")),
    ),
    Case(
        "files-out-user-file",
        "files",
        "--out a good output to which the user added notes.txt",
        (Need("good", "out"), Write("out/notes.txt", "mine\n")),
        (Cmd(SOLVE),),
        (Exit((2,)), Says(("notes.txt",)), Unchanged("{out}")),
    ),
    Case(
        "files-out-link-inside",
        "files",
        "a grid in --out is a link to a file outside: replacing --out leaves the target alone",
        (
            Need("good", "out"),
            Write("outside/precious.csv", "precious\n"),
            Remove("out/timetables/A01.csv"),
            Link("out/timetables/A01.csv", "../../outside/precious.csv"),
        ),
        (Cmd(SOLVE),),
        (Exit((0, 1, 2)), Unchanged("{root}/outside")),
    ),
    Case(
        "files-out-is-link",
        "files",
        "--out is a link to a folder of the user's",
        (Write("outside/precious.txt", "precious\n"), Link("out", "outside")),
        (Cmd(SOLVE),),
        (Exit((0, 1, 2)), Unchanged("{root}/outside/precious.txt")),
    ),
    Case(
        "files-xlsx-formula",
        "files",
        "a workbook whose alt_lessons cell is a formula (=1+1) with no saved value",
        (Form(".xlsx"), SheetCell("branch.xlsx", "classes", "C8", "=1+1")),
        (Cmd(SOLVE),),
        refused("sheet classes row 8"),
    ),
    Case(
        "files-xlsx-formula-name",
        "files",
        "a workbook whose ALT name is =HYPERLINK(...)",
        (
            Form(".xlsx"),
            SheetCell("branch.xlsx", "alts", "B2", '=HYPERLINK("http://example.invalid","x")'),
        ),
        (Cmd(SOLVE),),
        refused("sheet alts row 2"),
    ),
    Case(
        "files-xlsx-truncated",
        "files",
        "a workbook cut to half its bytes",
        (Form(".xlsx"), Cut("branch.xlsx", 0.5)),
        (Cmd(SOLVE),),
        refused("branch.xlsx"),
    ),
    Case(
        "files-xlsx-is-csv",
        "files",
        "a CSV file renamed .xlsx",
        (Form(".xlsx"), Write("branch.xlsx", "school_id,name\nE01,Sakura\n")),
        (Cmd(SOLVE),),
        refused("branch.xlsx"),
    ),
    Case(
        "files-json-truncated",
        "files",
        "a JSON branch cut to half its bytes",
        (Form(".json"), Cut("branch.json", 0.5)),
        (Cmd(SOLVE),),
        refused("branch.json"),
    ),
    Case(
        "files-check-no-assignments",
        "files",
        "check on a folder without assignments.csv",
        (MakeDir("out"),),
        (Cmd(CHECK),),
        (Exit((2,)), Says(("assignments.csv",))),
    ),
    Case(
        "files-check-garbage-assignments",
        "files",
        "check on an assignments.csv of binary junk",
        (MakeDir("out"), Write("out/assignments.csv", b"\x00\xff\xfe junk \x00\n")),
        (Cmd(CHECK),),
        (Exit((2,)), Says(("assignments.csv",))),
    ),
    Case(
        "files-publish-no-source",
        "files",
        "publish a folder with no ical/source.json",
        (MakeDir("out"),),
        (Cmd(("publish", "{out}", "--store", "{store}")),),
        (Exit((2,)), Says(("source.json",)), Absent("{store}")),
    ),
    # ---------------------------------------------------------------- writes (kept passing)
    Case(
        "writes-concurrent-solves",
        "writes",
        "two solves into the same --out at the same time",
        (),
        (Together((Cmd(SOLVE), Cmd(SOLVE)), stagger=0.5),),
        (Exit((0, 1, 2)), Valid(), Absent("{root}/.out.tmp-*")),
    ),
    Case(
        "writes-kill-keeps-out",
        "writes",
        "SIGKILL 2 s into a solve over a good output: the old output is intact",
        (Need("good", "out"),),
        (
            Interrupt(
                Cmd(("solve", "{branch}", "--out", "{out}", "--time-limit", "30")),
                "KILL",
                "Solving",
                2.0,
            ),
        ),
        (Unchanged("{out}"),),
    ),
    Case(
        "writes-concurrent-ical",
        "writes",
        "two altsched ical into the same folder at the same time",
        (Need("good", "out"),),
        (
            Together(
                (Cmd(("ical", "{branch}", "{out}")), Cmd(("ical", "{branch}", "{out}"))),
                stagger=0.2,
            ),
        ),
        (Exit((0,)), Events("{out}/ical/*.ics"), Valid("{out}")),
    ),
    *REPLAN,
]
