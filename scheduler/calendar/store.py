"""The published timetable versions, in one embedded SQLite file.

A version holds its input (instance JSON and assignments CSV), every event with its identity
(UID, SEQUENCE, status, DTSTAMP) and the rendered bytes of every feed. Versions are append-only:
SQLite triggers refuse any UPDATE or DELETE of a published row, so a later publish can never
overwrite or remove an earlier one. Feed tokens live here too, only as SHA-256 hashes.

Several processes share a store: the server reads while ``publish`` and ``tokens`` write.
The file is in WAL mode (readers never wait for a writer), writers queue for the write lock
for up to :data:`DEFAULT_WAIT` seconds (``$ALTSCHED_STORE_WAIT``), and a writer holds the
lock only to insert rows it computed before taking it. Anything SQLite reports about the file
(damaged, not a database, read-only, still locked) becomes a :class:`StoreError` naming the
store, an input error on the command line (exit 2), never a traceback.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import sqlite3
import tempfile
import time as clock
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from types import TracebackType
from typing import Literal, TypeGuard

import pandas as pd

from scheduler.calendar.covers import Cover, Covered, apply_covers
from scheduler.calendar.ical import Feed, FeedKind, build_feeds, drafts
from scheduler.calendar.identity import Event, assign
from scheduler.calendar.term import DatedLesson, TermCalendar, expand
from scheduler.errors import InputIssue, InstanceError
from scheduler.instance import Instance

# 2 added the covers table; a store of schema 1 gets it when a writer first opens it.
SCHEMA_VERSION = 2
WAIT_ENV = "ALTSCHED_STORE_WAIT"
# Seconds a command waits for another's write lock. A publish holds it for the inserts only
# (the rendering is done before it is taken), so a minute covers a queue of several writers
# on a slow disk; a lock held longer is a stuck process, and the user is told so.
DEFAULT_WAIT = 60.0
# A publish renders its feeds before taking the write lock; when another publish landed
# meanwhile, it renders again on the new latest version. After this many tries it renders
# while holding the lock, so it always ends.
PUBLISH_TRIES = 3
SQLITE_MAGIC = b"SQLite format 3\x00"
TABLES = frozenset({"versions", "events", "feeds", "tokens"})
BACKUP_HELP = 'restore it from a backup (docs/calendar.md, "Backup and restore")'

_SCHEMA = """
CREATE TABLE versions (
    version INTEGER PRIMARY KEY AUTOINCREMENT,
    published_at TEXT NOT NULL,
    label TEXT NOT NULL,
    source TEXT NOT NULL,
    instance_json TEXT NOT NULL,
    assignments_csv TEXT NOT NULL
);
CREATE TABLE events (
    version INTEGER NOT NULL REFERENCES versions(version),
    uid TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    cancelled INTEGER NOT NULL,
    stamp TEXT NOT NULL,
    alt_id TEXT NOT NULL,
    school_id TEXT NOT NULL,
    class TEXT NOT NULL,
    date TEXT NOT NULL,
    period INTEGER NOT NULL,
    start TEXT NOT NULL,
    "end" TEXT NOT NULL,
    summary TEXT NOT NULL,
    school_summary TEXT NOT NULL,
    location TEXT NOT NULL,
    description TEXT NOT NULL,
    PRIMARY KEY (version, uid)
);
CREATE INDEX events_uid ON events(uid);
CREATE TABLE feeds (
    version INTEGER NOT NULL REFERENCES versions(version),
    feed TEXT NOT NULL,
    kind TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    name TEXT NOT NULL,
    body BLOB NOT NULL,
    etag TEXT NOT NULL,
    modified_at TEXT NOT NULL,
    PRIMARY KEY (version, feed)
);
CREATE TABLE tokens (
    token_hash TEXT PRIMARY KEY,
    feed TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX tokens_feed ON tokens(feed);
"""
# Covers (docs/cover.md): each applies, in recording order, to every later version's dated
# lessons; ``version`` is the version that recorded it.
_COVERS = """
CREATE TABLE covers (
    cover INTEGER PRIMARY KEY AUTOINCREMENT,
    version INTEGER NOT NULL REFERENCES versions(version),
    date TEXT NOT NULL,
    period INTEGER NOT NULL,
    school_id TEXT NOT NULL,
    class TEXT NOT NULL,
    from_alt TEXT NOT NULL,
    to_alt TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE INDEX covers_date ON covers(date)
"""
# Published rows are immutable; a token may only be revoked, never edited or forgotten.
_GUARDS = [
    *(
        f"CREATE TRIGGER {t}_no_{op.lower()} BEFORE {op} ON {t} "
        f"BEGIN SELECT RAISE(ABORT, 'published {t} are never changed or deleted'); END"
        for t in ("versions", "events", "feeds", "covers")
        for op in ("UPDATE", "DELETE")
    ),
    "CREATE TRIGGER tokens_no_delete BEFORE DELETE ON tokens "
    "BEGIN SELECT RAISE(ABORT, 'tokens are revoked, never deleted'); END",
    "CREATE TRIGGER tokens_only_revoke "
    "BEFORE UPDATE OF token_hash, feed, created_at ON tokens "
    "BEGIN SELECT RAISE(ABORT, 'tokens are revoked, never edited'); END",
]

# How a command uses the store: "create" may make a new file (publish), "write" changes an
# existing one (tokens), "read" opens it read-only and never changes a byte (changes, serve,
# backup).
Mode = Literal["create", "write", "read"]


class StoreError(InstanceError):
    """The store cannot be used: missing, damaged, foreign, newer, read-only or locked."""

    def __init__(self, path: Path, message: str) -> None:
        self.path = path
        super().__init__([InputIssue(str(path), None, None, None, message)])


def store_wait() -> float:
    """Seconds a writer waits for the lock: ``$ALTSCHED_STORE_WAIT`` or :data:`DEFAULT_WAIT`."""
    given = os.environ.get(WAIT_ENV, "").strip()
    if not given:
        return DEFAULT_WAIT
    try:
        wait = float(given)
    except ValueError:
        wait = -1.0
    if not 0 <= wait <= 86_400:
        msg = "is not a number of seconds from 0 to 86400"
        raise InstanceError([InputIssue(WAIT_ENV, None, None, given, msg)])
    return wait


def store_error(
    path: Path, error: sqlite3.Error | OSError, wait: float | None = None
) -> StoreError:
    """Say in the user's words why SQLite or the file system refused the store.

    ``wait`` is how long the connection waited for a lock (:func:`store_wait` when None).
    """
    if isinstance(error, OSError):
        return StoreError(path, f"cannot be opened: {error.strerror or error}")
    name = getattr(error, "sqlite_errorname", "") or ""
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        waited = store_wait() if wait is None else wait
        why = (
            f"is locked by another process for more than {waited:g} s "
            f"(${WAIT_ENV} sets the wait); nothing was changed, try again"
        )
    elif name.startswith("SQLITE_READONLY"):
        why = "is read-only here (file or folder permissions); nothing was changed"
    elif name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        why = f"is damaged ({error}); {BACKUP_HELP}"
    elif name.startswith("SQLITE_FULL"):
        why = "cannot grow: the disk is full; nothing was changed"
    elif name.startswith("SQLITE_CANTOPEN"):
        why = f"cannot be opened ({error}): check the file and its folder's permissions"
    else:
        why = f"cannot be used as an altsched store ({error}); {BACKUP_HELP}"
    return StoreError(path, why)


def is_store_fault(error: BaseException | None) -> TypeGuard[sqlite3.DatabaseError]:
    """True for SQLite errors about the file or its locks, False for programming errors."""
    return isinstance(error, sqlite3.DatabaseError) and not isinstance(
        error, sqlite3.IntegrityError | sqlite3.ProgrammingError | sqlite3.InterfaceError
    )


@dataclass(frozen=True)
class Version:
    """A published version's metadata."""

    version: int
    published_at: datetime
    label: str
    source: str


@dataclass(frozen=True)
class StoredFeed:
    """One feed of one version, rendered."""

    key: str
    kind: FeedKind
    owner_id: str
    name: str
    body: bytes
    etag: str
    modified_at: datetime  # publish time of the first version with exactly these bytes


@dataclass(frozen=True)
class TokenRecord:
    """A feed token as stored: only its hash."""

    token_hash: str
    feed: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class PublishOutcome:
    """What a publish did: the version now latest, whether it is new, and the one before."""

    version: Version
    created: bool
    previous: Version | None = None  # the version the new one was compared with
    applied: tuple[Cover, ...] = ()  # covers in force in the new version, recording order
    dropped: tuple[tuple[Cover, str], ...] = ()  # covers it cannot apply, with the reason


def etag_of(body: bytes) -> str:
    """A strong ETag from the final bytes."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


class Store:
    """An open store. Use as a context manager, or call :meth:`close`.

    Parameters
    ----------
    path
        The SQLite file.
    mode
        ``"create"`` (the default) makes a new store where no file exists; ``"write"`` needs
        an existing store; ``"read"`` opens an existing store read-only.
    wait
        Seconds to wait for another process's lock; :func:`store_wait` when None.

    Raises
    ------
    StoreError
        The path is missing (unless created), a folder, empty, not SQLite, another
        application's database, written by a newer altsched, or SQLite refuses it.

    Notes
    -----
    Inside ``with Store(...) as st:`` an SQLite error about the file (damage, locks,
    permissions) leaves the block as a :class:`StoreError`; constraint errors (a trigger
    refusing an update) stay what they are.
    """

    def __init__(self, path: Path, mode: Mode = "create", wait: float | None = None) -> None:
        self.path = path
        self.wait = wait = store_wait() if wait is None else wait
        if mode == "create" and not path.exists():
            _create(path)
        _check_file(path)
        if mode == "read":
            # A read-only connection never writes, not even the checkpoint SQLite runs when
            # the last connection closes: a server over a damaged file leaves it as it is.
            target, uri = f"{path.resolve().as_uri()}?mode=ro", True
        else:
            target, uri = str(path), False
        try:
            # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE in writers).
            self.db = sqlite3.connect(
                target, uri=uri, timeout=wait, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as e:
            raise store_error(path, e, wait) from e
        try:
            found = self._check_schema()
            if mode != "read":
                # A store restored from a copy made elsewhere may come back in rollback mode.
                self.db.execute("PRAGMA journal_mode=WAL")
                if found < SCHEMA_VERSION:
                    self._upgrade()
            self.db.execute("PRAGMA foreign_keys=ON")
        except BaseException as e:
            self.db.close()
            if is_store_fault(e):
                raise store_error(path, e, wait) from e
            raise

    def _check_schema(self) -> int:
        found = int(self.db.execute("PRAGMA user_version").fetchone()[0])
        if found > SCHEMA_VERSION:
            msg = (
                f"was written by a newer altsched (store schema {found}; this one knows "
                f"{SCHEMA_VERSION}): upgrade altsched to use it; nothing was changed"
            )
            raise StoreError(self.path, msg)
        tables = {
            r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        missing = sorted(TABLES - tables)
        if found < 1 or missing:
            what = f"no table {', '.join(missing)}" if missing else "no altsched schema version"
            msg = f"is an SQLite database but not an altsched store ({what}); nothing was changed"
            raise StoreError(self.path, msg)
        return found

    def _upgrade(self) -> None:
        """Bring a store of schema 1 to this one: add the covers table (nothing else changes)."""
        with self.transaction() as db:
            if int(db.execute("PRAGMA user_version").fetchone()[0]) >= SCHEMA_VERSION:
                return  # another process upgraded it meanwhile
            db.execute(_COVERS.split(";")[0])
            db.execute(_COVERS.split(";")[1])
            for guard in _GUARDS:
                if " ON covers " in guard:
                    db.execute(guard)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def has_covers_table(self) -> bool:
        """False for a store of schema 1 opened read-only (it has no cover yet)."""
        row = self.db.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='covers'"
        ).fetchone()
        return row is not None

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
        if is_store_fault(exc):
            raise store_error(self.path, exc, self.wait) from exc

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that takes the lock at once, so writers queue, never interleave.

        Inside another transaction of this store it joins that one: the outer one commits.
        """
        if self.db.in_transaction:
            yield self.db
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            # SQLite rolls back by itself on a full disk, an I/O error or no memory: a second
            # ROLLBACK would raise and hide the error that says what happened.
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise
        try:
            self.db.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            raise

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every query inside sees the store as of one moment."""
        if self.db.in_transaction:
            yield self.db
            return
        self.db.execute("BEGIN")
        try:
            yield self.db
        finally:
            if self.db.in_transaction:  # gone when SQLite rolled back on an error
                self.db.execute("COMMIT")

    def data_version(self) -> int:
        """Changes when another connection commits; a cheap 'did anything change?'."""
        return int(self.db.execute("PRAGMA data_version").fetchone()[0])

    # ---- versions ------------------------------------------------------------------------
    def versions(self) -> list[Version]:
        """Every version, oldest first."""
        rows = self.db.execute(
            "SELECT version, published_at, label, source FROM versions ORDER BY version"
        ).fetchall()
        return [Version(v, _dt(p), label, src) for v, p, label, src in rows]

    def latest(self) -> Version | None:
        """The newest version, or None before the first publish."""
        vs = self.versions()
        return vs[-1] if vs else None

    def version(self, number: int) -> Version | None:
        """One version by number."""
        return next((v for v in self.versions() if v.version == number), None)

    def events(self, version: int) -> list[Event]:
        """Every event of a version (cancelled ones included), by date, time and UID."""
        rows = self.db.execute(
            "SELECT uid, sequence, cancelled, stamp, alt_id, school_id, class, date, period, "
            'start, "end", summary, school_summary, location, description '
            "FROM events WHERE version = ? ORDER BY date, start, alt_id, uid",
            (version,),
        ).fetchall()
        return [_event_of(r) for r in rows]

    def feeds(self, version: int) -> list[StoredFeed]:
        """Every feed of a version."""
        rows = self.db.execute(
            "SELECT feed, kind, owner_id, name, body, etag, modified_at FROM feeds "
            "WHERE version = ? ORDER BY rowid",
            (version,),
        ).fetchall()
        return [StoredFeed(k, kind, o, n, bytes(b), e, _dt(m)) for k, kind, o, n, b, e, m in rows]

    def all_uids(self) -> set[str]:
        """Every UID ever issued in this store."""
        return {r[0] for r in self.db.execute("SELECT DISTINCT uid FROM events")}

    def covers(self, up_to: int | None = None) -> list[Cover]:
        """Every cover recorded (by versions up to ``up_to``, when given), in recording order."""
        if not self.has_covers_table():
            return []
        rows = self.db.execute(
            "SELECT date, period, school_id, class, from_alt, to_alt, note, version FROM covers "
            "WHERE version <= ? ORDER BY cover",
            (up_to if up_to is not None else 2**62,),
        ).fetchall()
        return [
            Cover(date.fromisoformat(d), int(p), sc, cl, fa, ta, note, int(v))
            for d, p, sc, cl, fa, ta, note, v in rows
        ]

    def covers_in_force(self, version: int) -> list[Cover]:
        """The covers a version applied: its substitute teaches the lesson in that version
        (the last cover of a lesson, when there are several)."""
        recorded = self.covers(up_to=version)
        if not recorded:
            return []
        dates = sorted({c.date.isoformat() for c in recorded})
        # One pass over the version's events of those dates, matched here: a join per cover
        # would scan the version's events once per cover.
        live: set[tuple[str, str, str, str, int]] = set()
        for chunk in range(0, len(dates), 500):  # SQLite's limit on bound parameters
            part = dates[chunk : chunk + 500]
            rows = self.db.execute(
                "SELECT alt_id, school_id, class, date, period FROM events WHERE version = ? "
                f"AND cancelled = 0 AND date IN ({', '.join('?' * len(part))})",
                (version, *part),
            ).fetchall()
            live.update((a, s, c, d, int(p)) for a, s, c, d, p in rows)
        latest: dict[tuple[object, ...], Cover] = {}
        for c in recorded:
            if (c.to_alt, c.school_id, c.class_, c.date.isoformat(), c.period) in live:
                latest[c.key] = c
        return list(latest.values())

    def source_text(self, version: int) -> tuple[str, str]:
        """The instance JSON and assignments CSV of a version, as stored."""
        row = self.db.execute(
            "SELECT instance_json, assignments_csv FROM versions WHERE version = ?", (version,)
        ).fetchone()
        return str(row[0]), str(row[1])

    def source(self, version: int) -> tuple[Instance, pd.DataFrame]:
        """The instance and assignments a version was built from."""
        inst_json, csv = self.db.execute(
            "SELECT instance_json, assignments_csv FROM versions WHERE version = ?", (version,)
        ).fetchone()
        df = pd.read_csv(io.StringIO(csv), dtype=str, keep_default_na=False)
        return Instance.model_validate_json(inst_json), df

    # ---- tokens --------------------------------------------------------------------------
    def add_token(self, token_hash: str, feed: str, at: datetime) -> None:
        """Record a new token's hash for a feed."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO tokens (token_hash, feed, created_at) VALUES (?, ?, ?)",
                (token_hash, feed, _iso(at)),
            )

    def revoke_tokens(self, feed: str, at: datetime) -> int:
        """Revoke every active token of a feed; returns how many."""
        with self.transaction() as db:
            cur = db.execute(
                "UPDATE tokens SET revoked_at = ? WHERE feed = ? AND revoked_at IS NULL",
                (_iso(at), feed),
            )
            return cur.rowcount

    def tokens(self) -> list[TokenRecord]:
        """Every token, oldest first."""
        rows = self.db.execute(
            "SELECT token_hash, feed, created_at, revoked_at FROM tokens "
            "ORDER BY created_at, rowid"
        ).fetchall()
        return [TokenRecord(h, f, _dt(c), _dt(r) if r else None) for h, f, c, r in rows]

    def active_tokens(self) -> list[tuple[str, str]]:
        """(token hash, feed key) of every token not revoked."""
        rows = self.db.execute(
            "SELECT token_hash, feed FROM tokens WHERE revoked_at IS NULL ORDER BY rowid"
        ).fetchall()
        return [(h, f) for h, f in rows]


@dataclass(frozen=True)
class _Plan:
    """A version ready to insert, computed against ``last`` outside the write lock."""

    last: Version | None
    when: datetime
    events: list[Event]
    rendered: list[tuple[Feed, bytes]]
    old_feeds: dict[str, StoredFeed]
    covered: Covered

    @property
    def unchanged(self) -> bool:
        return self.last is not None and _same_feeds(self.rendered, self.old_feeds)


def publish(
    store: Store,
    instance: Instance,
    assignments: pd.DataFrame,
    *,
    label: str = "",
    source: str = "",
    now: datetime | None = None,
    covers: Sequence[Cover] = (),
) -> PublishOutcome:
    """Record a new version built from an instance and its assignments.

    Every cover recorded in the store, then ``covers`` (new ones, recorded with the version),
    is applied to the dated lessons (:func:`scheduler.calendar.covers.apply_covers`); the
    outcome lists those applied and those dropped.

    UIDs, SEQUENCE and cancellations follow :func:`scheduler.calendar.identity.assign`
    against the latest version. When nothing in any feed would change, no version is added.
    The feeds are rendered before the write lock is taken, so other writers wait only for
    the inserts; should another publish land in between, the version is computed again
    against the new latest one (the last try holds the lock while it computes).

    Parameters
    ----------
    store
        The open store.
    instance, assignments
        What to publish (the instance needs term dates).
    label, source
        Free text kept with the version (e.g. the output folder).
    now
        Publish time (UTC); the clock when None. Always made later than the last version's,
        so ``Last-Modified`` grows with every version.
    covers
        New covers to record with this version (``altsched cover --apply``).

    Raises
    ------
    InstanceError
        On bad term dates, dated blocked rows or assignment rows.
    """
    cal = expand(instance, assignments)
    for _ in range(PUBLISH_TRIES - 1):
        plan = _plan(store, instance, cal, covers, now)
        with store.transaction():
            if _latest_number(store) == (plan.last.version if plan.last else None):
                return _write(store, instance, assignments, plan, label, source, covers)
    with store.transaction():
        plan = _plan(store, instance, cal, covers, now)
        return _write(store, instance, assignments, plan, label, source, covers)


def _plan(
    store: Store,
    instance: Instance,
    cal: TermCalendar,
    covers: Sequence[Cover],
    now: datetime | None,
) -> _Plan:
    with store.snapshot():  # one consistent view of the latest version
        last = store.latest()
        previous = store.events(last.version) if last else []
        taken = store.all_uids()
        old_feeds = {f.key: f for f in store.feeds(last.version)} if last else {}
        recorded = store.covers()
    covered = apply_covers(instance, cal, [*recorded, *covers])
    new_drafts = drafts(instance, covered.calendar, covered.cover_for)
    when = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    if last is not None and when <= last.published_at:
        when = last.published_at + timedelta(seconds=1)
    events = assign(previous, new_drafts, taken, stamp=when)
    rendered = build_feeds(instance, events, covered.calendar)
    return _Plan(last, when, events, rendered, old_feeds, covered)


def _latest_number(store: Store) -> int | None:
    row = store.db.execute("SELECT max(version) FROM versions").fetchone()
    return None if row[0] is None else int(row[0])


def _write(
    store: Store,
    instance: Instance,
    assignments: pd.DataFrame,
    plan: _Plan,
    label: str,
    source: str,
    covers: Sequence[Cover] = (),
) -> PublishOutcome:
    """Insert a planned version and its new covers; the caller holds the write lock."""
    applied, dropped = plan.covered.applied, plan.covered.dropped
    if plan.last is not None and plan.unchanged:
        return PublishOutcome(plan.last, False, plan.last, applied, dropped)
    db, when = store.db, plan.when
    cur = db.execute(
        "INSERT INTO versions (published_at, label, source, instance_json, assignments_csv) "
        "VALUES (?, ?, ?, ?, ?)",
        (_iso(when), label, source, instance.model_dump_json(by_alias=True),
         assignments.to_csv(index=False)),
    )  # fmt: skip
    number = int(cur.lastrowid or 0)
    db.executemany(
        "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(number, *_event_row(e)) for e in plan.events],
    )
    rows = []
    for feed, body in plan.rendered:
        old = plan.old_feeds.get(feed.key)
        modified = old.modified_at if old is not None and old.body == body else when
        rows.append((number, feed.key, feed.kind, feed.owner_id, feed.name, body, etag_of(body),
                     _iso(modified)))  # fmt: skip
    db.executemany("INSERT INTO feeds VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    db.executemany(
        "INSERT INTO covers (version, date, period, school_id, class, from_alt, to_alt, note) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(number, c.date.isoformat(), c.period, c.school_id, c.class_, c.from_alt, c.to_alt,
          c.note) for c in covers],
    )  # fmt: skip
    version = Version(number, when, label, source)
    return PublishOutcome(version, True, plan.last, applied, dropped)


