"""The published timetable versions, in one embedded SQLite file.

A version holds its input (instance JSON and assignments CSV), every event with its identity
(UID, SEQUENCE, status, DTSTAMP) and the rendered bytes of every feed. Versions are append-only:
SQLite triggers refuse any UPDATE or DELETE of a published row, so a later publish can never
overwrite or remove an earlier one. Feed tokens live here too, only as SHA-256 hashes.
"""

from __future__ import annotations

import hashlib
import io
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pandas as pd

from scheduler.calendar.ical import Feed, FeedKind, build_feeds, drafts
from scheduler.calendar.identity import Event, assign
from scheduler.calendar.term import DatedLesson, expand
from scheduler.errors import InputIssue, InstanceError
from scheduler.instance import Instance

STORE_ENV = "ALTSCHED_STORE"
DEFAULT_STORE = "altsched.sqlite"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS versions (
    version INTEGER PRIMARY KEY AUTOINCREMENT,
    published_at TEXT NOT NULL,
    label TEXT NOT NULL,
    source TEXT NOT NULL,
    instance_json TEXT NOT NULL,
    assignments_csv TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
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
CREATE INDEX IF NOT EXISTS events_uid ON events(uid);
CREATE TABLE IF NOT EXISTS feeds (
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
CREATE TABLE IF NOT EXISTS tokens (
    token_hash TEXT PRIMARY KEY,
    feed TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX IF NOT EXISTS tokens_feed ON tokens(feed);
"""
# Published rows are immutable; a token may only be revoked, never edited or forgotten.
_GUARDS = [
    *(
        f"CREATE TRIGGER IF NOT EXISTS {t}_no_{op.lower()} BEFORE {op} ON {t} "
        f"BEGIN SELECT RAISE(ABORT, 'published {t} are never changed or deleted'); END;"
        for t in ("versions", "events", "feeds")
        for op in ("UPDATE", "DELETE")
    ),
    "CREATE TRIGGER IF NOT EXISTS tokens_no_delete BEFORE DELETE ON tokens "
    "BEGIN SELECT RAISE(ABORT, 'tokens are revoked, never deleted'); END;",
    "CREATE TRIGGER IF NOT EXISTS tokens_only_revoke "
    "BEFORE UPDATE OF token_hash, feed, created_at ON tokens "
    "BEGIN SELECT RAISE(ABORT, 'tokens are revoked, never edited'); END;",
]


def default_store() -> Path:
    """The store path: ``$ALTSCHED_STORE`` or ``altsched.sqlite`` in the current directory."""
    return Path(os.environ.get(STORE_ENV) or DEFAULT_STORE)


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
    """What a publish did: the version now latest and whether it is new."""

    version: Version
    created: bool


def etag_of(body: bytes) -> str:
    """A strong ETag from the final bytes."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


class Store:
    """An open store. Use as a context manager, or call :meth:`close`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE in writers).
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA busy_timeout=5000")
        self.db.execute("PRAGMA foreign_keys=ON")
        found = self.db.execute("PRAGMA user_version").fetchone()[0]
        if found > SCHEMA_VERSION:
            raise ValueError(f"{path} was written by a newer altsched (schema {found})")
        if found < SCHEMA_VERSION:  # a new file: readers never write
            self.db.executescript(_SCHEMA)
            for guard in _GUARDS:
                self.db.execute(guard)
            self.db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def close(self) -> None:
        """Close the connection."""
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that takes the lock at once, so publishes never interleave."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
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


def publish(
    store: Store,
    instance: Instance,
    assignments: pd.DataFrame,
    *,
    label: str = "",
    source: str = "",
    now: datetime | None = None,
) -> PublishOutcome:
    """Record a new version built from an instance and its assignments.

    UIDs, SEQUENCE and cancellations follow :func:`scheduler.calendar.identity.assign`
    against the latest version. When nothing in any feed would change, no version is added.

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

    Raises
    ------
    InstanceError
        On bad term dates, dated blocked rows or assignment rows.
    """
    cal = expand(instance, assignments)
    new_drafts = drafts(instance, cal)
    when = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    with store.transaction() as db:
        last = store.latest()
        previous = store.events(last.version) if last else []
        if last is not None and when <= last.published_at:
            when = last.published_at + timedelta(seconds=1)
        events = assign(previous, new_drafts, store.all_uids(), stamp=when)
        rendered = build_feeds(instance, events, cal)
        old_feeds = {f.key: f for f in store.feeds(last.version)} if last else {}
        if last is not None and _same_feeds(rendered, old_feeds):
            return PublishOutcome(last, created=False)
        cur = db.execute(
            "INSERT INTO versions (published_at, label, source, instance_json, assignments_csv) "
            "VALUES (?, ?, ?, ?, ?)",
            (_iso(when), label, source, instance.model_dump_json(by_alias=True),
             assignments.to_csv(index=False)),
        )  # fmt: skip
        number = int(cur.lastrowid or 0)
        db.executemany(
            "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(number, *_event_row(e)) for e in events],
        )
        for feed, body in rendered:
            old = old_feeds.get(feed.key)
            modified = old.modified_at if old is not None and old.body == body else when
            db.execute(
                "INSERT INTO feeds VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (number, feed.key, feed.kind, feed.owner_id, feed.name, body, etag_of(body),
                 _iso(modified)),
            )  # fmt: skip
    return PublishOutcome(Version(number, when, label, source), created=True)


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


def open_store(path: Path, must_exist: bool = True) -> Store:
    """Open a store; a missing file is an input error unless it may be created (publish)."""
    if must_exist and not path.is_file():
        msg = "is not there; publish a timetable first (altsched publish DIR --store FILE)"
        raise InstanceError([InputIssue(str(path), None, None, None, msg)])
    return Store(path)