@dataclass(frozen=True)
class BackupInfo:
    """A backup written: where, and what it holds."""

    path: Path
    versions: int
    latest: int | None
    tokens: int
    size: int  # bytes


def backup(store: Store, dest: Path, now: datetime | None = None) -> BackupInfo:
    """Copy a store with SQLite's online backup, safe while the server and writers run.

    The copy is one consistent moment of the store (a read transaction; writers go on in
    WAL mode), checked with ``PRAGMA integrity_check``, made private (mode 600: it holds the
    branch's names) and put in place under its name only when complete. An existing file is
    never replaced.

    Parameters
    ----------
    store
        The open store to copy.
    dest
        The file to write, or an existing folder: then ``<store stem>-<UTC time>.sqlite`` in it.
    now
        The time in a name made for a folder; the clock when None.

    Raises
    ------
    StoreError
        ``dest`` exists or its folder does not, or the copy is not sound (a damaged store).
    """
    if dest.is_dir():
        stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        dest = dest / f"{store.path.stem}-{stamp}.sqlite"
    if dest.exists() or dest.is_symlink():
        raise StoreError(dest, "exists; a backup never replaces a file: name a new one")
    if not dest.parent.is_dir():
        raise StoreError(dest, f"cannot be written: the folder {dest.parent} does not exist")
    try:
        with new_file(dest) as tmp:
            versions, latest, tokens = _copy_checked(store, tmp)
    except FileExistsError as e:
        raise StoreError(dest, "exists; a backup never replaces a file: name a new one") from e
    except sqlite3.Error as e:
        raise store_error(store.path, e) from e
    except OSError as e:
        raise StoreError(dest, f"cannot be written: {e.strerror or e}") from e
    return BackupInfo(dest, versions, latest, tokens, dest.stat().st_size)


def _copy_checked(store: Store, tmp: Path) -> tuple[int, int | None, int]:
    """Back the store up into ``tmp`` and check the copy: (versions, latest, tokens)."""
    copy = sqlite3.connect(tmp, isolation_level=None)
    try:
        store.db.backup(copy)
        report = [r[0] for r in copy.execute("PRAGMA integrity_check").fetchall()]
        if report != ["ok"]:
            why = f"is damaged ({report[0]}); no backup was written; {BACKUP_HELP}"
            raise StoreError(store.path, why)
        versions, latest = copy.execute("SELECT count(*), max(version) FROM versions").fetchone()
        tokens = copy.execute("SELECT count(*) FROM tokens").fetchone()[0]
    finally:
        copy.close()
    return int(versions), latest, int(tokens)


def _same_feeds(rendered: Sequence[tuple[Feed, bytes]], old: dict[str, StoredFeed]) -> bool:
    return len(rendered) == len(old) and all(
        f.key in old and old[f.key].body == body for f, body in rendered
    )


def _event_row(e: Event) -> tuple[object, ...]:
    ls = e.lesson
    assert e.stamp is not None  # assign() always stamps with a publish time here
    return (
        e.uid, e.sequence, int(e.cancelled), _iso(e.stamp), ls.alt_id, ls.school_id, ls.class_,
        ls.date.isoformat(), ls.period, f"{ls.start:%H:%M}", f"{ls.end:%H:%M}",
        e.summary, e.school_summary, e.location, e.description,
    )  # fmt: skip


def _event_of(r: Sequence[object]) -> Event:
    uid, seq, cancelled, stamp, alt, school, class_, day, period, start, end, *texts = r
    lesson = DatedLesson(
        date.fromisoformat(str(day)), time.fromisoformat(str(start)), time.fromisoformat(str(end)),
        str(alt), str(school), str(class_), int(str(period)),
    )  # fmt: skip
    summary, school_summary, location, description = (str(t) for t in texts)
    return Event(
        lesson=lesson, summary=summary, school_summary=school_summary, location=location,
        description=description, uid=str(uid), sequence=int(str(seq)),
        cancelled=bool(cancelled), stamp=_dt(str(stamp)),
    )  # fmt: skip


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _dt(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def open_store(path: Path, must_exist: bool = True, mode: Mode | None = None) -> Store:
    """Open a store for a command; a missing file is an input error unless it may be created.

    ``mode`` defaults to ``"read"`` for a store that must exist and ``"create"`` otherwise.
    """
    if must_exist and not path.exists():
        msg = "is not there; publish a timetable first (altsched publish DIR --store FILE)"
        raise StoreError(path, msg)
    return Store(path, mode or ("read" if must_exist else "create"))


def _check_file(path: Path) -> None:
    """Refuse what is plainly no store before SQLite sees it (SQLite would make an empty file
    a new database, and call a text file 'not a database' only at the first query)."""
    if not path.exists():
        msg = "is not there; publish a timetable first (altsched publish DIR --store FILE)"
        raise StoreError(path, msg)
    if path.is_dir():
        raise StoreError(path, "is a folder, not a store file; name the .sqlite file")
    try:
        with path.open("rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except OSError as e:
        raise store_error(path, e) from e
    if not head:
        msg = (
            "is an empty file, not a store: a truncated copy? "
            f"{BACKUP_HELP}, or remove it and publish to start a new store"
        )
        raise StoreError(path, msg)
    if head != SQLITE_MAGIC:
        raise StoreError(path, f"is not an SQLite database, so no altsched store; {BACKUP_HELP}")
    _check_length(path)


def _check_length(path: Path) -> None:
    """Refuse a file shorter than its header says: with a -shm file left beside it, SQLite
    reads the missing pages as empty ones and answers without an error (no tokens, say)."""
    for _ in range(10):
        try:
            with path.open("rb") as f:
                header = f.read(100)
            size = path.stat().st_size
        except OSError as e:
            raise store_error(path, e) from e
        if len(header) < 100:
            break
        page = int.from_bytes(header[16:18], "big")
        page = 65536 if page == 1 else page
        pages = int.from_bytes(header[28:32], "big")
        # The page count is only kept by SQLite 3.7.0 and later: when the two counters agree.
        counted = header[24:28] == header[92:96] and pages > 0
        if not counted or size >= page * pages:
            return
        clock.sleep(0.05)  # a checkpoint writes the header first, then the pages it adds
    raise StoreError(path, f"is truncated (shorter than its header says); {BACKUP_HELP}")


def _create(path: Path) -> None:
    """Make a new, empty store at a path where no file is, all at once.

    The schema is written to a temporary file beside ``path`` and linked into place, so no
    process ever sees a half-made store, and of two publishes creating the same store one
    makes it and the other uses it. SQLite creates the file, with the usual permissions.
    """
    if not path.parent.is_dir():
        raise StoreError(path, f"cannot be created: the folder {path.parent} does not exist")
    try:
        # Another process made it first: use theirs.
        with suppress(FileExistsError), new_file(path, private=False) as tmp:
            db = sqlite3.connect(tmp, isolation_level=None)
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("BEGIN")
                for statement in [*_SCHEMA.split(";"), *_COVERS.split(";"), *_GUARDS]:
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
                db.execute("COMMIT")
            finally:
                db.close()
    except (sqlite3.Error, OSError) as e:
        raise store_error(path, e) from e


@contextmanager
def new_file(path: Path, private: bool = True) -> Iterator[Path]:
    """A temporary path beside ``path`` to write; when the block ends without an error the
    file takes the name ``path``, never replacing one there (``FileExistsError``). In every
    case the temporary name is gone afterwards.

    ``private``: the file is made empty with mode 600 before the block (secrets, personal
    data); otherwise the block creates it, with the usual permissions.
    """
    if private:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
        os.close(fd)
    else:
        name = str(path.parent / f".{path.name}.tmp-{secrets.token_hex(6)}")
    tmp = Path(name)
    try:
        yield tmp
        _link_new(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _link_new(tmp: Path, path: Path) -> None:
    """Give ``tmp`` the name ``path`` unless a file has it (never replaces one)."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links
        if path.exists():
            raise FileExistsError(path) from None
        os.replace(tmp, path)
